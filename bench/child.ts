/**
 * One export, or one full rebuild of the state and gold tables (`kpi rebuild`), of tenant `bench` in a process
 * of its own, so its peak RSS is its own: prints {"seconds": s, "max_rss_mb": m, ...what it did}.
 */
import { exportTenant } from '../pipeline/export.ts';
import { rebuildKpis } from '../pipeline/kpi.ts';

const [mode, dataRoot, outDir] = process.argv.slice(2);
const usage = 'usage: child.ts export <dataset root> <out dir> | child.ts rebuild <dataset root>';
if (!dataRoot || (mode === 'export' && !outDir) || (mode !== 'export' && mode !== 'rebuild'))
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
} else {
  const result = await rebuildKpis({ dataRoot, tenantId: 'bench' });
  done = { periods: result.periods.length };
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024, ...done })}\n`,
);
