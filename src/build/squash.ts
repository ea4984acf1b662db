// --squash: the layers a build added become one layer, the difference between the base's
// tree and the final tree (both mounted read-only), history kept but marked empty.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GraphDriver } from '../graphdriver/index.js';
import { diffDirectories } from '../layer/index.js';
import { BUILD_LAYER_PACK, type Committer } from './commit.js';
import type { StageState } from './stage-state.js';
import { buildKey } from './stale.js';

export interface SquashContext {
  driver: GraphDriver;
  committer: Committer;
  runroot: string;
  /** The time of the squashed layer's history entry. */
  created: string;
  signal?: AbortSignal;
}

export async function squashLayers(state: StageState, ctx: SquashContext): Promise<void> {
  const added = state.layers.length - state.baseLayerCount;
  if (added <= 1) return;
  const base = state.layers.slice(0, state.baseLayerCount);
  const views: string[] = [];
  const keys: string[] = [];
  try {
    for (const chains of [base.map((l) => l.chainID), state.chains]) {
      const key = buildKey('squash');
      const dir = path.join(ctx.runroot, 'build', key);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      views.push(dir);
      const mounts = await ctx.driver.prepare(key, chains, { readonly: true });
      keys.push(key);
      await ctx.driver.mount(mounts, dir);
    }
    const blob = diffDirectories(views[0], views[1], BUILD_LAYER_PACK);
    const layer = await ctx.committer.commitBlob(blob, base[base.length - 1]?.chainID, { signal: ctx.signal });
    state.layers = [...base, layer];
    state.diffIDs = [...state.diffIDs.slice(0, state.baseLayerCount), layer.diffID];
    state.history = [
      ...state.history.slice(0, state.baseHistoryCount),
      ...state.history.slice(state.baseHistoryCount).map((h) => ({ ...h, empty_layer: true })),
      { created: ctx.created, created_by: 'berth build --squash', comment: `${added} layers squashed` },
    ];
  } finally {
    for (const v of views) await ctx.driver.unmount(v).catch(() => {});
    for (const k of keys) await ctx.driver.remove(k).catch(() => {});
    for (const v of views) fs.rmSync(v, { recursive: true, force: true });
  }
}
