// Go's time.Duration as text, which docker's flags and files use ("1m30s", "500ms", "1.5h"):
// parsed as Go's time.ParseDuration parses it, printed as its String() prints it.

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A Go duration in nanoseconds ("1m30s", ".5s", "0", "-1s"), or undefined when it is not one (a
 * bare number other than 0, an unknown unit, blanks): the caller says what was wrong in its words.
 */
export function goDurationNs(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (end !== s.length) return undefined;
  return sign * Math.round(total);
}

/** A duration in nanoseconds as Go prints it: "30s", "1m30s", "500ms", "1.5s", "1h0m0s", "0s". */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trim(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trim(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    out = `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trim(n / 1e9)}s`;
  }
  return neg ? `-${out}` : out;
}

function trim(v: number): string {
  return String(Number(v.toFixed(9)));
}
