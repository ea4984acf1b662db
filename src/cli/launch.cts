// What bin/berth runs: the bundled CLI (dist/cli/, scripts/bundle-cli.mjs) compiled
// with V8's code cache, so a start skips most parsing and compiling. CommonJS on purpose:
// Node's ESM loader alone costs ~8 ms to set up. One cache per verb, written by its first run.
// The bundle has no import() left (bundle-cli.mjs checks), so the script needs no module loader.
import buffer = require('node:buffer');
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

const bundles = path.join(__dirname, '..', '..', 'cli');

/** The verb the arguments name (after the global flags), for the name of its cache. */
function verbOf(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--root' || a === '--runroot' || a === '--log-level') i++;
    else if (!a.startsWith('-')) return /^[a-z]{1,20}$/.test(a) ? a : 'other';
    else if (!/^--(root|runroot|log-level)=/.test(a)) break;
  }
  return 'none';
}

// The verb's own bundle (verbs/VERB.cjs: the CLI's frame and that verb only) when there is one;
// the whole CLI (berth.cjs) for help, unknown verbs and a command line without a verb.
let verb = verbOf(process.argv.slice(2));
let bundle = path.join(bundles, 'verbs', `${verb}.cjs`);
let bytes: Buffer;
try {
  bytes = fs.readFileSync(bundle);
} catch {
  bundle = path.join(bundles, 'berth.cjs');
  bytes = fs.readFileSync(bundle);
  // A word that is no verb (a typo) gets no cache file of its own.
  if (verb !== 'none') verb = 'other';
}
// Bundles are ASCII (bundle-cli.mjs sees to it): read as Latin-1, they need no UTF-8 decoding.
const source = bytes.toString(buffer.isAscii(bytes) ? 'latin1' : 'utf8');
// V8 checks a cache against the source's length only: the bundle's size and mtime in the
// name keep a cache from being used with another build.
const st = fs.statSync(bundle);
const cacheFile = path.join(bundles, 'cache', `${verb}-${st.size}-${Math.floor(st.mtimeMs)}.bin`);
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
// The bundle is a function expression, CommonJS's wrapper written in by bundle-cli.mjs.
const script = new vm.Script(source, {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
});
if (cachedData === undefined || script.cachedDataRejected) {
  // At exit, the functions this verb compiled are in the cache; a failed write only costs speed.
  process.once('exit', () => {
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o755 });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
      fs.renameSync(tmp, cacheFile);
    } catch {}
  });
}
const mod = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, require, mod, bundle, path.dirname(bundle));
