// End to end: the predefined networks host and none as docker's `network` verbs show them
// (checked side by side with dockerd 20.10 and docker CLI 28), a running container on one, and
// the sub-commands that need bridged networks refusing clearly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, ok } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

test('network ls and inspect show host and none; a running container is on its network', async () => {
  const table = (await ok(fx, ['network', 'ls'])).split('\n');
  assert.equal(table[0], 'NETWORK ID     NAME      DRIVER    SCOPE');
  assert.match(table[1], /^[0-9a-f]{12} {3}host {6}host {6}local$/);
  assert.match(table[2], /^[0-9a-f]{12} {3}none {6}null {6}local$/);
  assert.deepEqual((await ok(fx, ['network', 'ls', '-q', '--no-trunc'])).split('\n').map((l) => l.length), [64, 64]);
  assert.equal(await ok(fx, ['network', 'ls', '--filter', 'name=no', '--format', '{{.Name}}']), 'none');
  assert.equal(await ok(fx, ['network', 'ls', '--filter', 'type=custom', '-q']), '');
  // docker's row JSON: its keys in byte order.
  const row = JSON.parse((await ok(fx, ['network', 'ls', '--format', '{{json .}}'])).split('\n')[0]);
  assert.deepEqual(Object.keys(row), ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope']);
  const bad = await berth(fx, ['network', 'ls', '--filter', 'bogus=1']);
  assert.deepEqual([bad.code, bad.stderr], [1, "Error: Invalid filter 'bogus'\n"]);

  const id = await ok(fx, ['run', '-d', '--name', 'on-none', fx.image, 'sleep', '600']);
  const [none] = JSON.parse(await ok(fx, ['network', 'inspect', 'none']));
  assert.deepEqual(Object.keys(none), ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']);
  assert.equal(none.Driver, 'null');
  assert.deepEqual(none.Containers, { [id]: { Name: 'on-none', EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' } });
  // The container names the same network ID; docker's generic inspect finds networks too.
  assert.equal(await ok(fx, ['inspect', '-f', '{{.NetworkSettings.Networks.none.NetworkID}}', 'on-none']), none.Id);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Name}} {{.Driver}}', 'host']), 'host host');
  assert.equal(await ok(fx, ['network', 'inspect', '-f', '{{len .Containers}}', 'host']), '0');
  await ok(fx, ['rm', '-f', 'on-none']);
  const missing = await berth(fx, ['network', 'inspect', 'nosuch']);
  assert.deepEqual([missing.code, missing.stderr, missing.stdout], [1, 'Error: network nosuch not found\n', '[]\n']);
});

test('the predefined networks cannot be removed; making or joining a network says berth has none of its own yet', async () => {
  const rm = await berth(fx, ['network', 'rm', 'none']);
  assert.deepEqual([rm.code, rm.stderr], [1, 'Error: none is a pre-defined network and cannot be removed\n']);
  assert.equal((await berth(fx, ['network', 'rm', '-f', 'nosuch'])).code, 0);
  for (const sub of [['create', 'app-net'], ['connect', 'app-net', 'c'], ['disconnect', 'app-net', 'c']]) {
    const r = await berth(fx, ['network', ...sub]);
    assert.equal(r.code, 1, sub.join(' '));
    assert.match(r.stderr, /berth has no bridged networks yet/);
  }
  assert.equal(await ok(fx, ['network', 'prune', '-f']), '');
});
