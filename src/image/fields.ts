// Small checkers for JSON documents that name the failing field: every error reads
// "invalid <document>: <field path>: <why>", so a user can find the bad byte quickly.
import { BerthError, type ErrorKind, invalidArgument, resourceExhausted } from '../internal/errors.js';

/** Manifests and configs are buffered whole; anything larger is refused (distribution's limit). */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

export type JsonObject = Record<string, unknown>;

/** Where in which document a value sits, for error messages. */
export class FieldPath {
  constructor(
    readonly document: string,
    readonly path: string,
  ) {}

  child(name: string | number): FieldPath {
    if (typeof name === 'number') return new FieldPath(this.document, `${this.path}[${name}]`);
    const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
    return new FieldPath(this.document, this.path ? `${this.path}.${key}` : key);
  }

  error(why: string, kind: ErrorKind = 'invalid-argument'): BerthError {
    return new BerthError(kind, `invalid ${this.document}: ${this.path || '(top level)'}: ${why}`);
  }
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Decodes UTF-8 JSON that must be an object, enforcing the size limit first. */
export function parseJsonObject(bytes: Uint8Array, document: string): JsonObject {
  if (bytes.byteLength > MAX_MANIFEST_SIZE) {
    throw resourceExhausted(`invalid ${document}: ${bytes.byteLength} bytes is over the limit of ${MAX_MANIFEST_SIZE}`, {
      detail: { size: bytes.byteLength, limit: MAX_MANIFEST_SIZE },
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw invalidArgument(`invalid ${document}: not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid ${document}: malformed JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`invalid ${document}: expected a JSON object, got ${typeName(value)}`);
  }
  return value as JsonObject;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function expectObject(value: unknown, at: FieldPath): JsonObject {
  if (!isObject(value)) throw at.error(`expected an object, got ${typeName(value)}`);
  return value;
}

export function expectString(value: unknown, at: FieldPath): string {
  if (typeof value !== 'string') throw at.error(`expected a string, got ${typeName(value)}`);
  return value;
}

export function optionalString(obj: JsonObject, key: string, at: FieldPath): string | undefined {
  const v = obj[key];
  return v === undefined ? undefined : expectString(v, at.child(key));
}

export function optionalBoolean(obj: JsonObject, key: string, at: FieldPath): void {
  const v = obj[key];
  if (v !== undefined && typeof v !== 'boolean') throw at.child(key).error(`expected a boolean, got ${typeName(v)}`);
}

/** A JSON number that is an integer; durations and counts. */
export function optionalInteger(obj: JsonObject, key: string, at: FieldPath): void {
  const v = obj[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw at.child(key).error(`expected an integer, got ${JSON.stringify(v)}`);
}

export function expectArray(value: unknown, at: FieldPath): unknown[] {
  if (!Array.isArray(value)) throw at.error(`expected an array, got ${typeName(value)}`);
  return value;
}

export function expectStringArray(value: unknown, at: FieldPath): string[] {
  const arr = expectArray(value, at);
  for (let i = 0; i < arr.length; i++) expectString(arr[i], at.child(i));
  return arr as string[];
}

export function optionalStringArray(obj: JsonObject, key: string, at: FieldPath, nullable = false): void {
  const v = obj[key];
  if (v === undefined || (nullable && v === null)) return;
  expectStringArray(v, at.child(key));
}

/** An object whose values are all strings (annotations, labels). */
export function expectStringMap(value: unknown, at: FieldPath): Record<string, string> {
  const obj = expectObject(value, at);
  for (const [k, v] of Object.entries(obj)) expectString(v, at.child(k));
  return obj as Record<string, string>;
}

/** An object whose values are all objects (ExposedPorts, Volumes: values are `{}`). */
export function expectObjectSet(value: unknown, at: FieldPath): void {
  const obj = expectObject(value, at);
  for (const [k, v] of Object.entries(obj)) expectObject(v, at.child(k));
}
