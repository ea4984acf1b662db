// Shared fixtures for the image-command tests: berth run as a child process on its own store,
// config dirs and registries.conf in a temp dir, plus a Distribution registry to talk to.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

export interface BerthResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  root: string;
  runroot: string;
  env: NodeJS.ProcessEnv;
  /** Runs `berth args...` with this sandbox's store and config; never throws on a non-zero exit. */
  berth(args: string[], options?: { input?: Buffer; env?: NodeJS.ProcessEnv }): Promise<BerthResult>;
  writeRegistriesConf(text: string): Promise<void>;
  done(): Promise<void>;
}

export async function sandbox(prefix = 'berth-images-'): Promise<Sandbox> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const home = path.join(dir, 'home');
  await fs.mkdir(home, { recursive: true });
  const conf = path.join(dir, 'registries.conf');
  await fs.writeFile(conf, '');
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'run');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_RUNTIME_DIR: path.join(dir, 'xdg-run'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    DOCKER_CONFIG: path.join(home, '.docker'),
    REGISTRY_AUTH_FILE: '',
    CONTAINERS_REGISTRIES_CONF: conf,
    BERTH_ROOT: root,
    BERTH_RUNROOT: runroot,
  };
  delete env.REGISTRY_AUTH_FILE;
  const berth = (args: string[], options: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<BerthResult>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--input-type=module', '-e', `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`, "--", ...args],
        { env: { ...env, ...options.env }, maxBuffer: 1 << 28, encoding: 'buffer' },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        },
      );
      if (options.input) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  return {
    dir,
    root,
    runroot,
    env,
    berth,
    writeRegistriesConf: (text) => fs.writeFile(conf, text),
    done: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** Every file under `dir` as "path mode uid:gid size|target|sha" lines, sorted: a comparable picture of a tree. */
export async function treeListing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      const st = await fs.lstat(path.join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      let what = '';
      if (e.isSymbolicLink()) what = `-> ${await fs.readlink(path.join(dir, r))}`;
      else if (e.isFile()) what = `${st.size} ${(await import('node:crypto')).createHash('sha256').update(await fs.readFile(path.join(dir, r))).digest('hex').slice(0, 16)}`;
      else if (e.isCharacterDevice()) what = `c ${st.rdev}`;
      out.push(`${r} ${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isFile() ? 'f' : 'o'} ${mode} ${st.uid}:${st.gid} ${what}`);
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out.sort();
}
