// Entry names of layer tars: normalised to clean relative paths inside the root (a leading
// "/" or "./" dropped, ".." refused when it climbs out), and the whiteout naming of the spec.
import { invalidArgument } from '../internal/errors.js';

/** The image-spec whiteout prefix: ".wh.NAME" deletes NAME from lower layers. */
export const WHITEOUT_PREFIX = '.wh.';
/** The opaque marker: "DIR/.wh..wh..opq" hides everything lower layers had in DIR. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/** Default cap on path components, far beyond real images, well below PATH_MAX trouble. */
export const DEFAULT_MAX_DEPTH = 256;

/**
 * A tar entry name as a clean relative path: "" is the root itself. Leading slashes are
 * dropped (like docker and umoci), "." components and repeated slashes vanish, and ".."
 * is resolved lexically; a name that climbs above the root is refused.
 */
export function cleanEntryName(name: string, maxDepth = DEFAULT_MAX_DEPTH): string {
  if (name.includes('\0')) throw invalidArgument(`entry name "${printable(name)}" contains a NUL byte`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw invalidArgument(`entry name "${printable(name)}" points outside the root`);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  if (parts.length > maxDepth) {
    throw invalidArgument(`entry name "${printable(name)}" is nested ${parts.length} deep, over the limit of ${maxDepth}`);
  }
  return parts.join('/');
}

/** "a/b/c" -> ["a/b", "c"]; "c" -> ["", "c"]. */
export function splitParent(rel: string): [string, string] {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? ['', rel] : [rel.slice(0, slash), rel.slice(slash + 1)];
}

export function joinRel(parent: string, base: string): string {
  return parent === '' ? base : `${parent}/${base}`;
}

/** The name a whiteout entry deletes, refusing names that are no single path component. */
export function whiteoutTarget(base: string, fullName: string): string {
  const hidden = base.slice(WHITEOUT_PREFIX.length);
  if (hidden === '' || hidden === '.' || hidden === '..' || hidden.startsWith(WHITEOUT_PREFIX)) {
    throw invalidArgument(`whiteout "${printable(fullName)}" names no removable file`);
  }
  return hidden;
}

/** Names are attacker-controlled: keep them short and free of control characters in messages. */
export function printable(name: string): string {
  const cut = name.length > 200 ? `${name.slice(0, 200)}...` : name;
  return cut.replace(/[\x00-\x1f\x7f]/g, '?');
}
