// Go's strconv.ParseBool, which docker's flags and option strings use ("-d=false",
// "readonly=1", "no-new-privileges=true"): the words it takes, and nothing else.

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The bool `text` names as Go's ParseBool reads it, or undefined when it names none ("yes", ""). */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}
