/** The top of the page: the headline figures, the charts, the top savings, and the runs. */
import { needsActionChart, savingsChart, trendChart } from './charts.ts';
import type { DashboardData } from './data.ts';
import { formatTs, h } from './dom.ts';
import { formatMoneyText } from './money.ts';
import type { FindingRow } from './model.ts';
import type { DictionaryColumn } from './findings_index.ts';

export function headline(data: DashboardData): HTMLElement {
  const { summary } = data;
  const stat = (id: string, label: string, value: string, note?: string) =>
    h(
      'div',
      { class: 'stat' },
      h('dt', {}, label),
      h('dd', { id }, value),
      note ? h('dd', { class: 'muted' }, note) : null,
    );
  const suppressed = summary.totals.suppressed_findings ?? 0;
  return h(
    'dl',
    { class: 'headline', 'aria-label': 'Headline figures' },
    stat(
      'headline-savings',
      'Estimated monthly savings',
      formatMoneyText(summary.totals.est_monthly_savings),
      suppressed
        ? `excludes ${suppressed} suppressed (${formatMoneyText(summary.totals.suppressed_est_monthly_savings)})`
        : 'open failing findings',
    ),
    ...(summary.cost_coverage && summary.totals.actual_cost_30d
      ? [
          stat(
            'headline-billed',
            'Billed, last 30 days',
            formatMoneyText(summary.totals.actual_cost_30d, summary.totals.actual_currency ?? 'USD'),
            `${summary.cost_coverage.findings_with_actual_cost} findings matched to the bill; fixing the open ones saves ${formatMoneyText(summary.totals.actual_savings_30d, summary.totals.actual_currency ?? 'USD')}`,
          ),
        ]
      : []),
    stat(
      'headline-failing',
      'Failing findings',
      String(summary.totals.open_failing_findings),
      'open, not suppressed',
    ),
    stat(
      'headline-resources',
      'Resources examined',
      summary.resources_examined === undefined ? '—' : String(summary.resources_examined),
      `${summary.findings} findings in all`,
    ),
    stat(
      'headline-latest-run',
      'Latest run',
      summary.latest_run_ts ? summary.latest_run_ts.slice(0, 10) : '—',
      summary.latest_run_ts
        ? `${formatTs(summary.latest_run_ts).slice(11)} · exported ${formatTs(summary.generated_at)}`
        : 'no run yet',
    ),
  );
}

const SAVINGS_BREAKDOWNS: readonly (readonly [string, DictionaryColumn])[] = [
  // By the check's title, as the tables name it (the id is the filter's).
  ['Savings by check', 'check_name'],
  ['Savings by service', 'service'],
  ['Savings by account', 'account_id'],
  ['Savings by region', 'region'],
];

export function charts(data: DashboardData): HTMLElement {
  return h(
    'div',
    { class: 'charts' },
    ...SAVINGS_BREAKDOWNS.map(([title, column]) => savingsChart(title, data.table.savingsBy(column))),
    needsActionChart(
      data.table.savingsBy('severity_level'),
      data.table.length,
      data.summary.by_status['pass'] ?? 0,
    ),
    data.trends && data.trends.days.length > 0 ? trendChart(data.trends) : null,
  );
}

export function topSavings(rows: readonly FindingRow[], open: (fingerprint: string) => void): HTMLElement {
  if (rows.length === 0)
    return h('p', { class: 'muted' }, 'No open failing finding carries a savings estimate.');
  // In a box of its own that scrolls sideways when a phone is narrower than the table, never the page.
  return h(
    'div',
    { class: 'scroll-x' },
    h(
      'table',
      { class: 'grid', id: 'top-savings-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['#', 'Resource', 'Check', 'Account', 'Region', 'Monthly savings'].map((label) =>
            h('th', { scope: 'col', class: WIDE_ONLY.has(label) ? 'wide-only' : undefined }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((row, index) =>
          h(
            'tr',
            {},
            h('td', { class: 'num wide-only' }, index + 1),
            h(
              'td',
              {},
              h(
                'button',
                { type: 'button', class: 'link', onclick: () => open(row.fingerprint) },
                row.resource_id || row.title || row.fingerprint.slice(0, 12),
              ),
            ),
            h('td', {}, row.check_name ?? row.check_id),
            h('td', { class: 'wide-only' }, row.account_id),
            h('td', { class: 'wide-only' }, row.region ?? ''),
            h('td', { class: 'num' }, formatMoneyText(row.est_monthly_savings)),
          ),
        ),
      ),
    ),
  );
}

/** Columns a phone does without (the finding's detail has them). */
const WIDE_ONLY = new Set(['#', 'Account', 'Region']);

export function runsSection(data: DashboardData): HTMLElement | null {
  if (!data.runs && !data.coverage) return null;
  const coverage = data.coverage;
  return h(
    'section',
    { id: 'runs', 'aria-labelledby': 'runs-title' },
    h('h2', { id: 'runs-title' }, 'Runs and coverage'),
    coverage
      ? h(
          'p',
          { id: 'coverage-line' },
          `Latest run ${coverage.run_id} (${coverage.status}) covered ${coverage.accounts.length} account(s), ${coverage.regions.length} region(s) and ${coverage.checkers.length} checker(s)`,
          coverage.errors.length ? `; ${coverage.errors.length} checker(s) failed: ` : '.',
          coverage.errors.length
            ? h(
                'span',
                { class: 'error-text' },
                coverage.errors.map((error) => `${error.check_id} (${error.error ?? 'error'})`).join('; '),
              )
            : null,
        )
      : null,
    coverage?.account_errors?.length
      ? h(
          'p',
          { id: 'account-errors', class: 'error-text' },
          `${coverage.account_errors.length} account(s) could not be scanned: `,
          coverage.account_errors.map((failure) => `${failure.account_id} (${failure.error})`).join('; '),
        )
      : null,
    data.runs
      ? h(
          'div',
          { class: 'scroll-x' },
          h(
            'table',
            { class: 'grid', id: 'runs-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...[
                  'Run',
                  'Run time',
                  'Outcome',
                  'Accounts',
                  'Regions',
                  'Failing',
                  'Passing',
                  'Errors',
                  'Duration',
                ].map((label) => h('th', { scope: 'col' }, label)),
              ),
            ),
            h(
              'tbody',
              {},
              ...data.runs.runs
                .slice(0, 20)
                .map((run) =>
                  h(
                    'tr',
                    {},
                    h('td', { class: 'mono' }, run.run_id),
                    h('td', {}, formatTs(run.run_ts)),
                    h('td', {}, h('span', { class: `badge outcome-${run.status}` }, run.status)),
                    h('td', { class: 'num' }, run.accounts.length),
                    h('td', { class: 'num' }, run.regions.length),
                    h('td', { class: 'num' }, run.findings['fail'] ?? 0),
                    h('td', { class: 'num' }, run.findings['pass'] ?? 0),
                    h('td', { class: 'num' }, run.errors + run.invalid + (run.account_errors?.length ?? 0)),
                    h('td', { class: 'num' }, `${(run.duration_ms / 1000).toFixed(1)} s`),
                  ),
                ),
            ),
          ),
        )
      : null,
  );
}
