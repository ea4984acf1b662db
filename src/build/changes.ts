// commit's and import's -c/--change: Dockerfile instructions that edit the new image's config.
// As docker does, the changes are joined into one Dockerfile (one instruction a line), checked
// before any work, and applied in order with the config's own Env for $VARIABLES.
import { invalidArgument } from '../internal/errors.js';
import type { ContainerConfig } from '../image/index.js';
import { applyConfigInstruction, type ConfigScope } from './config-edit.js';
import { type Instruction, parseInstruction } from './parser/instructions.js';
import { lexContainerfile } from './parser/lexer.js';
import { expandWord, expandWords, type Lookup } from './parser/shell-lex.js';

/** docker's commit and import accept these (and podman's STOPSIGNAL): the config-only instructions. */
const CHANGE_KEYWORDS = ['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir'];

/** Edits a config in place. */
export type ConfigEdit = (config: ContainerConfig) => void;

const FILE = '--change';

/**
 * Parses the changes into one edit, or fails on the first bad one (docker's "X is not a valid
 * change command", a missing argument, bad JSON). The edit throws for values bad only once
 * expanded (a port out of range): commit applies it before any work.
 */
export function parseChanges(changes: string[]): ConfigEdit {
  if (changes.length === 0) return () => {};
  const lexed = lexContainerfile(changes.join('\n'), FILE);
  if (lexed.instructions.length === 0) throw invalidArgument(`invalid --change: no instruction in ${JSON.stringify(changes.join('\n'))}`);
  const instructions: Instruction[] = lexed.instructions.map((raw) => {
    const text = `${raw.original} ${raw.rest}`.trim();
    if (!CHANGE_KEYWORDS.includes(raw.keyword)) {
      // dockerd's words, the keyword as its parser keeps it (lower case).
      throw invalidArgument(`${raw.keyword} is not a valid change command`);
    }
    try {
      return parseInstruction(raw, lexed.escapeChar);
    } catch (err) {
      throw changeError(text, err);
    }
  });
  return (config) => {
    const lookup: Lookup = (name) => {
      let value: string | undefined;
      for (const e of config.Env ?? []) if (e.startsWith(`${name}=`)) value = e.slice(name.length + 1);
      return value;
    };
    const scope: ConfigScope = {
      expand: (word) => expandWord(word, lookup, { escapeChar: lexed.escapeChar }),
      expandList: (words) => words.flatMap((w) => expandWords(w, lookup, { escapeChar: lexed.escapeChar })),
      cmdFromBase: true,
    };
    for (const inst of instructions) {
      try {
        applyConfigInstruction(config, inst, scope);
      } catch (err) {
        throw changeError(inst.text, err);
      }
    }
  };
}

function changeError(text: string, err: unknown): Error {
  const message = (err as Error).message.replace(new RegExp(`^${FILE}:\\d+: `), '');
  return invalidArgument(`invalid --change "${text}": ${message}`);
}
