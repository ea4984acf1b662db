// Docker-style flag parsing shared by every verb: -d, -it (combined shorts), --name x,
// --name=x, repeated flags, "--" to end flags, and (for run/exec) flags stop at the
// first positional so the container's own arguments pass through untouched.
import { invalidArgument } from '../internal/errors.js';
import { parseGoBool } from '../internal/go-bool.js';

/** 'int' is a string flag whose value must be a whole number, checked while parsing as docker does. */
export type FlagType = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  /** Long name without dashes: "name", "no-trunc". */
  name: string;
  /** One-letter short form without dash: "d". */
  short?: string;
  type: FlagType;
  /** Shown in help. */
  description?: string;
  /** Value placeholder in help, e.g. "NAME". */
  value?: string;
  /** Other long names accepted for this flag (kept for compatibility). */
  aliases?: string[];
}

export interface VerbSpec {
  /** "berth pull", used in messages. */
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** Stop at the first positional argument (run, exec): the rest are the command's own. */
  stopAtFirstPositional?: boolean;
  /** Minimum and maximum positional counts. */
  minArgs?: number;
  maxArgs?: number;
}

export interface ParsedFlags {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  args: string[];
  help: boolean;
}

export class Flags {
  constructor(
    private readonly parsed: ParsedFlags,
    /** The verb's spec the flags were parsed by (for errors about their values). */
    readonly spec: VerbSpec = { usage: '', summary: '', flags: [] },
  ) {}
  /**
   * A flag's value that its verb refuses once parsed, as docker's CLI says it (pflag's words
   * and the usage block, exit 125): `invalid argument "=x" for "-e, --env" flag: WHY`.
   */
  valueError(name: string, value: string, why: string): Error {
    const f = this.spec.flags.find((x) => x.name === name) ?? { name };
    return commandLineError(this.spec, invalidFlagValue(f, value, why));
  }
  /** `parse(value)`; a value it refuses is the flag's error (valueError), its why the parser's message. */
  checked<T>(name: string, value: string, parse: (value: string) => T): T {
    try {
      return parse(value);
    } catch (err) {
      throw this.valueError(name, value, err instanceof Error ? err.message : String(err));
    }
  }
  bool(name: string): boolean {
    return this.parsed.bools.get(name) ?? false;
  }
  /** Whether the flag was given at all (to tell "--x=false" from absent). */
  has(name: string): boolean {
    return this.parsed.bools.has(name) || this.parsed.strings.has(name) || this.parsed.lists.has(name);
  }
  string(name: string): string | undefined {
    return this.parsed.strings.get(name);
  }
  /** The value of an 'int' flag (already checked to be a whole number). */
  int(name: string): number | undefined {
    const v = this.parsed.strings.get(name);
    return v === undefined ? undefined : Number(v);
  }
  list(name: string): string[] {
    return this.parsed.lists.get(name) ?? [];
  }
  /**
   * docker's --filter values (its CLI's opts.FilterOpt): each NAME=VALUE, one without "=" the
   * CLI's flag error (125), before anything is looked at.
   */
  filters(name = 'filter'): string[] {
    const list = this.list(name);
    for (const f of list) if (!f.includes('=')) throw this.valueError(name, f, 'bad format of filter (expected name=value)');
    return list;
  }
  get args(): string[] {
    return this.parsed.args;
  }
  get help(): boolean {
    return this.parsed.help;
  }
}

const HELP: FlagSpec = { name: 'help', short: 'h', type: 'bool', description: 'Show this help' };

/** Every verb's --help; -h too unless the verb's own flag has it (run's and create's -h is --hostname, as docker's). */
function helpFlag(spec: VerbSpec): FlagSpec {
  return spec.flags.some((f) => f.short === 'h') ? { name: HELP.name, type: HELP.type, description: HELP.description } : HELP;
}

export function parseFlags(spec: VerbSpec, argv: string[]): Flags {
  const all = [...spec.flags, helpFlag(spec)];
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const f of all) {
    byLong.set(f.name, f);
    for (const a of f.aliases ?? []) byLong.set(a, f);
    if (f.short) byShort.set(f.short, f);
  }
  const out: ParsedFlags = { bools: new Map(), strings: new Map(), lists: new Map(), args: [], help: false };
  const fail = (message: string) => commandLineError(spec, message);
  const set = (f: FlagSpec, value: string | undefined, shown: string) => {
    if (f.type === 'bool') {
      // Go's strconv.ParseBool, as pflag takes a bool's value.
      const b = value === undefined ? true : parseGoBool(value);
      if (b === undefined) throw fail(invalidFlagValue(f, value as string, `strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`));
      out.bools.set(f.name, b);
    } else if (value === undefined) {
      throw fail(`flag needs an argument: ${shown}`);
    } else if (f.type === 'int') {
      // Go's strconv.ParseInt (64 bits), as pflag takes an int's value.
      if (!/^[+-]?\d+$/.test(value)) throw fail(invalidFlagValue(f, value, `strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`));
      if (!Number.isSafeInteger(Number(value))) throw fail(invalidFlagValue(f, value, `strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`));
      out.strings.set(f.name, value);
    } else if (f.type === 'string') {
      out.strings.set(f.name, value);
    } else {
      const l = out.lists.get(f.name) ?? [];
      l.push(value);
      out.lists.set(f.name, l);
    }
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      const f = byLong.get(name);
      if (!f) throw fail(`unknown flag: --${name}`);
      if (eq !== -1) set(f, a.slice(eq + 1), `--${name}`);
      else if (f.type === 'bool') set(f, undefined, `--${name}`);
      else {
        if (i + 1 >= argv.length) throw fail(`flag needs an argument: --${name}`);
        set(f, argv[++i], `--${name}`);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // Combined shorts: -it, -p8080:80, -e=X
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const f = byShort.get(c);
        // pflag names the shorthands from this one on: -dZ is "'Z' in -Z".
        if (!f) throw fail(`unknown shorthand flag: '${c}' in -${a.slice(j)}`);
        if (f.type === 'bool') {
          // pflag's "-d=false": the rest after "=" is the value.
          if (a[j + 1] === '=') {
            set(f, a.slice(j + 2), `-${c}`);
            break;
          }
          set(f, undefined, `-${c}`);
          continue;
        }
        let rest = a.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        if (rest.length > 0) set(f, rest, `-${c}`);
        else {
          if (i + 1 >= argv.length) throw fail(`flag needs an argument: '${c}' in -${c}`);
          set(f, argv[++i], `-${c}`);
        }
        break;
      }
      continue;
    }
    out.args.push(a);
    if (spec.stopAtFirstPositional) {
      i++;
      break;
    }
  }
  out.args.push(...argv.slice(i));
  out.help = out.bools.get('help') ?? false;
  if (!out.help) {
    const min = spec.minArgs ?? 0;
    const max = spec.maxArgs ?? Number.POSITIVE_INFINITY;
    if (out.args.length < min || out.args.length > max) {
      // docker's phrasing, by the verb's bounds.
      const n = (k: number) => `${k} argument${k === 1 ? '' : 's'}`;
      if (max === 0) throw argCountError(spec, 'accepts no arguments');
      if (min === max) throw argCountError(spec, `requires ${n(min)}`);
      if (max === Number.POSITIVE_INFINITY) throw argCountError(spec, `requires at least ${n(min)}`, 'See');
      if (min === 0) throw argCountError(spec, `requires at most ${n(max)}`);
      throw argCountError(spec, `requires at least ${min} and at most ${n(max)}`);
    }
  }
  return new Flags(out, spec);
}

/** The command a usage line names: "berth logs" of "berth logs [OPTIONS] CONTAINER". */
function commandOf(usage: string): string {
  const words = usage.split(' ');
  const end = words.findIndex((w, i) => i > 0 && !/^[a-z][a-z-]*$/.test(w));
  return (end === -1 ? words : words.slice(0, end)).join(' ');
}

/** docker's usage block under a command line's error: the usage line, then where the help is. */
function usageBlock(usage: string, see = 'Run'): string {
  return `\n\nUsage:  ${usage}\n\n${see} '${commandOf(usage)} --help' for more information`;
}

/**
 * Too few or too many arguments, in docker CLI 28's words, printed as they are: "berth: 'berth
 * tag' requires 2 arguments", its usage line, where its help is ("See" after "at least", as
 * docker's says it). docker's CLI exits 1 for these, where a bad flag is 125.
 */
function argCountError(spec: VerbSpec, what: string, see?: string): Error {
  const command = commandOf(spec.usage);
  return printedAsIs(plainCliError(invalidArgument(`${command.split(' ')[0]}: '${command}' ${what}${usageBlock(spec.usage, see)}`)));
}

/** The error parseFlags gives a verb with no upper bound called with fewer than `min` arguments (for a verb whose bound depends on a flag). */
export function tooFewArguments(spec: VerbSpec, min: number): Error {
  return argCountError(spec, `requires at least ${min} argument${min === 1 ? '' : 's'}`, 'See');
}

/** pflag's words for a flag's bad value: `invalid argument "V" for "-t, --timeout" flag: WHY`. */
export function invalidFlagValue(f: Pick<FlagSpec, 'name' | 'short'>, value: string, why: string): string {
  return `invalid argument ${JSON.stringify(value)} for "${f.short ? `-${f.short}, ` : ''}--${f.name}" flag: ${why}`;
}

/**
 * A flag the command line gets wrong, as docker's CLI says it (pflag's words, then the usage
 * block, with no "Error:" before them) and exits (125). For the global flags too, with the
 * CLI's own usage line.
 */
export function commandLineError(spec: Pick<VerbSpec, 'usage'>, message: string): Error {
  return printedAsIs(usageError(invalidArgument(`${message}${usageBlock(spec.usage)}`)));
}

/** Marks an error docker's CLI prints as it is, its own words saying it is one ("Error parsing reference: ..."). */
export function printedAsIs<E>(err: E): E {
  if (err instanceof Error) Object.assign(err, { bare: true });
  return err;
}

/** Whether the error is printed as it is, with no "Error: " before it (commandLineError, printedAsIs). */
export function isBareError(err: unknown): boolean {
  return (err as { bare?: unknown } | null)?.bare === true;
}

/**
 * Marks an error docker's CLI returns as a plain error (a wrong count of arguments, -a with -d):
 * it exits 1 for every verb, run's too, where its flag errors and run's failures are 125.
 */
export function plainCliError<E>(err: E): E {
  if (err instanceof Error) Object.assign(err, { plainCli: true });
  return err;
}

/** Whether plainCliError marked the error. */
export function isPlainCliError(err: unknown): boolean {
  return (err as { plainCli?: unknown } | null)?.plainCli === true;
}

/**
 * parseFlags for a verb: with -h/--help it writes the verb's help to `out` and returns
 * undefined, and the verb returns 0. Every verb starts this way.
 */
export function parseVerb(spec: VerbSpec, argv: string[], ctx: { out(text: string): void }): Flags | undefined {
  let flags: Flags;
  try {
    flags = parseFlags(spec, argv);
  } catch (err) {
    throw usageError(err);
  }
  if (!flags.help) return flags;
  ctx.out(helpText(spec));
  return undefined;
}

/**
 * Marks an error as the command line's own (a bad flag or value, caught before anything is
 * asked of the engine): docker's CLI exits 125 for those, 1 for the rest of a verb's failures.
 */
export function usageError<T>(err: T): T {
  // One already marked `usage: false` is the engine's own (docker's daemon's) refusal: kept so.
  if (err instanceof Error && (err as { usage?: unknown }).usage !== false) Object.assign(err, { usage: true });
  return err;
}

/** Whether usageError marked it. */
export function isUsageError(err: unknown): boolean {
  return (err as { usage?: unknown } | null)?.usage === true;
}

export function helpText(spec: VerbSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, ''];
  if (spec.flags.length > 0) {
    lines.push('Options:');
    for (const f of [...spec.flags, helpFlag(spec)]) {
      const left = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.type === 'bool' ? '' : ` ${f.value ?? (f.type === 'int' ? 'int' : 'string')}`}`;
      lines.push(`  ${left.padEnd(30)} ${f.description ?? ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A verb made of sub-commands (volume, system, builder): none or help prints `usage` (125
 * without one, as docker's), else the sub-command named runs with the rest; an unknown one is
 * an error that lists `known`.
 */
export function runSubcommand<C extends { out(text: string): void }>(
  verb: string,
  usage: string,
  subs: Record<string, (argv: string[], ctx: C) => Promise<number>>,
  known: string[],
  argv: string[],
  ctx: C,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    ctx.out(usage);
    return Promise.resolve(sub === undefined ? 125 : 0);
  }
  const handler = Object.hasOwn(subs, sub) ? subs[sub] : undefined;
  if (!handler) throw invalidArgument(`berth ${verb}: unknown command "${sub}"; known: ${known.join(', ')}`);
  return handler(rest, ctx);
}
