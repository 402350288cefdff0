/** The shapes of the exported JSON files, and the derived values the page computes once at load. */
import { parseMoney, sumMoney } from './money.ts';

export interface Link {
  readonly label: string | null;
  readonly url: string;
}

/** One row of findings.json / top_savings.json (see README "JSON shapes"). */
export interface FindingRow {
  readonly tenant_id: string;
  readonly workspace_id: string;
  readonly finding_id: string;
  readonly fingerprint: string;
  readonly run_id: string;
  readonly run_ts: string;
  readonly check_id: string;
  readonly check_name: string | null;
  readonly category: string | null;
  readonly status: string;
  readonly severity_level: string;
  readonly severity_score: number | null;
  readonly cloud: string;
  readonly account_id: string;
  readonly region: string | null;
  readonly availability_zone?: string | null;
  readonly service: string;
  readonly resource_type: string | null;
  readonly resource_id: string | null;
  readonly resource_arn: string | null;
  readonly title: string | null;
  readonly message: string | null;
  readonly recommendation: string | null;
  readonly remediation: string | null;
  readonly est_monthly_cost: string | null;
  readonly est_monthly_savings: string | null;
  readonly est_confidence: number | null;
  readonly est_notes: string | null;
  readonly savings_source: string | null;
  /** AWS Cost Optimization Hub's saving for the same resource, shown beside this finding (counted once). */
  readonly aws_monthly_savings?: string | null;
  readonly aws_action_type?: string | null;
  readonly tags: Readonly<Record<string, string>> | null;
  readonly labels: Readonly<Record<string, string>> | null;
  readonly links?: readonly Link[] | null;
  readonly lifecycle_status: string | null;
  readonly first_seen: string | null;
  readonly last_seen: string | null;
  readonly times_seen: number | null;
  readonly days_open: number | null;
  readonly resolved_ts: string | null;
  readonly suppression_reason: string | null;
  readonly suppression_owner: string | null;
  readonly snooze_until: string | null;
}

export interface Summary {
  readonly tenant_id: string;
  readonly generated_at: string;
  readonly latest_run_ts: string | null;
  readonly findings: number;
  readonly resources_examined?: number;
  readonly by_status: Readonly<Record<string, number>>;
  readonly by_severity: Readonly<Record<string, number>>;
  readonly matrix: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly totals: {
    readonly est_monthly_savings: string;
    readonly open_failing_findings: number;
    readonly suppressed_findings?: number;
    readonly suppressed_est_monthly_savings?: string;
    readonly resolved_findings_30d?: number;
    readonly realised_monthly_savings_30d?: string;
  };
}

export interface Trends {
  readonly days: readonly { date: string; open_findings: number; open_monthly_savings: string }[];
}

export interface RunsFile {
  readonly runs: readonly {
    run_id: string;
    run_ts: string;
    status: string;
    duration_ms: number;
    accounts: readonly string[];
    regions: readonly string[];
    findings: Readonly<Record<string, number>>;
    invalid: number;
    errors: number;
    account_errors?: readonly { account_id: string; error: string }[];
  }[];
}

export interface CoverageFile {
  readonly run_id: string;
  readonly run_ts: string;
  readonly status: string;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly checkers: readonly { check_id: string; error: string | null }[];
  readonly errors: readonly { check_id: string; error: string | null }[];
  readonly account_errors?: readonly { account_id: string; error: string }[];
}

/** A finding row plus what filtering and sorting need, computed once. */
export interface Row extends FindingRow {
  readonly savings: bigint | null;
  /** Lower-cased resource id, ARN, title and tags ("key=value") for the free-text search. */
  readonly haystack: string;
}

export function prepareRows(rows: readonly FindingRow[]): Row[] {
  return rows.map((row) => ({
    ...row,
    savings: parseMoney(row.est_monthly_savings),
    haystack: [
      row.resource_id,
      row.resource_arn,
      row.title,
      ...Object.entries(row.tags ?? {}).map(([key, value]) => `${key}=${value}`),
    ]
      .filter(Boolean)
      .join('\n')
      .toLowerCase(),
  }));
}

/** Failing, open (not resolved, not suppressed): the findings whose savings count in the totals. */
export const isOpenFailing = (row: FindingRow): boolean =>
  row.status === 'fail' && row.lifecycle_status === 'open';

export interface Group {
  readonly key: string;
  readonly savings: bigint;
  readonly findings: number;
}

/** Open failing savings grouped by a column, largest first. */
export function savingsBy(rows: readonly Row[], key: (row: Row) => string | null): Group[] {
  const groups = new Map<string, { savings: bigint[]; findings: number }>();
  for (const row of rows) {
    if (!isOpenFailing(row)) continue;
    const name = key(row) || '(none)';
    const group = groups.get(name) ?? { savings: [], findings: 0 };
    group.savings.push(row.savings ?? 0n);
    group.findings += 1;
    groups.set(name, group);
  }
  return [...groups.entries()]
    .map(([name, group]) => ({ key: name, savings: sumMoney(group.savings), findings: group.findings }))
    .sort((a, b) => (b.savings > a.savings ? 1 : b.savings < a.savings ? -1 : a.key.localeCompare(b.key)));
}
