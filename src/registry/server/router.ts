// The route table of the distribution-spec API: each route names what it needs (scopes)
// and its handler; dispatch checks names, authorizes, runs, and maps errors once.
import type { Authenticator, Principal, Scope } from './auth.js';
import { cancelUpload, deleteBlob, getBlob, patchUpload, putUpload, startUpload, uploadStatus } from './blobs.js';
import { type ErrorCode, regError, toRegistryError } from './errors.js';
import { clientWentAway, type RequestContext, replyError, replyJson } from './http.js';
import { deleteManifest, getManifest, listCatalog, listReferrers, listTags, putManifest } from './manifests.js';
import { checkName } from './names.js';
import type { RegistryStorage } from './storage.js';
import type { Action } from './token.js';
import type { Uploads } from './uploads.js';

export interface RouterDeps {
  storage: RegistryStorage;
  uploads: Uploads;
  auth: Authenticator;
  deleteEnabled: boolean;
}

type Handler = (ctx: RequestContext, deps: RouterDeps, name: string, arg: string, principal: Principal) => Promise<void>;

interface Route {
  pattern: RegExp;
  /** method -> [action needed, handler] */
  methods: Record<string, [Action, Handler]>;
  /** Wire codes for invalid-argument and not-found failures on this route. */
  codes: { invalid: ErrorCode; notFound: ErrorCode };
}

const BLOB = { invalid: 'DIGEST_INVALID', notFound: 'BLOB_UNKNOWN' } as const;
const UPLOAD = { invalid: 'BLOB_UPLOAD_INVALID', notFound: 'BLOB_UPLOAD_UNKNOWN' } as const;
const MANIFEST = { invalid: 'MANIFEST_INVALID', notFound: 'MANIFEST_UNKNOWN' } as const;
const NAME = { invalid: 'NAME_INVALID', notFound: 'NAME_UNKNOWN' } as const;

const ROUTES: Route[] = [
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/,
    methods: { POST: ['push', (c, d, n, _a, p) => startUpload(c, d, n, p)] },
    codes: UPLOAD,
  },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    methods: {
      GET: ['push', (c, d, n, a) => uploadStatus(c, d, n, a)],
      PATCH: ['push', (c, d, n, a) => patchUpload(c, d, n, a)],
      PUT: ['push', (c, d, n, a) => putUpload(c, d, n, a)],
      DELETE: ['push', (c, d, n, a) => cancelUpload(c, d, n, a)],
    },
    codes: UPLOAD,
  },
  {
    pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    methods: {
      GET: ['pull', (c, d, n, a) => getBlob(c, d, n, a)],
      HEAD: ['pull', (c, d, n, a) => getBlob(c, d, n, a)],
      DELETE: ['delete', (c, d, n, a) => deleteBlob(c, d, n, a)],
    },
    codes: BLOB,
  },
  {
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    methods: {
      GET: ['pull', (c, d, n, a) => getManifest(c, d, n, a)],
      HEAD: ['pull', (c, d, n, a) => getManifest(c, d, n, a)],
      PUT: ['push', (c, d, n, a) => putManifest(c, d, n, a)],
      DELETE: ['delete', (c, d, n, a) => deleteManifest(c, d, n, a)],
    },
    codes: MANIFEST,
  },
  { pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: ['pull', (c, d, n) => listTags(c, d, n)] }, codes: NAME },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: ['pull', (c, d, n, a) => listReferrers(c, d, n, a)] }, codes: MANIFEST },
];

/** Handles one request under /v2 or /token; returns the user for the access log. */
export async function dispatch(ctx: RequestContext, deps: RouterDeps): Promise<void> {
  let codes: Route['codes'] = NAME;
  try {
    const { path, method } = ctx;
    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw regError('UNSUPPORTED', `method ${method} is not allowed on /v2/`, { status: 405 });
      // /v2/ is where clients discover how to authenticate.
      ctx.user = await deps.auth.ping(ctx.req);
      replyJson(ctx, 200, {});
      return;
    }
    if (path === '/v2/_catalog') {
      if (method !== 'GET') throw regError('UNSUPPORTED', `method ${method} is not allowed on the catalog`, { status: 405 });
      const p = await deps.auth.authorize(ctx.req, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
      ctx.user = p.user;
      await listCatalog(ctx, deps);
      return;
    }
    for (const route of ROUTES) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      codes = route.codes;
      const entry = route.methods[method];
      if (!entry) throw regError('UNSUPPORTED', `method ${method} is not allowed here`, { status: 405 });
      const name = checkName(m[1]);
      const required: Scope[] = [{ type: 'repository', name, actions: entry[0] === 'push' ? ['pull', 'push'] : [entry[0]] }];
      const from = method === 'POST' ? ctx.query.get('from') : null;
      // A challenge asks for the mount source too, so the client's token can cover it.
      const alsoAsk: Scope[] = from === null ? [] : [{ type: 'repository', name: from, actions: ['pull'] }];
      const principal = await deps.auth.authorize(ctx.req, required, alsoAsk);
      ctx.user = principal.user;
      await entry[1](ctx, deps, name, m[2] ?? '', principal);
      return;
    }
    throw regError('NAME_UNKNOWN', `no route for ${path.slice(0, 200)}`, { status: 404 });
  } catch (e) {
    if (clientWentAway(ctx, e)) {
      // Nobody is left to answer; what the upload received stays resumable (or expires).
      ctx.aborted = true;
      ctx.res.destroy();
      return;
    }
    const err = toRegistryError(e, codes);
    if (err.code === 'UNKNOWN') reportInternal(e, ctx);
    replyError(ctx, err);
  }
}


function reportInternal(e: unknown, ctx: RequestContext): void {
  process.stderr.write(`berth registry: internal error on ${ctx.method} ${ctx.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
}
