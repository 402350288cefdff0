/**
 * The remediation audit: every attempted action (dry run or real), appended as typed Parquet beside the findings
 * dataset, `<root>/finops_actions/tenant_id=<t>/run_date=<YYYY-MM-DD>/part-<uuid>.parquet`, one part per apply.
 * The export reads the recent ones into actions.json.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Decimal, Field, Schema, TimestampMillisecond, Utf8 } from 'apache-arrow';
import { MONEY_PRECISION, MONEY_SCALE, parseDecimal } from '../contracts/decimal.ts';
import { utcDate } from '../contracts/time.ts';
import { BatchBuilder } from './arrow_batch.ts';
import { isDirectory } from './history.ts';
import { writeSmallPart } from './parquet_part.ts';

export const ACTIONS_DIR = 'finops_actions';
/** The audit dataset beside the findings dataset: data/finops_findings → data/finops_actions. */
export const actionsRoot = (dataRoot: string): string => join(dirname(dataRoot), ACTIONS_DIR);

export const ACTION_MODES = ['dry_run', 'execute'] as const;
export const ACTION_STATUSES = [
  'succeeded',
  'failed',
  'skipped_drift',
  'dry_run_ok',
  'dry_run_denied',
] as const;

const text = (name: string, nullable = false) => new Field(name, new Utf8(), nullable);
const timestamp = (name: string) => new Field(name, new TimestampMillisecond('UTC'), false);

export const actionSchema = new Schema([
  text('tenant_id'),
  text('action_id'),
  text('plan_digest'),
  text('finding_id'),
  text('fingerprint'),
  text('check_id'),
  text('account_id'),
  text('region'),
  text('resource_id'),
  text('action'),
  /** The action's parameters, as JSON (what the plan fixed). */
  text('parameters'),
  text('mode'),
  text('status'),
  text('error', true),
  text('note', true),
  /** The resource as the action found it, and what it changed or created, as JSON. */
  text('before', true),
  text('after', true),
  new Field('monthly_savings', new Decimal(MONEY_SCALE, MONEY_PRECISION, 128), true),
  text('caller_arn'),
  timestamp('started_ts'),
  timestamp('finished_ts'),
]);

export interface ActionRecord {
  readonly action_id: string;
  readonly plan_digest: string;
  readonly finding_id: string;
  readonly fingerprint: string;
  readonly check_id: string;
  readonly account_id: string;
  readonly region: string;
  readonly resource_id: string;
  readonly action: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly mode: (typeof ACTION_MODES)[number];
  readonly status: (typeof ACTION_STATUSES)[number];
  readonly error: string | null;
  readonly note: string | null;
  readonly before: Readonly<Record<string, unknown>> | null;
  readonly after: Readonly<Record<string, unknown>> | null;
  /** Decimal text (6 places), or null. */
  readonly monthly_savings: string | null;
  readonly caller_arn: string;
  readonly started: Date;
  readonly finished: Date;
}

/** Writes records as one part under the day the first started; returns its path. */
export async function writeActions(
  root: string,
  tenant: string,
  records: readonly ActionRecord[],
): Promise<string | undefined> {
  if (records.length === 0) return undefined;
  const batch = new BatchBuilder(actionSchema);
  for (const record of records) {
    const savings = record.monthly_savings === null ? null : parseDecimal(record.monthly_savings);
    batch.append({
      tenant_id: tenant,
      action_id: record.action_id,
      plan_digest: record.plan_digest,
      finding_id: record.finding_id,
      fingerprint: record.fingerprint,
      check_id: record.check_id,
      account_id: record.account_id,
      region: record.region,
      resource_id: record.resource_id,
      action: record.action,
      parameters: JSON.stringify(record.parameters),
      mode: record.mode,
      status: record.status,
      error: record.error,
      note: record.note,
      before: record.before === null ? null : JSON.stringify(record.before),
      after: record.after === null ? null : JSON.stringify(record.after),
      monthly_savings: savings && savings.ok ? savings.value : null,
      caller_arn: record.caller_arn,
      started_ts: record.started.getTime(),
      finished_ts: record.finished.getTime(),
    });
  }
  const day = utcDate(records[0]!.started);
  const dir = join(root, `tenant_id=${tenant}`, `run_date=${day}`);
  const id = randomUUID();
  // Written under a hidden temporary name and linked into place whole: a reader never sees half a part.
  return writeSmallPart(
    join(dir, `part-${id}.parquet`),
    join(dir, `.part-${id}.parquet.tmp`),
    batch.flush(),
    {
      rowGroupRows: 10_000,
      createdBy: 'finops-findings remediate',
    },
  );
}

/** How many of the latest actions actions.json lists. */
export const RECENT_ACTIONS = 500;

/**
 * The tenant's latest actions (newest first, at most RECENT_ACTIONS) as the rows of actions.json, or undefined when
 * it has no audit.
 */
export async function recentActions(
  connection: DuckDBConnection,
  root: string,
  tenant: string,
): Promise<Record<string, unknown>[] | undefined> {
  const dir = join(root, `tenant_id=${tenant}`);
  if (!(await isDirectory(dir))) return undefined;
  const reader = await connection.runAndReadAll(
    `SELECT action_id, plan_digest, finding_id, fingerprint, check_id, account_id, region, resource_id, action,
            parameters, mode, status, error, note, before, after, monthly_savings::VARCHAR AS monthly_savings,
            caller_arn, strftime(started_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS started_ts,
            strftime(finished_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS finished_ts
     FROM read_parquet($glob, hive_partitioning = false)
     -- An apply writes each attempt alone, then all in one part: for a moment both exist.
     QUALIFY row_number() OVER (PARTITION BY action_id, mode, started_ts) = 1
     ORDER BY started_ts DESC, action_id LIMIT ${RECENT_ACTIONS}`,
    { glob: join(dir, 'run_date=*', 'part-*.parquet') },
  );
  return (reader.getRowObjectsJson() as Record<string, unknown>[]).map((row) => ({
    ...row,
    parameters: parseJson(row['parameters']),
    before: parseJson(row['before']),
    after: parseJson(row['after']),
  }));
}

const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
