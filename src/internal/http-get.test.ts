import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { httpGet } from './http-get.js';
import { extraCaCertificates } from './tls.js';

// A private CA's certificate, as a user names it in NODE_EXTRA_CA_CERTS (bin/berth hands
// it on as BERTH_EXTRA_CA_CERTS): https to a server it signed works only with it.
let dir: string;
let server: https.Server;
let base: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/file' }).end();
      return;
    }
    if (req.url === '/file') {
      res.end('payload');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function text(url: string): Promise<string> {
  const res = await httpGet(url);
  let s = '';
  for await (const c of res) s += c;
  return s;
}

test('without the extra CA, a privately signed server is refused', async () => {
  const saved = process.env.BERTH_EXTRA_CA_CERTS;
  delete process.env.BERTH_EXTRA_CA_CERTS;
  try {
    await assert.rejects(text(`${base}/file`), (e: any) => e.kind === 'unavailable' && /cannot fetch/.test(e.message));
  } finally {
    if (saved !== undefined) process.env.BERTH_EXTRA_CA_CERTS = saved;
  }
});

test('BERTH_EXTRA_CA_CERTS adds the CA (with Node roots kept) and redirects are followed', async () => {
  const saved = process.env.BERTH_EXTRA_CA_CERTS;
  process.env.BERTH_EXTRA_CA_CERTS = path.join(dir, 'cert.pem');
  try {
    const cas = extraCaCertificates()!;
    assert.ok(cas.length > 1, 'node roots plus the extra one');
    assert.equal(await text(`${base}/moved`), 'payload');
    await assert.rejects(text(`${base}/nope`), /HTTP 404/);
  } finally {
    if (saved === undefined) delete process.env.BERTH_EXTRA_CA_CERTS;
    else process.env.BERTH_EXTRA_CA_CERTS = saved;
  }
});

test('an unreadable CA file is ignored with a warning, as Node does', () => {
  assert.equal(extraCaCertificates({ BERTH_EXTRA_CA_CERTS: path.join(dir, 'missing.pem') }), undefined);
});

test('httpGet refuses schemes other than http and https', async () => {
  await assert.rejects(httpGet('file:///etc/passwd'), (e: any) => e.kind === 'invalid-argument');
});
