// `exec -it` from a terminal, docker's way: the exec's process runs under a conmon of its own
// (conmon's exec mode, as podman execs), which holds its terminal, so the CLI can leave with the
// detach keys and the process runs on in the container until it ends (or the container does).
//
// The session's files live in `<stateDir>/exec/<session>/` (the container's run-root dir, which
// rm removes whole): process.json (the runtime's --process), pid (the process's host pid),
// conmon.pid, exits/<container id> (conmon's exit file), runtime.log, ctl (conmon's resize FIFO),
// attach (its socket, reached through `<runroot>/s/<session>`, a link conmon makes and removes),
// and `attached`, present while a CLI is attached. An attached CLI reads the exit code, writes
// exec_die and removes the files. After a detach (the CLI takes its marker away) conmon's exit
// command does, through `container exec-cleanup` (execExitCommand); a CLI that detaches after
// the exit came does it itself (one of the two claims the exit file). A session whose conmon is
// gone (a killed CLI, a killed conmon) is swept by the container's next attached exec.
import { closeSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { internal, invalidArgument, notFound } from '../internal/errors.js';
import { randomHex } from '../internal/random.js';
import { readFdText, readTextOr } from '../internal/read.js';
import { removeFile, removeTree } from '../internal/remove.js';
import { memfd, pipe, readLine, spawnWait } from '../internal/spawn.js';
import { lookupBinary } from '../runtime/detect.js';
import { errorsFromLog } from '../runtime/errors.js';
import { isLiveConmon } from '../runtime/monitor.js';
import { containerEvent } from './events.js';
import { type ExecRequest, execProcess, execSetupError, execTarget } from './exec.js';
import type { ContainerRecord } from './container.js';
import type { ContainerHost } from './host.js';
import { lookupContainer } from './state.js';

/** Where the caller's terminal joins the session: conmon's attach socket and the dir of its ctl FIFO. */
export interface ExecAttachPoint {
  socket: string;
  /** resizeTerminal(bundle, ...) reaches the exec's terminal through `<bundle>/ctl`. */
  bundle: string;
}

/** What the caller's attachment gives back: settles when conmon closed the socket (the process ended) or the user detached. */
export interface ExecAttachment {
  done: Promise<{ detached: boolean }>;
  /** Leaves the session (the process runs on). */
  detach(): void;
}

/** The files of one session, by its dir. */
export function execSessionPaths(dir: string, containerId: string) {
  return {
    dir,
    spec: path.join(dir, 'process.json'),
    pidFile: path.join(dir, 'pid'),
    conmonPidFile: path.join(dir, 'conmon.pid'),
    exitDir: path.join(dir, 'exits'),
    exitFile: path.join(dir, 'exits', containerId),
    runtimeLog: path.join(dir, 'runtime.log'),
    attached: path.join(dir, 'attached'),
  };
}

/**
 * The exit command conmon runs when the process ended, unless a CLI is attached (its marker:
 * that CLI reads the exit code and cleans up): `settle` (the container ID, the session and the
 * exec ID appended: exec_die and the files), or, without one or while `rm -f` removes the
 * container (its marker; the exit would race rm for the CPU and find the record going), the
 * session's dir and socket link removed by sh. (conmon removes the link itself only when it
 * could still tell its exit on the sync pipe, which a detached CLI no longer reads.)
 */
export function execExitCommand(dir: string, removingMarker: string, link: string, settle: string[] = []): string[] {
  const script = 'test -e "$0/attached" && exit 0; if [ -e "$1" ] || [ $# -le 2 ]; then exec rm -rf "$0" "$2"; fi; shift 2; exec "$@"';
  return ['/bin/sh', '-c', script, dir, removingMarker, link, ...settle];
}

/**
 * Claims the exit of a session (the rename succeeds for one caller only: the detaching CLI or
 * the exit command, which may both see it), writes its exec_die and removes its files.
 */
function settleExit(host: ContainerHost, rec: ContainerRecord | undefined, p: ReturnType<typeof execSessionPaths>, link: string, execId: string): void {
  const claimed = path.join(p.dir, 'exit.claimed');
  let code: number | undefined;
  try {
    renameSync(p.exitFile, claimed);
    const text = readTextOr(claimed).trim();
    code = text === '' ? undefined : Number(text);
  } catch {
    return;
  }
  if (rec && code !== undefined && Number.isInteger(code)) containerEvent(host.runroot, rec, 'exec_die', { execID: execId, exitCode: String(code) });
  removeTree(p.dir);
  removeFile(link);
}

/** `container exec-cleanup ID SESSION EXECID`: a detached session's process ended. */
export async function settleExecSession(host: ContainerHost, id: string, session: string, execId: string): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(id) || !/^[0-9a-f]{12}$/.test(session)) throw invalidArgument(`cannot settle exec session ${id} ${session}: not a container ID and session`);
  const containerPaths = host.records.paths(id);
  const p = execSessionPaths(path.join(containerPaths.stateDir, 'exec', session), id);
  const link = path.join(containerPaths.socketDir, session);
  if (existsSync(p.attached)) return;
  const rec = await lookupContainer(host, id).catch(() => undefined);
  settleExit(host, rec, p, link, execId);
  // No exit file (conmon killed, or the claim taken): the files go all the same.
  removeTree(p.dir);
  removeFile(link);
}

/** One JSON message conmon writes on a pipe: {"data": N, "message": "..."}; undefined when it is none. */
export function parseSyncMessage(line: string): { data: number; message?: string } | undefined {
  try {
    const msg = JSON.parse(line) as { data?: unknown; message?: unknown };
    if (typeof msg.data !== 'number') return undefined;
    return typeof msg.message === 'string' ? { data: msg.data, message: msg.message } : { data: msg.data };
  } catch {
    return undefined;
  }
}

/**
 * Runs the request's command (with tty and stdin) under conmon, attached through `attach`
 * before the process starts (no output is lost); returns the process's exit code, or undefined
 * when the user detached (the process runs on). A process that cannot start throws with
 * docker's exit code 126 as `exitCode`.
 */
export async function execAttached(
  host: ContainerHost,
  query: string,
  req: ExecRequest,
  attach: (at: ExecAttachPoint) => Promise<ExecAttachment>,
): Promise<number | undefined> {
  const rec = await execTarget(host, query, req);
  const conmon = lookupBinary('conmon');
  if (!conmon) throw notFound('cannot exec: conmon is not installed (Debian package "conmon")');
  const containerPaths = host.records.paths(rec.id);
  const sessionsDir = path.join(containerPaths.stateDir, 'exec');
  sweepExecSessions(sessionsDir, containerPaths.socketDir);
  const proc = await execProcess(host, rec, { ...req, tty: true }).catch((err: unknown) => {
    throw Object.assign(execSetupError(rec, err), { exitCode: 126 });
  });
  const runtime = host.runtimeOf(rec);
  // Short: conmon binds `<runroot>/s/<session>/attach`, and sun_path holds 108 bytes.
  const session = randomHex(6);
  const p = execSessionPaths(path.join(sessionsDir, session), rec.id);
  mkdirSync(p.exitDir, { recursive: true, mode: 0o700 });
  mkdirSync(containerPaths.socketDir, { recursive: true, mode: 0o700 });
  mkdirSync(runtime.root, { recursive: true, mode: 0o700 });
  writeFileSync(p.spec, JSON.stringify(proc), { mode: 0o600 });
  writeFileSync(p.attached, '');

  const args = [
    '--api-version', '1',
    '-c', rec.id,
    '-u', session,
    '-r', runtime.path,
    '-b', p.dir,
    '-p', p.pidFile,
    '-n', rec.name,
    '--exit-dir', p.exitDir,
    '--socket-dir-path', containerPaths.socketDir,
    '-l', 'none:',
    '--log-level', 'error',
    '--conmon-pidfile', p.conmonPidFile,
    '-e', '--exec-process-spec', p.spec, '--exec-attach',
    '-t', '-i', '--leave-stdin-open',
  ];
  for (const a of [...runtime.globalArgs(), '--log-format=json', `--log=${p.runtimeLog}`]) args.push('--runtime-arg', a);
  const link = path.join(containerPaths.socketDir, session);
  const execId = randomHex(32);
  const settle = host.options.execCleanupCommand;
  const exitCommand = execExitCommand(p.dir, containerPaths.removingMarker, link, settle ? [...settle, rec.id, session, execId] : []);
  args.push('--exit-command', exitCommand[0]);
  for (const a of exitCommand.slice(1)) args.push('--exit-command-arg', a);

  const what = req.cmd.join(' ');
  containerEvent(host.runroot, rec, 'exec_create: ' + what, { execID: execId });
  // fd 3: conmon's sync pipe ({"data": PID}, then {"data": EXIT CODE}; a negative data and a
  // message when the runtime failed); fd 4: the start pipe, written once to let conmon go on and
  // once more to let it start the runtime (after we attached); fd 5: the attach pipe, where it
  // says its socket is ready.
  const [syncRead, syncWrite] = pipe();
  const [startRead, startWrite] = pipe();
  const [attachRead, attachWrite] = pipe();
  const errFile = memfd('conmon-stderr');
  let startOpen = true;
  const closeStart = () => {
    if (startOpen) closeSync(startWrite);
    startOpen = false;
  };
  let sync: SyncReader | undefined;
  let attachment: ExecAttachment | undefined;
  const fail = (err: unknown): never => {
    // Nothing runs yet (or the runtime failed): conmon is ended by its pid, the files go.
    const pid = Number(readTextOr(p.conmonPidFile).trim());
    if (pid > 0 && isLiveConmon(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    attachment?.detach();
    sync?.close();
    removeTree(p.dir);
    // conmon removes its link to the socket at a normal end only.
    removeFile(link);
    throw err;
  };
  try {
    const child = spawnWait(conmon, args, {
      fds: ['null', 'null', errFile, syncWrite, startRead, attachWrite],
      cwd: p.dir,
      env: { ...process.env, LC_ALL: 'C', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
    });
    closeSync(syncWrite);
    closeSync(startRead);
    closeSync(attachWrite);
    sync = await SyncReader.open(syncRead);
    writeSync(startWrite, '0');
    // conmon's first process exits once it forked its monitor, which then makes the socket.
    const ready = parseSyncMessage((await readLine(attachRead)).toString('utf8').trim());
    await child.exited;
    if (!ready) {
      const stderr = readFdText(errFile).trim();
      fail(internal(`cannot exec in container ${rec.name}: conmon failed${stderr ? `: ${stderr}` : ''}`));
    }
  } catch (err) {
    closeStart();
    fail(err);
  } finally {
    closeSync(attachRead);
    closeSync(errFile);
  }
  const reader = sync as SyncReader;
  try {
    attachment = await attach({ socket: path.join(link, 'attach'), bundle: p.dir });
    writeSync(startWrite, '0');
  } catch (err) {
    closeStart();
    fail(err);
  }
  closeStart();
  const attached = attachment as ExecAttachment;
  containerEvent(host.runroot, rec, 'exec_start: ' + what, { execID: execId });
  const started = await reader.next();
  if (!started || started.data <= 0) {
    // The runtime could not start it (its program, user or working dir): docker's 126.
    const log = errorsFromLog(readTextOr(p.runtimeLog));
    const why = log.join('; ') || started?.message?.trim() || 'the runtime failed';
    await attached.done;
    // runtimeMessage: what the CLI prints, the runtime's own line, as `exec` without -it shows it.
    fail(Object.assign(internal(`cannot exec in container ${rec.name}: ${why}`), { exitCode: 126, runtimeMessage: why }));
  }
  const exited = reader.next();
  const { detached } = await attached.done;
  if (detached) {
    // The process runs on: conmon's exit command removes the files once it ends, unless it has
    // already (its exit file is written before the exit command runs): then they go here.
    removeFile(p.attached);
    settleExit(host, rec, p, link, execId);
    reader.close();
    return undefined;
  }
  const end = await exited;
  reader.close();
  const text = end ? String(end.data) : readTextOr(p.exitFile).trim();
  const code = text === '' ? -1 : Number(text);
  removeTree(p.dir);
  removeFile(link);
  // No exit code (conmon killed before it told one): said once, the CLI's 1 for it.
  if (!Number.isInteger(code) || code < 0) throw internal(`cannot exec in container ${rec.name}: its monitor (conmon) ended without the process's exit status`);
  containerEvent(host.runroot, rec, 'exec_die', { execID: execId, exitCode: String(code) });
  return code;
}

/**
 * Removes the sessions whose conmon is gone (a CLI or a conmon killed before it could clean up);
 * a dir younger than a minute may be a session still starting, and is left alone.
 */
export function sweepExecSessions(sessionsDir: string, socketDir: string, now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(sessionsDir);
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(sessionsDir, name);
    const pid = Number(readTextOr(path.join(dir, 'conmon.pid')).trim());
    if (pid > 0 && isLiveConmon(pid)) continue;
    try {
      if (now - statSync(dir).mtimeMs < 60_000 && !(pid > 0)) continue;
    } catch {
      continue;
    }
    removeTree(dir);
    removeFile(path.join(socketDir, name));
  }
}

/** conmon's sync pipe as a series of JSON lines (several may come in one read). */
class SyncReader {
  #lines: string[] = [];
  #waiting: ((line: string | undefined) => void) | undefined;
  #ended = false;
  #buffered = '';
  #socket: import('node:net').Socket;

  private constructor(socket: import('node:net').Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.#buffered += d;
      let nl = this.#buffered.indexOf('\n');
      while (nl >= 0) {
        this.#push(this.#buffered.slice(0, nl));
        this.#buffered = this.#buffered.slice(nl + 1);
        nl = this.#buffered.indexOf('\n');
      }
    });
    const end = () => {
      if (this.#buffered.trim()) this.#push(this.#buffered);
      this.#buffered = '';
      this.#ended = true;
      this.#waiting?.(undefined);
      this.#waiting = undefined;
    };
    socket.on('end', end);
    socket.on('error', end);
    socket.on('close', end);
  }

  static async open(fd: number): Promise<SyncReader> {
    const net = await import('node:net');
    return new SyncReader(new net.Socket({ fd, readable: true, writable: false }));
  }

  #push(line: string): void {
    if (!line.trim()) return;
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w(line);
    } else this.#lines.push(line);
  }

  /** The next message, or undefined at the pipe's end (conmon gone). */
  async next(): Promise<{ data: number; message?: string } | undefined> {
    for (;;) {
      const line = this.#lines.shift() ?? (this.#ended ? undefined : await new Promise<string | undefined>((resolve) => (this.#waiting = resolve)));
      if (line === undefined) return undefined;
      const msg = parseSyncMessage(line.trim());
      if (msg) return msg;
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

