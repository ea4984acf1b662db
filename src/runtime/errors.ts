// The OCI runtime's own failure text (its --log in JSON, or stderr) turned into BerthErrors of
// the right kind, so the CLI can map "no such command" to 127 and "permission denied" to 126.
import { BerthError, type ErrorKind } from '../internal/errors.js';

/** The error-level messages of a runtime's --log-format=json log (runc and crun write one per line). */
export function errorsFromLog(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    try {
      const entry = JSON.parse(t) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) out.push(entry.msg);
    } catch {
      // runc writes plain text to the log before it parsed --log-format; keep it as is.
      out.push(t);
    }
  }
  return out;
}

/** The kind a runtime message means. */
export function kindOfRuntimeMessage(message: string): ErrorKind {
  const m = message.toLowerCase();
  if (/does not exist|not found|no such file or directory|no such process/.test(m)) return 'not-found';
  if (/already exists|id already in use/.test(m)) return 'already-exists';
  if (/permission denied|operation not permitted/.test(m)) return 'denied';
  if (/not running|has stopped|is not paused|is paused|cannot .* in state|container is (stopped|running)|invalid state|not stopped/.test(m)) {
    return 'failed-precondition';
  }
  if (/invalid argument|invalid value|unknown (capability|signal)|unknown flag/.test(m)) return 'invalid-argument';
  return 'internal';
}

/** "cannot start container x: runc: exec: "nope": executable file not found in $PATH". */
export function runtimeError(context: string, runtimeName: string, messages: string[], stderr: string): BerthError {
  const text = (messages.length ? messages[messages.length - 1] : stderr.trim().split('\n').pop() || 'failed')
    .replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, '$1')
    .trim();
  return new BerthError(kindOfRuntimeMessage(text), `${context}: ${runtimeName}: ${text}`, {
    detail: { runtime: runtimeName, log: messages, stderr },
  });
}
