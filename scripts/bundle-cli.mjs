// The CLI as one CommonJS file, dist/cli/berth.cjs, and each verb alone as dist/cli/verbs/VERB.cjs,
// from tsc's output in dist/src: what bin/berth runs (through dist/src/cli/launch.cjs, which keeps
// V8's code cache for each).
// Why: a start through Node's ESM loader, module by module, cost ~40 ms before any work;
// one script with a code cache costs ~15 ms (docs/ARCHITECTURE.md, "CLI start-up").
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'cli');

/** What launch.cjs expects each bundle to start with (and end with `\n})`). */
const FUNCTION_HEAD = '(function (exports, require, module, __filename, __dirname) {';

// Two rewrites of tsc's output on the way in. Each module keeps the import.meta.url and
// import.meta.dirname of its own file in dist/src (found from the bundle's __dirname, so the
// tree can move): what it finds next to itself (the project root above it, a worker script
// beside it) is where tsc put it. And a builtin imported on demand is required (esbuild keeps
// import() of what it does not bundle, and launch.cjs compiles the bundle as a plain script,
// with no module loader for import()).
const fromDist = (bundleDir) => ({
  name: 'from-dist',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      text = text.replace(/\bimport\((['"])(node:[a-z_/]+)\1\)/g, (_m, _q, name) => `Promise.resolve().then(() => require(${JSON.stringify(name)}))`);
      if (!text.includes('import.meta')) return { contents: text, loader: 'js' };
      const rel = path.relative(bundleDir, args.path);
      const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(rel)})).href`;
      const dirname = `require('node:path').join(__dirname, ${JSON.stringify(path.dirname(rel))})`;
      return { contents: text.replaceAll('import.meta.url', `(${url})`).replaceAll('import.meta.dirname', `(${dirname})`), loader: 'js' };
    });
  },
});

// Each verb also gets a bundle of its own, dist/cli/verbs/VERB.cjs: cli.js and that verb's
// modules only. launch.cjs runs it when the command line names that verb: the code cache of a
// smaller script loads faster (~7 ms less for `run`, half the bytes). The verb NAME lives in
// src/cli/NAME.ts (main.ts says so); the loader's own text is checked against that rule.
const { verbTable } = await import(path.join(root, 'dist', 'src', 'cli', 'main.js'));
const verbs = Object.entries(verbTable()).map(([name, load]) => {
  if (!/^[a-z]{1,20}$/.test(name) || !String(load).includes(`'./${name}.js'`)) {
    throw new Error(`bundle-cli: verb ${name} must live in src/cli/${name}.ts and be imported as './${name}.js'`);
  }
  return name;
});
const verbEntry = {
  name: 'verb-entry',
  setup(b) {
    b.onResolve({ filter: /^berth-verb:/ }, (args) => ({ path: args.path.slice('berth-verb:'.length), namespace: 'berth-verb' }));
    b.onLoad({ filter: /.*/, namespace: 'berth-verb' }, (args) => ({
      contents: `import { runProcess } from './cli.js';\nrunProcess({ ${args.path}: () => import('./${args.path}.js') });\n`,
      resolveDir: path.join(root, 'dist', 'src', 'cli'),
      loader: 'js',
    }));
  },
};

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', logOverride: { 'empty-import-meta': 'error' } };
const verbsDir = path.join(outDir, 'verbs');
await rm(verbsDir, { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: [path.join(root, 'dist', 'src', 'cli', 'entry.js')], outfile: path.join(outDir, 'berth.cjs'), plugins: [fromDist(outDir)] }),
  build({ ...common, entryPoints: verbs.map((v) => ({ in: `berth-verb:${v}`, out: v })), outdir: verbsDir, outExtension: { '.js': '.cjs' }, plugins: [verbEntry, fromDist(verbsDir)] }),
]);

const outFiles = [path.join(outDir, 'berth.cjs'), ...verbs.map((v) => path.join(verbsDir, `${v}.cjs`))];
await Promise.all(outFiles.map(finish));

/** The checks and the one rewrite every output file gets. */
async function finish(outFile) {
  const bundled = await readFile(outFile, 'utf8');
  // launch.cjs gives the script no module loader: every import() must have become a require.
  const left = bundled.match(/\bimport\([^)]{0,80}\)/g);
  if (left) {
    throw new Error(
      `bundle-cli: import() left in ${path.relative(root, outFile)}: ${[...new Set(left)].join(', ')}. bin/berth runs the bundle without a module loader: import a literal relative path, a package, or a node: builtin`,
    );
  }
  // ASCII only, so launch.cjs reads it as Latin-1 (~3 ms less than decoding UTF-8). esbuild escapes
  // strings but not regular expressions; \uXXXX means the same there (and in identifiers).
  const ascii = bundled.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // The file is the function launch.cjs calls, CommonJS's wrapper included: compiled as it is
  // read, with no concatenation (a second copy of ~600 KB, flattened before V8 compiles it).
  const text = `${FUNCTION_HEAD}${sharedBuiltinNamespaces(lazyBuiltins(ascii))}\n})`;
  await writeFile(outFile, text);
}

/**
 * Builtins load on first use: a module that imports one initializes with a stand-in that requires
 * the builtin at its first property read. Loading costs a start milliseconds (node:child_process
 * ~2.5 ms: it loads net and dgram; node:crypto ~2 ms; node:fs/promises ~1 ms) that a verb often
 * never needs: `run --rm` spawns the runtime natively, takes random names from /dev/urandom and
 * makes its few file calls synchronously. esbuild writes a named import of a builtin as
 * `import_x = require("node:x")`, used only as `import_x.name`, so a stand-in that forwards
 * property reads is exact. node:fs and node:path stay as they are: Node has loaded them already.
 */
function lazyBuiltins(text) {
  const lazy = /(\bimport_[A-Za-z0-9_$]+ = )require\("(node:(?!fs"|path")[a-z_/]+)"\);/g;
  if (!lazy.test(text)) return text;
  return `${text.replace(lazy, '$1__berthLazyBuiltin("$2");')}
function __berthLazyBuiltin(name) {
  let mod;
  return new Proxy({}, { get: (_, key) => (mod ??= require(name))[key] });
}
`;
}

/**
 * A namespace import of a builtin (`import * as path from 'node:path'`) is, in esbuild's output,
 * `__toESM(require("node:path"), 1)`: a fresh object with a getter per export, made again in
 * every module that imports it (68 times for path and fs/promises in `run`'s bundle, ~1 ms of a
 * start). The object only forwards reads, so one per builtin serves every module; and it is
 * made, and the builtin loaded, at the first read (node:fs/promises alone costs ~1 ms to load,
 * and `run --rm` makes its few file calls synchronously). node:fs and node:path, which Node has
 * loaded already, are their module objects themselves: a read through the stand-in is two
 * calls (its trap, then __toESM's getter), and `run --rm` reads path.join alone ~130 times.
 */
function sharedBuiltinNamespaces(text) {
  const ns = /__toESM\(require\("(node:[a-z_/]+)"\), 1\)/g;
  if (!ns.test(text)) return text;
  return `${text.replace(ns, '__berthBuiltinNs("$1")')}
function __berthBuiltinNs(name) {
  // node:fs and node:path are loaded by Node itself before any user code: the module object
  // serves as the namespace, with no stand-in to call through on each of ~300 reads a start.
  if (name === 'node:fs' || name === 'node:path') return require(name);
  const made = (__berthBuiltinNs.made ??= new Map());
  let ns = made.get(name);
  if (ns === undefined) {
    let real;
    ns = new Proxy({}, { get: (_, key) => ((real ??= require(name)), key === 'default' ? real : real[key]) });
    made.set(name, ns);
  }
  return ns;
}
`;
}
// Code caches belong to one build of the bundles: new bundles start without them.
await rm(path.join(outDir, 'cache'), { recursive: true, force: true });
