// What bin/berth runs: the bundled CLI (dist/cli/berth.cjs, scripts/bundle-cli.mjs) compiled
// with V8's code cache, so a start skips most parsing and compiling. CommonJS on purpose:
// Node's ESM loader alone costs ~8 ms to set up. One cache per verb, written by its first run.
// The bundle has no import() left (bundle-cli.mjs checks), so the script needs no module loader.
import buffer = require('node:buffer');
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

const bundle = path.join(__dirname, '..', '..', 'cli', 'berth.cjs');

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

// The bundle is ASCII (bundle-cli.mjs sees to it): read as Latin-1, it needs no UTF-8 decoding.
const bytes = fs.readFileSync(bundle);
const source = bytes.toString(buffer.isAscii(bytes) ? 'latin1' : 'utf8');
// V8 checks a cache against the source's length only: the bundle's size and mtime in the
// name keep a cache from being used with another build.
const st = fs.statSync(bundle);
const cacheFile = path.join(path.dirname(bundle), 'cache', `${verbOf(process.argv.slice(2))}-${st.size}-${Math.floor(st.mtimeMs)}.bin`);
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
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
