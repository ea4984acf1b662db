// Keeps the layering of docs/ARCHITECTURE.md: a module imports only from its own area
// and the areas listed for it here. Lower layers never import higher ones.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../src/internal/paths.js';

const ROOT = projectRoot();
const SRC = path.join(ROOT, 'src');

const BASE = ['internal'];
/** area -> areas it may import (besides itself). */
export const ALLOWED: Record<string, string[]> = {
  internal: [],
  digest: [...BASE],
  reference: [...BASE, 'digest'],
  archive: [...BASE, 'digest'],
  image: [...BASE, 'digest', 'reference', 'archive'],
  layer: [...BASE, 'digest', 'archive', 'image'],
  'registry/driver': [...BASE, 'digest'],
  'registry/server': [...BASE, 'digest', 'reference', 'image', 'registry/driver'],
  'registry/client': [...BASE, 'digest', 'reference', 'image', 'archive'],
  store: [...BASE, 'digest', 'reference', 'archive', 'image', 'layer'],
  graphdriver: [...BASE, 'digest', 'archive', 'image', 'layer'],
  runtime: [...BASE, 'digest', 'image'],
  engine: [...BASE, 'digest', 'reference', 'archive', 'image', 'layer', 'store', 'graphdriver', 'runtime', 'registry/client'],
  network: [...BASE, 'digest', 'runtime'],
  build: [...BASE, 'digest', 'reference', 'archive', 'image', 'layer', 'store', 'graphdriver', 'runtime', 'registry/client', 'engine'],
  api: [...BASE, 'digest', 'reference', 'archive', 'image', 'layer', 'store', 'graphdriver', 'runtime', 'registry/client', 'engine', 'build', 'network'],
  orchestrate: [...BASE, 'digest', 'reference', 'archive', 'image', 'layer', 'store', 'graphdriver', 'runtime', 'registry/client', 'engine', 'network'],
};

function areaOf(file: string): string | undefined {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel[0] === 'registry') return `registry/${rel[1]}`;
  return rel[0];
}

function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('imports follow the layering of docs/ARCHITECTURE.md', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    const from = areaOf(file)!;
    if (from === 'cli' || from.endsWith('.ts')) continue; // the CLI may import everything
    const allowed = ALLOWED[from];
    if (!allowed) {
      violations.push(`${path.relative(ROOT, file)}: area "${from}" is not in the layering table`);
      continue;
    }
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(SRC + path.sep)) continue;
      const to = areaOf(target)!;
      if (to !== from && !allowed.includes(to)) violations.push(`${path.relative(ROOT, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
