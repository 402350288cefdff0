/** The benchmark's measurements, each a function returning what it measured. */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { assembleFinding, type RunFacts } from '../contracts/assemble.ts';
import { computeFindingId, computeFingerprint } from '../contracts/identity.ts';
import type { FindingRecord } from '../contracts/record.ts';
import { findingSchema } from '../contracts/schema.ts';
import { storageCast, type StorageRow } from '../contracts/storage_cast.ts';
import { BatchBuilder } from '../pipeline/arrow_batch.ts';
import { DatasetWriter } from '../pipeline/dataset_writer.ts';
import { exportTenant } from '../pipeline/export.ts';
import { duckdbColumns } from './duckdb_types.ts';
import type { BenchFinding } from './findings.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROW_GROUP = 10_000;

export const BENCH_RUN: RunFacts = {
  tenantId: 'bench',
  workspaceId: 'default',
  runId: 'run-20261122T060000Z-00000000',
  runTs: new Date('2026-11-22T06:00:00.000Z'),
  ingestedTs: new Date('2026-11-22T06:00:05.000Z'),
  engineName: 'finops-findings',
  engineVersion: '0.1.0',
  rulepackVersion: '0.1.0',
  findingIdMode: 'stable',
};

export interface Measurement {
  readonly measure: string;
  readonly findings?: number;
  readonly seconds: number;
  readonly findings_per_s?: number;
  readonly [extra: string]: unknown;
}

const rate = (findings: number, seconds: number) => Math.round(findings / seconds);

/** Wall time, and this process's CPU time: on a shared machine the CPU time is the steadier of the two. */
async function timed<T>(
  work: () => Promise<T> | T,
): Promise<{ seconds: number; cpuSeconds: number; value: T }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    value,
  };
}

function stage(
  measure: string,
  findings: number,
  timing: { seconds: number; cpuSeconds: number },
): Measurement {
  return {
    measure,
    findings,
    seconds: timing.seconds,
    findings_per_s: rate(findings, timing.seconds),
    cpu_seconds: Number(timing.cpuSeconds.toFixed(3)),
  };
}

/** Each stage alone, on the same findings, in the order a run goes through them. */
export async function stages(
  findings: readonly BenchFinding[],
): Promise<{ measurements: Measurement[]; records: FindingRecord[] }> {
  const n = findings.length;
  const identity = await timed(() => {
    for (const { meta, draft } of findings) {
      const fingerprint = computeFingerprint({
        tenantId: BENCH_RUN.tenantId,
        checkId: meta.id,
        scope: {
          cloud: meta.cloud,
          service: meta.service,
          resource_type: meta.resource_type,
          ...draft.scope,
        },
        issueKey: draft.issue_key,
      });
      computeFindingId({ tenantId: BENCH_RUN.tenantId, fingerprint, salt: '' });
    }
  });
  const assembled = await timed(() =>
    findings.map(({ meta, draft }) => {
      const result = assembleFinding(draft, meta, BENCH_RUN);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.record;
    }),
  );
  const cast = await timed(() => assembled.value.map((record) => storageCast(record)));
  const arrow = await timed(() => {
    const builder = new BatchBuilder(findingSchema);
    for (const [i, row] of cast.value.entries()) {
      builder.append(row);
      if (i % ROW_GROUP === ROW_GROUP - 1) builder.flush();
    }
    builder.flush();
  });
  // parquet-wasm compiles its WebAssembly on first use: that one-time cost is not per finding.
  await writeRows(cast.value.slice(0, 1_000));
  const write = await timed(() => writeRows(cast.value));
  return {
    measurements: [
      stage('identity', n, identity),
      { ...stage('validate', n, assembled), note: 'assemble: defaults, both ids, full validation' },
      stage('storage_cast', n, cast),
      stage('arrow', n, arrow),
      { ...stage('arrow_parquet', n, write), bytes: write.value },
    ],
    records: assembled.value,
  };
}

async function writeRows(rows: readonly StorageRow[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-write-'));
  try {
    const writer = new DatasetWriter({ root: dir, tenantId: 'bench', runDate: '2026-11-22' });
    for (const row of rows) await writer.append(row);
    const parts = await writer.close();
    let bytes = 0;
    for (const part of parts) bytes += (await stat(part.path)).size;
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Wire findings → Parquet exactly as a run does it: assemble, validate, cast, Arrow, Parquet. */
export async function endToEnd(findings: readonly BenchFinding[]): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
  try {
    const timing = await timed(async () => {
      const writer = new DatasetWriter({ root: dir, tenantId: 'bench', runDate: '2026-11-22' });
      for (const { meta, draft } of findings) {
        const result = assembleFinding(draft, meta, BENCH_RUN);
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        await writer.append(storageCast(result.record));
      }
      await writer.close();
    });
    return stage('end_to_end', findings.length, timing);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** DuckDB alone: the same records as NDJSON → COPY to zstd Parquet with the same column types. */
export async function duckdbOnly(records: readonly FindingRecord[]): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-duckdb-'));
  try {
    const ndjson = join(dir, 'findings.ndjson');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(ndjson);
      out.on('error', reject);
      // DuckDB gets the same values with "" as null (it cannot cast "" to a number or a timestamp).
      for (const record of records)
        out.write(`${JSON.stringify(record, (_key, value) => (value === '' ? null : value))}\n`);
      out.end(resolve);
    });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run("SET TimeZone = 'UTC'");
      const timing = await timed(() =>
        connection.run(
          `COPY (SELECT * FROM read_ndjson('${ndjson}', columns = ${duckdbColumns(findingSchema)}, format = 'newline_delimited'))
           TO '${join(dir, 'out.parquet')}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP})`,
        ),
      );
      // DuckDB works on its own threads: its CPU time counts too, so it is comparable.
      return stage('duckdb_only', records.length, timing);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Peak RSS of a streamed end-to-end run, in a fresh process per size. */
export async function peakRss(count: number): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'pipeline_child.ts'), String(count)],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
    findings: number;
    seconds: number;
    max_rss_mb: number;
  };
  return {
    measure: 'peak_rss',
    findings: count,
    seconds: result.seconds,
    findings_per_s: rate(count, result.seconds),
    max_rss_mb: Math.round(result.max_rss_mb),
  };
}

/** A dataset of `tenants` × `days` partitions, each a copy of one real part (tenant id rewritten by DuckDB). */
export async function exportTimes(
  template: readonly BenchFinding[],
  tenantCounts: readonly number[],
  days: number,
): Promise<Measurement[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-export-'));
  try {
    const seed = join(dir, 'seed');
    const writer = new DatasetWriter({ root: seed, tenantId: 'bench', runDate: '2026-11-22' });
    for (const { meta, draft } of template) {
      const result = assembleFinding(draft, meta, BENCH_RUN);
      if (result.ok) await writer.append(storageCast(result.record));
    }
    const [part] = await writer.close();
    const measurements: Measurement[] = [];
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const tenants of tenantCounts) {
        const root = join(dir, `t${tenants}`);
        for (let t = 0; t < tenants; t += 1) {
          for (let d = 0; d < days; d += 1) {
            const date = new Date(Date.UTC(2026, 10, 22 - d)).toISOString().slice(0, 10);
            const target = join(root, `tenant_id=tenant-${t}`, `run_date=${date}`);
            await mkdir(target, { recursive: true });
            if (t === 0 && d === 0) {
              await cp(part!.path, join(target, 'part-0.parquet'));
              continue;
            }
            await connection.run(
              `COPY (SELECT * REPLACE ($tenant AS tenant_id, run_ts - INTERVAL (${d}) DAY AS run_ts) FROM read_parquet($source))
               TO '${join(target, 'part-0.parquet')}' (FORMAT parquet, COMPRESSION zstd)`,
              { tenant: `tenant-${t}`, source: part!.path },
            );
          }
        }
        const out = join(dir, `export-${tenants}`);
        // Best of three: the export of tenant-0 only.
        let best = Infinity;
        for (let i = 0; i < 3; i += 1) {
          const { seconds } = await timed(() =>
            exportTenant({
              dataRoot: root,
              tenantId: 'tenant-0',
              outDir: out,
              now: () => new Date('2026-11-23T00:00:00Z'),
            }),
          );
          best = Math.min(best, seconds);
        }
        measurements.push({
          measure: 'export_one_tenant',
          tenants,
          days,
          rows_per_partition: template.length,
          seconds: best,
        });
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    return measurements;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `runner.ts --list-checkers` from a cold process: discovery and import of every checker. */
export async function startup(): Promise<Measurement[]> {
  const run = promisify(execFile);
  const measure = async (label: string, args: string[]) => {
    let best = Infinity;
    for (let i = 0; i < 3; i += 1) {
      const { seconds } = await timed(() => run(process.execPath, args, { cwd: ROOT }));
      best = Math.min(best, seconds);
    }
    return { measure: 'startup_list_checkers', how: label, seconds: best };
  };
  const results = [
    await measure('tsx runner.ts', ['--import', 'tsx', join(ROOT, 'runner.ts'), '--list-checkers', '--json']),
  ];
  const compiled = join(ROOT, 'dist', 'runner.js');
  if (await stat(compiled).catch(() => undefined)) {
    results.push(await measure('node dist/runner.js', [compiled, '--list-checkers', '--json']));
  }
  return results;
}
