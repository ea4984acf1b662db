// Facts about this host that every container start reads and that hold until a reboot, kept
// in the run root (a tmpfs, gone at reboot) so a start reads one small file, not the kernel's.
import { mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import { kernelHasX32 } from '../runtime/spec/host.js';

export interface HostFacts {
  /** The kernel release the facts were read on. */
  kernel: string;
  /** The kernel runs x32 programs (the seccomp filter then covers that ABI too). */
  x32: boolean;
}

/** The cached facts, or freshly detected ones (then cached; a failed write only costs time). */
export async function hostFacts(runroot: string): Promise<HostFacts> {
  const file = path.join(runroot, 'engine-host.json');
  const kernel = os.release();
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as Partial<HostFacts>;
    if (cached.kernel === kernel && typeof cached.x32 === 'boolean') return { kernel, x32: cached.x32 };
  } catch {}
  const facts: HostFacts = { kernel, x32: await kernelHasX32(kernel) };
  try {
    mkdirSync(runroot, { recursive: true, mode: 0o700 });
  } catch {}
  await writeJsonAtomic(file, facts, { durable: false }).catch(() => {});
  return facts;
}
