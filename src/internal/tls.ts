// Extra CA certificates for berth's outbound TLS, loaded only when a connection needs them.
// bin/berth moves NODE_EXTRA_CA_CERTS to BERTH_EXTRA_CA_CERTS: Node parses the former at
// every start (about 50 ms here for the system bundle), though most verbs open no TLS at all.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

let cachedFile: string | undefined;
let cached: string[] | undefined;

/**
 * The CA list to pass as `ca` to https/tls: Node's own roots plus the file named by
 * BERTH_EXTRA_CA_CERTS. Undefined when there is nothing extra (Node's defaults then apply,
 * including a NODE_EXTRA_CA_CERTS that Node loaded itself). An unreadable file is ignored
 * with a warning, as Node does for NODE_EXTRA_CA_CERTS.
 */
export function extraCaCertificates(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = env.BERTH_EXTRA_CA_CERTS;
  if (file === cachedFile) return cached;
  cachedFile = file;
  cached = undefined;
  if (file) {
    try {
      const pem = readFileSync(file, 'utf8');
      const extra = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (extra.length > 0) cached = [...rootCertificates, ...extra];
    } catch (err) {
      process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
    }
  }
  return cached;
}
