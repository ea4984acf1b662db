// The CLI as one CommonJS file, dist/cli/berth.cjs, from tsc's output in dist/src: what
// bin/berth runs (through dist/src/cli/launch.cjs, which keeps V8's code cache for it).
// Why: a start through Node's ESM loader, module by module, cost ~40 ms before any work;
// one script with a code cache costs ~15 ms (docs/ARCHITECTURE.md, "CLI start-up").
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'cli');

// Each module keeps the import.meta.url of its own file in dist/src (found from the bundle's
// __dirname, so the tree can move), and what it finds next to itself (the project root above
// it, a worker script beside it) is where tsc put it.
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
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
  plugins: [ownUrl],
  logLevel: 'warning',
  // import.meta is gone once every module's import.meta.url is a literal; anything else left is an error.
  logOverride: { 'empty-import-meta': 'error' },
});
// Code caches belong to one build of the bundle: a new bundle starts without them.
await rm(path.join(outDir, 'cache'), { recursive: true, force: true });
