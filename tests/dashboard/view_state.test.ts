import { describe, expect, it } from 'vitest';
import { toCsv } from '../../dashboard/src/csv.ts';
import { prepareRows, savingsBy, type FindingRow } from '../../dashboard/src/model.ts';
import {
  applyFilters,
  EMPTY_STATE,
  sortRows,
  stateFromQuery,
  stateToQuery,
  type ViewState,
} from '../../dashboard/src/view_state.ts';

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

const ROWS = prepareRows([
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
const fingerprints = (rows: readonly { fingerprint: string }[]) => rows.map((r) => r.fingerprint);
const state = (patch: Partial<ViewState>): ViewState => ({ ...EMPTY_STATE, ...patch });

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
      '?status=fail&region=eu-west-1&q=team%3Dpay&sort=savings&dir=asc&page=3&size=100&finding=abc',
    );
    expect(stateFromQuery(query)).toEqual(view);
    expect(stateToQuery(EMPTY_STATE)).toBe('');
  });

  it('ignores unknown or malformed parameters', () => {
    expect(stateFromQuery('?sort=DROP&page=-2&size=7&dir=sideways&colour=red')).toEqual(EMPTY_STATE);
  });

  it('keeps rows matching every filter', () => {
    expect(fingerprints(applyFilters(ROWS, state({ filters: { region: 'eu-west-1' } })))).toEqual(['b', 'e']);
    expect(
      fingerprints(applyFilters(ROWS, state({ filters: { region: 'eu-west-1', severity: 'high' } }))),
    ).toEqual(['e']);
    expect(
      fingerprints(applyFilters(ROWS, state({ filters: { service: 'AmazonRDS', status: 'fail' } }))),
    ).toEqual([]);
  });

  it('searches resource ids, titles and tags, case-insensitively, every word', () => {
    expect(fingerprints(applyFilters(ROWS, state({ q: 'PAYMENTS' })))).toEqual(['a']);
    expect(fingerprints(applyFilters(ROWS, state({ q: 'vol- team=payments' })))).toEqual(['a']);
    expect(fingerprints(applyFilters(ROWS, state({ q: 'db-' })))).toEqual(['c']);
  });

  it('sorts by savings exactly, rows without an estimate last when descending, ties in export order', () => {
    expect(fingerprints(sortRows(ROWS, 'savings', 'desc'))).toEqual(['a', 'd', 'b', 'e', 'c']);
    expect(fingerprints(sortRows(ROWS, 'savings', 'asc'))).toEqual(['c', 'b', 'e', 'd', 'a']);
    expect(fingerprints(sortRows(ROWS, 'severity', 'desc'))).toEqual(['e', 'a', 'b', 'c', 'd']);
  });

  it('sums open failing savings per group, leaving out passes and suppressed findings', () => {
    expect(savingsBy(ROWS, (r) => r.region)).toEqual([
      { key: 'us-east-1', savings: 10_000_000n, findings: 1 },
      { key: 'eu-west-1', savings: 200_000n, findings: 2 },
    ]);
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
      'finding_id,fingerprint,check_id,check_name,status,lifecycle_status,severity_level,account_id,region,service,resource_type,resource_id,resource_arn,title,est_monthly_cost,est_monthly_savings,est_confidence,first_seen,last_seen,days_open,tags',
    );
    expect(line).toBe(
      'f,fp,aws.ec2.ebs.unattached.volume,Unattached EBS volume,fail,open,medium,111111111111,us-east-1,AmazonEC2,ebs_volume,"\'=HYPERLINK(""x"")",,"Say ""hi"", then go",,1.500000,,,,1,a=1;b=2',
    );
  });
});
