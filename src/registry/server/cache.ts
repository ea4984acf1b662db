// Small bounded caches for the hot path: immutable content by digest (kept until evicted)
// and short-lived lookups (tag and link files) that this process invalidates on its writes.

/** A Map bounded by entry count that forgets the oldest insertions first. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}

/** Entries expire after `ttlMs`: safe against writers in other processes within that window. */
export class TtlCache<V> {
  private readonly map: BoundedMap<string, { value: V; until: number }>;
  constructor(
    private readonly ttlMs: number,
    max = 10_000,
  ) {
    this.map = new BoundedMap(max);
  }

  get(key: string): V | undefined {
    if (this.ttlMs <= 0) return undefined;
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.until < performance.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs > 0) this.map.set(key, { value, until: performance.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
