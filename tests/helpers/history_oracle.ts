/**
 * The tenant state and the daily KPIs derived the other way round from the engine: set-based, over the whole
 * history at once (every finding, every covering run), instead of run by run. Tests hold the engine's state and
 * gold tables equal to these. Not for damaged datasets: every part must be readable.
 */
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { kpiFromDayState } from '../../pipeline/kpi.ts';
import { readTenantManifests } from '../../pipeline/manifest.ts';
import { listParts, VALID_ROW } from '../../pipeline/parts.ts';
import { tenantDir } from '../../pipeline/layout.ts';

const MANIFEST_COLUMNS =
  "{run_id: 'VARCHAR', run_ts: 'TIMESTAMPTZ', checkers: 'STRUCT(check_id VARCHAR, coverage STRUCT(account_id VARCHAR, region VARCHAR)[])[]'}";

/**
 * Creates the temp tables `allf` (every finding), `obs` (each fingerprint × covering run: its status there, NULL
 * when the run covered it and did not report it), `lifecycle` and `state`.
 */
export async function oracleState(
  connection: DuckDBConnection,
  dataRoot: string,
  tenant: string,
): Promise<void> {
  const files = await listParts(tenantDir(dataRoot, tenant));
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE allf AS
     SELECT * FROM read_parquet($files, hive_partitioning = true, union_by_name = true) WHERE ${VALID_ROW}`,
    { files: listValue(files), tenant },
  );
  const manifests = await readTenantManifests(dataRoot, tenant);
  await connection.run(
    'CREATE OR REPLACE TEMP TABLE declared (run_id VARCHAR, run_ts TIMESTAMPTZ, check_id VARCHAR, account_id VARCHAR, region VARCHAR)',
  );
  if (manifests.manifests.length > 0) {
    await connection.run(
      `INSERT INTO declared
       WITH m AS (SELECT run_id, run_ts, unnest(checkers) AS c FROM read_json($files, columns = ${MANIFEST_COLUMNS})),
            mc AS (SELECT run_id, run_ts, c.check_id AS check_id, unnest(c.coverage) AS cov FROM m)
       SELECT run_id, run_ts, check_id, cov.account_id, cov.region FROM mc`,
      { files: listValue(manifests.manifests.map((m) => m.path)) },
    );
  }
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE coverage AS
    SELECT run_id, run_ts, check_id, account_id, region FROM declared
    UNION
    SELECT DISTINCT run_id, run_ts, check_id, scope.account_id, scope.region FROM allf
    WHERE run_id NOT IN (SELECT run_id FROM declared)`);
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
  // Open while the latest covering run that reports on it says fail; resolved by the first later covering run
  // where it is absent or passes. Unknown and info observations tell nothing either way.
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
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE state AS
    WITH l AS (
      SELECT * FROM allf
      QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY run_ts DESC, ingested_ts DESC NULLS LAST, finding_id) = 1),
    savings AS (
      SELECT fingerprint, arg_max(estimated.monthly_savings, run_ts) AS last_fail_savings
      FROM allf WHERE status = 'fail' GROUP BY fingerprint),
    covered AS (
      SELECT fingerprint, max(run_ts) AS covered_ts, arg_max_null(status, run_ts) AS covered_status
      FROM obs GROUP BY fingerprint)
    SELECT l.*, lc.first_seen, lc.last_seen, lc.times_seen, lc.resolved_ts, s.last_fail_savings,
           c.covered_ts, c.covered_status
    FROM l LEFT JOIN lifecycle lc USING (fingerprint) LEFT JOIN savings s USING (fingerprint)
           LEFT JOIN covered c USING (fingerprint)`);
}

/**
 * The temp table `oracle_kpi`: for every day with findings, each fingerprint as its latest covering run up to
 * that day's end saw it (gone when that run did not report it), aggregated as the gold tables are (`kpiFromDayState`).
 * `oracleState` must have run on the connection.
 */
export async function oracleDailyKpis(connection: DuckDBConnection): Promise<void> {
  await connection.run('CREATE OR REPLACE TEMP TABLE days AS SELECT DISTINCT run_date AS period FROM allf');
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE day_state AS
    WITH latest_run AS (
      SELECT d.period, o.fingerprint, arg_max(o.run_id, o.run_ts) AS run_id
      FROM days d JOIN obs o ON o.run_ts < (d.period + INTERVAL 1 DAY)::TIMESTAMPTZ
      GROUP BY d.period, o.fingerprint)
    SELECT l.period, a.status, a.severity.level AS severity, a.category, a.check_id, a.scope.service AS service,
           a.scope.account_id AS account_id, a.scope.region AS region, a.estimated.monthly_savings AS savings
    FROM latest_run l JOIN allf a ON a.fingerprint = l.fingerprint AND a.run_id = l.run_id`);
  // The same aggregation as the gold tables': what differs here is how each day's findings are found.
  await kpiFromDayState(connection);
  await connection.run('CREATE OR REPLACE TEMP TABLE oracle_kpi AS SELECT * FROM kpi');
}
