/** What the runner prints for people: the checker list and the end-of-run summary. */
import { isAbsolute, relative } from 'node:path';
import type { RegisteredChecker } from '../checks/_lib/registry.ts';
import { formatIssues } from '../contracts/issues.ts';
import { STATUSES } from '../contracts/vocabulary.ts';
import type { RunReport } from './run.ts';

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The parameters --set and the policy file accept, with their defaults: `min_age_days=90 (1–3650)`. */
const paramsText = (params: RegisteredChecker['meta']['params']): string =>
  Object.entries(params)
    .map(([name, p]) => `${name}=${p.default} (${p.min}–${p.max})`)
    .join(', ') || '-';

export function checkerTable(checkers: readonly RegisteredChecker[]): string {
  return table(
    ['id', 'service', 'severity', 'parameters (default, range)', 'title'],
    checkers.map(({ meta }) => [meta.id, meta.service, meta.severity, paramsText(meta.params), meta.title]),
  );
}

export function checkerJson(checkers: readonly RegisteredChecker[]): string {
  return JSON.stringify(
    checkers.map((c) => c.meta),
    null,
    2,
  );
}

/** A path as the user would type it: relative when it is under the working directory. */
function shown(path: string): string {
  if (path.startsWith('s3://')) return path;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const places = (n: number) => `${n} place${n === 1 ? '' : 's'}`;
const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** A checker's failures by message, in the order first seen: `ECONNREFUSED …` once, with its 24 places. */
function failureGroups(outcome: RunReport['checkers'][number]): { message: string; where: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const { where, message } of outcome.failures)
    groups.set(message, [...(groups.get(message) ?? []), where]);
  return [...groups].map(([message, where]) => ({ message, where }));
}

export function runSummary(report: RunReport, tenant: string): string {
  const lines = [
    `Run ${report.runId} for tenant ${tenant} (run_date ${report.runDate}): ${report.checkers.length} checker(s) in ${seconds(report.durationMs)}, ${report.status}`,
    '',
    table(
      ['checker', ...STATUSES, 'invalid', 'time', 'error'],
      report.checkers.map((c) => [
        c.id,
        ...STATUSES.map((s) => String(c.counts[s])),
        String(c.invalid),
        seconds(c.durationMs),
        clip(
          failureGroups(c)
            .map((g) => `${g.message} (${places(g.where.length)})`)
            .join('; '),
          60,
        ),
      ]),
    ),
    '',
    `Wrote ${report.rowsWritten} finding(s) in ${report.parts.length} file(s)${report.parts.length ? ':' : '.'}`,
    ...report.parts.map((p, i) => `  ${shown(report.published[i] ?? p.path)} (${p.rows} rows)`),
  ];
  if (report.replaced.length > 0) {
    lines.push(`Replaced ${report.replaced.length} file(s) of an earlier attempt of this run id.`);
  }
  // A checker's errors in full, each message once with where it happened (not one cell per region).
  for (const c of report.checkers) {
    const groups = failureGroups(c);
    if (groups.length === 0) continue;
    lines.push('', `${c.id} failed in ${places(c.failures.length)}:`);
    for (const g of groups) {
      const shownPlaces = g.where.slice(0, 6).join(', ');
      const more = g.where.length > 6 ? ` and ${g.where.length - 6} more` : '';
      lines.push(`  ${g.message}`, `    in ${shownPlaces}${more}`);
    }
  }
  for (const failure of report.accountErrors)
    lines.push('', `account ${failure.account_id}: ${failure.error}`);
  for (const c of report.checkers.filter((o) => o.invalid > 0)) {
    lines.push('', `${c.id}: ${c.invalid} invalid draft(s) were not written; first problems:`);
    for (const example of c.invalidExamples) {
      lines.push(
        `  resource ${example.resource_id || '(none)'}:`,
        ...formatIssues(example.issues)
          .split('\n')
          .map((l) => `    ${l}`),
      );
    }
  }
  return lines.join('\n');
}
