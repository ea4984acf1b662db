// Raw instructions -> typed instructions: flags (--from, --chown, --chmod, --platform,
// --checksum, ...), JSON (exec) versus shell forms, name=value lists; words stay unexpanded.
import { type Heredoc, lexContainerfile, parseError, type RawInstruction } from './lexer.js';

export interface Where {
  file: string;
  line: number;
  /** The instruction as written (continuations joined), for history and messages. */
  text: string;
}

export type CommandForm = { exec: true; args: string[] } | { exec: false; command: string };

export type Instruction = Where &
  (
    | { kind: 'from'; image: string; name?: string; platform?: string }
    | { kind: 'run'; command: CommandForm; heredocs: Heredoc[]; network?: string }
    | {
        kind: 'copy' | 'add';
        /** Sources then the destination, unexpanded; `json` when written as a JSON array. */
        words: string[];
        json: boolean;
        heredocs: Heredoc[];
        from?: string;
        chown?: string;
        chmod?: string;
        checksum?: string;
        exclude: string[];
        link: boolean;
      }
    | { kind: 'env' | 'label'; pairs: { key: string; value: string }[] }
    | { kind: 'arg'; args: { name: string; value?: string }[] }
    | { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string }
    | { kind: 'cmd' | 'entrypoint'; command: CommandForm }
    | { kind: 'expose'; words: string[] }
    | { kind: 'volume'; words: string[]; json: boolean }
    | { kind: 'shell'; args: string[] }
    | {
        kind: 'healthcheck';
        test: CommandForm | 'none';
        interval?: string;
        timeout?: string;
        startPeriod?: string;
        startInterval?: string;
        retries?: string;
      }
    | { kind: 'onbuild'; trigger: string; inner: Instruction }
  );

export interface Containerfile {
  directives: Record<string, string>;
  escapeChar: string;
  /** ARG instructions before the first FROM (global build args). */
  globalArgs: Extract<Instruction, { kind: 'arg' }>[];
  stages: Stage[];
}

export interface Stage {
  index: number;
  /** Lower-cased `AS name`, if any. */
  name?: string;
  from: Extract<Instruction, { kind: 'from' }>;
  instructions: Instruction[];
}

const FLAGS: Record<string, string[]> = {
  from: ['platform'],
  run: ['network', 'mount', 'security'],
  copy: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
  add: ['chown', 'chmod', 'checksum', 'keep-git-dir', 'link', 'exclude'],
  healthcheck: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

/** Parses a whole Containerfile into global ARGs and stages. Errors name file and line. */
export function parseContainerfile(text: string, file = 'Containerfile'): Containerfile {
  const lexed = lexContainerfile(text, file);
  const globalArgs: Extract<Instruction, { kind: 'arg' }>[] = [];
  const stages: Stage[] = [];
  for (const raw of lexed.instructions) {
    const inst = parseInstruction(raw, lexed.escapeChar);
    if (inst.kind === 'from') {
      const name = inst.name;
      if (name !== undefined && stages.some((s) => s.name === name)) {
        throw parseError(file, raw.line, `duplicate stage name "${name}"`);
      }
      stages.push({ index: stages.length, name, from: inst, instructions: [] });
    } else if (stages.length === 0) {
      if (inst.kind !== 'arg') throw parseError(file, raw.line, `${raw.original.toUpperCase()} before the first FROM: only ARG may come first`);
      globalArgs.push(inst);
    } else stages[stages.length - 1].instructions.push(inst);
  }
  if (stages.length === 0) throw parseError(file, 1, 'no FROM instruction: a Containerfile needs at least one stage');
  return { directives: lexed.directives, escapeChar: lexed.escapeChar, globalArgs, stages };
}

export function parseInstruction(raw: RawInstruction, escapeChar: string): Instruction {
  const err = (m: string) => parseError(raw.file, raw.line, `${raw.original.toUpperCase()}: ${m}`);
  const where: Where = { file: raw.file, line: raw.line, text: `${raw.original.toUpperCase()} ${raw.rest}`.trim() };
  const { flags, rest } = takeFlags(raw.rest, FLAGS[raw.keyword] ?? [], err);
  const one = (name: string) => {
    const v = flags.get(name);
    if (v && v.length > 1) throw err(`--${name} given more than once`);
    return v?.[0];
  };
  const needArgs = () => {
    if (rest === '' && raw.heredocs.length === 0) throw err('requires at least one argument');
  };
  switch (raw.keyword) {
    case 'from': {
      const words = splitRaw(rest, escapeChar);
      if (words.length !== 1 && !(words.length === 3 && words[1].toLowerCase() === 'as')) {
        throw err('requires either one or three arguments: FROM IMAGE [AS NAME]');
      }
      const name = words[2]?.toLowerCase();
      if (name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name)) throw err(`invalid stage name "${words[2]}": use letters, digits, . _ -`);
      return { ...where, kind: 'from', image: words[0], name, platform: one('platform') };
    }
    case 'run': {
      needArgs();
      if (flags.has('mount') || flags.has('security')) throw err('--mount and --security are not supported by berth build yet');
      return { ...where, kind: 'run', command: commandForm(rest, err), heredocs: raw.heredocs, network: one('network') };
    }
    case 'copy':
    case 'add': {
      if (flags.has('parents') || flags.has('exclude')) throw err('--parents and --exclude are not supported by berth build yet');
      const arr = jsonArray(rest, err);
      const words = arr ?? splitRaw(rest, escapeChar);
      if (words.length < 2) throw err('requires at least two arguments: SOURCE... DEST');
      const bool = (n: string) => flags.has(n) && one(n) !== 'false';
      return {
        ...where,
        kind: raw.keyword,
        words,
        json: arr !== undefined,
        heredocs: raw.heredocs,
        from: one('from'),
        chown: one('chown'),
        chmod: one('chmod'),
        checksum: one('checksum'),
        exclude: flags.get('exclude') ?? [],
        link: bool('link'),
      };
    }
    case 'env':
    case 'label':
      needArgs();
      return { ...where, kind: raw.keyword, pairs: nameValues(rest, escapeChar, raw.keyword === 'env', err) };
    case 'arg': {
      needArgs();
      const args = splitRaw(rest, escapeChar).map((w) => {
        const eq = w.indexOf('=');
        const name = eq === -1 ? w : w.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw err(`invalid build argument name "${name}"`);
        return eq === -1 ? { name } : { name, value: w.slice(eq + 1) };
      });
      return { ...where, kind: 'arg', args };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
      needArgs();
      if (raw.keyword !== 'maintainer' && raw.keyword !== 'workdir' && splitRaw(rest, escapeChar).length !== 1) {
        throw err('requires exactly one argument');
      }
      return { ...where, kind: raw.keyword, value: rest };
    case 'cmd':
    case 'entrypoint':
      return { ...where, kind: raw.keyword, command: commandForm(rest, err) };
    case 'expose':
      needArgs();
      return { ...where, kind: 'expose', words: splitRaw(rest, escapeChar) };
    case 'volume': {
      needArgs();
      const arr = jsonArray(rest, err);
      return { ...where, kind: 'volume', words: arr ?? splitRaw(rest, escapeChar), json: arr !== undefined };
    }
    case 'shell': {
      const arr = jsonArray(rest, err);
      if (!arr || arr.length === 0) throw err('requires the arguments to be in JSON form: SHELL ["executable", "parameters"]');
      return { ...where, kind: 'shell', args: arr };
    }
    case 'healthcheck': {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!m) throw err('requires NONE or CMD followed by a command');
      const type = m[1].toUpperCase();
      if (type === 'NONE') {
        if (m[2] !== '' || flags.size > 0) throw err('NONE takes no other arguments or flags');
        return { ...where, kind: 'healthcheck', test: 'none' };
      }
      if (type !== 'CMD') throw err(`unknown type "${m[1]}": use CMD or NONE`);
      if (m[2] === '') throw err('CMD needs a command');
      return {
        ...where,
        kind: 'healthcheck',
        test: commandForm(m[2], err),
        interval: one('interval'),
        timeout: one('timeout'),
        startPeriod: one('start-period'),
        startInterval: one('start-interval'),
        retries: one('retries'),
      };
    }
    case 'onbuild': {
      needArgs();
      const innerKeyword = /^\S+/.exec(rest)![0].toLowerCase();
      if (['onbuild', 'from', 'maintainer'].includes(innerKeyword)) throw err(`${innerKeyword.toUpperCase()} is not allowed as an ONBUILD trigger`);
      const innerRest = rest.slice(innerKeyword.length).trim();
      const inner = parseInstruction({ ...raw, keyword: innerKeyword, original: /^\S+/.exec(rest)![0], rest: innerRest }, escapeChar);
      return { ...where, kind: 'onbuild', trigger: rest, inner };
    }
    default:
      throw parseError(raw.file, raw.line, `unknown instruction: ${raw.original}`);
  }
}

/** Leading --name[=value] words; an unknown flag is an error naming it. */
function takeFlags(text: string, allowed: string[], err: (m: string) => Error): { flags: Map<string, string[]>; rest: string } {
  const flags = new Map<string, string[]>();
  let rest = text;
  for (;;) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!m) break;
    if (!allowed.includes(m[1])) throw err(`unknown flag: --${m[1]}`);
    const list = flags.get(m[1]) ?? [];
    list.push(m[2] ?? 'true');
    flags.set(m[1], list);
    rest = rest.slice(m[0].length);
  }
  return { flags, rest: rest.trim() };
}

/**
 * A JSON array of strings, undefined for shell form. Text that is clearly meant as JSON
 * (`["...`) but is not valid, or holds non-strings, is an error rather than a silent
 * fall-back to shell form (docker's behaviour, which runs the brackets as a command).
 */
function jsonArray(text: string, err: (m: string) => Error): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (/^\[\s*"/.test(text)) throw err(`cannot parse JSON array ${text.slice(0, 80)}: ${(e as Error).message}`);
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) throw err('JSON array must hold only strings');
  return value as string[];
}

function commandForm(text: string, err: (m: string) => Error): CommandForm {
  const arr = jsonArray(text, err);
  return arr ? { exec: true, args: arr } : { exec: false, command: text };
}

/** Splits at blanks outside quotes, keeping quotes and escapes in the words (docker's parseWords). */
export function splitRaw(text: string, escapeChar: string): string[] {
  const out: string[] = [];
  let word = '';
  let quote = '';
  let inWord = false;
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (quote === '' && /\s/.test(ch)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escapeChar && quote !== "'" && i + 1 < chars.length) {
      word += ch + chars[++i];
      continue;
    }
    if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
    else if (quote === ch) quote = '';
    word += ch;
  }
  if (inWord) out.push(word);
  return out;
}

/** ENV/LABEL: `k=v k2="v 2"`, or the legacy `KEY value with spaces` (one pair). */
function nameValues(text: string, escapeChar: string, isEnv: boolean, err: (m: string) => Error) {
  const words = splitRaw(text, escapeChar);
  if (!words[0].includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(text);
    if (!m) throw err(`${isEnv ? 'ENV' : 'LABEL'} ${words[0]} needs a value: use KEY=VALUE`);
    return [{ key: m[1], value: m[2].trim() }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw err(`"${w}" is not of the form KEY=VALUE`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}
