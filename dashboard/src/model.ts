/** The shapes of the exported JSON files, and the derived values the page computes once at load. */
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
  /** Billed cost from the tenant's cost facts (`cost import`); absent or null without a match. */
  readonly actual_cost_7d?: string | null;
  readonly actual_cost_30d?: string | null;
  readonly actual_savings_7d?: string | null;
  readonly actual_savings_30d?: string | null;
  readonly actual_currency?: string | null;
  readonly actual_cost_model?: string | null;
  readonly actual_period_end?: string | null;
  readonly attribution_method?: string | null;
  readonly attribution_confidence?: number | null;
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
    /** Billed over 30 days, resources of open failing findings (with cost facts only). */
    readonly actual_cost_30d?: string | null;
    readonly actual_savings_30d?: string | null;
    readonly actual_currency?: string | null;
  };
  /** How much of the estate the bill covers; null or absent without cost facts. */
  readonly cost_coverage?: {
    readonly findings_with_actual_cost: number;
    readonly open_failing_findings: number;
    readonly unmatched_cost_30d: Readonly<Record<string, string>>;
  } | null;
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

/** Failing, open (not resolved, not suppressed): the findings whose savings count in the totals. */
export const isOpenFailing = (row: {
  readonly status: string | null;
  readonly lifecycle_status: string | null;
}): boolean => row.status === 'fail' && row.lifecycle_status === 'open';

export interface Group {
  readonly key: string;
  readonly savings: bigint;
  readonly findings: number;
}

/** One attempted remediation action (actions.json, newest first): what `remediate apply` recorded. */
export interface ActionRow {
  readonly action_id: string;
  readonly finding_id: string;
  readonly fingerprint: string;
  readonly check_id: string;
  readonly account_id: string;
  readonly region: string;
  readonly resource_id: string;
  readonly action: string;
  readonly mode: 'dry_run' | 'execute';
  readonly status: 'succeeded' | 'failed' | 'skipped_drift' | 'dry_run_ok' | 'dry_run_denied';
  readonly error: string | null;
  readonly note: string | null;
  readonly monthly_savings: string | null;
  readonly caller_arn: string;
  readonly started_ts: string;
  readonly finished_ts: string;
}
