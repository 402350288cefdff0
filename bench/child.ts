/**
 * One export, one full rebuild of the state and gold tables (`kpi rebuild`), or one `cost import`, for tenant
 * `bench`, in a process of its own, so its peak RSS is its own: prints {"seconds": s, "max_rss_mb": m, ...what it did}.
 */
import { exportTenant } from '../pipeline/export.ts';
import { DuckDBInstance } from '@duckdb/node-api';
import { findCostPeriods, importCostPeriods } from '../pipeline/cost_facts.ts';
import { rebuildKpis } from '../pipeline/kpi.ts';

const [mode, dataRoot, outDir] = process.argv.slice(2);
const usage =
  'usage: child.ts export <dataset root> <out dir> | child.ts rebuild <dataset root> | child.ts cost-import <export folder> <facts root>';
if (
  !dataRoot ||
  (mode !== 'rebuild' && !outDir) ||
  !['export', 'rebuild', 'cost-import'].includes(mode ?? '')
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
  done = { facts: imported.reduce((n, p) => n + p.facts, 0) };
  connection.closeSync();
  instance.closeSync();
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024, ...done })}\n`,
);
