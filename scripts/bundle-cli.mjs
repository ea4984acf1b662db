// The CLI as one CommonJS file, dist/cli/berth.cjs, from tsc's output in dist/src: what
// bin/berth runs (through dist/src/cli/launch.cjs, which keeps V8's code cache for it).
// Why: a start through Node's ESM loader, module by module, cost ~40 ms before any work;
// one script with a code cache costs ~15 ms (docs/ARCHITECTURE.md, "CLI start-up").
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'cli');

// Two rewrites of tsc's output on the way in. Each module keeps the import.meta.url of its own
// file in dist/src (found from the bundle's __dirname, so the tree can move): what it finds next
// to itself (the project root above it, a worker script beside it) is where tsc put it. And a
// builtin imported on demand is required (esbuild keeps import() of what it does not bundle,
// and launch.cjs compiles the bundle as a plain script, with no module loader for import()).
const fromDist = {
  name: 'from-dist',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      text = text.replace(/\bimport\((['"])(node:[a-z_/]+)\1\)/g, (_m, _q, name) => `Promise.resolve().then(() => require(${JSON.stringify(name)}))`);
      if (!text.includes('import.meta')) return { contents: text, loader: 'js' };
      const rel = JSON.stringify(path.relative(outDir, args.path));
      const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${rel})).href`;
      return { contents: text.replaceAll('import.meta.url', `(${url})`), loader: 'js' };
    });
  },
};

await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'entry.js')],
  outfile: path.join(outDir, 'berth.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [fromDist],
  logLevel: 'warning',
  // import.meta is gone once every module's import.meta.url is a literal; anything else left is an error.
  logOverride: { 'empty-import-meta': 'error' },
});
// launch.cjs gives the script no module loader: every import() must have become a require.
const outFile = path.join(outDir, 'berth.cjs');
const bundled = await readFile(outFile, 'utf8');
const left = bundled.match(/\bimport\([^)]{0,80}\)/g);
if (left) {
  throw new Error(
    `bundle-cli: import() left in the bundle: ${[...new Set(left)].join(', ')}. bin/berth runs the bundle without a module loader: import a literal relative path, a package, or a node: builtin`,
  );
}
// ASCII only, so launch.cjs reads it as Latin-1 (~3 ms less than decoding UTF-8). esbuild escapes
// strings but not regular expressions; \uXXXX means the same there (and in identifiers).
const ascii = bundled.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (ascii !== bundled) await writeFile(outFile, ascii);
// Code caches belong to one build of the bundle: a new bundle starts without them.
await rm(path.join(outDir, 'cache'), { recursive: true, force: true });
