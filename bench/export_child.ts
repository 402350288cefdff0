/**
 * One export of tenant `bench` in a process of its own, so its peak RSS is its own: prints
 * {"seconds": s, "max_rss_mb": m, "findings": n, "state": "stored|folded|rebuilt"}.
 */
import { exportTenant } from '../pipeline/export.ts';

const [dataRoot, outDir] = process.argv.slice(2);
if (!dataRoot || !outDir) throw new Error('usage: export_child.ts <dataset root> <out dir>');
let state = '';
const started = performance.now();
const result = await exportTenant({
  dataRoot,
  tenantId: 'bench',
  outDir,
  onStage: (stage, detail) => {
    if (stage === 'history read') state = String(detail['state']);
  },
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024, findings: result.findings, state })}\n`,
);
