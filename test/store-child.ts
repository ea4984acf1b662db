// A second (third) berth process on one store, for the concurrency and crash tests:
// node store-child.js ROOT RUNROOT ACTION ARGS... ; prints one JSON line per event.
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { applyLayer, applyLayerInWorker } from '../src/layer/index.js';
import { openStore } from '../src/store/index.js';
import { putImage, seeded, tarOf } from './store-fixtures.js';
import type { Digest } from '../src/digest/digest.js';

const [root, runroot, action, ...args] = process.argv.slice(2);
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const slowMs = Number(process.env.SLOW_APPLY_MS ?? 0);
/** APPLY_IN_WORKER=1: layers apply on the pool's threads, as the store does by default. */
const apply = process.env.APPLY_IN_WORKER === '1' ? applyLayerInWorker : applyLayer;

const store = await openStore({
  root,
  runroot,
  applyLayer: async (source, target, options) => {
    say({ event: 'apply', target });
    if (slowMs) await sleep(slowMs);
    return apply(source, target, options);
  },
});

/** The image "seed" with `n` layers of 1 MiB each; the same seed gives the same image everywhere. */
export function layersFor(seed: string, n: number) {
  return Array.from({ length: n }, (_, i) => [{ name: `layer${i}.bin`, body: seeded(`${seed}-${i}`, 1 << 20) }]);
}

switch (action) {
  case 'pull': {
    const [repo, tag, seed, n] = args;
    const written = await putImage(store, repo, tag, layersFor(seed, Number(n)));
    say({ event: 'pulled', id: written.config.digest });
    break;
  }
  case 'list': {
    const rounds = Number(args[0]);
    let max = 0;
    for (let i = 0; i < rounds; i++) max = Math.max(max, (await store.listImages()).length);
    say({ event: 'listed', rounds, max });
    break;
  }
  case 'rmi': {
    say({ event: 'removed', ...(await store.removeImage(args[0])) });
    break;
  }
  case 'ingest-and-hang': {
    const w = await store.content.writer('crash-ref', { expected: { size: 4 << 20 } });
    await w.write(seeded('crash', 1 << 20));
    say({ event: 'ready', offset: w.offset });
    await sleep(60_000);
    break;
  }
  case 'unpack-and-hang': {
    const tar = tarOf([{ name: 'big.bin', body: seeded('unpack', 4 << 20) }]);
    let sent = 0;
    const half = Readable.from(
      (async function* () {
        for await (const chunk of tar) {
          yield chunk;
          sent += (chunk as Buffer).length;
          if (sent > 2 << 20) {
            say({ event: 'ready', sent });
            await sleep(60_000);
          }
        }
      })(),
    );
    const lease = await store.lease();
    await store.layers.unpack(lease, { diffID: args[0] as Digest, open: async () => half });
    break;
  }
  default:
    throw new Error(`unknown action ${action}`);
}
