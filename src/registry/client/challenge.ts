// WWW-Authenticate parsing (RFC 7235 challenges) and the scope strings of Docker's token
// auth: "Bearer realm=\"https://auth\",service=\"reg\",scope=\"repository:x:pull\"".

export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic". */
  scheme: string;
  /** Parameter names lower-cased; quoted values unescaped. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** All challenges in one or more WWW-Authenticate header values. Malformed tails are dropped, not thrown. */
export function parseChallenges(value: string | string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  const out: Challenge[] = [];
  for (const v of values) out.push(...parseOne(v));
  return out;
}

function parseOne(input: string): Challenge[] {
  const out: Challenge[] = [];
  let s = input;
  let current: Challenge | undefined;
  const skipSpace = () => {
    s = s.replace(/^[ \t]+/, '');
  };
  for (;;) {
    skipSpace();
    while (s.startsWith(',')) {
      s = s.slice(1);
      skipSpace();
    }
    if (s === '') break;
    const tok = TOKEN.exec(s);
    if (!tok) break;
    const word = tok[0];
    const after = s.slice(word.length).replace(/^[ \t]*/, '');
    if (current && after.startsWith('=') && !after.startsWith('==')) {
      // name=value belonging to the current challenge
      s = after.slice(1).replace(/^[ \t]*/, '');
      let val: string;
      if (s.startsWith('"')) {
        let i = 1;
        val = '';
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          val += s[i];
          i++;
        }
        s = s.slice(i + 1);
      } else {
        const m = /^[^,\s]*/.exec(s)!;
        val = m[0];
        s = s.slice(val.length);
      }
      current.params[word.toLowerCase()] = val;
      continue;
    }
    // a new scheme
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
    s = s.slice(word.length);
    skipSpace();
    const t68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/.exec(s);
    if (t68 && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=[^=]/.test(s)) {
      current.params.token68 = t68[0];
      s = s.slice(t68[0].length);
    }
  }
  return out;
}

/** Scopes named in a challenge's `scope` parameter (space-separated per the token spec). */
export function challengeScopes(c: Challenge): string[] {
  return (c.params.scope ?? '').split(' ').filter((x) => x !== '');
}

export function repositoryScope(name: string, actions: string[]): string {
  return `repository:${name}:${actions.join(',')}`;
}

/**
 * Merges scopes so one resource appears once with the union of its actions, sorted: the set
 * is a cache key, so equal sets must print equal.
 */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const last = scope.lastIndexOf(':');
    if (last <= 0) continue;
    const resource = scope.slice(0, last);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const a of scope.slice(last + 1).split(',')) if (a) actions.add(a);
    byResource.set(resource, actions);
  }
  return [...byResource.entries()].map(([r, a]) => `${r}:${[...a].sort().join(',')}`).sort();
}

/** True when `have` grants every action `want` asks for. */
export function scopesCover(have: string[], want: string[]): boolean {
  const granted = new Map<string, Set<string>>();
  for (const s of normalizeScopes(have)) {
    const i = s.lastIndexOf(':');
    granted.set(s.slice(0, i), new Set(s.slice(i + 1).split(',')));
  }
  for (const s of normalizeScopes(want)) {
    const i = s.lastIndexOf(':');
    const g = granted.get(s.slice(0, i));
    if (!g) return false;
    for (const a of s.slice(i + 1).split(',')) if (!g.has(a) && !g.has('*')) return false;
  }
  return true;
}
