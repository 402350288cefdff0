/**
 * KPI gold tables: per day, the state of the tenant's findings as of the end of that day (each fingerprint
 * at its latest covering run up to then), aggregated: findings by status, failing findings by severity and
 * category, open estimated savings by check, service, account and region.
 * `<data>/finops_kpi_gold/tenant_id=<t>/period=<YYYY-MM-DD>/part-<uuid>.parquet`.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DateDay, Decimal, Field, Int32, Schema, Utf8 } from 'apache-arrow';
import { MONEY_PRECISION, MONEY_SCALE, parseDecimal } from '../contracts/decimal.ts';
import { AWS_RECOMMENDATION_SOURCE } from '../contracts/vocabulary.ts';
import { parseDate } from '../contracts/time.ts';
import { BatchBuilder } from './arrow_batch.ts';
import { replaceDirectory } from './atomic.ts';
import { interruptible } from './interruptible.ts';
import { normaliseTenant } from './layout.ts';
import { writeSmallPart } from './parquet_part.ts';
import { refreshState, stateRoot, writeState, type RefreshedState, type RefreshOptions } from './state.ts';

export const kpiSchema = new Schema([
  new Field('tenant_id', new Utf8(), false),
  new Field('period', new DateDay(), false),
  new Field('kpi', new Utf8(), false),
  new Field('dimension', new Utf8(), false),
  new Field('key', new Utf8(), true),
  new Field('findings', new Int32(), false),
  new Field('est_monthly_savings', new Decimal(MONEY_SCALE, MONEY_PRECISION, 128), true),
]);

/** The gold dataset sits beside the findings dataset: data/finops_findings → data/finops_kpi_gold. */
export const goldRoot = (dataRoot: string): string => join(dirname(dataRoot), 'finops_kpi_gold');
/** A tenant's folder under a gold root. */
export const goldTenantDir = (root: string, tenant: string): string =>
  join(root, `tenant_id=${normaliseTenant(tenant)}`);

const money = (column: string) => `CAST(${column} AS DECIMAL(18,6))`;

/**
 * A join condition: `a` is AWS's recommendation (bound as `$source`) for the resource of `n`, a native check's
 * failing finding. The export shows `a` beside `n` and counts its saving once; the gold's days leave it out too.
 */
export const AWS_BESIDE_NATIVE = `a.status = 'fail' AND a.dimensions['savings_source'] = $source
  AND coalesce(a.scope.resource_id, '') <> ''
  AND n.status = 'fail' AND coalesce(n.dimensions['savings_source'], '') <> $source
  AND n.scope.account_id = a.scope.account_id AND n.scope.resource_id = a.scope.resource_id`;

/**
 * The temp table `state`'s own day (the day of its latest covering run) as the temp table `kpi`: what a run
 * adds to the gold tables, and what an export shows as trends when there are none.
 */
export async function stateKpis(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE days AS
     SELECT CAST(max(covered_ts) AT TIME ZONE 'UTC' AS DATE) AS period FROM state HAVING max(covered_ts) IS NOT NULL`,
  );
  // Each fingerprint as its latest covering run saw it; one that run did not report is no longer there. AWS's
  // recommendation for a resource a native check reports failing is left out, as the export shows it beside that
  // finding and counts its saving once: a day's figures are the headline's.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE day_state AS
     WITH current AS (FROM state WHERE covered_status IS NOT NULL),
     beside AS (SELECT a.fingerprint FROM current a JOIN current n ON ${AWS_BESIDE_NATIVE})
     SELECT d.period, s.status, s.severity.level AS severity, s.category, s.check_id, s.scope.service AS service,
            s.scope.account_id AS account_id, s.scope.region AS region, s.estimated.monthly_savings AS savings
     FROM days d CROSS JOIN current s WHERE s.fingerprint NOT IN (SELECT fingerprint FROM beside)`,
    { source: AWS_RECOMMENDATION_SOURCE },
  );
  await kpiFromDayState(connection);
}

/** The temp table `kpi` from `days` (period) and `day_state` (each finding as it stood at the end of a day). */
export async function kpiFromDayState(connection: DuckDBConnection): Promise<void> {
  const open = (dimension: string, column: string) =>
    `SELECT period, 'open_savings', '${dimension}', ${column}, count(*), ${money('sum(savings)')}
     FROM day_state WHERE status = 'fail' GROUP BY ALL`;
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE kpi AS
    SELECT period, 'findings' AS kpi, 'status' AS dimension, status AS key, count(*)::INTEGER AS findings,
           NULL::DECIMAL(18,6) AS est_monthly_savings
    FROM day_state GROUP BY ALL
    UNION ALL SELECT period, 'failing', 'severity', severity, count(*), ${money('sum(savings)')} FROM day_state WHERE status = 'fail' GROUP BY ALL
    UNION ALL SELECT period, 'failing', 'category', category, count(*), ${money('sum(savings)')} FROM day_state WHERE status = 'fail' GROUP BY ALL
    UNION ALL ${open('check_id', 'check_id')}
    UNION ALL ${open('service', 'service')}
    UNION ALL ${open('account_id', 'account_id')}
    UNION ALL ${open('region', 'region')}
    UNION ALL
    SELECT d.period, 'open_savings', 'total', 'all', count(s.status)::INTEGER, ${money('coalesce(sum(s.savings), 0)')}
    FROM days d LEFT JOIN day_state s ON s.period = d.period AND s.status = 'fail' GROUP BY d.period`);
}

export interface RebuildResult {
  readonly periods: readonly string[];
  readonly rows: number;
}

/** Recomputes the gold partitions of the days in range from the findings dataset; running it twice changes nothing. */
export async function rebuildKpis(options: {
  dataRoot: string;
  tenantId: string;
  from?: string | undefined;
  to?: string | undefined;
  /** Stops the rebuild: running queries are interrupted; days already replaced stay replaced, whole. */
  signal?: AbortSignal | undefined;
  /** Where the state and the gold tables are kept (default: beside the dataset). */
  stateRoot?: string | undefined;
  goldRoot?: string | undefined;
  /** Told after each run folded into the state. */
  onProgress?: RefreshOptions['onProgress'];
  /** The tenant's parts and manifests when `dataRoot` is a partial copy of a remote dataset. */
  remoteParts?: RefreshOptions['remoteParts'];
  remoteManifests?: RefreshOptions['remoteManifests'];
}): Promise<RebuildResult> {
  const tenant = normaliseTenant(options.tenantId);
  for (const [name, value] of [
    ['--from', options.from],
    ['--to', options.to],
  ] as const) {
    if (value !== undefined && parseDate(value) === undefined)
      throw new Error(`${name} ${value} is not a date (YYYY-MM-DD)`);
  }
  const instance = await DuckDBInstance.create(':memory:');
  const { connection, dispose } = interruptible(await instance.connect(), options.signal);
  try {
    await connection.run("SET TimeZone = 'UTC'");
    // The state is rebuilt with the gold tables (after a backfill, this is what brings it up to date): every
    // run is folded in, oldest first, and each day's end is that day of the gold tables.
    const states = options.stateRoot ?? stateRoot(options.dataRoot);
    await createKpiDays(connection);
    const state = await refreshState(connection, {
      dataRoot: options.dataRoot,
      stateRoot: states,
      tenant,
      rebuild: true,
      onDay: (day) => (inRange(day, options.from, options.to) ? collectDay(connection) : Promise.resolve()),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.remoteParts ? { remoteParts: options.remoteParts } : {}),
      ...(options.remoteManifests ? { remoteManifests: options.remoteManifests } : {}),
    });
    await writeState(connection, states, state.meta);
    await connection.run('CREATE OR REPLACE TEMP TABLE kpi AS SELECT * FROM kpi_days');
    return await writeKpiTable(
      connection,
      goldTenantDir(options.goldRoot ?? goldRoot(options.dataRoot), tenant),
      tenant,
      options.signal,
    );
  } finally {
    dispose();
    connection.closeSync();
    instance.closeSync();
  }
}

const inRange = (day: string, from: string | undefined, to: string | undefined) =>
  (from === undefined || day >= from) && (to === undefined || day <= to);

/** The temp table `kpi_days`, empty: the gold days a refresh brings, as it brings them (`collectDay`). */
async function createKpiDays(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE kpi_days (period DATE, kpi VARCHAR, dimension VARCHAR, key VARCHAR, findings INTEGER,
       est_monthly_savings DECIMAL(18,6))`,
  );
}

/** Adds the state's own day, at its end, to `kpi_days`. */
async function collectDay(connection: DuckDBConnection): Promise<void> {
  await stateKpis(connection);
  await connection.run('INSERT INTO kpi_days SELECT * FROM kpi');
}

/** Writes every period of the temp table `kpi` under `dir`, each replaced whole. */
export async function writeKpiTable(
  connection: DuckDBConnection,
  dir: string,
  tenant: string,
  signal?: AbortSignal,
): Promise<RebuildResult> {
  const reader = await connection.runAndReadAll(
    `SELECT strftime(period, '%Y-%m-%d') AS period, kpi, dimension, key, findings, est_monthly_savings::VARCHAR AS savings
       FROM kpi ORDER BY ALL`,
  );
  const byPeriod = new Map<string, Record<string, string | number | null>[]>();
  for (const row of reader.getRowObjectsJson() as Record<string, string | number | null>[]) {
    const list = byPeriod.get(String(row.period)) ?? [];
    list.push(row);
    byPeriod.set(String(row.period), list);
  }
  for (const [period, rows] of byPeriod) {
    signal?.throwIfAborted();
    await writePeriod(dir, tenant, period, rows);
  }
  return { periods: [...byPeriod.keys()], rows: reader.currentRowCount };
}

/** Writes one period beside the old one, then swaps directories, so a period is replaced whole. */
async function writePeriod(
  dir: string,
  tenant: string,
  period: string,
  rows: Record<string, string | number | null>[],
) {
  const batch = new BatchBuilder(kpiSchema);
  for (const row of rows) {
    const savings = row.savings === null ? null : parseDecimal(String(row.savings));
    batch.append({
      tenant_id: tenant,
      period: parseDate(period)! * 86_400_000,
      kpi: String(row.kpi),
      dimension: String(row.dimension),
      key: row.key === null ? null : String(row.key),
      findings: Number(row.findings),
      est_monthly_savings: savings && savings.ok ? savings.value : null,
    });
  }
  await replaceDirectory(join(dir, `period=${period}`), async (staging) => {
    const id = randomUUID();
    await writeSmallPart(
      join(staging, `part-${id}.parquet`),
      join(staging, `.part-${id}.parquet.tmp`),
      batch.flush(),
      { rowGroupRows: 10_000, createdBy: 'finops-findings kpi' },
    );
  });
}

/** The tenant's gold parts of the days from `from` to `to` (YYYY-MM-DD, both included): one folder a day. */
export async function goldParts(root: string, tenant: string, from: string, to: string): Promise<string[]> {
  const dir = goldTenantDir(root, tenant);
  const days = (await readdir(dir).catch(() => [] as string[])).filter((name) => {
    const day = /^period=(\d{4}-\d{2}-\d{2})$/.exec(name)?.[1];
    return day !== undefined && day >= from && day <= to;
  });
  const parts: string[] = [];
  for (const day of days.sort())
    for (const name of await readdir(join(dir, day)).catch(() => [] as string[]))
      if (name.endsWith('.parquet') && !name.startsWith('.')) parts.push(join(dir, day, name));
  return parts;
}

/** Whether gold partitions exist for the tenant. */
export async function hasGold(root: string, tenant: string): Promise<boolean> {
  const entries = await readdir(goldTenantDir(root, tenant)).catch(() => [] as string[]);
  return entries.some((e) => e.startsWith('period='));
}

/**
 * Brings the tenant's state up to date (see `refreshState`), leaving the days it advanced through (every day
 * after a rebuild) in the temp table `kpi_days`, and, with `save`, stores it with those gold days. Gold tables
 * that are missing make it a rebuild. A failure to store is returned (the state in the temp table `state` is good all the same).
 */
export async function refreshStateAndGold(
  connection: DuckDBConnection,
  options: {
    readonly dataRoot: string;
    readonly tenant: string;
    readonly stateRoot: string;
    readonly goldRoot: string;
    readonly save: boolean;
    readonly onProgress?: RefreshOptions['onProgress'];
    readonly remoteParts?: RefreshOptions['remoteParts'];
    readonly remoteManifests?: RefreshOptions['remoteManifests'];
  },
): Promise<RefreshedState & { readonly saveError?: string }> {
  const { save, tenant } = options;
  await createKpiDays(connection);
  const state = await refreshState(connection, {
    dataRoot: options.dataRoot,
    stateRoot: options.stateRoot,
    tenant,
    rebuild: save && !(await hasGold(options.goldRoot, tenant)),
    // The state at the end of each day it advances through: that day of the gold tables.
    onDay: () => collectDay(connection),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.remoteParts ? { remoteParts: options.remoteParts } : {}),
    ...(options.remoteManifests ? { remoteManifests: options.remoteManifests } : {}),
  });
  if (!save || state.mode === 'stored') return state;
  try {
    await writeState(connection, options.stateRoot, state.meta);
    await connection.run('CREATE OR REPLACE TEMP TABLE kpi AS SELECT * FROM kpi_days');
    await writeKpiTable(connection, goldTenantDir(options.goldRoot, tenant), tenant);
    return state;
  } catch (error) {
    return { ...state, saveError: (error as Error).message };
  }
}

/** `refreshStateAndGold` in a DuckDB of its own: what a run does once its parts and manifest are published. */
export async function maintainTenant(options: {
  readonly dataRoot: string;
  readonly tenant: string;
  readonly stateRoot?: string;
  readonly goldRoot?: string;
  /** Told after each run folded into the state (every run of the history when it is rebuilt). */
  readonly onProgress?: RefreshOptions['onProgress'];
  readonly remoteParts?: RefreshOptions['remoteParts'];
  readonly remoteManifests?: RefreshOptions['remoteManifests'];
}): Promise<{ readonly mode: string; readonly saveError?: string }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const state = await refreshStateAndGold(connection, {
      dataRoot: options.dataRoot,
      tenant: normaliseTenant(options.tenant),
      stateRoot: options.stateRoot ?? stateRoot(options.dataRoot),
      goldRoot: options.goldRoot ?? goldRoot(options.dataRoot),
      save: true,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.remoteParts ? { remoteParts: options.remoteParts } : {}),
      ...(options.remoteManifests ? { remoteManifests: options.remoteManifests } : {}),
    });
    return { mode: state.mode, ...(state.saveError ? { saveError: state.saveError } : {}) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
