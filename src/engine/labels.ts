// docker's label=KEY[=VALUE] filter, as ps, events, prune and volume filters take it: the
// label is there (any value), or there with that value.

export interface LabelFilter {
  key: string;
  value?: string;
}

export function parseLabelFilter(text: string): LabelFilter {
  const eq = text.indexOf('=');
  return eq < 0 ? { key: text } : { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** Whether `labels` passes `want` ("KEY", "KEY=VALUE", or the parsed form). */
export function labelMatches(labels: Record<string, string>, want: LabelFilter | string): boolean {
  const w = typeof want === 'string' ? parseLabelFilter(want) : want;
  return w.key in labels && (w.value === undefined || labels[w.key] === w.value);
}
