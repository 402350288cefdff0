/**
 * The dashboard export: one tenant's findings dataset → findings.json (with findings_index.json and its
 * pages, see findings_files.ts), summary.json, top_savings.json, resolved.json, suppressed.json, trends.json,
 * and runs.json and coverage.json when run manifests exist. Reads only that tenant's partitions, with every user value
 * bound as a parameter, keeps one row per fingerprint (its latest occurrence) with its lifecycle, and applies
 * the tenant's suppressions.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { globToRegex, parseSuppressions, type SuppressionRule } from '../contracts/suppressions.ts';
import { utcDate } from '../contracts/time.ts';
import { AWS_RECOMMENDATION_SOURCE, type CostModel } from '../contracts/vocabulary.ts';
import { actionsRoot, recentActions } from './actions.ts';
import { writeFileAtomic } from './atomic.ts';
import { ATTRIBUTION_DIR, attributeCosts, unmatchedCost, writeAttribution } from './attribution.ts';
import { COST_FACTS_DIR } from './cost_facts.ts';
import { isDirectory, listTenants } from './history.ts';
import { interruptible } from './interruptible.ts';
import { AWS_BESIDE_NATIVE, goldParts, goldRoot, hasGold, refreshStateAndGold, stateKpis } from './kpi.ts';
import { caseHint, normaliseTenant, tenantDir } from './layout.ts';
import type { SkippedFile } from './parts.ts';
import { manifestDir } from './manifest.ts';
import { runsExportFrom } from './runs_export.ts';
import { stateRoot, type RefreshOptions } from './state.ts';
import { makeDirectory } from './dirs.ts';
import { INDEX_FILE, PAGES_DIR, writeFindingFiles, type FindingFiles } from './findings_files.ts';

export { listTenants };
export const TOP_SAVINGS_LIMIT = 50;
export const RESOLVED_WINDOW_DAYS = 30;
/** Resolved within the window (its start the parameter `$since`): what summary.json and resolved.json count. */
const RESOLVED_IN_WINDOW = "lifecycle_status = 'resolved' AND resolved_ts >= $since::TIMESTAMPTZ";
export const TREND_DAYS = 90;
/** Names a suppression file may have, in the tenant's folder or at the dataset root. */
export const SUPPRESSION_FILES = ['suppressions.yaml', 'suppressions.yml', 'suppressions.json'];
/** Where a tenant's suppression files may be, relative to the dataset root: its own folder's, then the root's. */
export const suppressionKeys = (tenant: string): string[] => [
  ...SUPPRESSION_FILES.map((name) => `tenant_id=${tenant}/${name}`),
  ...SUPPRESSION_FILES,
];

export class ExportError extends Error {
  override name = 'ExportError';
}

export interface ExportOptions {
  readonly dataRoot: string;
  readonly tenantId: string;
  readonly outDir: string;
  readonly now?: () => Date;
  /** A suppression file; by default `<data>/tenant_id=<t>/suppressions.{yaml,yml,json}` when present. */
  readonly suppressions?: string | undefined;
  /** Stops the export: running queries are interrupted and nothing is published. */
  readonly signal?: AbortSignal | undefined;
  /** Where the tenant's state is kept (default: `finops_state` beside the dataset). */
  readonly stateRoot?: string | undefined;
  /** Where the KPI gold tables are kept (default: `finops_kpi_gold` beside the dataset). */
  readonly goldRoot?: string | undefined;
  /** Store the state (and the gold tables of the days it advanced through) when it changed (default true). */
  readonly saveState?: boolean | undefined;
  /** The tenant's parts when `dataRoot` is a partial copy of a remote dataset (see `refreshState`). */
  readonly remoteParts?: RefreshOptions['remoteParts'];
  readonly remoteManifests?: RefreshOptions['remoteManifests'];
  /** Told as the export goes: what it is doing and how much (for a progress log). */
  readonly onStage?: ((stage: string, detail: Readonly<Record<string, unknown>>) => void) | undefined;
  /** Told after each run folded into the state (every run of the history when it is rebuilt). */
  readonly onProgress?: RefreshOptions['onProgress'];
  /** Where the cost facts are (default: finops_cost_facts beside the dataset), and the attribution goes. */
  readonly costRoot?: string | undefined;
  readonly attributionRoot?: string | undefined;
  /** Which cost the facts give each finding (default amortized). */
  readonly costModel?: CostModel | undefined;
  /** Where the remediation audit is (default: finops_actions beside the dataset): its recent actions, actions.json. */
  readonly actionsRoot?: string | undefined;
}

export interface ExportResult {
  readonly files: readonly string[];
  /** The folder of findings.json's rows in pages (`<out>/findings/<digest>`), which findings_index.json names. */
  readonly pages: string;
  readonly findings: number;
  /** Parts that could not be read as findings, skipped (also listed in summary.json). */
  readonly skipped: readonly SkippedFile[];
  /** The state (and gold tables) changed and were stored: what a copy of a remote dataset sends back. */
  readonly stateSaved: boolean;
  /** The cost attribution was written (the tenant has cost facts): what a copy of a remote dataset sends back. */
  readonly attributionSaved: boolean;
}

const isoTs = (column: string) => `strftime(${column} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')`;
const money = (column: string) => `CAST(${column} AS VARCHAR)`;

/** The row shape of the finding lists, built by DuckDB as JSON text. */
const FINDING_ROW = `to_json({
  tenant_id: tenant_id, workspace_id: workspace_id, finding_id: finding_id, fingerprint: fingerprint,
  run_id: run_id, run_ts: ${isoTs('run_ts')}, run_date: CAST(run_date AS VARCHAR),
  check_id: check_id, check_name: check_name, category: category, status: status,
  severity_level: severity.level, severity_score: severity.score,
  cloud: scope.cloud, account_id: scope.account_id, region: scope.region,
  availability_zone: scope.availability_zone, service: scope.service,
  resource_type: scope.resource_type, resource_id: scope.resource_id, resource_arn: scope.resource_arn,
  title: title, message: message, recommendation: recommendation, remediation: remediation,
  est_monthly_cost: ${money('estimated.monthly_cost')},
  est_monthly_savings: ${money('estimated.monthly_savings')},
  est_confidence: estimated.confidence, est_notes: estimated.notes,
  savings_source: dimensions['savings_source'], tags: tags, labels: labels, links: links,
  lifecycle_status: lifecycle_status, first_seen: ${isoTs('first_seen')}, last_seen: ${isoTs('last_seen')},
  times_seen: times_seen, days_open: days_open, resolved_ts: ${isoTs('resolved_ts')},
  realised_monthly_savings: ${money("CASE WHEN lifecycle_status = 'resolved' THEN last_fail_savings END")},
  aws_monthly_savings: ${money('aws_monthly_savings')}, aws_action_type: aws_action_type,
  suppression_reason: suppression_reason, suppression_owner: suppression_owner,
  snooze_until: CAST(snooze_until AS VARCHAR),
  actual_cost_7d: ${money('actual_cost_7d')}, actual_cost_30d: ${money('actual_cost_30d')},
  actual_savings_7d: ${money('actual_savings_7d')}, actual_savings_30d: ${money('actual_savings_30d')},
  actual_currency: actual_currency, actual_cost_model: actual_cost_model,
  actual_period_end: CAST(actual_period_end AS VARCHAR),
  attribution_method: attribution_method, attribution_confidence: attribution_confidence
})::VARCHAR`;

// Money first: open failing findings by savings, then the rest by severity; fingerprint makes it total.
const ORDER =
  "ORDER BY lifecycle_status = 'open' AND status = 'fail' DESC, estimated.monthly_savings DESC NULLS LAST, severity.score DESC NULLS LAST, fingerprint";
const OPEN_FAILING = "status = 'fail' AND lifecycle_status = 'open'";
/** The other lists take their rows' texts from findings.json's (see writeFindingFiles); `f.rn` is its order. */
const LISTED_ROWS =
  'SELECT f.row FROM latest JOIN (SELECT rn, row, fingerprint FROM finding_rows) f USING (fingerprint)';

/** What `prepareLatest` reads: the dataset, its state and gold roots, the suppressions. */
export type LatestOptions = Pick<
  ExportOptions,
  | 'dataRoot'
  | 'tenantId'
  | 'suppressions'
  | 'stateRoot'
  | 'goldRoot'
  | 'saveState'
  | 'remoteParts'
  | 'remoteManifests'
  | 'onStage'
  | 'onProgress'
>;

/**
 * The tenant's state brought up to date (saved unless `saveState` is false), its suppression rules, and the temp
 * table `latest_rows`: one row per fingerprint with its lifecycle, what every export list and a remediation plan
 * read. Returns the refreshed state and the row count.
 */
export async function prepareLatest(
  connection: DuckDBConnection,
  options: LatestOptions,
  now: Date,
): Promise<{ state: Awaited<ReturnType<typeof refreshStateAndGold>>; findings: number }> {
  const tenant = normaliseTenant(options.tenantId);
  await assertTenantExists(options.dataRoot, tenant);
  const rules = await loadSuppressions(options.dataRoot, tenant, options.suppressions);
  options.onStage?.('reading history', { tenant, data: options.dataRoot });
  const state = await refreshStateAndGold(connection, {
    dataRoot: options.dataRoot,
    tenant,
    stateRoot: options.stateRoot ?? stateRoot(options.dataRoot),
    goldRoot: options.goldRoot ?? goldRoot(options.dataRoot),
    save: options.saveState !== false,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.remoteParts ? { remoteParts: options.remoteParts } : {}),
    ...(options.remoteManifests ? { remoteManifests: options.remoteManifests } : {}),
  });
  options.onStage?.('history read', {
    state: state.mode,
    runs: state.manifests.length,
    skipped: state.skipped.length,
  });
  // Kept for the next export; a dataset this process cannot write beside is exported all the same.
  if (state.saveError) options.onStage?.('state not saved', { reason: state.saveError });
  await loadRules(connection, rules);
  return { state, findings: await buildLatest(connection, now) };
}

export async function exportTenant(options: ExportOptions): Promise<ExportResult> {
  const tenant = normaliseTenant(options.tenantId);
  const now = (options.now ?? (() => new Date()))();
  const instance = await DuckDBInstance.create(':memory:');
  const { connection, dispose } = interruptible(await instance.connect(), options.signal);
  let staging: string | undefined;
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const golds = options.goldRoot ?? goldRoot(options.dataRoot);
    const { state, findings } = await prepareLatest(connection, options, now);
    const { skipped, manifests } = state;
    // Billed cost from the tenant's cost facts, when it has some: beside each finding, and kept for DuckDB users.
    const costs = await attributeCosts(connection, {
      costRoot: options.costRoot ?? join(dirname(options.dataRoot), COST_FACTS_DIR),
      tenant,
      model: options.costModel ?? 'amortized',
    });
    await joinBeside(connection);
    if (costs && options.saveState !== false) {
      await writeAttribution(
        connection,
        options.attributionRoot ?? join(dirname(options.dataRoot), ATTRIBUTION_DIR),
        tenant,
      );
    }
    options.onStage?.('writing files', { findings });
    // Everything is written to a staging folder first: a failure leaves the previous export as it was.
    const stage = join(options.outDir, `.export-${randomUUID()}`);
    staging = stage;
    await makeDirectory(stage);
    const out = (name: string) => join(stage, name);
    const resolvedSince = new Date(now.getTime() - RESOLVED_WINDOW_DAYS * 86_400_000);
    const list = await writeFindingFiles(connection, stage, {
      from: 'latest',
      row: FINDING_ROW,
      order: ORDER,
    });
    const files: string[] = [
      ...list.files,
      await writeJsonRows(
        connection,
        out('top_savings.json'),
        `${LISTED_ROWS} WHERE ${OPEN_FAILING} AND estimated.monthly_savings > 0
         ORDER BY f.rn LIMIT ${TOP_SAVINGS_LIMIT}`,
      ),
      await writeJsonRows(
        connection,
        out('suppressed.json'),
        `${LISTED_ROWS} WHERE lifecycle_status IN ('ignored', 'snoozed') ORDER BY f.rn`,
      ),
      await writeResolved(connection, out('resolved.json'), tenant, resolvedSince),
      await writeJson(
        out('trends.json'),
        await trends(connection, golds, tenant, now, state.mode === 'rebuilt'),
      ),
      await writeJson(out('summary.json'), {
        ...(await summarize(connection, tenant, now, resolvedSince, costs)),
        skipped_files: skipped,
      }),
    ];
    const actions = await recentActions(
      connection,
      options.actionsRoot ?? actionsRoot(options.dataRoot),
      tenant,
    );
    if (actions) files.push(await writeJson(out('actions.json'), actions));
    const runs = runsExportFrom(tenant, state.summaries, manifests);
    if (runs) {
      files.push(await writeJson(out('runs.json'), runs.runs));
      files.push(await writeJson(out('coverage.json'), runs.coverage));
    }
    options.signal?.throwIfAborted();
    const stateSaved = options.saveState !== false && state.mode !== 'stored' && !state.saveError;
    const published = await publish(stage, options.outDir, files, list.pages);
    return {
      ...published,
      findings,
      skipped,
      stateSaved,
      attributionSaved: costs && options.saveState !== false,
    };
  } finally {
    dispose();
    connection.closeSync();
    instance.closeSync();
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/** Every file an export may write: those this export did not write are removed (another tenant's, an older run's). */
export const EXPORT_FILES = [
  'findings.json',
  INDEX_FILE,
  'top_savings.json',
  'suppressed.json',
  'resolved.json',
  'trends.json',
  'summary.json',
  'runs.json',
  'coverage.json',
  'actions.json',
] as const;

/**
 * Moves the staged files over the export folder's (each rename atomic) and removes stale ones. The pages go
 * first and the older exports' pages last, so the index a reader loads always names pages that exist.
 */
async function publish(
  staging: string,
  outDir: string,
  staged: readonly string[],
  pages: FindingFiles['pages'],
): Promise<{ files: string[]; pages: string }> {
  const pagesTarget = join(outDir, PAGES_DIR, basename(pages.name));
  // The same digest: the same rows, already there.
  if (!(await isDirectory(pagesTarget))) {
    await makeDirectory(join(outDir, PAGES_DIR));
    await rename(pages.path, pagesTarget);
  }
  const published: string[] = [];
  for (const file of staged) {
    const target = join(outDir, basename(file));
    await rename(file, target);
    published.push(target);
  }
  const written = new Set(staged.map((file) => basename(file)));
  for (const name of EXPORT_FILES) if (!written.has(name)) await rm(join(outDir, name), { force: true });
  for (const older of await readdir(join(outDir, PAGES_DIR)))
    if (older !== basename(pages.name))
      await rm(join(outDir, PAGES_DIR, older), { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
  await removeAbandonedStaging(outDir);
  return { files: published, pages: pagesTarget };
}

/** An export killed at once (a second Ctrl-C, SIGKILL) leaves its staging folder: removed after an hour. */
async function removeAbandonedStaging(outDir: string, now = Date.now()): Promise<void> {
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith('.export-')) continue;
    const path = join(outDir, entry.name);
    const modified = await stat(path).then(
      (s) => s.mtimeMs,
      () => now,
    );
    if (now - modified > 3_600_000) await rm(path, { recursive: true, force: true });
  }
}

async function assertTenantExists(dataRoot: string, tenant: string): Promise<void> {
  if (await isDirectory(tenantDir(dataRoot, tenant))) return;
  // A run that found nothing wrote no part, only its manifest: the tenant exists, with no findings yet.
  if (await isDirectory(manifestDir(dataRoot, tenant))) return;
  const tenants = await listTenants(dataRoot);
  throw new ExportError(
    tenants.length === 0
      ? `no findings dataset at ${dataRoot}: run the checkers first, or pass --data`
      : `tenant ${tenant} has no findings under ${dataRoot}; available tenants: ${tenants.join(', ')}${caseHint(tenant, tenants)}`,
  );
}

async function loadSuppressions(
  dataRoot: string,
  tenant: string,
  given: string | undefined,
): Promise<SuppressionRule[]> {
  // The tenant's own file first, then one at the dataset root.
  const candidates = given
    ? [given]
    : [tenantDir(dataRoot, tenant), dataRoot].flatMap((dir) =>
        SUPPRESSION_FILES.map((name) => join(dir, name)),
      );
  for (const file of candidates) {
    const content = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && !given) return undefined;
      throw new ExportError(`cannot read suppression file ${file}: ${error.message}`);
    });
    if (content !== undefined) return parseSuppressions(file, content);
  }
  return [];
}

async function loadRules(connection: DuckDBConnection, rules: readonly SuppressionRule[]): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE rules (idx INTEGER, check_id VARCHAR, account_id VARCHAR,
    region VARCHAR, resource_re VARCHAR, reason VARCHAR, owner VARCHAR, expires DATE)`);
  await connection.run('CREATE OR REPLACE TEMP TABLE rule_tags (idx INTEGER, key VARCHAR, value VARCHAR)');
  for (const [idx, rule] of rules.entries()) {
    await connection.run(
      'INSERT INTO rules VALUES ($idx, $check, $account, $region, $resource, $reason, $owner, $expires::DATE)',
      {
        idx,
        check: rule.check_id ?? null,
        account: rule.account_id ?? null,
        region: rule.region ?? null,
        // Matched as an RE2 regular expression: linear time, where SQL GLOB backtracks exponentially.
        resource: rule.resource_id === undefined ? null : globToRegex(rule.resource_id),
        reason: rule.reason,
        owner: rule.owner,
        expires: rule.expires ?? null,
      },
    );
    for (const [key, value] of Object.entries(rule.tags ?? {})) {
      await connection.run('INSERT INTO rule_tags VALUES ($idx, $key, $value)', { idx, key, value });
    }
  }
}

/** The state's columns an export reads (the rest, such as metrics and metadata_json, stay in the dataset). */
const LATEST_COLUMNS = `tenant_id, workspace_id, finding_id, fingerprint, run_id, run_ts, run_date, check_id, check_name,
  category, status, severity, scope, title, message, recommendation, remediation, links, estimated, tags, labels,
  dimensions, first_seen, last_seen, times_seen, resolved_ts, last_fail_savings`;

/**
 * The temp table `latest_rows`: one row per fingerprint (its latest occurrence) with lifecycle and suppression,
 * AWS recommendations shown beside a native finding left out; returns the row count.
 */
async function buildLatest(connection: DuckDBConnection, now: Date): Promise<number> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE latest_rows AS
     WITH l AS (SELECT ${LATEST_COLUMNS} FROM state),
     matched AS (
       -- The first rule (in file order) whose every given field matches; an expired rule no longer applies.
       SELECT l.fingerprint, min(r.idx) AS idx FROM l JOIN rules r
         ON (r.check_id IS NULL OR l.check_id = r.check_id)
        AND (r.account_id IS NULL OR l.scope.account_id = r.account_id)
        AND (r.region IS NULL OR l.scope.region = r.region)
        AND (r.resource_re IS NULL OR regexp_full_match(l.scope.resource_id, r.resource_re)
             OR regexp_full_match(l.scope.resource_arn, r.resource_re))
        AND (r.expires IS NULL OR r.expires > $today::DATE)
        AND NOT EXISTS (SELECT 1 FROM rule_tags t WHERE t.idx = r.idx AND l.tags[t.key] IS DISTINCT FROM t.value)
       GROUP BY l.fingerprint),
     joined AS (
       SELECT l.* EXCLUDE (labels),
              r.reason AS suppression_reason, r.owner AS suppression_owner, r.expires AS snooze_until,
              CASE WHEN l.last_seen IS NULL THEN NULL
                   WHEN l.resolved_ts IS NOT NULL THEN 'resolved'
                   WHEN r.idx IS NULL THEN 'open'
                   WHEN r.expires IS NULL THEN 'ignored'
                   ELSE 'snoozed' END AS lifecycle_status,
              CASE WHEN r.idx IS NULL OR l.resolved_ts IS NOT NULL THEN l.labels
                   ELSE map_concat(coalesce(l.labels, MAP {}), MAP {'suppression_reason': r.reason, 'suppression_owner': r.owner})
              END AS labels
       FROM l LEFT JOIN matched m USING (fingerprint) LEFT JOIN rules r ON r.idx = m.idx)
     SELECT * EXCLUDE (suppression_reason, suppression_owner, snooze_until),
            CASE WHEN lifecycle_status IN ('ignored', 'snoozed') THEN suppression_reason END AS suppression_reason,
            CASE WHEN lifecycle_status IN ('ignored', 'snoozed') THEN suppression_owner END AS suppression_owner,
            CASE WHEN lifecycle_status = 'snoozed' THEN snooze_until END AS snooze_until,
            CASE WHEN first_seen IS NULL THEN NULL
                 -- A backfilled run can be later than the export's clock: count up to the last sighting then.
                 ELSE date_diff('day', first_seen, coalesce(resolved_ts, greatest($now::TIMESTAMPTZ, last_seen)))::INTEGER
            END AS days_open
     FROM joined`,
    { today: utcDate(now), now: now.toISOString() },
  );
  await besideNativeFindings(connection);
  const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM latest_rows');
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/**
 * AWS's recommendation for a resource that a native check also reports failing is shown beside that finding
 * (`aws_monthly_savings`, `aws_action_type`, in the temp table `beside`) and leaves the list, so its saving is
 * counted once. A recommendation no native check matches stays a finding of its own.
 */
async function besideNativeFindings(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE beside AS
     SELECT n.fingerprint, sum(a.estimated.monthly_savings) AS aws_monthly_savings,
            string_agg(DISTINCT a.dimensions['action_type'], ', ' ORDER BY a.dimensions['action_type']) AS aws_action_type,
            list(a.fingerprint) AS shown
     FROM latest_rows n JOIN latest_rows a ON ${AWS_BESIDE_NATIVE}
     GROUP BY n.fingerprint`,
    { source: AWS_RECOMMENDATION_SOURCE },
  );
  await connection.run('DELETE FROM latest_rows WHERE fingerprint IN (SELECT unnest(shown) FROM beside)');
}

export interface Summary {
  readonly tenant_id: string;
  readonly generated_at: string;
  readonly latest_run_ts: string | null;
  readonly findings: number;
  /** Distinct resources (account, region, type, id) the latest occurrences of the findings are about. */
  readonly resources_examined: number;
  readonly by_status: Record<string, number>;
  readonly by_severity: Record<string, number>;
  readonly by_lifecycle: Record<string, number>;
  readonly matrix: Record<string, Record<string, number>>;
  readonly totals: Record<string, string | number | null>;
  /** With cost facts: findings with a billed cost, and the 30-day cost of resources no finding names. */
  readonly cost_coverage: {
    readonly findings_with_actual_cost: number;
    readonly open_failing_findings: number;
    readonly unmatched_cost_30d: Readonly<Record<string, string>>;
  } | null;
}

async function summarize(
  connection: DuckDBConnection,
  tenant: string,
  now: Date,
  resolvedSince: Date,
  costs: boolean,
): Promise<Summary> {
  const counts = await connection.runAndReadAll(
    `SELECT status, severity.level AS level, count(*)::INTEGER AS n FROM latest GROUP BY ALL ORDER BY ALL`,
  );
  const by_status: Record<string, number> = {};
  const by_severity: Record<string, number> = {};
  const matrix: Record<string, Record<string, number>> = {};
  for (const [status, level, n] of counts.getRowsJson() as [string, string, number][]) {
    by_status[status] = (by_status[status] ?? 0) + n;
    by_severity[level] = (by_severity[level] ?? 0) + n;
    (matrix[status] ??= {})[level] = n;
  }
  const lifecycles = await connection.runAndReadAll(
    `SELECT lifecycle_status, count(*)::INTEGER FROM latest WHERE lifecycle_status IS NOT NULL GROUP BY ALL ORDER BY ALL`,
  );
  const by_lifecycle = Object.fromEntries(lifecycles.getRowsJson() as [string, number][]);
  const totals = await connection.runAndReadAll(
    `SELECT
       ${money(`coalesce(sum(estimated.monthly_savings) FILTER (WHERE ${OPEN_FAILING}), 0)`)},
       ${money(`coalesce(sum(estimated.monthly_cost) FILTER (WHERE ${OPEN_FAILING}), 0)`)},
       (count(*) FILTER (WHERE ${OPEN_FAILING}))::INTEGER,
       (count(*) FILTER (WHERE ${OPEN_FAILING} AND estimated.monthly_savings IS NOT NULL))::INTEGER,
       (count(*) FILTER (WHERE lifecycle_status IN ('ignored', 'snoozed')))::INTEGER,
       ${money("coalesce(sum(estimated.monthly_savings) FILTER (WHERE lifecycle_status IN ('ignored', 'snoozed')), 0)")},
       (count(*) FILTER (WHERE ${RESOLVED_IN_WINDOW}))::INTEGER,
       ${money(`coalesce(sum(last_fail_savings) FILTER (WHERE ${RESOLVED_IN_WINDOW}), 0)`)},
       ${isoTs('max(run_ts)')},
       count(*)::INTEGER,
       (count(DISTINCT (scope.account_id, scope.region, scope.resource_type, scope.resource_id))
         FILTER (WHERE coalesce(scope.resource_id, '') <> ''))::INTEGER
     FROM latest`,
    { since: resolvedSince.toISOString() },
  );
  const [
    savings,
    cost,
    open,
    withEstimate,
    suppressed,
    suppressedSavings,
    resolvedCount,
    realised,
    latestRun,
    findings,
    resources,
  ] = totals.getRowsJson()[0] as [
    string,
    string,
    number,
    number,
    number,
    string,
    number,
    string,
    string | null,
    number,
    number,
  ];
  return {
    tenant_id: tenant,
    generated_at: now.toISOString(),
    latest_run_ts: latestRun,
    findings,
    resources_examined: resources,
    by_status,
    by_severity,
    by_lifecycle,
    matrix,
    totals: {
      est_monthly_savings: savings,
      est_monthly_cost: cost,
      open_failing_findings: open,
      open_failing_with_estimate: withEstimate,
      suppressed_findings: suppressed,
      suppressed_est_monthly_savings: suppressedSavings,
      resolved_findings_30d: resolvedCount,
      realised_monthly_savings_30d: realised,
      ...(await actualTotals(connection, costs)),
    },
    cost_coverage: costs ? await costCoverage(connection) : null,
  };
}

/**
 * `latest`: every finding's row, with AWS's recommendation beside it and the attribution's columns (null
 * where no cost fact matched). A view: the narrow side tables are joined to what each query reads.
 */
async function joinBeside(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW latest AS
     SELECT l.*, b.aws_monthly_savings, b.aws_action_type,
            a.cost_7d AS actual_cost_7d, a.cost_30d AS actual_cost_30d, a.savings_7d AS actual_savings_7d,
            a.savings_30d AS actual_savings_30d, a.currency AS actual_currency, a.cost_model AS actual_cost_model,
            a.period_end AS actual_period_end, a.method AS attribution_method, a.confidence AS attribution_confidence,
            a.matched_keys AS attribution_keys
     FROM latest_rows l LEFT JOIN beside b USING (fingerprint) LEFT JOIN attribution a USING (fingerprint)`,
  );
}

/**
 * Billed cost over 30 days of the resources of open failing findings (each resource once), and what fixing them
 * saves; in the facts' currency, null with several currencies or without facts.
 */
async function actualTotals(connection: DuckDBConnection, costs: boolean) {
  if (!costs) return { actual_cost_30d: null, actual_savings_30d: null, actual_currency: null };
  const reader = await connection.runAndReadAll(
    `WITH open AS (SELECT * FROM latest WHERE ${OPEN_FAILING} AND actual_cost_30d IS NOT NULL),
     -- A resource once however many findings name it; the same id in two accounts is two resources.
     resources AS (SELECT DISTINCT scope.account_id, attribution_keys, actual_cost_30d FROM open)
     SELECT (SELECT count(DISTINCT actual_currency) FROM open)::INTEGER AS currencies,
            (SELECT any_value(actual_currency) FROM open) AS currency,
            ${money('(SELECT coalesce(sum(actual_cost_30d), 0) FROM resources)')} AS cost,
            ${money('(SELECT coalesce(sum(actual_savings_30d), 0) FROM open)')} AS savings`,
  );
  const row = reader.getRowObjectsJson()[0] as {
    currencies: number;
    currency: string | null;
    cost: string;
    savings: string;
  };
  if (row.currencies > 1) return { actual_cost_30d: null, actual_savings_30d: null, actual_currency: null };
  return { actual_cost_30d: row.cost, actual_savings_30d: row.savings, actual_currency: row.currency };
}

/** How much of the estate the bill covers: findings with a billed cost, and cost no finding names. */
async function costCoverage(connection: DuckDBConnection) {
  const reader = await connection.runAndReadAll(
    `SELECT (count(*) FILTER (WHERE actual_cost_30d IS NOT NULL))::INTEGER AS with_cost,
            (count(*) FILTER (WHERE ${OPEN_FAILING}))::INTEGER AS open_failing
     FROM latest`,
  );
  const row = reader.getRowObjectsJson()[0] as { with_cost: number; open_failing: number };
  return {
    findings_with_actual_cost: row.with_cost,
    open_failing_findings: row.open_failing,
    unmatched_cost_30d: await unmatchedCost(connection),
  };
}

/** resolved.json: the findings resolved since `since`, most recent first, streamed like the other lists. */
async function writeResolved(
  connection: DuckDBConnection,
  target: string,
  tenant: string,
  since: Date,
): Promise<string> {
  const params = { since: since.toISOString() };
  const total = await connection.runAndReadAll(
    `SELECT count(*)::INTEGER AS findings, ${money('coalesce(sum(last_fail_savings), 0)')} AS realised FROM latest WHERE ${RESOLVED_IN_WINDOW}`,
    params,
  );
  const { findings, realised } = total.getRowObjectsJson()[0] as { findings: number; realised: string };
  const header = {
    tenant_id: tenant,
    since: since.toISOString(),
    window_days: RESOLVED_WINDOW_DAYS,
    resolved_findings: findings,
    realised_monthly_savings: realised,
  };
  return writeJsonRows(
    connection,
    target,
    `${LISTED_ROWS} WHERE ${RESOLVED_IN_WINDOW} ORDER BY resolved_ts DESC, last_fail_savings DESC NULLS LAST, fingerprint`,
    params,
    { header, key: 'findings' },
  );
}

/** Daily open savings and counts for the last 90 days: from the gold tables when built, else computed now. */
async function trends(
  connection: DuckDBConnection,
  golds: string,
  tenant: string,
  now: Date,
  everyDay: boolean,
) {
  // The window ends today, or at the latest run when backfilled runs are dated after the export's clock.
  const latest = await connection.runAndReadAll('SELECT epoch_ms(max(run_ts)) FROM latest');
  const latestMs = Number(latest.getRows()[0]?.[0] ?? 0);
  const end = new Date(Math.max(now.getTime(), latestMs));
  const from = utcDate(new Date(end.getTime() - TREND_DAYS * 86_400_000));
  const to = utcDate(end);
  const gold = await hasGold(golds, tenant);
  if (gold) {
    // Only the window's days: what a trend reads does not grow with the history.
    const parts = await goldParts(golds, tenant, from, to);
    if (parts.length === 0) await connection.run('CREATE OR REPLACE TEMP TABLE kpi AS FROM kpi_days LIMIT 0');
    else
      await connection.run(
        `CREATE OR REPLACE TEMP TABLE kpi AS SELECT * EXCLUDE (tenant_id) FROM read_parquet($parts, hive_partitioning = false)`,
        { parts: listValue(parts) },
      );
  } else if (everyDay) {
    // The state was just rebuilt: every day, as the gold tables would have it.
    await connection.run('CREATE OR REPLACE TEMP TABLE kpi AS SELECT * FROM kpi_days');
  } else {
    // Without gold tables and without a rebuild: the state's own day, one point.
    await stateKpis(connection);
  }
  const reader = await connection.runAndReadAll(
    `SELECT to_json({
       date: strftime(period, '%Y-%m-%d'),
       open_findings: findings,
       open_monthly_savings: ${money('est_monthly_savings')},
       failing_by_severity: (SELECT map_from_entries(list({k: s.key, v: s.findings} ORDER BY s.key)) FROM kpi s
                             WHERE s.period = t.period AND s.kpi = 'failing' AND s.dimension = 'severity')
     })::VARCHAR
     FROM kpi t WHERE kpi = 'open_savings' AND dimension = 'total' AND period BETWEEN $from::DATE AND $to::DATE
     ORDER BY period`,
    { from, to },
  );
  return {
    tenant_id: tenant,
    source: gold ? 'kpi_gold' : 'findings',
    from,
    to,
    days: reader.getRows().map(([row]) => JSON.parse(String(row))),
  };
}

/**
 * Streams a one-column query of JSON texts into a JSON array file, written atomically; with `within`, the
 * array is the value of `key` after the fields of `header`.
 */
async function writeJsonRows(
  connection: DuckDBConnection,
  target: string,
  sql: string,
  params: Record<string, string> = {},
  within?: { readonly header: Readonly<Record<string, unknown>>; readonly key: string },
): Promise<string> {
  const result = await connection.stream(sql, params);
  async function* lines(): AsyncGenerator<string> {
    let first = true;
    // The header's fields as JSON.stringify lays them out, its closing brace left for after the list.
    if (within)
      yield `${JSON.stringify(within.header, null, 2).slice(0, -2)},\n  ${JSON.stringify(within.key)}: `;
    yield '[';
    // One write per chunk of rows (DuckDB's vector of up to 2,048), not one per row.
    for await (const rows of result.yieldRows()) {
      if (rows.length === 0) continue;
      yield `${first ? '\n' : ',\n'}${rows.map(([row]) => String(row)).join(',\n')}`;
      first = false;
    }
    yield first ? ']' : '\n]';
    yield within ? '\n}\n' : '\n';
  }
  await writeFileAtomic(target, lines());
  return target;
}

async function writeJson(target: string, value: unknown): Promise<string> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
  return target;
}
