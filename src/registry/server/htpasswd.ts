// htpasswd files with bcrypt entries (what `htpasswd -B` writes and Distribution reads).
// A successful check is remembered briefly: bcrypt costs tens of ms per request otherwise.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { invalidArgument } from '../../internal/errors.js';
import { TtlCache } from './cache.js';

export class Htpasswd {
  private readonly users: Map<string, string>;
  private readonly verified = new TtlCache<boolean>(5 * 60_000, 10_000);

  constructor(users: Map<string, string>) {
    this.users = users;
  }

  static parse(text: string, source = 'htpasswd'): Htpasswd {
    const users = new Map<string, string>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]?\$\d\d\$/.test(hash)) {
        throw invalidArgument(`cannot read ${source}: line ${i + 1}: want user:bcrypt-hash (htpasswd -B)`);
      }
      users.set(line.slice(0, colon), hash);
    });
    return new Htpasswd(users);
  }

  static async load(file: string): Promise<Htpasswd> {
    return Htpasswd.parse(await fs.readFile(file, 'utf8'), file);
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    if (this.verified.get(key)) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) this.verified.set(key, true);
    return ok;
  }
}

/** An htpasswd line for `user` (bcrypt, cost 10): for tests and `berth registry` tooling. */
export function htpasswdLine(user: string, password: string, cost = 10): string {
  return `${user}:${bcrypt.hashSync(password, cost)}`;
}
