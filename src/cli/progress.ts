// Pull progress as docker shows it: one line per layer, redrawn in place on a terminal
// (bars while downloading), plain lines when output is a file or a pipe.
import type { PullEvent } from '../engine/images/index.js';
import { parseNormalizedReference } from '../reference/index.js';
import { humanSize, shortId } from './format.js';

interface LayerState {
  id: string;
  text: string;
}

export class PullProgress {
  private readonly layers = new Map<string, LayerState>();
  private drawn = 0;
  private quietLayers = false;
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  readonly onEvent = (e: PullEvent): void => {
    if (e.type === 'resolved') return;
    if (e.type === 'manifest') {
      const at = e.reference.lastIndexOf(':');
      const tag = at > e.reference.lastIndexOf('/') ? e.reference.slice(at + 1) : e.reference.split('@')[1];
      // docker's: the repository's path in its registry ("library/busybox", "dd/app").
      let path = e.reference.replace(/[:@][^/]*$/, '');
      try {
        path = parseNormalizedReference(e.reference).repository;
      } catch {}
      this.out.write(`${tag}: Pulling from ${path}\n`);
      return;
    }
    if (e.type === 'stored') return;
    if (e.type === 'present') {
      // docker prints no layer of an image it has already.
      this.quietLayers = true;
      return;
    }
    if (this.quietLayers && e.phase !== 'downloading' && e.phase !== 'done') return;
    const id = shortId(e.digest);
    let state = this.layers.get(id);
    if (!state) {
      state = { id, text: '' };
      this.layers.set(id, state);
    }
    const text =
      e.phase === 'waiting'
        ? 'Waiting'
        : e.phase === 'exists'
          ? 'Already exists'
          : e.phase === 'done'
            ? 'Pull complete'
            : this.tty
              ? `Downloading ${bar(e.current, e.total)} ${humanSize(e.current)}/${humanSize(e.total)}`
              : 'Downloading';
    if (text === state.text) return;
    state.text = text;
    if (!this.tty) {
      // docker's lines to a file or pipe: "Pulling fs layer" as a download starts, "Download
      // complete" and "Pull complete" once the layer is stored (berth unpacks while it
      // downloads), "Already exists"; no line for a layer still waiting its turn.
      const lines = e.phase === 'waiting' ? [] : e.phase === 'downloading' ? ['Pulling fs layer'] : e.phase === 'done' ? ['Download complete', 'Pull complete'] : [text];
      for (const line of lines) this.out.write(`${id}: ${line}\n`);
      return;
    }
    const now = Date.now();
    if (e.phase === 'downloading' && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.redraw();
  };

  private redraw(): void {
    let s = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of this.layers.values()) s += `\x1b[2K${l.id}: ${l.text}\n`;
    this.drawn = this.layers.size;
    this.out.write(s);
  }

  /** Final redraw on a terminal so every layer shows its last state. */
  finish(): void {
    if (this.tty && this.layers.size > 0) this.redraw();
  }
}

function bar(current: number, total: number): string {
  const width = 40;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
}
