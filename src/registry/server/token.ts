// Bearer tokens of the Docker token flow: JWTs signed by berth's own key (ES256), carrying
// the granted access, verified by the same server. Clients only pass them back.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { BoundedMap } from './cache.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: AccessEntry[];
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly verified = new BoundedMap<string, TokenClaims>(10_000);

  constructor(
    readonly issuer: string,
    readonly service: string,
    readonly ttlSeconds: number,
    pem?: string,
  ) {
    if (pem) {
      this.privateKey = createPrivateKey(pem);
    } else {
      this.privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    }
    this.publicKey = createPublicKey(this.privateKey);
  }

  issue(subject: string, access: AccessEntry[], nowMs = Date.now()): { token: string; claims: TokenClaims } {
    const now = Math.floor(nowMs / 1000);
    const claims: TokenClaims = {
      iss: this.issuer,
      sub: subject,
      aud: this.service,
      // Rounded up: a token lives its whole TTL at least. From the issuing second, a token made
      // late in it could expire a few ms later (check() refuses it from the exp second on).
      exp: Math.ceil(nowMs / 1000) + this.ttlSeconds,
      nbf: now - 1,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${body}.${b64url(sig)}`, claims };
  }

  /** The claims of a token this server signed and that is still valid, else undefined. */
  check(token: string, now = Math.floor(Date.now() / 1000)): TokenClaims | undefined {
    let claims = this.verified.get(token);
    if (!claims) {
      const parts = token.split('.');
      if (parts.length !== 3) return undefined;
      try {
        const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
        if (head.alg !== 'ES256') return undefined;
        const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
        if (!ok) return undefined;
        claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as TokenClaims;
      } catch {
        return undefined;
      }
      if (claims.iss !== this.issuer || claims.aud !== this.service || !Array.isArray(claims.access)) return undefined;
      this.verified.set(token, claims);
    }
    if (claims.exp <= now || claims.nbf > now + 60) {
      this.verified.delete(token);
      return undefined;
    }
    return claims;
  }
}
