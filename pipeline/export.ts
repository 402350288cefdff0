/**
 * The dashboard export: one tenant's findings dataset → findings.json, summary.json, top_savings.json.
 * Reads only that tenant's partitions, with every user value bound as a parameter, and keeps one row
 * per fingerprint: its latest occurrence.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeFileAtomic } from './atomic.ts';
import { assertSafeTenant, tenantDir } from './layout.ts';

export const TOP_SAVINGS_LIMIT = 50;

export class ExportError extends Error {
  override name = 'ExportError';
}

export interface ExportOptions {
  readonly dataRoot: string;
  readonly tenantId: string;
  readonly outDir: string;
  readonly now?: () => Date;
}

export interface ExportResult {
  readonly files: readonly string[];
  readonly findings: number;
}

/** Tenants that have a partition directory under the dataset root. */
export async function listTenants(dataRoot: string): Promise<string[]> {
  const entries = await readdir(dataRoot, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith('tenant_id='))
    .map((e) => e.name.slice('tenant_id='.length))
    .sort();
}

const isoTs = (column: string) => `strftime(${column} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')`;
const money = (column: string) => `CAST(${column} AS VARCHAR)`;

/** The row shape of findings.json and top_savings.json, built by DuckDB as JSON text. */
const FINDING_ROW = `to_json({
  tenant_id: tenant_id, workspace_id: workspace_id, finding_id: finding_id, fingerprint: fingerprint,
  run_id: run_id, run_ts: ${isoTs('run_ts')}, run_date: CAST(run_date AS VARCHAR),
  check_id: check_id, check_name: check_name, category: category, status: status,
  severity_level: severity.level, severity_score: severity.score,
  cloud: scope.cloud, account_id: scope.account_id, region: scope.region, service: scope.service,
  resource_type: scope.resource_type, resource_id: scope.resource_id, resource_arn: scope.resource_arn,
  title: title, message: message, recommendation: recommendation, remediation: remediation,
  est_monthly_cost: ${money('estimated.monthly_cost')},
  est_monthly_savings: ${money('estimated.monthly_savings')},
  est_confidence: estimated.confidence, est_notes: estimated.notes,
  savings_source: dimensions['savings_source'], tags: tags
})::VARCHAR`;

// Money first: failing findings by savings, then the rest by severity; fingerprint makes it total.
const ORDER =
  "ORDER BY status = 'fail' DESC, estimated.monthly_savings DESC NULLS LAST, severity.score DESC NULLS LAST, fingerprint";

export async function exportTenant(options: ExportOptions): Promise<ExportResult> {
  const tenant = assertSafeTenant(options.tenantId);
  await assertTenantExists(options.dataRoot, tenant);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const findings = await loadLatest(connection, options.dataRoot, tenant);
    const summary = await summarize(connection, tenant, (options.now ?? (() => new Date()))());
    const files = [
      await writeJsonRows(
        connection,
        join(options.outDir, 'findings.json'),
        `SELECT ${FINDING_ROW} FROM latest ${ORDER}`,
      ),
      await writeJsonRows(
        connection,
        join(options.outDir, 'top_savings.json'),
        `SELECT ${FINDING_ROW} FROM latest WHERE status = 'fail' AND estimated.monthly_savings IS NOT NULL
         ${ORDER} LIMIT ${TOP_SAVINGS_LIMIT}`,
      ),
      await writeJson(join(options.outDir, 'summary.json'), summary),
    ];
    return { files, findings };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function assertTenantExists(dataRoot: string, tenant: string): Promise<void> {
  const exists = await stat(tenantDir(dataRoot, tenant)).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (exists) return;
  const tenants = await listTenants(dataRoot);
  throw new ExportError(
    tenants.length === 0
      ? `no findings dataset at ${dataRoot}: run the checkers first, or pass --data`
      : `tenant ${tenant} has no findings under ${dataRoot}; available tenants: ${tenants.join(', ')}`,
  );
}

async function loadLatest(connection: DuckDBConnection, dataRoot: string, tenant: string): Promise<number> {
  // Only the tenant's directory is globbed: other tenants' files are never opened.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE latest AS
     SELECT * FROM read_parquet($glob, hive_partitioning = true, union_by_name = true)
     WHERE tenant_id = $tenant
     QUALIFY row_number() OVER (
       PARTITION BY fingerprint ORDER BY run_ts DESC, ingested_ts DESC NULLS LAST, finding_id) = 1`,
    { glob: join(tenantDir(dataRoot, tenant), 'run_date=*', '*.parquet'), tenant },
  );
  const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM latest');
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

export interface Summary {
  readonly tenant_id: string;
  readonly generated_at: string;
  readonly latest_run_ts: string | null;
  readonly findings: number;
  readonly by_status: Record<string, number>;
  readonly by_severity: Record<string, number>;
  readonly matrix: Record<string, Record<string, number>>;
  readonly totals: {
    readonly est_monthly_savings: string;
    readonly est_monthly_cost: string;
    readonly failing_findings: number;
    readonly failing_with_estimate: number;
  };
}

async function summarize(connection: DuckDBConnection, tenant: string, now: Date): Promise<Summary> {
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
  const totals = await connection.runAndReadAll(
    `SELECT
       ${money("coalesce(sum(estimated.monthly_savings) FILTER (WHERE status = 'fail'), 0)")},
       ${money("coalesce(sum(estimated.monthly_cost) FILTER (WHERE status = 'fail'), 0)")},
       (count(*) FILTER (WHERE status = 'fail'))::INTEGER,
       (count(*) FILTER (WHERE status = 'fail' AND estimated.monthly_savings IS NOT NULL))::INTEGER,
       ${isoTs('max(run_ts)')},
       count(*)::INTEGER
     FROM latest`,
  );
  const [savings, cost, failing, withEstimate, latestRun, findings] = totals.getRowsJson()[0] as [
    string,
    string,
    number,
    number,
    string | null,
    number,
  ];
  return {
    tenant_id: tenant,
    generated_at: now.toISOString(),
    latest_run_ts: latestRun,
    findings,
    by_status,
    by_severity,
    matrix,
    totals: {
      est_monthly_savings: savings,
      est_monthly_cost: cost,
      failing_findings: failing,
      failing_with_estimate: withEstimate,
    },
  };
}

/** Streams a one-column query of JSON texts into a JSON array file, written atomically. */
async function writeJsonRows(connection: DuckDBConnection, target: string, sql: string): Promise<string> {
  const result = await connection.stream(sql);
  async function* lines(): AsyncGenerator<string> {
    let first = true;
    yield '[';
    for await (const rows of result.yieldRows()) {
      for (const [row] of rows) {
        yield `${first ? '\n' : ',\n'}${String(row)}`;
        first = false;
      }
    }
    yield first ? ']\n' : '\n]\n';
  }
  await writeFileAtomic(target, lines());
  return target;
}

async function writeJson(target: string, value: unknown): Promise<string> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
  return target;
}
