// Go type descriptors for the documents berth's templates run over, so `inspect -f` sees what
// docker's CLI sees: the JSON decoded into its Go structs. A value carries its type as a
// non-enumerable symbol (JSON is unchanged); the evaluator and printer (template.ts,
// template-fmt.ts) read it for zero values, field errors, struct printing and nil printing.

type Value = unknown;

/** A Go type: enough of reflect's view to print values as fmt does and to walk fields as text/template does. */
export type GoType =
  | { kind: 'string' | 'bool' | 'int' | 'float'; name?: string }
  /** time.Time: an RFC 3339 string in JSON, printed as Go's Time.String(). */
  | { kind: 'time' }
  /** time.Duration: nanoseconds in JSON, printed as Go's Duration.String() ("1m30s"). */
  | { kind: 'duration' }
  | { kind: 'slice'; elem: GoType; name?: string }
  /** A fixed-size array ([2]uint): its zero value prints its zeros. */
  | { kind: 'array'; elem: GoType; len: number }
  | { kind: 'map'; key: string; elem: GoType; name?: string }
  | { kind: 'ptr'; elem: GoType }
  /**
   * `jsonAsMap`: its JSON is a map of its fields, keys in byte order and methods left out, as
   * docker's formatter contexts (ps, images rows) marshal themselves.
   */
  | { kind: 'struct'; name: string; fields: GoField[]; jsonAsMap?: boolean }
  /** interface{}: what is below it is untyped JSON, as Go decodes it. */
  | { kind: 'interface' };

export interface GoField {
  /** The Go name, which templates use (`CPUShares`). */
  name: string;
  type: GoType;
  /** The JSON key when it differs from the name (`CpuShares`). */
  json?: string;
  /** An embedded struct: its fields are the outer JSON object's, promoted to the outer struct. */
  embedded?: boolean;
  /**
   * berth's own field, which docker's struct lacks: declared after docker's, printed only when
   * the JSON has it, so a struct docker's JSON filled prints as docker prints it.
   */
  extra?: boolean;
}

export type StructType = Extract<GoType, { kind: 'struct' }>;

// ---------- constructors, for the type tables ----------

export const STRING: GoType = { kind: 'string' };
export const BOOL: GoType = { kind: 'bool' };
export const INT: GoType = { kind: 'int' };
export const TIME: GoType = { kind: 'time' };
export const DURATION: GoType = { kind: 'duration' };
export const INTERFACE: GoType = { kind: 'interface' };
export const named = (kind: 'string' | 'int' | 'bool' | 'float', name: string): GoType => ({ kind, name });
export const sliceOf = (elem: GoType, name?: string): GoType => ({ kind: 'slice', elem, name });
export const mapOf = (elem: GoType, key = 'string', name?: string): GoType => ({ kind: 'map', key, elem, name });
export const ptrTo = (elem: GoType): GoType => ({ kind: 'ptr', elem });
export const STRINGS = sliceOf(STRING);
export const STRING_MAP = mapOf(STRING);
export const EMPTY_STRUCT: StructType = { kind: 'struct', name: 'struct {}', fields: [] };

/**
 * A struct from its fields in declared order: `Name: type`; `json` renames the JSON key, and a
 * field listed in `embedded` is an embedded struct (or pointer to one).
 */
export function struct(name: string, fields: Record<string, GoType>, opts: { json?: Record<string, string>; embedded?: string[]; extras?: string[] } = {}): StructType {
  return {
    kind: 'struct',
    name,
    fields: Object.entries(fields).map(([n, type]) => ({
      name: n,
      type,
      json: opts.json?.[n],
      embedded: opts.embedded?.includes(n) || undefined,
      extra: opts.extras?.includes(n) || undefined,
    })),
  };
}

/** The fields a struct prints for a JSON object: docker's, then berth's extras that it holds. */
export function printedFields(t: StructType, obj: Value): GoField[] {
  // A row's methods ({{.Label "k"}}) sit beside its fields in the view: no field of the struct.
  return t.fields.filter((f) => (!f.extra || fieldValue(obj, f) !== undefined) && typeof fieldValue(obj, f) !== 'function');
}

// ---------- typed values ----------

const GO_TYPE = Symbol('go-type');

/** A Go value JSON cannot hold as itself: a nil slice, map or pointer, a time or a duration. */
export abstract class GoBox {
  abstract readonly type: GoType;
  /** What encoding/json writes for it. */
  abstract toJSON(): Value;
}

/** A nil slice, map or pointer of a known type: prints [], map[] or <nil>; JSON null. */
export class GoNil extends GoBox {
  constructor(readonly type: GoType) {
    super();
  }
  toJSON(): null {
    return null;
  }
}

export class GoTime extends GoBox {
  readonly type = TIME;
  constructor(readonly text: string) {
    super();
  }
  toJSON(): string {
    return this.text;
  }
}

export class GoDuration extends GoBox {
  readonly type = DURATION;
  constructor(readonly ns: number) {
    super();
  }
  toJSON(): number {
    return this.ns;
  }
}

/** The Go type a value carries: a tagged object or array, or a box. */
export function goTypeOf(v: Value): GoType | undefined {
  if (v instanceof GoBox) return v.type;
  if (v !== null && typeof v === 'object') return (v as { [GO_TYPE]?: GoType })[GO_TYPE];
  return undefined;
}

/** Tags a document's root with its Go type; its parts take theirs as the evaluator reaches them. */
export function withGoType<T>(doc: T, type: GoType): T {
  return typed(doc, type) as T;
}

/**
 * A JSON value as a value of Go type `t`, as encoding/json would decode it: null and a missing
 * key are the type's zero value, objects and arrays are tagged with their type.
 */
export function typed(raw: Value, t: GoType): Value {
  switch (t.kind) {
    case 'string':
      return raw ?? '';
    case 'bool':
      return raw ?? false;
    case 'int':
    case 'float':
      return raw ?? 0;
    case 'time':
      return new GoTime(typeof raw === 'string' ? raw : '0001-01-01T00:00:00Z');
    case 'duration':
      return new GoDuration(typeof raw === 'number' ? raw : 0);
    case 'interface':
      return raw;
    case 'ptr':
      if (raw === null || raw === undefined) return new GoNil(t);
      if (typeof raw !== 'object') return raw; // a pointer to a number or string: its value
      return tag(raw, t);
    case 'slice':
    case 'map':
      if (raw === null || raw === undefined) return new GoNil(t);
      return typeof raw === 'object' ? tag(raw, t) : raw;
    case 'array':
      return tag(Array.isArray(raw) ? raw : Array.from({ length: t.len }, () => undefined), t);
    case 'struct':
      return tag(raw !== null && typeof raw === 'object' ? raw : {}, t);
  }
}

function tag(o: object, t: GoType): object {
  if ((o as { [GO_TYPE]?: GoType })[GO_TYPE] === t) return o;
  // A frozen value (a shared constant) is tagged as a copy.
  const target = Object.isExtensible(o) ? o : Array.isArray(o) ? [...o] : { ...o };
  Object.defineProperty(target, GO_TYPE, { value: t, configurable: true, writable: true, enumerable: false });
  return target;
}

/** The struct a struct or a pointer to one has. */
export function structOf(t: GoType | undefined): StructType | undefined {
  if (t?.kind === 'struct') return t;
  if (t?.kind === 'ptr' && t.elem.kind === 'struct') return t.elem;
  return undefined;
}

/**
 * A struct's field by its Go name, an embedded struct's fields promoted as Go promotes them
 * (the shallowest wins; two at the same depth hide each other).
 */
export function findField(s: StructType, name: string): GoField | undefined {
  let level: StructType[] = [s];
  while (level.length > 0) {
    const hits = level.flatMap((st) => st.fields.filter((f) => f.name === name));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) return undefined;
    level = level.flatMap((st) => st.fields.filter((f) => f.embedded).map((f) => structOf(f.type) as StructType));
  }
  return undefined;
}

/** The field a struct's JSON object holds under `key` (an embedded struct's promoted ones too). */
export function fieldByJSONKey(s: StructType, key: string): GoField | undefined {
  for (const f of s.fields) {
    if (f.embedded) {
      const inner = structOf(f.type);
      const hit = inner && fieldByJSONKey(inner, key);
      if (hit) return hit;
    } else if ((f.json ?? f.name) === key) return f;
  }
  return undefined;
}

/** A struct field's value from the struct's JSON object (embedded structs' fields sit in the same object). */
export function fieldValue(obj: Value, f: GoField): Value {
  // A copy, so the embedded struct's tag does not replace the outer struct's on the same object.
  if (f.embedded) return obj !== null && typeof obj === 'object' ? { ...obj } : undefined;
  const o = obj as Record<string, Value> | null | undefined;
  const key = f.json ?? f.name;
  return o && Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Go's name of a type, as %T and text/template's errors print it. */
export function goTypeString(t: GoType): string {
  switch (t.kind) {
    case 'struct':
      return t.name;
    case 'ptr':
      return `*${goTypeString(t.elem)}`;
    case 'slice':
      return t.name ?? `[]${goTypeString(t.elem)}`;
    case 'array':
      return `[${t.len}]${goTypeString(t.elem)}`;
    case 'map':
      return t.name ?? `map[${t.key}]${goTypeString(t.elem)}`;
    case 'interface':
      return 'interface {}';
    case 'time':
      return 'time.Time';
    case 'duration':
      return 'time.Duration';
    default:
      return t.name ?? (t.kind === 'float' ? 'float64' : t.kind);
  }
}

// ---------- how time prints (durations: internal/go-duration.ts) ----------

/** Go's Time.String() of an RFC 3339 text: "2026-12-05 00:38:29.130262232 +0000 UTC". */
export function goTimeText(iso: string): string {
  const m = /^(\d{4,}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return iso;
  const frac = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4].replace(':', '')} ${m[4].replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac} ${zone}`;
}
