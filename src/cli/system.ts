// berth system SUBCOMMAND: df (disk usage as docker's four rows) and prune (stopped
// containers, dangling or unused images, the build cache).
import { BuildCache, buildCacheUsage, pruneBuildCache } from '../build/cache.js';
import type { CacheEntry } from '../build/cache.js';
import { diskUsageDetail, percentOf, pruneContainers, type UsageDetail, type UsageRow } from '../engine/index.js';
import { parsePruneFilters, pruneImages, splitName } from '../engine/images/index.js';
import type { LayerRecord } from '../store/index.js';
import { containerHost } from './container-common.js';
import { parseVerb, runSubcommand, type VerbSpec } from './flags.js';
import { alignColumns, checkTemplate, type FormatSpec, formatRows, goMapOrder, goTimeString, humanSize, renderTemplate, shortId, timeAgo, unitsHumanSize } from './format.js';
import type { CliContext } from './main.js';
import { cacheSection, confirm, containersSection, imagesSection, volumesSection } from './prune-common.js';
import { psFormat } from './ps.js';

/** Sub-verb -> its handler (docker's system info and events are the verbs of those names); `service` (the API server) will join them here. */
const SUBS: Record<string, (argv: string[], ctx: CliContext) => Promise<number>> = {
  df,
  prune,
  info: async (argv, ctx) => (await import('./info.js')).run(argv, ctx),
  events: async (argv, ctx) => (await import('./events.js')).run(argv, ctx),
};

const USAGE = `Usage: berth system COMMAND\n\nManage berth\n\nCommands:\n  df          Show berth disk usage\n  events      Get real time events from the engine\n  info        Display system-wide information\n  prune       Remove unused data\n`;

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommand('system', USAGE, SUBS, Object.keys(SUBS).sort(), argv, ctx);
}

const DF: VerbSpec = {
  usage: 'berth system df [OPTIONS]',
  summary: 'Show berth disk usage',
  maxArgs: 0,
  flags: [
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template ({{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}})' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
  ],
};

/** docker's `system df` table: strings in every field, as docker's JSON shows them too. */
export const DF_FORMAT: FormatSpec<UsageRow> = {
  columns: [
    { header: 'TYPE', field: '.Type' },
    { header: 'TOTAL', field: '.TotalCount' },
    { header: 'ACTIVE', field: '.Active' },
    { header: 'SIZE', field: '.Size' },
    { header: 'RECLAIMABLE', field: '.Reclaimable' },
  ],
  context: 'formatter.diskUsageImagesContext',
  headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
  view: (r) => ({
    Type: r.type,
    TotalCount: String(r.total),
    Active: String(r.active),
    Size: humanSize(r.size),
    // docker gives the build cache's without a share.
    Reclaimable: `${humanSize(r.reclaimable)}${r.type === 'Build Cache' ? '' : percentOf(r.reclaimable, r.size)}`,
  }),
};

async function df(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(DF, argv, ctx);
  if (!flags) return 0;
  const format = flags.string('format');
  const verbose = flags.bool('verbose');
  if (format !== undefined && format !== 'json') checkTemplate(format);
  const host = containerHost(ctx);
  const detail = await diskUsageDetail(host);
  const store = await host.store();
  const { kept, layers } = await store.layerUsage();
  const entries = await new BuildCache(ctx.root).list();
  const cache = buildCacheUsage(entries.map((e) => e.entry), layers, kept);
  const rows: UsageRow[] = [...detail.rows, { type: 'Build Cache', total: cache.total, active: 0, size: cache.size, reclaimable: cache.size }];
  if (verbose && format !== undefined) {
    // docker's -v with a format: one object of the four lists, each row as its table's fields.
    const doc = verboseDoc(detail, entries, layers, kept);
    ctx.out(format === 'json' ? `${JSON.stringify(doc)}\n` : `${renderTemplate(format, doc)}\n`);
    return 0;
  }
  ctx.out(verbose ? verboseDf(detail, entries, layers, kept, cache.size) : formatRows(rows, DF_FORMAT, format));
  return 0;
}

/**
 * docker's `system df -v --format json`: {"Images":[...],"Containers":[...],"Volumes":[...],
 * "BuildCache":[...]}, the rows with the fields of docker's own (its sizes in words, "N/A" for
 * what a local engine does not have).
 */
export function verboseDoc(detail: UsageDetail, cache: { key: string; entry: CacheEntry }[], layers: LayerRecord[], kept: Set<string>, now = Date.now()): Record<string, unknown> {
  const ps = psFormat(true);
  const sizeOf = new Map(layers.map((l) => [l.chainID as string, l.size]));
  return {
    Images: detail.images.map(({ record, shared, containers }) => {
      const { repository, tag } = record.names[0] ? splitName(record.names[0]) : { repository: '<none>', tag: '<none>' };
      return goMapOrder({
        Containers: String(containers),
        CreatedAt: goTimeString(record.created),
        CreatedSince: timeAgo(record.created, now),
        Digest: '',
        ID: record.id,
        Repository: repository,
        // docker's imageContext: Size to three digits, the others units.HumanSize's four.
        SharedSize: unitsHumanSize(shared),
        Size: humanSize(record.size),
        Tag: tag,
        UniqueSize: unitsHumanSize(record.size - shared),
        VirtualSize: unitsHumanSize(record.size),
      });
    }),
    Containers: detail.containers.map(({ record, size, volumes }) => goMapOrder({ ...ps.view(record), LocalVolumes: String(volumes), Size: humanSize(size) })),
    Volumes: detail.volumes.map((v) => goMapOrder({ Availability: 'N/A', Driver: 'local', Group: 'N/A', Links: String(v.links), Name: v.name, Scope: 'local', Size: humanSize(v.size), Status: 'N/A' })),
    BuildCache: cache.map(({ key, entry }) => {
      const chain = entry.layer.chainID as string;
      return goMapOrder({ CacheType: 'regular', CreatedAt: goTimeString(entry.createdAt), CreatedSince: timeAgo(entry.createdAt, now), ID: key.slice(0, 12), Shared: kept.has(chain), Size: humanSize(sizeOf.get(chain) ?? 0) });
    }),
  };
}

/** docker's `system df -v`: a table per kind, images and containers with their bytes. */
export function verboseDf(detail: UsageDetail, cache: { key: string; entry: CacheEntry }[], layers: LayerRecord[], kept: Set<string>, cacheSize: number, now = Date.now()): string {
  const table = (lines: string[]) => alignColumns(lines);
  const images = table([
    'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS',
    ...detail.images.map(({ record, shared, containers }) => {
      // docker shows an image once, by its first name.
      const { repository, tag } = record.names[0] ? splitName(record.names[0]) : { repository: '<none>', tag: '<none>' };
      return [repository, tag, shortId(record.id), timeAgo(record.created, now), humanSize(record.size), unitsHumanSize(shared), unitsHumanSize(record.size - shared), String(containers)].join('\t');
    }),
  ]);
  const ps = psFormat(false);
  const containers = table([
    'CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES',
    ...detail.containers.map(({ record, size, volumes }) => {
      const v = ps.view(record);
      return [v.ID, v.Image, v.Command, String(volumes), humanSize(size), v.RunningFor, v.Status, v.Names].join('\t');
    }),
  ]);
  const volumes = table(['VOLUME NAME\tLINKS\tSIZE', ...detail.volumes.map((v) => [v.name, String(v.links), humanSize(v.size)].join('\t'))]);
  const sizeOf = new Map(layers.map((l) => [l.chainID as string, l.size]));
  // LAST USED and USAGE: berth's build cache records neither.
  const builds = table([
    'CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED',
    ...cache.map(({ key, entry }) => {
      const chain = entry.layer.chainID as string;
      return [key.slice(0, 12), 'regular', humanSize(sizeOf.get(chain) ?? 0), timeAgo(entry.createdAt, now), '', '', String(kept.has(chain))].join('\t');
    }),
  ]);
  return `Images space usage:\n\n${images}\nContainers space usage:\n\n${containers}\nLocal Volumes space usage:\n\n${volumes}\nBuild cache usage: ${humanSize(cacheSize)}\n\n${builds}`;
}

const PRUNE: VerbSpec = {
  usage: 'berth system prune [OPTIONS]',
  summary: 'Remove stopped containers, dangling images (all unused with -a) and the build cache',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'volumes', type: 'bool', description: 'Prune anonymous volumes' },
    { name: 'filter', type: 'list', value: 'KEY=VALUE', description: 'until=TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]' },
  ],
};

export function systemPrunePrompt(all: boolean, volumes = false): string {
  const images = all ? 'all images without at least one container associated to them' : 'all dangling images';
  const vols = volumes ? '  - all anonymous volumes not used by at least one container\n' : '';
  return `WARNING! This will remove:\n  - all stopped containers\n${vols}  - ${images}\n  - unused build cache\n\nAre you sure you want to continue? [y/N] `;
}

async function prune(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(PRUNE, argv, ctx);
  if (!flags) return 0;
  const all = flags.bool('all');
  const specs = flags.filters();
  // Checked before the prompt: a bad filter is an error (125), not a question.
  const filters = parsePruneFilters(specs, Date.now());
  const withVolumes = flags.bool('volumes');
  if (!flags.bool('force') && !confirm(ctx, systemPrunePrompt(all, withVolumes))) return 0;
  const host = containerHost(ctx);
  const containers = await pruneContainers(host, {
    ...(filters.until !== undefined ? { until: new Date(filters.until) } : {}),
    labels: filters.labels,
    notLabels: filters.notLabels,
  });
  // docker's order: the containers first, so the volumes they held are unused by then.
  const volumes = withVolumes ? await host.volumes.prune(() => host.records.list(), { labels: filters.labels, notLabels: filters.notLabels }) : [];
  const store = await host.store();
  const images = await pruneImages(store, { all, filters: specs });
  const labelFilter = filters.labels.length > 0 || filters.notLabels.length > 0;
  const cache = await pruneBuildCache(store, ctx.root, { until: filters.until, labelFilter });
  ctx.out(containersSection(containers));
  ctx.out(volumesSection(volumes));
  ctx.out(imagesSection(images));
  ctx.out(cacheSection(cache.deleted, cache.pruned.layers));
  // Measured, not guessed: the writable layers' bytes before their removal, plus what each
  // store collection freed (the layers' recorded sizes and the blobs' file sizes).
  const total = containers.reduce((n, c) => n + c.size, 0) + volumes.reduce((n, v) => n + v.size, 0) + images.pruned.bytes + cache.pruned.bytes;
  ctx.out(`Total reclaimed space: ${unitsHumanSize(total)}\n`);
  return 0;
}
