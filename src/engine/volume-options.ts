// docker's `local` volume driver options: `volume create -o type=T -o device=D -o o=OPTIONS`
// (and --mount's volume-opt=, compose's driver_opts). A volume with a type is a file system
// mounted (mount(2): source device, type T, OPTIONS split into mount flags and data) on its _data
// dir while containers use it; type=none,o=bind,device=/host/dir binds a host dir there. This
// file checks the options at create, splits OPTIONS and mounts; volumes.ts keeps the options
// and decides when to mount and unmount.
import { errnoText, internal, invalidArgument } from '../internal/errors.js';
import {
  MNT_DETACH,
  MS_BIND,
  MS_DIRSYNC,
  MS_I_VERSION,
  MS_LAZYTIME,
  MS_MANDLOCK,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SILENT,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
  MS_UNBINDABLE,
  mount,
  umount2,
} from '../internal/sys.js';
import { parseBytes } from '../runtime/cgroups.js';

/** The keys docker 20.10's local driver takes; `size` asks for an XFS project quota. */
const KEYS = ['type', 'device', 'o', 'size'];

/** Each key and the keys it needs (docker's order: o names device before type). */
const NEEDS: [string, string[]][] = [
  ['type', ['device']],
  ['device', ['type']],
  ['o', ['device', 'type']],
];

/**
 * The options as the volume keeps them (keys sorted, as docker's map prints), or a refusal in
 * docker's words: `invalid option: "KEY"` for a key the driver does not know, `missing required
 * option: "KEY"` when type, device or o comes without the others it needs, and for a size other
 * than 0 `quota size requested but no quota support` (berth sets no quotas). `volume` is the
 * volume's name, docker's prefix of each message.
 */
export function checkVolumeOptions(volume: string, options: Record<string, string>): Record<string, string> {
  const keys = Object.keys(options);
  for (const k of keys) if (!KEYS.includes(k)) throw invalidArgument(`create ${volume}: invalid option: ${JSON.stringify(k)}`);
  if (options.size !== undefined) {
    let bytes: number;
    try {
      bytes = parseBytes(options.size);
    } catch {
      throw invalidArgument(`create ${volume}: invalid size: '${options.size}'`);
    }
    if (bytes !== 0) throw invalidArgument(`create ${volume}: quota size requested but no quota support`);
  }
  for (const [key, needed] of NEEDS) {
    if (!(key in options)) continue;
    for (const n of needed) if (!(n in options)) throw invalidArgument(`create ${volume}: missing required option: ${JSON.stringify(n)}`);
  }
  return Object.fromEntries(keys.sort().map((k) => [k, options[k]]));
}

/** Whether a volume with these options is a mount (a type or device given), not a plain directory. */
export function mountsFileSystem(options: Record<string, string> | null | undefined): boolean {
  return !!options && (!!options.type || !!options.device);
}

/** mount(8)'s generic options: the flag each sets, or clears. */
const FLAG_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  defaults: {},
  ro: { set: MS_RDONLY },
  rw: { clear: MS_RDONLY },
  nosuid: { set: MS_NOSUID },
  suid: { clear: MS_NOSUID },
  nodev: { set: MS_NODEV },
  dev: { clear: MS_NODEV },
  noexec: { set: MS_NOEXEC },
  exec: { clear: MS_NOEXEC },
  sync: { set: MS_SYNCHRONOUS },
  async: { clear: MS_SYNCHRONOUS },
  dirsync: { set: MS_DIRSYNC },
  remount: { set: MS_REMOUNT },
  mand: { set: MS_MANDLOCK },
  nomand: { clear: MS_MANDLOCK },
  noatime: { set: MS_NOATIME },
  atime: { clear: MS_NOATIME },
  nodiratime: { set: MS_NODIRATIME },
  diratime: { clear: MS_NODIRATIME },
  relatime: { set: MS_RELATIME },
  norelatime: { clear: MS_RELATIME },
  strictatime: { set: MS_STRICTATIME },
  nostrictatime: { clear: MS_STRICTATIME },
  lazytime: { set: MS_LAZYTIME },
  nolazytime: { clear: MS_LAZYTIME },
  iversion: { set: MS_I_VERSION },
  noiversion: { clear: MS_I_VERSION },
  silent: { set: MS_SILENT },
  loud: { clear: MS_SILENT },
  bind: { set: MS_BIND },
  rbind: { set: MS_BIND | MS_REC },
};

/** The propagation options: applied by a second mount(2) call, after the mount itself. */
const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
};

export interface MountOptions {
  /** mount(2)'s flags for the mount itself. */
  flags: number;
  /** A propagation change after it (0: none). */
  propagation: number;
  /** The file system's own options, in the order given (mount(2)'s data). */
  data: string;
}

/**
 * Splits `o=` as mount(8) does: the generic options (ro, nosuid, nodev, noexec, bind, ...) become
 * mount flags, in order (a later rw undoes an earlier ro), the propagation ones a second call,
 * and the rest (size=1m, uid=5, addr=...) the file system's data, comma-joined as given.
 */
export function parseMountOptions(o: string): MountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of o.split(',')) {
    if (opt === '') continue;
    const f = FLAG_OPTIONS[opt];
    if (f) {
      flags = (flags | (f.set ?? 0)) & ~(f.clear ?? 0);
      continue;
    }
    const p = PROPAGATION_OPTIONS[opt];
    if (p !== undefined) propagation |= p;
    else data.push(opt);
  }
  return { flags, propagation, data: data.join(',') };
}

/**
 * An nfs volume's addr= may name a host: the kernel takes an address only, so docker looks the
 * name up first; `lookup` resolves one (the first address). Other types are left as they are.
 */
export async function resolveNfsAddress(type: string, o: string, lookup: (host: string) => Promise<string>): Promise<string> {
  if (type !== 'nfs') return o;
  const parts = o.split(',');
  const i = parts.findIndex((p) => p.startsWith('addr='));
  if (i < 0) return o;
  const host = parts[i].slice('addr='.length);
  if (host === '' || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')) return o;
  parts[i] = `addr=${await lookup(host)}`;
  return parts.join(',');
}

/** The text of mount(2)'s failure as docker's mount package prints it: "OP SOURCE:TARGET, flags: 0x.., data: ..: ERROR". */
function mountFailure(op: string, source: string, target: string, flags: number, data: string, err: unknown): string {
  let text = `${op} ${source ? `${source}:${target}` : target}`;
  if (flags !== 0) text += `, flags: 0x${flags.toString(16)}`;
  if (data !== '') text += `, data: ${data}`;
  return `${text}: ${errnoText(err)}`;
}


/**
 * Mounts the volume's file system on `target` (its _data dir): mount(2) with the flags and data
 * of `o`, then the propagation change, then for a read-only bind the remount that makes it
 * read-only (the kernel ignores MS_RDONLY on a bind's first mount). A step that fails undoes
 * the ones before, so nothing stays mounted; the error is docker's: "failed to mount local
 * volume: mount DEVICE:TARGET, flags: 0x.., data: ...: ERRNO TEXT".
 */
export async function mountVolume(options: Record<string, string>, target: string, lookup?: (host: string) => Promise<string>): Promise<void> {
  const device = options.device ?? '';
  const type = options.type ?? '';
  if (device === '') throw invalidArgument('missing device in volume options');
  const resolver = lookup ?? (async (host: string) => (await (await import('node:dns')).promises.lookup(host, { family: 4 })).address);
  let o: string;
  try {
    o = await resolveNfsAddress(type, options.o ?? '', resolver);
  } catch (err) {
    throw internal(`failed to mount local volume: error resolving passed in network volume address: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { flags, propagation, data } = parseMountOptions(o);
  try {
    mount(device, target, type, flags, data);
  } catch (err) {
    throw internal(`failed to mount local volume: ${mountFailure('mount', device, target, flags, data, err)}`, { cause: err });
  }
  const readonlyBind = (flags & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY);
  const steps: [string, number][] = [];
  if (propagation !== 0) steps.push(['remount', propagation]);
  if (readonlyBind) steps.push(['remount-ro', flags | MS_REMOUNT]);
  for (const [op, stepFlags] of steps) {
    try {
      mount('', target, '', stepFlags, '');
    } catch (err) {
      unmountVolume(target);
      throw internal(`failed to mount local volume: ${mountFailure(op, '', target, stepFlags, '', err)}`, { cause: err });
    }
  }
}

/**
 * Unmounts whatever is mounted on `target` (mounts stacked there too); busy ones are detached
 * (gone from the tree at once, freed once the last user lets go). True when something was.
 */
export function unmountVolume(target: string): boolean {
  let any = false;
  for (let i = 0; i < 8; i++) {
    try {
      umount2(target, 0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return any;
      if (code !== 'EBUSY') throw err;
      umount2(target, MNT_DETACH);
    }
    any = true;
  }
  return any;
}
