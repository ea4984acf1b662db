// The overlay driver: every layer is its own lower dir, each snapshot an upper and a work
// dir; deep stacks name their lowers through short links in l/ to fit one page of options.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { resourceExhausted } from '../internal/errors.js';
import { mergeTree, shiftOwners } from './copy.js';
import type { DiffSource, DriverInfo, GraphDriver, IdMap, MountSpec, SnapshotInfo } from './driver.js';
import { MOUNT_DATA_MAX } from './mount.js';
import { type DriverOptions, refuseShifted, SnapshotDirs } from './snapshots.js';

/** Link names are this many base32 characters of sha256(chain ID): 80 bits, collisions moot. */
const LINK_LENGTH = 16;

export class OverlayDriver extends SnapshotDirs implements GraphDriver {
  readonly name = 'overlay' as const;
  private readonly linksDir: string;
  /** l/ was made and swept by this instance (on first need: only deep stacks use it). */
  #linksReady = false;

  constructor(
    options: DriverOptions,
    /** From the probe: the kernel accepts index=off. */
    private readonly indexOff: boolean,
    /** From the probe: the kernel accepts volatile (Linux 5.10). */
    private readonly volatileOk = false,
  ) {
    super(options);
    this.linksDir = path.join(options.root, 'l');
  }

  protected async populate(dir: string, parents: Digest[], readonly: boolean, signal?: AbortSignal, idMap?: IdMap): Promise<void> {
    if (readonly) return;
    const upper = path.join(dir, 'upper');
    mkdirSync(upper, { mode: 0o755 });
    mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
    if (idMap) {
      // The whole tree, merged and shifted, in the upper dir: mounted on its own (see mounts).
      for (const p of parents) await mergeTree(this.lowerPath(p), upper, { signal });
      await shiftOwners(upper, idMap, { signal });
    }
  }

  /**
   * No parents: a bind of the upper dir. One parent, read-only: a bind of that layer.
   * Otherwise overlay, lowers top first, in absolute form when it fits in a page, else
   * as l/<link> names relative to l/ (mount with workingDir).
   */
  protected async mountsOf(key: string, info: SnapshotInfo): Promise<MountSpec[]> {
    const dir = this.dir(key);
    const readonly = info.kind !== 'active';
    const upper = path.join(dir, 'upper');
    const hasUpper = info.kind !== 'view';
    // An id-shifted copy holds its parents' tree itself.
    const lowers = info.idMap ? [] : [...info.parents].reverse();
    if (lowers.length === 0) {
      const source = hasUpper ? upper : await this.emptyDir();
      return [{ type: 'bind', source, options: ['rbind', readonly ? 'ro' : 'rw'] }];
    }
    if (readonly && lowers.length === 1 && !hasUpper) {
      return [{ type: 'bind', source: this.lowerPath(lowers[0]), options: ['rbind', 'ro'] }];
    }
    const tail: string[] = [];
    if (readonly) {
      // A frozen snapshot mounts its changes as the top lower, and no upper at all.
      if (hasUpper) lowers.unshift(upper as Digest);
    } else {
      tail.push(`upperdir=${upper}`, `workdir=${path.join(dir, 'work')}`);
      if (info.volatile && this.volatileOk) tail.push('volatile');
    }
    if (this.indexOff) tail.push('index=off');
    if (readonly && lowers.length === 1) {
      // overlay needs two lowers without an upper; an empty dir is the harmless second.
      lowers.push((await this.emptyDir()) as Digest);
    }
    const real = lowers.map((l) => (isChain(l) ? this.lowerPath(l) : l));
    const options = [`lowerdir=${real.join(':')}`, ...tail];
    if (readonly) options.push('ro');
    if (dataLength(options) <= MOUNT_DATA_MAX) return [{ type: 'overlay', source: 'overlay', options }];
    const links: string[] = [];
    for (const l of lowers) links.push(isChain(l) ? await this.link(l) : path.relative(this.linksDir, l));
    const short = [`lowerdir=${links.join(':')}`, ...tail];
    if (dataLength(short) > MOUNT_DATA_MAX) {
      throw resourceExhausted(`cannot mount snapshot ${key}: ${lowers.length} layers do not fit in one page of overlay options (about ${Math.floor(MOUNT_DATA_MAX / (LINK_LENGTH + 1))} at most)`);
    }
    if (readonly) short.push('ro');
    return [{ type: 'overlay', source: 'overlay', options: short, workingDir: this.linksDir }];
  }

  protected ownTree(key: string): string {
    return path.join(this.dir(key), 'upper');
  }

  async diff(key: string): Promise<DiffSource> {
    const info = await this.stat(key);
    refuseShifted(info, 'diff');
    return {
      kind: 'overlay-upper',
      upper: path.join(this.dir(key), 'upper'),
      lowers: [...info.parents].reverse().map((p) => this.lowerPath(p)),
    };
  }

  async data(key: string): Promise<Record<string, string>> {
    const info = await this.stat(key);
    if (info.idMap) return {};
    const dir = this.dir(key);
    return { LowerDir: [...info.parents].reverse().map((p) => this.lowerPath(p)).join(':'), UpperDir: path.join(dir, 'upper'), WorkDir: path.join(dir, 'work') };
  }

  override async info(): Promise<DriverInfo> {
    return super.info();
  }

  /** l/<name> -> the layer's diff dir, made on first use; the name is derived from the chain ID. */
  private async link(chain: Digest): Promise<string> {
    this.sweepLinks();
    const name = linkName(chain);
    const link = path.join(this.linksDir, name);
    const target = this.lowerPath(chain);
    let current: string | undefined;
    try {
      current = readlinkSync(link);
    } catch {}
    if (current === target) return name;
    if (current !== undefined) rmSync(link, { force: true });
    try {
      symlinkSync(target, link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return name;
  }

  /**
   * Makes l/ and drops links whose layer was freed since, once per instance when a deep stack
   * first needs a link (not at every open: most stacks fit a page and use no link).
   */
  private sweepLinks(): void {
    if (this.#linksReady) return;
    mkdirSync(this.linksDir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.linksDir)) {
      const link = path.join(this.linksDir, name);
      try {
        statSync(link);
      } catch {
        rmSync(link, { force: true });
      }
    }
    this.#linksReady = true;
  }

  private async emptyDir(): Promise<string> {
    const dir = path.join(this.root, 'empty');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function linkName(chain: Digest): string {
  const bytes = createHash('sha256').update(chain).digest();
  let out = '';
  for (let i = 0; out.length < LINK_LENGTH; i++) out += BASE32[bytes[i] & 31];
  return out;
}

function isChain(value: string): value is Digest {
  return value.startsWith('sha256:');
}

function dataLength(options: string[]): number {
  return options.filter((o) => o !== 'ro').join(',').length;
}
