// The berth CLI: global flags, then one lazily imported module per verb, so that
// `berth version` loads almost nothing. Each verb module exports `run(argv, ctx)`; the frame
// that parses global flags and dispatches is ./cli.ts.
import { type CliContext, runCli, type VerbModule, type VerbTable } from './cli.js';

export type { CliContext, VerbModule, VerbTable };
export { EXIT_ENGINE_ERROR, exitCodeFor, reportError } from './cli.js';

/**
 * Verb name -> module. The verb NAME lives in ./NAME.ts (scripts/bundle-cli.mjs gives each its
 * own bundle by that rule). Multi-word verbs ("registry serve") are resolved by the group module.
 */
const VERBS: VerbTable = {
  version: () => import('./version.js'),
  info: () => import('./info.js'),
  registry: () => import('./registry.js'),
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  images: () => import('./images.js'),
  image: () => import('./image.js'),
  tag: () => import('./tag.js'),
  untag: () => import('./untag.js'),
  rmi: () => import('./rmi.js'),
  history: () => import('./history.js'),
  search: () => import('./search.js'),
  tags: () => import('./tags.js'),
  login: () => import('./login.js'),
  logout: () => import('./logout.js'),
  save: () => import('./save.js'),
  load: () => import('./load.js'),
  import: () => import('./import.js'),
  run: () => import('./run.js'),
  create: () => import('./create.js'),
  start: () => import('./start.js'),
  ps: () => import('./ps.js'),
  logs: () => import('./logs.js'),
  events: () => import('./events.js'),
  exec: () => import('./exec.js'),
  attach: () => import('./attach.js'),
  stop: () => import('./stop.js'),
  kill: () => import('./kill.js'),
  restart: () => import('./restart.js'),
  pause: () => import('./pause.js'),
  unpause: () => import('./unpause.js'),
  rm: () => import('./rm.js'),
  wait: () => import('./wait.js'),
  inspect: () => import('./inspect.js'),
  top: () => import('./top.js'),
  stats: () => import('./stats.js'),
  rename: () => import('./rename.js'),
  port: () => import('./port.js'),
  update: () => import('./update.js'),
  cp: () => import('./cp.js'),
  diff: () => import('./diff.js'),
  commit: () => import('./commit.js'),
  export: () => import('./export.js'),
  mount: () => import('./mount.js'),
  container: () => import('./container.js'),
  build: () => import('./build.js'),
  builder: () => import('./builder.js'),
  system: () => import('./system.js'),
  volume: () => import('./volume.js'),
  network: () => import('./network.js'),
  healthcheck: () => import('./healthcheck.js'),
};

/** Every verb: the table above (scripts/bundle-cli.mjs reads it to bundle each verb alone). */
export function verbTable(): VerbTable {
  return VERBS;
}

/** Runs one command line against every verb (`io`: the text output, for runCli). */
export function main(argv: string[], io?: Parameters<typeof runCli>[2]): Promise<number> {
  return runCli(argv, VERBS, io);
}
