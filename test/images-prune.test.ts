// image prune's choice of images: dangling or (with all) every unused one, never a held one,
// narrowed by docker's filters until= (created before) and label= / label!=.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imagesToPrune, parseUntil } from '../src/engine/images/prune.js';
import { writeImage } from '../src/image/index.js';
import type { Store } from '../src/store/index.js';
import { tarOf, tempStore } from './store-fixtures.js';

async function put(store: Store, tag: string | undefined, created: string, labels: Record<string, string>) {
  return store.withLease((lease) =>
    writeImage(store.sink(lease, { repository: 'example.com/prune' }), [{ tar: () => tarOf([{ name: `f-${created}`, body: created }]) }], {
      ...(tag ? { tag } : {}),
      created,
      config: { architecture: 'amd64', os: 'linux', config: { Labels: labels } },
    }),
  );
}

test('until and label filters choose among unused images as docker does', async () => {
  const t = await tempStore();
  try {
    const old = await put(t.store, 'old', '2020-01-01T00:00:00Z', { team: 'a', keep: 'no' });
    const mid = await put(t.store, 'mid', '2022-06-01T00:00:00Z', { team: 'b' });
    const fresh = await put(t.store, 'new', '2024-01-01T00:00:00Z', { team: 'a' });
    const ids = async (filters: string[], all = true) => (await imagesToPrune(t.store, { all, filters })).map((r) => r.id);
    assert.deepEqual(await ids([]), [old.config.digest, mid.config.digest, fresh.config.digest]);
    assert.deepEqual(await ids([], false), [], 'tagged images are not dangling');
    assert.deepEqual(await ids(['until=2023-01-01T00:00:00Z']), [old.config.digest, mid.config.digest]);
    assert.deepEqual(await ids(['until=1640995200']), [old.config.digest]);
    assert.deepEqual(await ids(['label=team=a']), [old.config.digest, fresh.config.digest]);
    assert.deepEqual(await ids(['label=team=a', 'label=keep']), [old.config.digest]);
    assert.deepEqual(await ids(['label!=keep']), [mid.config.digest, fresh.config.digest]);
    assert.deepEqual(await ids(['label!=team=b', 'until=2023-01-01T00:00:00Z']), [old.config.digest]);
    await t.store.hold('ctr-1', { images: [old.config.digest], layers: [] });
    assert.deepEqual(await ids(['label=team=a']), [fresh.config.digest], 'a held image is never pruned');
    // dockerd takes dangling for image prune: false (or 0) is -a; docker's CLI sends
    // dangling=true beside the user's, so another value is no error.
    assert.deepEqual(await ids(['dangling=false'], false), [mid.config.digest, fresh.config.digest]);
    assert.deepEqual(await ids(['dangling=0', 'label=team=a'], false), [fresh.config.digest]);
    assert.deepEqual(await ids(['dangling=true'], false), []);
    assert.deepEqual(await ids(['dangling=maybe'], false), []);
    await assert.rejects(ids(['bogus=1']), { message: "Invalid filter 'bogus'" });
    await assert.rejects(ids(['until=yesterday']), { kind: 'invalid-argument' });
  } finally {
    await t.done();
  }
});

test('until takes Go durations, Unix seconds and RFC 3339', () => {
  const now = Date.parse('2025-01-02T00:00:00Z');
  assert.equal(parseUntil('24h', now), Date.parse('2025-01-01T00:00:00Z'));
  assert.equal(parseUntil('1h30m', now), now - 90 * 60_000);
  assert.equal(parseUntil('1.5h', now), now - 90 * 60_000);
  assert.equal(parseUntil('1700000000', now), 1_700_000_000_000);
  assert.equal(parseUntil('2024-05-06T07:08:09Z', now), Date.parse('2024-05-06T07:08:09Z'));
});
