import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customResolv } from './rootfs.js';

const HOST = 'domain corp.example\nsearch corp.example\nnameserver 10.0.0.1\nnameserver 10.0.0.2\noptions edns0\n';

test("--dns, --dns-search, --dns-option replace the host's lines of their kind only", () => {
  assert.equal(customResolv(HOST, { dns: ['9.9.9.9'] }), 'domain corp.example\nsearch corp.example\noptions edns0\nnameserver 9.9.9.9\n');
  assert.equal(customResolv(HOST, { dnsSearch: ['a.example', 'b.example'] }), 'nameserver 10.0.0.1\nnameserver 10.0.0.2\noptions edns0\nsearch a.example b.example\n');
  assert.equal(customResolv(HOST, { dnsOptions: ['ndots:2', 'rotate'] }), 'domain corp.example\nsearch corp.example\nnameserver 10.0.0.1\nnameserver 10.0.0.2\noptions ndots:2 rotate\n');
  // docker's "." search domain: none at all.
  assert.equal(customResolv(HOST, { dnsSearch: ['.'] }), 'nameserver 10.0.0.1\nnameserver 10.0.0.2\noptions edns0\n');
  assert.equal(customResolv('', { dns: ['::1'] }), 'nameserver ::1\n');
});
