// How a check is named where people read it (summary.md, report.html, JUnit, the console): its checker name, and when a
// scenario uses the same checker more than once, the options that tell them apart — `noFailedRequests[phase=load]`,
// `noFailedRequests[allowStatuses=[503]]` — so two rows are never just "noFailedRequests".

/** `key=value, …` of the options a scenario gave (defaults are not shown: they are the same for every run). */
export function describeOptions(options: Record<string, unknown> | undefined): string {
  return Object.entries(options ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** One distinct label per spec, in order. */
export function checkLabels(specs: readonly { name: string; options?: Record<string, unknown> }[]): string[] {
  const count = (name: string): number => specs.filter((s) => s.name === name).length;
  const labels = specs.map((s) => {
    if (count(s.name) === 1) return s.name;
    const opts = describeOptions(s.options);
    return opts ? `${s.name}[${opts}]` : s.name;
  });
  // Still the same (same options twice, or none): number them.
  return labels.map((l, i) =>
    labels.filter((x) => x === l).length > 1 ? `${l}#${labels.slice(0, i + 1).filter((x) => x === l).length}` : l,
  );
}
