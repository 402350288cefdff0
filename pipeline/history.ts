/**
 * History from the append-only dataset, in DuckDB: which runs covered which checker × account × region
 * (from run manifests, or inferred from the findings of runs that have none), each fingerprint's
 * observations across covering runs, and its lifecycle (first/last seen, open or resolved).
 */
import { readdir, stat } from 'node:fs/promises';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { readTenantManifests, type RunManifest } from './manifest.ts';
import { tenantDir } from './layout.ts';
import { emptyPart, readSkippingDamaged, tenantParts, VALID_ROW, type TenantParts } from './parts.ts';

/** What the history was read from: the readable parts, what was skipped, and the valid run manifests. */
export interface TenantHistory extends TenantParts {
  readonly manifests: readonly RunManifest[];
}

const MANIFEST_COLUMNS =
  "{run_id: 'VARCHAR', run_ts: 'TIMESTAMPTZ', checkers: 'STRUCT(check_id VARCHAR, coverage STRUCT(account_id VARCHAR, region VARCHAR)[])[]'}";

export const isDirectory = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

/**
 * What the history reads of every finding: what lifecycle, coverage, savings and KPIs need, with the same names
 * (`scope.account_id` …), not the whole row, whose text columns are most of its size. The latest row of each
 * fingerprint is read whole afterwards, from the parts that hold one (`buildState`).
 */
const HISTORY_COLUMNS = `fingerprint, finding_id, run_id, run_ts, run_date, ingested_ts, status, check_id, category,
  {level: severity.level} AS severity,
  {account_id: scope.account_id, region: scope.region, service: scope.service} AS scope,
  {monthly_savings: estimated.monthly_savings} AS estimated`;

/**
 * Creates the temp tables `allf` (every finding of the tenant, `HISTORY_COLUMNS` and its part), `allf_files`
 * (the parts), `coverage`, `obs` and `lifecycle`.
 * Only the tenant's directories are read; paths and the tenant are bound as parameters.
 */
export async function loadHistory(
  connection: DuckDBConnection,
  dataRoot: string,
  tenant: string,
): Promise<TenantHistory> {
  const found = await tenantParts(connection, dataRoot, tenantDir(dataRoot, tenant));
  const readAll = async (files: readonly string[]) => {
    // The parts read, by position: `allf.part` names a row's part, for reading latest rows whole later.
    await connection.run('CREATE OR REPLACE TEMP TABLE allf_files (path VARCHAR, part INTEGER)');
    if (files.length > 0) {
      await connection.run('INSERT INTO allf_files SELECT unnest($files), generate_subscripts($files, 1)', {
        files: listValue([...files]),
      });
    }
    if (files.length > 0) {
      await connection.run(
        `CREATE OR REPLACE TEMP TABLE allf AS
         SELECT ${HISTORY_COLUMNS}, list_position($files, filename)::INTEGER AS part
         FROM read_parquet($files, hive_partitioning = true, union_by_name = true, filename = true) WHERE ${VALID_ROW}`,
        { files: listValue([...files]), tenant },
      );
      return;
    }
    // With no readable part, an empty part of the schema gives the tables their columns.
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE allf AS
       SELECT ${HISTORY_COLUMNS}, NULL::INTEGER AS part
       FROM (SELECT *, NULL::DATE AS run_date FROM read_parquet($file, hive_partitioning = false)) WHERE ${VALID_ROW}`,
      { file: await emptyPart(), tenant },
    );
  };
  const read = await readSkippingDamaged(connection, dataRoot, found.files, readAll);
  const parts = { files: read.files, skipped: [...found.skipped, ...read.skipped] };
  const manifests = await readTenantManifests(dataRoot, tenant);
  if (manifests.manifests.length > 0) {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE declared AS
       WITH m AS (SELECT run_id, run_ts, unnest(checkers) AS c FROM read_json($files, columns = ${MANIFEST_COLUMNS})),
            mc AS (SELECT run_id, run_ts, c.check_id AS check_id, unnest(c.coverage) AS cov FROM m)
       SELECT run_id, run_ts, check_id, cov.account_id AS account_id, cov.region AS region FROM mc`,
      { files: listValue(manifests.manifests.map((m) => m.path)) },
    );
  } else {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE declared (run_id VARCHAR, run_ts TIMESTAMPTZ, check_id VARCHAR, account_id VARCHAR, region VARCHAR)`,
    );
  }
  await deriveHistory(connection);
  return {
    files: parts.files,
    skipped: [...parts.skipped, ...manifests.skipped],
    manifests: manifests.manifests.map((m) => m.manifest),
  };
}

/**
 * (Re)creates `coverage`, `obs` and `lifecycle` from `allf` and `declared` (again after rows of a part found
 * damaged were taken out of `allf`).
 */
export async function deriveHistory(connection: DuckDBConnection): Promise<void> {
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE coverage AS
    SELECT run_id, run_ts, check_id, account_id, region FROM declared
    UNION
    -- A run without a manifest covered what it reported on.
    SELECT DISTINCT run_id, run_ts, check_id, scope.account_id, scope.region FROM allf
    WHERE run_id NOT IN (SELECT run_id FROM declared)`);
  // One row per fingerprint and covering run: its status there, or NULL when the run did not report it.
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE obs AS
    WITH fp AS (
      SELECT fingerprint, arg_max(check_id, run_ts) AS check_id, arg_max(scope.account_id, run_ts) AS account_id,
             arg_max(scope.region, run_ts) AS region
      FROM allf GROUP BY fingerprint),
    covered AS (
      SELECT fp.fingerprint, c.run_id, c.run_ts FROM fp JOIN coverage c
        ON c.check_id = fp.check_id AND c.account_id = fp.account_id AND (c.region = fp.region OR c.region = '*')
      UNION
      SELECT fingerprint, run_id, run_ts FROM allf)
    SELECT c.fingerprint, c.run_id, c.run_ts, a.status
    FROM covered c LEFT JOIN allf a ON a.fingerprint = c.fingerprint AND a.run_id = c.run_id`);
  // Open while the latest covering run that reports on it says fail; resolved by the first later covering
  // run where it is absent or passes. Unknown and info observations tell nothing either way.
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE lifecycle AS
    WITH o AS (SELECT * FROM obs WHERE status IS NULL OR status IN ('fail', 'pass')),
    f AS (
      SELECT fingerprint, min(run_ts) FILTER (WHERE status = 'fail') AS first_seen,
             max(run_ts) FILTER (WHERE status = 'fail') AS last_seen,
             (count(DISTINCT run_id) FILTER (WHERE status = 'fail'))::INTEGER AS times_seen
      FROM o GROUP BY fingerprint)
    SELECT f.*, (SELECT min(o.run_ts) FROM o
                 WHERE o.fingerprint = f.fingerprint AND o.run_ts > f.last_seen AND coalesce(o.status, '') <> 'fail') AS resolved_ts
    FROM f WHERE f.last_seen IS NOT NULL`);
}

/** Tenants that have a partition directory under the dataset root. */
export async function listTenants(dataRoot: string): Promise<string[]> {
  const entries = await readdir(dataRoot, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith('tenant_id='))
    .map((e) => e.name.slice('tenant_id='.length))
    .sort();
}
