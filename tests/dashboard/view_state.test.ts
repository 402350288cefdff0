import { shortLabel } from '../../dashboard/src/dom.ts';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../dashboard/src/csv.ts';
import { IndexBuilder, isFindingIndex } from '../../dashboard/src/findings_index.ts';
import type { FindingRow } from '../../dashboard/src/model.ts';
import { parseMoney } from '../../dashboard/src/money.ts';
import { FindingTable, indexRow, SEVERITY_RANK } from '../../dashboard/src/table.ts';
import {
  EMPTY_STATE,
  FILTERS,
  stateFromQuery,
  stateToQuery,
  visibleRows,
  type SortKey,
  type ViewState,
} from '../../dashboard/src/view_state.ts';
import { random } from '../../bench/findings.ts';

function row(overrides: Partial<FindingRow>): FindingRow {
  return {
    tenant_id: 'acme',
    workspace_id: 'default',
    finding_id: 'f',
    fingerprint: 'fp',
    run_id: 'r',
    run_ts: '2026-11-22T10:00:00.000Z',
    check_id: 'aws.ec2.ebs.unattached.volume',
    check_name: 'Unattached EBS volume',
    category: 'waste',
    status: 'fail',
    severity_level: 'medium',
    severity_score: 500,
    cloud: 'aws',
    account_id: '111111111111',
    region: 'us-east-1',
    service: 'AmazonEC2',
    resource_type: 'ebs_volume',
    resource_id: 'vol-1',
    resource_arn: null,
    title: 'Volume vol-1',
    message: null,
    recommendation: null,
    remediation: null,
    est_monthly_cost: null,
    est_monthly_savings: null,
    est_confidence: null,
    est_notes: null,
    savings_source: null,
    tags: {},
    labels: {},
    lifecycle_status: 'open',
    first_seen: null,
    last_seen: null,
    times_seen: 1,
    days_open: 1,
    resolved_ts: null,
    suppression_reason: null,
    suppression_owner: null,
    snooze_until: null,
    ...overrides,
  };
}

const TABLE = FindingTable.fromRows([
  row({
    fingerprint: 'a',
    resource_id: 'vol-a',
    est_monthly_savings: '10.000000',
    tags: { team: 'Payments' },
  }),
  row({ fingerprint: 'b', resource_id: 'vol-b', est_monthly_savings: '0.100000', region: 'eu-west-1' }),
  row({
    fingerprint: 'c',
    resource_id: 'db-c',
    service: 'AmazonRDS',
    status: 'pass',
    est_monthly_savings: null,
  }),
  row({
    fingerprint: 'd',
    resource_id: 'vol-d',
    est_monthly_savings: '0.200000',
    lifecycle_status: 'ignored',
  }),
  row({
    fingerprint: 'e',
    resource_id: 'vol-e',
    est_monthly_savings: '0.100000',
    region: 'eu-west-1',
    severity_level: 'high',
  }),
]);
/** A state of the view of every finding (the filters' own tests), or of the view given. */
const state = (patch: Partial<ViewState>): ViewState => ({ ...EMPTY_STATE, view: 'all', ...patch });
const shown = (table: FindingTable, patch: Partial<ViewState>) =>
  Array.from(visibleRows(table, state(patch)), (i) => table.row(i).fingerprint);

describe('the findings table state', () => {
  it('round-trips through the query string, leaving defaults out', () => {
    const view = state({
      filters: { status: 'fail', region: 'eu-west-1' },
      q: 'team=pay',
      sort: 'savings',
      dir: 'asc',
      page: 3,
      size: 100,
      finding: 'abc',
    });
    const query = stateToQuery(view);
    expect(query).toBe(
      '?view=all&status=fail&region=eu-west-1&q=team%3Dpay&sort=savings&dir=asc&page=3&size=100&finding=abc',
    );
    expect(stateFromQuery(query)).toEqual(view);
    expect(stateToQuery(EMPTY_STATE)).toBe('');
  });

  it('starts with the findings that need action: failing and open, as the headline counts them', () => {
    expect(EMPTY_STATE.view).toBe('action');
    expect(shown(TABLE, { view: 'action' })).toEqual(['a', 'b', 'e']);
    expect(shown(TABLE, { view: 'action', filters: { region: 'eu-west-1' } })).toEqual(['b', 'e']);
    // Status and lifecycle are the view's: a filter on them left from the other view does not apply.
    expect(shown(TABLE, { view: 'action', filters: { status: 'pass', lifecycle: 'ignored' } })).toEqual([
      'a',
      'b',
      'e',
    ]);
    expect(stateToQuery(state({ view: 'action', filters: { status: 'pass', region: 'eu-west-1' } }))).toBe(
      '?region=eu-west-1',
    );
    expect(shown(TABLE, { view: 'all' })).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it("reads a link's status or lifecycle filter as the view of every finding", () => {
    expect(stateFromQuery('?status=pass')).toEqual(state({ view: 'all', filters: { status: 'pass' } }));
    expect(stateFromQuery('?lifecycle=resolved&view=action')).toMatchObject({ view: 'all' });
    expect(stateFromQuery('?view=all')).toEqual(state({ view: 'all' }));
    expect(stateFromQuery('?region=eu-west-1')).toEqual(
      state({ view: 'action', filters: { region: 'eu-west-1' } }),
    );
  });

  it('ignores unknown or malformed parameters', () => {
    expect(stateFromQuery('?sort=DROP&page=-2&size=7&dir=sideways&colour=red')).toEqual(EMPTY_STATE);
  });

  it('keeps rows matching every filter', () => {
    expect(shown(TABLE, { filters: { region: 'eu-west-1' } })).toEqual(['b', 'e']);
    expect(shown(TABLE, { filters: { region: 'eu-west-1', severity: 'high' } })).toEqual(['e']);
    expect(shown(TABLE, { filters: { service: 'AmazonRDS', status: 'fail' } })).toEqual([]);
    expect(shown(TABLE, { filters: { check: 'aws.no.such.check' } })).toEqual([]);
  });

  it('searches resource ids, titles and tags, case-insensitively, every word', () => {
    expect(shown(TABLE, { q: 'PAYMENTS' })).toEqual(['a']);
    expect(shown(TABLE, { q: 'vol- team=payments' })).toEqual(['a']);
    expect(shown(TABLE, { q: 'db-' })).toEqual(['c']);
    expect(shown(TABLE, { q: 'vol-1' })).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(shown(TABLE, { q: 'arn:aws:ec2:us-east-1:111111111111:volume/vol-b' })).toEqual(['b']);
    expect(shown(TABLE, { q: 'arn:aws:rds:us-east-1:111111111111:db:db-c' })).toEqual(['c']);
  });

  it('sorts by savings exactly, rows without an estimate last when descending, ties in export order', () => {
    expect(shown(TABLE, { sort: 'savings', dir: 'desc' })).toEqual(['a', 'd', 'b', 'e', 'c']);
    expect(shown(TABLE, { sort: 'savings', dir: 'asc' })).toEqual(['c', 'b', 'e', 'd', 'a']);
    expect(shown(TABLE, { sort: 'severity', dir: 'desc' })).toEqual(['e', 'a', 'b', 'c', 'd']);
  });

  it('sums open failing savings per group, leaving out passes and suppressed findings', () => {
    expect(TABLE.savingsBy('region')).toEqual([
      { key: 'us-east-1', savings: 10_000_000n, findings: 1 },
      { key: 'eu-west-1', savings: 200_000n, findings: 2 },
    ]);
  });
});

/** What the table must show, computed the plain way: one object per row, Array filter and sort. */
function reference(rows: readonly FindingRow[], view: ViewState): string[] {
  const words = view.q.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = rows.filter(
    (r) =>
      FILTERS.every(({ param, column }) => {
        const wanted = view.filters[param];
        return !wanted || (r[column] ?? '') === wanted;
      }) &&
      words.every((word) =>
        [r.resource_id, r.title, ...Object.entries(r.tags ?? {}).map(([k, v]) => `${k}=${v}`)]
          .join('\n')
          .toLowerCase()
          .includes(word),
      ),
  );
  const key: Record<SortKey, (r: FindingRow) => string | number | bigint> = {
    severity: (r) => SEVERITY_RANK[r.severity_level] ?? -1,
    status: (r) => r.status,
    lifecycle: (r) => r.lifecycle_status ?? '',
    check: (r) => r.check_id,
    resource: (r) => r.resource_id ?? '',
    account: (r) => r.account_id,
    region: (r) => r.region ?? '',
    service: (r) => r.service,
    savings: (r) => parseMoney(r.est_monthly_savings) ?? -1n,
    billed: (r) => parseMoney(r.actual_cost_30d ?? null) ?? -1n,
    days_open: (r) => r.days_open ?? -1,
  };
  const sorted = view.sort
    ? kept
        .map((r, index) => ({ r, index, k: key[view.sort as SortKey](r) }))
        .sort((a, b) => {
          const order =
            typeof a.k === 'string' && typeof b.k === 'string'
              ? a.k.localeCompare(b.k)
              : a.k < b.k
                ? -1
                : a.k > b.k
                  ? 1
                  : 0;
          return (view.dir === 'asc' ? order : -order) || a.index - b.index;
        })
        .map(({ r }) => r)
    : kept;
  return sorted.map((r) => r.fingerprint);
}

describe('the columnar findings table', () => {
  const SEEDS = 30;
  it(`shows exactly the rows the plain filter, search and sort give (${SEEDS} seeds)`, () => {
    let nonEmpty = 0;
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const rows = Array.from({ length: 1 + Math.floor(next() * 300) }, (_, i) =>
        row({
          fingerprint: `fp-${seed}-${i}`,
          status: pick(['fail', 'pass', 'unknown']),
          lifecycle_status: pick(['open', 'resolved', 'ignored', null]),
          severity_level: pick(['low', 'medium', 'high', 'critical', 'unheard-of']),
          check_id: pick(['aws.a', 'aws.b', 'aws.c']),
          account_id: pick(['111111111111', '222222222222']),
          region: pick(['us-east-1', 'eu-west-1', null]),
          service: pick(['AmazonEC2', 'AmazonRDS']),
          resource_id: pick([`vol-${i}`, `Db-${i % 7}`, null, 'ÄÖ-x', seed % 3 === 0 ? 'İx-vol' : 'ix-vol']),
          title: pick([`Volume ${i}`, null, 'Same title']),
          tags: pick([{}, { team: pick(['Pay', 'search']) }, { env: 'prod', team: 'data' }]),
          est_monthly_savings: pick([null, '0.000000', '1.500000', '12.000001', '12.000000', String(i)]),
          days_open: pick([null, 0, 3, i]),
          actual_cost_30d: pick([null, '0.000000', '2.500000', '2.500001', String(i)]),
        }),
      );
      const table = new FindingTable(JSON.parse(JSON.stringify(FindingTable.fromRows(rows).index)));
      for (let view = 0; view < 20; view += 1) {
        const filters = Object.fromEntries(
          FILTERS.filter(() => next() < 0.25).map(({ param, column }) => [
            param,
            String(pick(rows)[column] ?? pick(['', 'no-such-value'])),
          ]),
        );
        const patch: Partial<ViewState> = {
          filters,
          q: pick(['', 'vol', 'team=pay', 'db- 1', 'äö', 'volume 1', 'zzz', 'x-vol', 'vol-1']),
          sort: pick([
            '',
            'severity',
            'status',
            'lifecycle',
            'check',
            'resource',
            'account',
            'region',
            'service',
            'savings',
            'billed',
            'days_open',
          ] as const),
          dir: pick(['asc', 'desc'] as const),
        };
        const expected = reference(rows, state(patch));
        if (expected.length > 0) nonEmpty += 1;
        expect(shown(table, patch), JSON.stringify({ seed, patch })).toEqual(expected);
      }
    }
    expect(nonEmpty).toBeGreaterThan(SEEDS * 5);
  });

  it('round-trips the index through JSON and rejects an index whose columns disagree', () => {
    const builder = new IndexBuilder();
    builder.push(indexRow(row({ fingerprint: 'x', tags: { team: 'a', env: 'b' } })));
    builder.push(indexRow(row({ fingerprint: 'y', region: null })));
    const index = JSON.parse(JSON.stringify(builder.build('findings/abc')));
    expect(isFindingIndex(index)).toBe(true);
    const table = new FindingTable(index);
    expect(table.row(0)).toMatchObject({ fingerprint: 'x', tags: 'team=a\nenv=b', region: 'us-east-1' });
    expect(table.row(1)).toMatchObject({ fingerprint: 'y', tags: null, region: null });
    expect(index.columns.region).toEqual({ values: ['us-east-1', null], codes: [0, 1] });
    expect(isFindingIndex({ ...index, findings: 3 })).toBe(false);
    expect(isFindingIndex({ ...index, columns: { ...index.columns, status: { values: [] } } })).toBe(false);
  });
});

describe('the CSV download', () => {
  it.each([
    ['-2+3+cmd|" /C calc"!A0', '"\'-2+3+cmd|"" /C calc""!A0"'],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['+1', "'+1"],
    ['\tx', "'\tx"],
    ['-1.500000', '-1.500000'],
    ['vol-1', 'vol-1'],
  ])('defuses a cell starting with a formula character: %j → %j', (title, expected) => {
    const line = toCsv([row({ title })]).split('\r\n')[1]!;
    expect(line).toContain(`,${expected},`);
  });

  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    const csv = toCsv([
      row({
        title: 'Say "hi", then go',
        tags: { a: '1', b: '2' },
        resource_id: '=HYPERLINK("x")',
        est_monthly_savings: '1.500000',
      }),
    ]);
    const [header, line] = csv.split('\r\n');
    expect(header).toBe(
      'finding_id,fingerprint,check_id,check_name,status,lifecycle_status,severity_level,account_id,region,service,resource_type,resource_id,resource_arn,title,est_monthly_cost,est_monthly_savings,est_confidence,actual_cost_30d,actual_currency,first_seen,last_seen,days_open,tags',
    );
    expect(line).toBe(
      'f,fp,aws.ec2.ebs.unattached.volume,Unattached EBS volume,fail,open,medium,111111111111,us-east-1,AmazonEC2,ebs_volume,"\'=HYPERLINK(""x"")",,"Say ""hi"", then go",,1.500000,,,,,,1,a=1;b=2',
    );
  });
});

describe('chart labels', () => {
  it('keeps a short label whole and shortens a long one with an ellipsis', () => {
    expect(shortLabel('Unattached EBS volume')).toBe('Unattached EBS volume');
    const long = 'Application or network load balancer with no registered targets';
    expect(shortLabel(long)).toBe('Application or network load balan…');
    expect(shortLabel(long).length).toBe(34);
  });
});
