/**
 * One export, one full rebuild of the state and gold tables (`kpi rebuild`), one `cost import`, or the floor of an
 * export (DuckDB writing the stored state's rows as one JSON array, nothing else), for tenant `bench`, in a process
 * of its own, so its peak RSS is its own: prints {"seconds": s, "max_rss_mb": m, ...what it did}.
 */
import { exportTenant } from '../pipeline/export.ts';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attributeCosts } from '../pipeline/attribution.ts';
import { costTenantDir, findCostPeriods, importCostPeriods } from '../pipeline/cost_facts.ts';
import { rebuildKpis } from '../pipeline/kpi.ts';
import { stateRoot } from '../pipeline/state.ts';

const [mode, dataRoot, outDir] = process.argv.slice(2);
const usage =
  'usage: child.ts export|json-floor <dataset root> <out dir> | child.ts rebuild <dataset root> | child.ts cost-import <export folder> <facts root>';
if (
  !dataRoot ||
  (mode !== 'rebuild' && !outDir) ||
  !['export', 'json-floor', 'rebuild', 'cost-import'].includes(mode ?? '')
)
  throw new Error(usage);

const started = performance.now();
let done: Record<string, unknown>;
if (mode === 'export') {
  let state = '';
  const result = await exportTenant({
    dataRoot,
    tenantId: 'bench',
    outDir: outDir!,
    onStage: (stage, detail) => {
      if (stage === 'history read') state = String(detail['state']);
    },
  });
  done = { findings: result.findings, state };
} else if (mode === 'json-floor') {
  // The least an export writing findings.json from the stored state costs: the state's rows, as one JSON array.
  const meta = JSON.parse(
    await readFile(join(stateRoot(dataRoot), 'tenant_id=bench', 'state.json'), 'utf8'),
  ) as { file: string };
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await mkdir(outDir!, { recursive: true });
  await connection.run(
    `COPY (SELECT * FROM read_parquet($file)) TO '${join(outDir!, 'floor.json')}' (FORMAT json, ARRAY true)`,
    { file: join(stateRoot(dataRoot), 'tenant_id=bench', meta.file) },
  );
  connection.closeSync();
  instance.closeSync();
  done = {};
} else if (mode === 'rebuild') {
  const result = await rebuildKpis({ dataRoot, tenantId: 'bench' });
  done = { periods: result.periods.length };
} else {
  // `cost import`: dataRoot is the export folder, outDir the facts root.
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  const imported = await importCostPeriods(connection, {
    periods: await findCostPeriods(dataRoot),
    root: outDir!,
    tenant: 'bench',
  });
  const importSeconds = (performance.now() - started) / 1000;
  // Then attributed as an export does: one failing finding for each resource of the bill (every ARN-less id).
  await connection.run(
    `CREATE TEMP TABLE latest_rows AS
     SELECT sha256(account_id || resource_id) AS fingerprint, 'fail' AS status,
            {account_id: account_id, resource_id: resource_id, resource_arn: NULL::VARCHAR} AS scope,
            {monthly_cost: 10.0::DECIMAL(18,6), monthly_savings: 10.0::DECIMAL(18,6)} AS estimated
     FROM (SELECT DISTINCT account_id, resource_id
           FROM read_parquet($glob, hive_partitioning = false))`,
    { glob: join(costTenantDir(outDir!, 'bench'), '*', '*.parquet') },
  );
  const attributing = performance.now();
  await attributeCosts(connection, { costRoot: outDir!, tenant: 'bench', model: 'amortized' });
  const attributed = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM attribution');
  done = {
    facts: imported.reduce((n, p) => n + p.facts, 0),
    import_seconds: importSeconds,
    attribution_seconds: (performance.now() - attributing) / 1000,
    attributed: attributed.getRowObjectsJson()[0]!['n'],
  };
  connection.closeSync();
  instance.closeSync();
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024, ...done })}\n`,
);
