// Builder images (the source-to-image pattern): a builder image carries the toolchain and an
// assemble script; the developer's source is copied in, assembled, and the result committed
// with the builder's run script as its command. Expressed as a generated Containerfile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidArgument, isBerthError } from '../internal/errors.js';
import { pullImage } from '../engine/images/index.js';
import { type ImageConfig, parseImageConfig } from '../image/index.js';
import type { Store } from '../store/index.js';

/** Labels s2i builder images set (OpenShift's names, which builder images in the wild carry). */
export const S2I_SCRIPTS_LABEL = 'io.openshift.s2i.scripts-url';
export const S2I_DESTINATION_LABEL = 'io.openshift.s2i.destination';
const DEFAULT_SCRIPTS = '/usr/libexec/s2i';
const DEFAULT_DESTINATION = '/tmp';

/**
 * The Containerfile that assembles `sourceDir` with builder `image` (its config given):
 * source copied to <destination>/src owned by the builder's user, `.s2i/environment` as ENV,
 * `.s2i/bin/assemble` or the builder's assemble run, the builder's `run` as CMD.
 */
export function builderContainerfile(image: string, config: ImageConfig, sourceDir: string): string {
  const labels = config.config?.Labels ?? {};
  const scriptsUrl = labels[S2I_SCRIPTS_LABEL] ?? `image://${DEFAULT_SCRIPTS}`;
  if (!scriptsUrl.startsWith('image://')) {
    throw invalidArgument(`cannot use builder ${image}: scripts URL ${scriptsUrl} is not inside the image (image://...)`);
  }
  const scripts = scriptsUrl.slice('image://'.length).replace(/\/+$/, '') || '/';
  const destination = (labels[S2I_DESTINATION_LABEL] ?? DEFAULT_DESTINATION).replace(/\/+$/, '');
  const user = config.config?.User;
  const lines = [`FROM ${image}`];
  const envFile = path.join(sourceDir, '.s2i', 'environment');
  if (fs.existsSync(envFile)) {
    for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const eq = t.indexOf('=');
      if (eq <= 0) throw invalidArgument(`cannot read ${envFile}: "${t}" is not NAME=VALUE`);
      lines.push(`ENV ${t.slice(0, eq)}=${JSON.stringify(t.slice(eq + 1))}`);
    }
  }
  lines.push(`COPY${user ? ` --chown=${user}` : ''} . ${destination}/src`);
  const own = fs.existsSync(path.join(sourceDir, '.s2i', 'bin', 'assemble'));
  lines.push(`RUN ${JSON.stringify([own ? `${destination}/src/.s2i/bin/assemble` : `${scripts}/assemble`])}`);
  const ownRun = fs.existsSync(path.join(sourceDir, '.s2i', 'bin', 'run'));
  lines.push(`CMD ${JSON.stringify([ownRun ? `${destination}/src/.s2i/bin/run` : `${scripts}/run`])}`);
  return `${lines.join('\n')}\n`;
}

/** The builder image's config, pulled into the store when it is not there. */
export async function builderConfig(store: Store, image: string, options: { signal?: AbortSignal } = {}): Promise<ImageConfig> {
  let rec = await store.resolveImage(image).catch((err: unknown) => {
    if (isBerthError(err, 'not-found')) return undefined;
    throw err;
  });
  rec ??= (await pullImage(store, image, { signal: options.signal })).record;
  return parseImageConfig(await store.content.readBlob(rec.config.digest));
}
