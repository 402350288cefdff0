/**
 * `remediate plan` and `remediate apply`: the execute step. A plan lists, for review, one action per open,
 * unsuppressed failing finding whose check has a fix; apply acts on a plan that is neither edited (its digest)
 * nor stale, a dry run unless --execute, and appends every attempt to the finops_actions audit dataset.
 */
import { readFile } from 'node:fs/promises';
import { DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { fixRegistry, PlanOptionError, type FixDefinition, type FixEntry } from '../checks/_lib/fixes.ts';
import { formatDecimal, parseDecimal } from '../contracts/decimal.ts';
import { formatIssues, issuesFromZod } from '../contracts/issues.ts';
import {
  PLAN_FORMAT,
  planDigest,
  planSchema,
  type Plan,
  type PlanEntry,
} from '../contracts/remediation_plan.ts';
import type { ActionRecord } from '../pipeline/actions.ts';
import { writeFileAtomic } from '../pipeline/atomic.ts';
import { prepareLatest, suppressionKeys } from '../pipeline/export.ts';
import { interruptible } from '../pipeline/interruptible.ts';
import { normaliseTenant } from '../pipeline/layout.ts';
import type { AwsAccess } from './aws.ts';
import { discoverFixes } from './discover.ts';
import { CliError, defaultRegion, EXIT } from './errors.ts';
import type { Logger } from './log.ts';
import { table as formatTable } from './report.ts';
import { ActionAudit } from './action_audit.ts';
import { tenantCopy } from './remote_state.ts';
import { S3Store } from './s3_store.ts';
import { listenForStop } from './stop.ts';

export interface RemediateEffects {
  readonly now: () => Date;
  readonly newId: () => string;
  readonly print: (text: string) => void;
  readonly logger: Logger;
  readonly awsServices: (region: string) => AwsAccess;
  readonly signals?: NodeJS.EventEmitter | undefined;
  /** Waits between polls of a snapshot or an image (tests make it instant). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PlanArgs {
  readonly tenant: string;
  readonly data: string;
  readonly out: string;
  readonly checker: readonly string[];
  readonly finding: readonly string[];
  readonly account: readonly string[];
  readonly 'retention-days': number;
  readonly suppressions?: string | undefined;
  readonly 'state-data'?: string | undefined;
  readonly 'gold-data'?: string | undefined;
  readonly engineVersion: string;
}

export async function remediatePlanCommand(args: PlanArgs, effects: RemediateEffects): Promise<number> {
  const tenant = normaliseTenant(args.tenant);
  const fixes = await discoverFixes();
  const fixable = fixes.list().map((fix) => fix.meta.check_id);
  const unknown = args.checker.filter((id) => !fixable.includes(id));
  if (unknown.length > 0)
    throw new CliError(
      `no fix for ${unknown.join(', ')}; the checks with a fix are: ${fixable.join(', ')}`,
      EXIT.usage,
    );
  const now = effects.now();
  const options = { retentionDays: args['retention-days'] };
  const rows = await openFindings(
    args,
    tenant,
    args.checker.length ? args.checker : fixable,
    now,
    effects.awsServices,
  );
  const entries: PlanEntry[] = [];
  const unplanned: string[] = [];
  // Two checks may call for the same action on one resource (a bucket with no lifecycle at all fails both S3
  // checks): it is planned once, for the finding with the larger saving; the next scan resolves both.
  const planned = new Set<string>();
  let shared = 0;
  for (const row of rows) {
    const fix = fixes.forCheck(row.check_id)!;
    const key = JSON.stringify([row.account_id, row.region, row.resource_id, fix.meta.action]);
    if (planned.has(key)) {
      shared += 1;
      continue;
    }
    planned.add(key);
    let parameters;
    try {
      parameters = fix.parameters(row, options);
    } catch (error) {
      // A plan-wide option the fix refuses is the user's to change; anything else is this finding's.
      if (error instanceof PlanOptionError) throw new CliError(error.message, EXIT.usage);
      unplanned.push(`${row.resource_id} (${row.check_id}): ${(error as Error).message}`);
      continue;
    }
    entries.push({
      ...row,
      action_id: effects.newId(),
      action: fix.meta.action,
      summary: fix.meta.summary,
      parameters,
      destructive: fix.meta.destructive ?? false,
    });
  }
  // Those among the open findings are in the plan, or said above why not.
  const missing = args.finding.filter(
    (id) => !rows.some((row) => row.finding_id === id || row.fingerprint === id),
  );
  const content = {
    format: PLAN_FORMAT,
    tenant,
    data: args.data,
    created_at: now.toISOString(),
    engine_version: args.engineVersion,
    options: { retention_days: options.retentionDays },
    entries,
    total_monthly_savings: sumMoney(entries.map((entry) => entry.monthly_savings)),
  } satisfies Omit<Plan, 'digest'>;
  const plan: Plan = { ...content, digest: planDigest(content) };
  await writeFileAtomic(args.out, `${JSON.stringify(plan, null, 2)}\n`);
  if (entries.length > 0) effects.print(planTable(plan));
  for (const line of unplanned) effects.print(`Not planned: ${line}`);
  if (shared > 0)
    effects.print(
      `${shared} finding(s) are fixed by the action planned for another finding of the same resource.`,
    );
  if (missing.length)
    effects.print(
      `Not in the plan (not an open, unsuppressed failing finding of a check with a fix): ${missing.join(', ')}`,
    );
  effects.print(
    entries.length === 0
      ? `\nNothing to fix: no open, unsuppressed failing finding of a check with a fix. Wrote ${args.out} (empty).`
      : `\nWrote ${args.out} (${entries.length} action(s), ${plan.digest.slice(0, 19)}…). Review it, then:\n` +
          `  runner.ts remediate apply --plan ${args.out}             # a dry run: nothing changes\n` +
          `  runner.ts remediate apply --plan ${args.out} --execute   # do it`,
  );
  return EXIT.ok;
}

type OpenFinding = Omit<PlanEntry, 'action_id' | 'action' | 'summary' | 'parameters' | 'destructive'>;

/** The open, unsuppressed failing findings of these checks, as the export sees them, largest saving first. */
async function openFindings(
  args: PlanArgs,
  tenant: string,
  checks: readonly string[],
  now: Date,
  awsServices: (region: string) => AwsAccess,
): Promise<OpenFinding[]> {
  // An S3 dataset is read through a local working copy, as export reads it.
  const home = defaultRegion();
  const copy = await tenantCopy({
    data: args.data,
    tenant,
    stateData: args['state-data'],
    goldData: args['gold-data'],
    storeFor: (location) => S3Store.at(awsServices(home), home, location),
    extraKeys: suppressionKeys(tenant),
  });
  const instance = await DuckDBInstance.create(':memory:');
  const { connection, dispose } = interruptible(await instance.connect(), undefined);
  try {
    await connection.run("SET TimeZone = 'UTC'");
    await prepareLatest(
      connection,
      {
        dataRoot: copy.dataRoot,
        tenantId: tenant,
        suppressions: args.suppressions,
        stateRoot: copy.stateRoot,
        goldRoot: copy.goldRoot,
        // A plan reads: the state is brought up to date in memory, not stored.
        saveState: false,
        ...(copy.remoteParts ? { remoteParts: copy.remoteParts } : {}),
        ...(copy.remoteManifests ? { remoteManifests: copy.remoteManifests } : {}),
      },
      now,
    );
    const reader = await connection.runAndReadAll(
      `SELECT l.finding_id, l.fingerprint, l.check_id, coalesce(l.title, '') AS title,
              l.scope.account_id AS account_id, coalesce(l.scope.region, '') AS region,
              l.scope.resource_id AS resource_id, nullif(l.scope.resource_arn, '') AS resource_arn,
              to_json(coalesce(l.tags, MAP {}))::VARCHAR AS tags, -- Metrics are decimals: kept as their exact text.
              to_json(map_from_entries(list_transform(map_entries(coalesce(s.metrics, MAP {})),
                e -> {key: e.key, value: e.value::VARCHAR})))::VARCHAR AS metrics,
              to_json(coalesce(l.dimensions, MAP {}))::VARCHAR AS dimensions,
              l.estimated.monthly_savings::VARCHAR AS monthly_savings
       FROM latest_rows l JOIN state s USING (fingerprint)
       WHERE l.status = 'fail' AND l.lifecycle_status = 'open' AND coalesce(l.scope.resource_id, '') <> ''
         AND list_contains($checks, l.check_id)
         AND (len($findings) = 0 OR list_contains($findings, l.finding_id) OR list_contains($findings, l.fingerprint))
         AND (len($accounts) = 0 OR list_contains($accounts, l.scope.account_id))
       ORDER BY l.estimated.monthly_savings DESC NULLS LAST, l.check_id, l.scope.resource_id, l.fingerprint`,
      {
        checks: listValue([...checks]),
        findings: listValue([...args.finding]),
        accounts: listValue([...args.account]),
      },
      // An empty list has no item type of its own.
      { checks: TEXT_LIST, findings: TEXT_LIST, accounts: TEXT_LIST },
    );
    return (reader.getRowObjectsJson() as Record<string, string | null>[]).map((row) => ({
      finding_id: row['finding_id']!,
      fingerprint: row['fingerprint']!,
      check_id: row['check_id']!,
      title: row['title']!,
      account_id: row['account_id']!,
      region: row['region']!,
      resource_id: row['resource_id']!,
      resource_arn: row['resource_arn'] ?? null,
      tags: JSON.parse(row['tags']!) as Record<string, string>,
      metrics: JSON.parse(row['metrics']!) as Record<string, string>,
      dimensions: JSON.parse(row['dimensions']!) as Record<string, string>,
      monthly_savings: row['monthly_savings'] ?? null,
    }));
  } finally {
    dispose();
    connection.closeSync();
    instance.closeSync();
    await copy.close();
  }
}

const TEXT_LIST = LIST(VARCHAR);

function sumMoney(values: readonly (string | null)[]): string {
  let total = 0n;
  for (const value of values) {
    const parsed = value === null ? undefined : parseDecimal(value);
    if (parsed?.ok) total += parsed.value;
  }
  return formatDecimal(total);
}

function planTable(plan: Plan): string {
  const rows = plan.entries.map((entry, index) => [
    String(index + 1),
    entry.account_id,
    entry.region,
    entry.resource_id,
    `${entry.action}${entry.destructive ? ' (destructive)' : ''}`,
    Object.entries(entry.parameters)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ') || '-',
    entry.monthly_savings === null ? '-' : `$${entry.monthly_savings}`,
  ]);
  return formatTable(
    ['#', 'account', 'region', 'resource', 'action', 'parameters', 'monthly saving'],
    [...rows, ['', '', '', '', '', 'total', `$${plan.total_monthly_savings}`]],
  );
}

export interface ApplyArgs {
  readonly plan: string;
  readonly data?: string | undefined;
  readonly execute: boolean;
  readonly 'allow-destructive': boolean;
  readonly 'max-actions': number;
  readonly 'max-age': string;
  readonly 'role-name'?: string | undefined;
  readonly 'external-id'?: string | undefined;
}

export async function remediateApplyCommand(args: ApplyArgs, effects: RemediateEffects): Promise<number> {
  const plan = await readPlan(args.plan);
  const now = effects.now();
  const maxAgeMs = parseDuration(args['max-age']);
  const age = now.getTime() - Date.parse(plan.created_at);
  if (age > maxAgeMs)
    throw new CliError(
      `${args.plan} was made ${describeDuration(age)} ago, more than --max-age ${args['max-age']}: the findings may have changed since; make a new plan`,
      EXIT.usage,
    );
  if (plan.entries.length > args['max-actions'])
    throw new CliError(
      `${args.plan} holds ${plan.entries.length} actions, more than --max-actions ${args['max-actions']}: narrow the plan (--checker, --account, --finding) or raise --max-actions`,
      EXIT.usage,
    );
  const destructive = plan.entries.filter((entry) => entry.destructive);
  if (args.execute && destructive.length > 0 && !args['allow-destructive'])
    throw new CliError(
      `${args.plan} holds ${destructive.length} destructive action(s) (${destructive
        .map((entry) => `${entry.action} ${entry.resource_id}`)
        .join(', ')}): add --allow-destructive as well as --execute, or make a plan without them (--checker)`,
      EXIT.usage,
    );
  await discoverFixes();
  const fixes = plan.entries.map((entry) => {
    const fix = fixRegistry.forCheck(entry.check_id);
    if (!fix || fix.meta.action !== entry.action)
      throw new CliError(
        `${args.plan} asks for ${entry.action} on ${entry.check_id}, which this version does not do: make a new plan`,
        EXIT.usage,
      );
    return fix;
  });

  const home = defaultRegion();
  const root = effects.awsServices(home);
  const caller = await root.bootstrap().catch((error: unknown) => {
    throw new CliError(
      `could not identify the AWS account (STS GetCallerIdentity): ${(error as Error).message}. Check your credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and AWS_ENDPOINT_URL.`,
      EXIT.failure,
      { cause: error },
    );
  });
  const callerArn = caller.arn ?? `arn:aws:iam::${caller.aws_account_id}:root`;
  const accounts = accountAccess(root, caller.aws_account_id, callerArn, args);
  const mode = args.execute ? 'execute' : 'dry_run';
  const records: ActionRecord[] = [];
  const stop = listenForStop(
    effects.signals,
    (signal) =>
      effects.logger.warn(
        `${signal}: stopping after the action in progress; what was done is recorded (again to quit now)`,
      ),
    (signal) => {
      effects.logger.warn(`${signal} again: quitting now`);
      if (effects.signals === process) process.kill(process.pid, signal);
    },
  );
  const audit = await ActionAudit.open(args.data ?? plan.data, plan.tenant, () => root, home);
  let auditFile: string | undefined;
  try {
    for (const [index, entry] of plan.entries.entries()) {
      if (stop.signal.aborted) break;
      const record = await attempt(entry, fixes[index]!, {
        accounts,
        dryRun: !args.execute,
        sleep: effects.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        signal: stop.signal,
        now: effects.now,
      });
      const recorded = { ...record, plan_digest: plan.digest, mode, caller_arn: callerArn } as const;
      records.push(recorded);
      // Written before the next action: a process killed later still leaves the record of this one.
      await audit.add(recorded);
      effects.logger.info(
        { action: entry.action, resource: entry.resource_id, status: record.status },
        `[${index + 1}/${plan.entries.length}] ${entry.action} ${entry.resource_id}: ${record.status}`,
      );
    }
  } finally {
    stop.off();
    // The attempts gathered into one part, also when one failed or the apply was stopped.
    auditFile = await audit.close();
  }
  effects.print(applyTable(records, args.execute));
  if (auditFile) effects.print(`Recorded ${records.length} action(s) in ${auditFile}`);
  if (stop.signal.aborted)
    effects.print(
      `Stopped: ${plan.entries.length - records.length} action(s) of the plan were not attempted.`,
    );
  if (!args.execute && records.length > 0)
    effects.print(
      `A dry run: nothing was changed. To do it: runner.ts remediate apply --plan ${args.plan} --execute`,
    );
  const failed = records.filter((r) => r.status === 'failed' || r.status === 'dry_run_denied').length;
  if (stop.signal.aborted) return EXIT.failure;
  if (failed === 0) return EXIT.ok;
  return failed === records.length ? EXIT.failure : EXIT.partial;
}

async function readPlan(file: string): Promise<Plan> {
  const text = await readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not a remediation plan: not JSON`, EXIT.usage);
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success)
    throw new CliError(
      `${file} is not a remediation plan:\n${formatIssues(issuesFromZod(parsed.error))}`,
      EXIT.usage,
    );
  if (planDigest(parsed.data) !== parsed.data.digest)
    throw new CliError(
      `${file} was changed after it was made (its digest does not match its content): make a new plan with remediate plan`,
      EXIT.usage,
    );
  return parsed.data;
}

/** The AWS access of each account of the plan: the caller's own, or a role assumed in the others. */
function accountAccess(
  root: AwsAccess,
  callerAccount: string,
  callerArn: string,
  args: ApplyArgs,
): (account: string) => AwsAccess {
  const partition = callerArn.split(':')[1] ?? 'aws';
  const assumed = new Map<string, AwsAccess>();
  return (account) => {
    if (account === callerAccount) return root;
    if (!args['role-name'])
      throw new Error(
        `account ${account} is not the caller's (${callerAccount}): pass --role-name to act there through a role`,
      );
    if (!root.assumeRole) throw new Error('this AWS access cannot assume roles');
    let access = assumed.get(account);
    if (!access) {
      access = root.assumeRole(`arn:${partition}:iam::${account}:role/${args['role-name']}`, {
        externalId: args['external-id'],
        sessionName: 'finops-findings-remediate',
      });
      assumed.set(account, access);
    }
    return access;
  };
}

async function attempt(
  entry: PlanEntry,
  fix: FixDefinition,
  options: {
    readonly accounts: (account: string) => AwsAccess;
    readonly dryRun: boolean;
    readonly sleep: (ms: number) => Promise<void>;
    readonly signal: AbortSignal;
    readonly now: () => Date;
  },
): Promise<Omit<ActionRecord, 'plan_digest' | 'mode' | 'caller_arn'>> {
  const started = options.now();
  const base = {
    action_id: entry.action_id,
    finding_id: entry.finding_id,
    fingerprint: entry.fingerprint,
    check_id: entry.check_id,
    account_id: entry.account_id,
    region: entry.region,
    resource_id: entry.resource_id,
    action: entry.action,
    parameters: entry.parameters,
    monthly_savings: entry.monthly_savings,
    started,
  };
  try {
    const services = options.accounts(entry.account_id).services;
    const outcome = await fix.apply(
      { services, dryRun: options.dryRun, sleep: options.sleep, signal: options.signal },
      entry satisfies FixEntry,
    );
    return {
      ...base,
      status: outcome.status,
      error: null,
      note: outcome.note ?? null,
      before: outcome.before,
      after: outcome.after ?? null,
      finished: options.now(),
    };
  } catch (error) {
    const err = error as Error;
    return {
      ...base,
      status: 'failed',
      error: err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message,
      note: null,
      before: null,
      after: null,
      finished: options.now(),
    };
  }
}

function applyTable(records: readonly ActionRecord[], execute: boolean): string {
  const rows = records.map((record) => [
    record.account_id,
    record.region,
    record.resource_id,
    record.action,
    record.status,
    (record.error ?? record.note ?? '').replace(/\s+/g, ' ').slice(0, 120),
  ]);
  const done = records.filter((r) => r.status === (execute ? 'succeeded' : 'dry_run_ok'));
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'nothing attempted';
  const saving = sumMoney(done.map((r) => r.monthly_savings));
  return `${formatTable(['account', 'region', 'resource', 'action', 'status', 'why'], rows)}\n\n${summary}; ${
    execute ? 'saved' : 'would save'
  } $${saving} a month (estimated).`;
}

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "90m", "2d" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([mhd])$/.exec(text.trim());
  if (!match)
    throw new CliError(`--max-age ${text}: write it as minutes, hours or days (90m, 24h, 2d)`, EXIT.usage);
  return Number(match[1]) * UNITS[match[2]!]!;
}

function describeDuration(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48
    ? `${Math.floor(hours / 24)} days`
    : hours >= 1
      ? `${Math.floor(hours)} h`
      : `${Math.floor(ms / 60_000)} min`;
}
