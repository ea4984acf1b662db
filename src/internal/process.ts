// Facts about other processes on this host.

/**
 * Whether a process with this pid exists (signal 0: checked, not sent). EPERM means it exists
 * under another user. Pid 0 or NaN, as a missing or unparsable pid gives, is never alive.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
