// Structured access logs: one JSON object a line, batched so that logging costs a write
// per batch, not per request.
import { createWriteStream, type WriteStream } from 'node:fs';

const FLUSH_MS = 100;
const FLUSH_BYTES = 64 * 1024;

export class AccessLog {
  private out: NodeJS.WritableStream | undefined;
  private file: WriteStream | undefined;
  private buffer: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  /** 'stdout', 'stderr', 'off', or a file path (appended). */
  constructor(private readonly target: string) {}

  get enabled(): boolean {
    return this.target !== 'off';
  }

  async open(): Promise<void> {
    if (this.target === 'stdout') this.out = process.stdout;
    else if (this.target === 'stderr') this.out = process.stderr;
    else if (this.target !== 'off') {
      this.file = createWriteStream(this.target, { flags: 'a' });
      this.out = this.file;
      await new Promise<void>((resolve, reject) => {
        this.file!.once('open', () => resolve());
        this.file!.once('error', reject);
      });
    }
  }

  write(entry: Record<string, unknown>): void {
    if (!this.out) return;
    const line = `${JSON.stringify(entry)}\n`;
    this.buffer.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.out || this.buffer.length === 0) return;
    this.out.write(this.buffer.join(''));
    this.buffer = [];
    this.bytes = 0;
  }

  async close(): Promise<void> {
    this.flush();
    if (this.file) await new Promise<void>((resolve) => this.file!.end(() => resolve()));
  }
}
