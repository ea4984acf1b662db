// `inspect -f` as docker's CLI runs it (its TemplateInspector): the template over the document
// decoded into docker's Go types (docker-types.ts); on an execution error, again over the raw
// JSON as maps with missingkey=error; its errors and parse errors in docker's words.

import { isBerthError } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import type { GoType } from './go-types.js';
import { withGoType } from './go-types.js';
import { compileTemplate } from './format.js';
import type { CliContext } from './main.js';
import { executeTemplate, goJSON, type Template, TemplateError } from './template.js';

/** docker's exit code for a --format that does not parse (its CLI's flag error). */
export const TEMPLATE_PARSE_EXIT = 64;

/** docker's words for a --format of inspect or info that does not parse; undefined when it parses. */
export function templateParseError(format: string): string | undefined {
  try {
    compileTemplate(format);
    return undefined;
  } catch (e) {
    if (e instanceof TemplateError) return `template parsing error: ${e.message}`;
    throw e;
  }
}

export interface Inspected {
  doc: unknown;
  /** The Go type docker's CLI decodes it into. */
  type: GoType;
  /** No second run over the raw JSON: docker's `volume inspect` fetches no raw document. */
  typedOnly?: boolean;
}

/**
 * Each document through the template, a line each. A document whose typed run fails is run
 * again over its raw JSON, as docker's CLI does: `{{.Id}}` (no such field in docker's struct,
 * whose field is ID) thus prints the raw maps, and a key in neither is an error
 * ("template parsing error: ... map has no entry for key"), which leaves that document out.
 * No output at all is one empty line, as docker's.
 */
export function renderInspected(format: string, docs: Inspected[]): { out: string; errors: string[] } {
  const tpl = compileTemplate(format);
  let out = '';
  const errors: string[] = [];
  for (const { doc, type, typedOnly } of docs) {
    try {
      out += `${runTyped(tpl, doc, type, typedOnly)}\n`;
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push(`template parsing error: ${e.message}`);
    }
  }
  return { out: out === '' ? '\n' : out, errors };
}

function runTyped(tpl: Template, doc: unknown, type: GoType, typedOnly = false): string {
  try {
    return executeTemplate(tpl, withGoType(doc, type));
  } catch (e) {
    if (!(e instanceof TemplateError) || typedOnly) throw e;
    // A fresh copy: the raw maps carry no Go types.
    return executeTemplate(tpl, JSON.parse(JSON.stringify(doc)), undefined, { missingKey: 'error', decodedJSON: true });
  }
}

/**
 * The documents as docker's inspect prints them with no --format: JSON indented by 4, its maps'
 * keys in Go's order (sorted: Labels, LogConfig.Config, GraphDriver.Data), its structs' as built.
 */
export function inspectJSON(docs: Inspected[]): string {
  return `${JSON.stringify(docs.map(({ doc, type }) => goJSON(doc, type)), null, 4)}\n`;
}

/** Writes what renderInspected made: the lines on stdout, the errors on stderr; true if any failed. */
export function printInspected(ctx: Pick<CliContext, 'out' | 'err'>, format: string, docs: Inspected[]): boolean {
  const { out, errors } = renderInspected(format, docs);
  ctx.out(out);
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length > 0;
}

/** A --format that does not parse: its error on stderr and docker's exit code, before any lookup. */
export function refuseUnparsed(ctx: Pick<CliContext, 'err'>, format: string | undefined): number | undefined {
  const error = format !== undefined && format !== 'json' ? templateParseError(format) : undefined;
  if (error === undefined) return undefined;
  ctx.err(`${error}\n`);
  return TEMPLATE_PARSE_EXIT;
}

/**
 * The inspect sub-verbs (image, volume, network inspect): docker's parse check of -f first,
 * then each name looked up (a not-found one said, the rest still printed), its document typed
 * as `type`, printed as JSON or through the template; 1 if anything failed.
 */
export async function runInspectVerb(
  spec: VerbSpec,
  argv: string[],
  ctx: CliContext,
  type: () => Promise<GoType>,
  lookup: (query: string) => Promise<unknown>,
  options: { typedOnly?: boolean } = {},
): Promise<number> {
  const flags = parseVerb(spec, argv, ctx);
  if (!flags) return 0;
  const format = flags.string('format');
  const refused = refuseUnparsed(ctx, format);
  if (refused !== undefined) return refused;
  const docs: unknown[] = [];
  let code = 0;
  for (const q of flags.args) {
    try {
      docs.push(await lookup(q));
    } catch (err) {
      if (!isBerthError(err, 'not-found')) throw err;
      ctx.err(`Error: ${err.message}\n`);
      code = 1;
    }
  }
  const goType = await type();
  const typed = docs.map((doc) => ({ doc, type: goType, ...(options.typedOnly ? { typedOnly: true } : {}) }));
  if (format && format !== 'json') {
    if (printInspected(ctx, format, typed)) code = 1;
  } else ctx.out(inspectJSON(typed));
  return code;
}
