/**
 * One end-to-end pipeline run over N generated findings, streamed (generated one at a time), in its own
 * process so its peak RSS is its own: prints {"findings": N, "seconds": s, "max_rss_mb": m}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleFinding } from '../contracts/assemble.ts';
import { storageCast } from '../contracts/storage_cast.ts';
import { DatasetWriter } from '../pipeline/dataset_writer.ts';
import { BENCH_RUN } from './stages.ts';
import { benchFindings } from './findings.ts';

const count = Number(process.argv[2]);
const dir = await mkdtemp(join(tmpdir(), 'bench-rss-'));
try {
  const started = performance.now();
  const writer = new DatasetWriter({ root: dir, tenantId: 'bench', runDate: '2026-11-22' });
  for (const { meta, draft } of benchFindings(count)) {
    const assembled = assembleFinding(draft, meta, BENCH_RUN);
    if (!assembled.ok) throw new Error(JSON.stringify(assembled.issues));
    await writer.append(storageCast(assembled.record));
  }
  await writer.close();
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ findings: count, seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
