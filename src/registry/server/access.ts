// Who may do what: access rules per repository-name prefix (namespace), for named users,
// any authenticated user ("*"), and anonymous clients.
import type { Action } from './token.js';

export interface AccessRule {
  /** Repository-name prefix: "" matches all, "team" matches "team" and "team/...". */
  namespace: string;
  anonymous?: Action[];
  /** user -> actions; "*" is any authenticated user. */
  users?: Record<string, Action[]>;
}

export const ALL_ACTIONS: Action[] = ['pull', 'push', 'delete'];

export class AccessPolicy {
  private readonly rules: AccessRule[];

  /** No rules: authenticated users may do everything, anonymous clients nothing. */
  constructor(rules: AccessRule[] = []) {
    this.rules = [...rules].sort((a, b) => b.namespace.length - a.namespace.length);
  }

  /** The actions `user` (undefined: anonymous) has on repository `name`. */
  allowed(user: string | undefined, name: string): Set<Action> {
    if (this.rules.length === 0) return new Set(user === undefined ? [] : ALL_ACTIONS);
    const rule = this.rules.find((r) => matches(r.namespace, name));
    if (!rule) return new Set();
    const list = user === undefined ? rule.anonymous : (rule.users?.[user] ?? rule.users?.['*']);
    const out = new Set<Action>();
    for (const a of list ?? []) {
      if (a === '*') for (const x of ALL_ACTIONS) out.add(x);
      else out.add(a);
    }
    return out;
  }

  /** The catalog lists every name: any authenticated user, or anonymous with pull on "". */
  mayListCatalog(user: string | undefined): boolean {
    if (user !== undefined) return true;
    return this.allowed(undefined, '').has('pull') && this.rules.some((r) => r.namespace === '');
  }
}

function matches(namespace: string, name: string): boolean {
  if (namespace === '') return true;
  const ns = namespace.endsWith('/') ? namespace.slice(0, -1) : namespace;
  return name === ns || name.startsWith(`${ns}/`);
}
