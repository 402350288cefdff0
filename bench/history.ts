/**
 * `npm run bench -- --history`: exports over a tenant with D daily runs × N findings, beside a plain DuckDB
 * "latest row per fingerprint" over the same files. Day 0 is written by the project's writer; each later day
 * is that part with its own run id and run_ts, the failing findings fixed by then (1% more each day) now
 * passing, so every run has N rows, with a run manifest. The state is kept as the runner keeps it (rebuilt
 * once, or with --history-daily folded run by run as daily runs do). Two exports are timed, each in a process of
 * its own (its peak RSS is its own) beside DuckDB's query over the same files: after the last run kept the
 * state (what an export after a run reads), and with one more run left for the export to fold.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { assembleFinding } from '../contracts/assemble.ts';
import { storageCast } from '../contracts/storage_cast.ts';
import { DatasetWriter } from '../pipeline/dataset_writer.ts';
import { maintainTenant } from '../pipeline/kpi.ts';
import { benchFindings } from './findings.ts';
import { BENCH_RUN, type Measurement } from './stages.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DAY_MS = 86_400_000;

const seconds = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
};

async function partsOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
}

/** One run of `count` bench findings for tenant `bench`, through the project's writer; returns its parts. */
export async function writeBenchRun(root: string, count: number): Promise<readonly { path: string }[]> {
  const writer = new DatasetWriter({ root, tenantId: 'bench', runDate: '2026-11-22' });
  for (const { meta, draft } of benchFindings(count)) {
    const result = assembleFinding(draft, meta, BENCH_RUN);
    if (result.ok) await writer.append(storageCast(result.record));
  }
  return writer.close();
}

/** Writes day `day` of the history (a copy of day 0, what was fixed by then passing) and its manifest. */
export async function writeDay(
  connection: DuckDBConnection,
  root: string,
  base: string,
  day: number,
  coverage: readonly { check_id: string; account_id: string; region: string }[],
): Promise<void> {
  const runTs = new Date(BENCH_RUN.runTs.getTime() + day * DAY_MS);
  const runDate = runTs.toISOString().slice(0, 10);
  const runId = `day-${day}`;
  const dir = join(root, 'tenant_id=bench', `run_date=${runDate}`);
  await mkdir(dir, { recursive: true });
  const part = join(dir, `part-${runId}.parquet`);
  // Fixed by then: the finding now passes (every run reports every resource, so each run has N rows).
  const fixed = `(status = 'fail' AND hash(fingerprint) % 100 < ${day})`;
  await connection.run(
    `COPY (SELECT * REPLACE ($run AS run_id, run_ts + INTERVAL (${day}) DAY AS run_ts,
                             CASE WHEN ${fixed} THEN 'pass' ELSE status END AS status,
                             CASE WHEN ${fixed} THEN NULL ELSE estimated END AS estimated)
           FROM read_parquet($base))
     TO '${part}' (FORMAT parquet, COMPRESSION zstd)`,
    { run: runId, base },
  );
  const rows = Number(
    (await connection.runAndReadAll('SELECT count(*) FROM read_parquet($part)', { part })).getRows()[0]![0],
  );
  const byCheck = new Map<string, { account_id: string; region: string }[]>();
  for (const cell of coverage) {
    const cells = byCheck.get(cell.check_id) ?? [];
    cells.push({ account_id: cell.account_id, region: cell.region });
    byCheck.set(cell.check_id, cells);
  }
  const manifest = {
    schema_version: 1,
    tenant_id: 'bench',
    workspace_id: 'default',
    run_id: runId,
    run_ts: runTs.toISOString(),
    run_date: runDate,
    engine_name: 'finops-findings',
    engine_version: 'bench',
    rulepack_version: 'bench',
    status: 'completed',
    arguments: {},
    accounts: [...new Set(coverage.map((c) => c.account_id))],
    account_errors: [],
    regions: [...new Set(coverage.map((c) => c.region))],
    started_ts: runTs.toISOString(),
    finished_ts: runTs.toISOString(),
    duration_ms: 1,
    checkers: [...byCheck].map(([check_id, cells]) => ({
      check_id,
      counts: {},
      invalid: 0,
      error: null,
      duration_ms: 1,
      coverage: cells,
    })),
    files: [{ path: relative(root, part).split(sep).join('/'), rows }],
  };
  const runs = join(root, '_runs', 'tenant_id=bench', `run_date=${runDate}`);
  await mkdir(runs, { recursive: true });
  await writeFile(join(runs, `${runId}.json`), JSON.stringify(manifest));
}

/** Runs bench/child.ts in a process of its own (its peak RSS is its own); what it prints. */
async function inChild<T>(args: readonly string[]): Promise<T> {
  const child = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'child.ts'), ...args],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as T;
}

/** One history size: build it, keep the state as runs would, time the export and the plain DuckDB query. */
export async function historyExport(
  days: number,
  findings: number,
  note: (text: string) => void = () => undefined,
  /** Keep the state as daily runs do (each folds itself) instead of one rebuild over the written days. */
  daily = false,
): Promise<Measurement[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-history-'));
  const root = join(dir, 'finops_findings');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const [base] = await writeBenchRun(join(dir, 'seed'), findings);
    const coverage = (
      await connection.runAndReadAll(
        `SELECT DISTINCT check_id, scope.account_id, scope.region FROM read_parquet($base)`,
        { base: base!.path },
      )
    ).getRows() as [string, string, string][];
    const cells = coverage.map(([check_id, account_id, region]) => ({ check_id, account_id, region }));
    const folds: number[] = [];
    for (let day = 0; day < days - 1; day += 1) {
      await writeDay(connection, root, base!.path, day, cells);
      if (daily) folds.push(await seconds(() => maintainTenant({ dataRoot: root, tenant: 'bench' })));
      if ((day + 1) % 30 === 0) note(`  ${day + 1} of ${days} days written${daily ? ', each folded' : ''}`);
    }
    const countRows = async (parts: readonly string[]) =>
      Number(
        (
          await connection.runAndReadAll('SELECT count(*) FROM read_parquet($files)', {
            files: listValue([...parts]),
          })
        ).getRows()[0]![0],
      );
    let rebuild: { seconds: number; max_rss_mb: number } | undefined;
    let rowsBeforeRebuild = 0;
    if (!daily) {
      note('  state and gold rebuilt from the whole history (kpi rebuild), in a process of its own…');
      // The full rebuild folds every run of the history (what `kpi rebuild`, a backfill or the first run does) ...
      rowsBeforeRebuild = await countRows(await partsOf(join(root, 'tenant_id=bench')));
      rebuild = await inChild<{ seconds: number; max_rss_mb: number }>(['rebuild', root]);
      note(`  rebuilt in ${rebuild.seconds.toFixed(1)} s, peak RSS ${Math.round(rebuild.max_rss_mb)} MB`);
    }
    // ... then the last day's run, and its own maintenance: one run folded into the state.
    await writeDay(connection, root, base!.path, days - 1, cells);
    note('  one run folded…');
    const fold = await seconds(() => maintainTenant({ dataRoot: root, tenant: 'bench' }));
    const latestRows = async () => {
      const files = await partsOf(join(root, 'tenant_id=bench'));
      const duck = await seconds(() =>
        connection.run(
          `CREATE OR REPLACE TEMP TABLE latest AS SELECT * FROM read_parquet($files, hive_partitioning = true)
           QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY run_ts DESC) = 1`,
          { files: listValue(files) },
        ),
      );
      // The same rows written as one JSON file by DuckDB itself: the least an export of them costs.
      const json = await seconds(() =>
        connection.run(`COPY latest TO '${join(dir, 'latest.json')}' (FORMAT json, ARRAY true)`),
      );
      return { duck, duckJson: duck + json, rows: await countRows(files) };
    };
    type Exported = { seconds: number; max_rss_mb: number; findings: number; state: string };
    const site = join(dir, 'site');
    // The export as it runs after runs that kept the state: DuckDB's query and the export in turn, three
    // times each, the fastest of each kept (the least disturbed on a shared machine).
    note('  DuckDB latest row per fingerprint and the export (the state kept by the runs), in turn…');
    const kept: { duck: number; duckJson: number; rows: number; exported: Exported; floor: number }[] = [];
    for (let i = 0; i < 3; i += 1)
      kept.push({
        ...(await latestRows()),
        exported: await inChild<Exported>(['export', root, site]),
        // The floor of any export: DuckDB writing the stored state's rows as findings.json, nothing else.
        floor: (await inChild<{ seconds: number }>(['json-floor', root, join(dir, 'floor')])).seconds,
      });
    const fastestFloor = Math.min(...kept.map((k) => k.floor));
    const fastestDuck = Math.min(...kept.map((k) => k.duck));
    const fastestDuckJson = Math.min(...kept.map((k) => k.duckJson));
    const fastestExport = kept.map((k) => k.exported).sort((a, b) => a.seconds - b.seconds)[0]!;
    // Another run for the export to fold (its own maintenance did not run, or failed): once, since it stores it.
    await writeDay(connection, root, base!.path, days, cells);
    note('  one more run, left for the export to fold…');
    const folding = await latestRows();
    const foldingExport = await inChild<Exported>(['export', root, site]);
    const runs = days + 1;
    return [
      ...(rebuild === undefined
        ? [
            {
              measure: 'history_daily_maintenance',
              runs: days - 1,
              findings,
              seconds: folds.reduce((a, b) => a + b, 0),
              first_s: Number(folds[1]?.toFixed(3) ?? 0),
              last_s: Number(folds.at(-1)!.toFixed(3)),
              max_s: Number(Math.max(...folds.slice(1)).toFixed(3)),
            },
          ]
        : [
            {
              measure: 'history_state_rebuild',
              runs: days - 1,
              rows: rowsBeforeRebuild,
              seconds: rebuild.seconds,
              max_rss_mb: Math.round(rebuild.max_rss_mb),
            },
          ]),
      { measure: 'history_run_maintenance', runs: days, findings, seconds: fold },
      { measure: 'history_duckdb_latest', runs: days, rows: kept[0]!.rows, seconds: fastestDuck },
      {
        measure: 'history_export',
        runs: days,
        rows: kept[0]!.rows,
        findings: fastestExport.findings,
        state: fastestExport.state,
        seconds: fastestExport.seconds,
        max_rss_mb: Math.round(fastestExport.max_rss_mb),
        ratio_vs_duckdb: Number((fastestExport.seconds / fastestDuck).toFixed(3)),
        duckdb_with_json_seconds: Number(fastestDuckJson.toFixed(3)),
        ratio_vs_duckdb_with_json: Number((fastestExport.seconds / fastestDuckJson).toFixed(3)),
        findings_json_floor_seconds: Number(fastestFloor.toFixed(3)),
        floor_ratio_vs_duckdb: Number((fastestFloor / fastestDuck).toFixed(3)),
        runs_seconds: kept.map((k) => Number(k.exported.seconds.toFixed(3))),
        duckdb_runs_seconds: kept.map((k) => Number(k.duck.toFixed(3))),
      },
      {
        measure: 'history_export_folding',
        runs,
        rows: folding.rows,
        findings: foldingExport.findings,
        state: foldingExport.state,
        seconds: foldingExport.seconds,
        max_rss_mb: Math.round(foldingExport.max_rss_mb),
        duckdb_seconds: folding.duck,
        ratio_vs_duckdb: Number((foldingExport.seconds / folding.duck).toFixed(3)),
      },
    ];
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
