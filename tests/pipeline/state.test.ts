/**
 * The per-tenant state kept run by run equals the state rebuilt from the append-only dataset, and both equal
 * the state derived set-based from the whole history at once (tests/helpers/history_oracle.ts), as the gold
 * tables kept day by day equal its daily KPIs; an export from the stored state equals one from the whole history. Generative (seeded): findings that appear, persist,
 * pass, go unknown, vanish and come back across checks, accounts and regions; runs with partial coverage,
 * interrupted and crashed runs, retried run ids, backfills, and a suppression file.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { random } from '../../bench/findings.ts';
import { assembleFinding, type RunFacts } from '../../contracts/assemble.ts';
import type { FindingDraft } from '../../contracts/draft.ts';
import { storageCast } from '../../contracts/storage_cast.ts';
import { utcDate } from '../../contracts/time.ts';
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { exportTenant } from '../../pipeline/export.ts';
import { goldRoot, maintainTenant } from '../../pipeline/kpi.ts';
import { refreshState, stateRoot, writeState } from '../../pipeline/state.ts';
import { oracleDailyKpis, oracleState } from '../helpers/history_oracle.ts';
import { META, RUN } from '../helpers/records.ts';
import { expectSameFiles } from '../helpers/same_files.ts';

const CHECKS = ['aws.test.volumes', 'aws.test.buckets'];
const ACCOUNTS = ['111111111111', '222222222222'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const RESOURCES = 12;
const SEEDS = [3, 17, 29, 41];
const DAY = 86_400_000;
const START = Date.parse('2026-09-01T06:00:00.000Z');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'state-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Cell {
  check: string;
  account: string;
  region: string;
}
const CELLS: Cell[] = CHECKS.flatMap((check) =>
  ACCOUNTS.flatMap((account) => REGIONS.map((region) => ({ check, account, region }))),
);

/** Writes one run: its parts (findings of the cells it reports on) and its manifest. */
async function writeRun(
  data: string,
  rand: () => number,
  run: { id: string; ts: number; status: string; covered: Cell[]; declared: boolean },
): Promise<void> {
  const facts: RunFacts = {
    ...RUN,
    runId: run.id,
    runTs: new Date(run.ts),
    ingestedTs: new Date(run.ts + 5_000),
  };
  const runDate = utcDate(facts.runTs);
  const writer = new DatasetWriter({ root: data, tenantId: 'acme', runDate });
  const counts = new Map<string, Record<string, number>>();
  for (const cell of run.covered) {
    for (let r = 0; r < RESOURCES; r += 1) {
      const roll = rand();
      if (roll < 0.3) continue; // not reported: absent
      const status = roll < 0.65 ? 'fail' : roll < 0.85 ? 'pass' : roll < 0.93 ? 'unknown' : 'info';
      const id = `${cell.check}-${cell.region}-r${r}`;
      const draft: FindingDraft = {
        status,
        scope: { account_id: cell.account, region: cell.region, resource_id: id },
        issue_key: { id },
        title: `${id} ${status}`,
        estimated: { monthly_savings: (Math.floor(rand() * 10_000) / 100).toFixed(2) },
        tags: { team: rand() < 0.5 ? 'data' : 'web' },
      };
      const assembled = assembleFinding(draft, { ...META, id: cell.check }, facts);
      if (!assembled.ok) throw new Error(JSON.stringify(assembled.issues));
      await writer.append(storageCast(assembled.record));
      const c = counts.get(cell.check) ?? {};
      c[status] = (c[status] ?? 0) + 1;
      counts.set(cell.check, c);
    }
  }
  const parts = await writer.close();
  const manifest = {
    schema_version: 1,
    tenant_id: 'acme',
    workspace_id: 'default',
    run_id: run.id,
    run_ts: facts.runTs.toISOString(),
    run_date: runDate,
    engine_name: 'finops-findings',
    engine_version: '0.1.0',
    rulepack_version: '0.1.0',
    status: run.status,
    arguments: {},
    accounts: ACCOUNTS,
    account_errors: [],
    regions: REGIONS,
    started_ts: facts.runTs.toISOString(),
    finished_ts: facts.runTs.toISOString(),
    duration_ms: 1,
    // A crashed run declares nothing: its coverage is what it reported.
    checkers: run.declared
      ? CHECKS.map((check) => ({
          check_id: check,
          counts: counts.get(check) ?? {},
          invalid: 0,
          error: null,
          duration_ms: 1,
          coverage: run.covered
            .filter((c) => c.check === check)
            .map((c) => ({ account_id: c.account, region: c.region })),
        }))
      : [],
    files: parts.map((p) => ({
      path: p.path
        .slice(data.length + 1)
        .split('\\')
        .join('/'),
      rows: p.rows,
    })),
  };
  const runs = join(data, '_runs', 'tenant_id=acme', `run_date=${runDate}`);
  await mkdir(runs, { recursive: true });
  await writeFile(join(runs, `${run.id}.json`), JSON.stringify(manifest));
}

/** A retry of a run id: the earlier attempt's parts and manifest go, the new attempt is written. */
async function removeRun(data: string, id: string): Promise<void> {
  const runs = join(data, '_runs', 'tenant_id=acme');
  for (const date of await readdir(runs)) {
    const path = join(runs, date, `${id}.json`);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (!text) continue;
    for (const file of (JSON.parse(text) as { files: { path: string }[] }).files)
      await rm(join(data, ...file.path.split('/')), { force: true });
    await rm(path);
  }
}

const stateRows = async (connection: DuckDBConnection) =>
  (
    await connection.runAndReadAll(
      `SELECT to_json(s)::VARCHAR AS row FROM (SELECT * FROM state ORDER BY fingerprint) s`,
    )
  )
    .getRows()
    .map(([row]) => JSON.parse(String(row)) as Record<string, unknown>);

async function withConnection<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('the state kept run by run', () => {
  it.each(SEEDS)(
    'equals the state rebuilt from the dataset, and exports the same (seed %i)',
    async (seed) => {
      const rand = random(seed);
      const data = join(dir, `seed-${seed}`, 'finops_findings');
      const states = stateRoot(data);
      const modes: string[] = [];
      let clock = START;
      const ids: string[] = [];
      for (let step = 0; step < 14; step += 1) {
        const roll = rand();
        let id = `run-${step}`;
        let ts: number;
        if (roll < 0.12 && ids.length > 0) {
          // A backfill: dated between earlier runs.
          ts = START + Math.floor(rand() * (clock - START));
        } else if (roll < 0.24 && ids.length > 0) {
          // A retry of the latest run id, at a new time.
          id = ids[ids.length - 1]!;
          await removeRun(data, id);
          clock += 3_600_000;
          ts = clock;
        } else {
          clock += DAY * (rand() < 0.3 ? 0.25 : 1);
          ts = clock;
        }
        const kind = rand();
        const covered = kind < 0.25 ? CELLS.filter(() => rand() < 0.6) : CELLS;
        await writeRun(data, rand, {
          id,
          ts,
          status: kind < 0.12 ? 'interrupted' : kind < 0.2 ? 'running' : 'completed',
          covered,
          declared: !(kind >= 0.12 && kind < 0.2),
        });
        if (!ids.includes(id)) ids.push(id);
        // What a run does after publishing: bring the state up to date and store it, with its gold days.
        const maintained = await maintainTenant({ dataRoot: data, tenant: 'acme' });
        expect(maintained.saveError).toBeUndefined();
        modes.push(maintained.mode);
      }
      // Runs were folded one by one, and backfills or retries forced rebuilds.
      expect(modes.filter((m) => m === 'folded').length).toBeGreaterThan(3);

      const kept = await withConnection(async (connection) => {
        const state = await refreshState(connection, { dataRoot: data, stateRoot: states, tenant: 'acme' });
        expect(state.mode).toBe('stored');
        return stateRows(connection);
      });
      const rebuilt = await withConnection(async (connection) => {
        await refreshState(connection, { dataRoot: data, stateRoot: states, tenant: 'acme', rebuild: true });
        return stateRows(connection);
      });
      const oracle = await withConnection(async (connection) => {
        await oracleState(connection, data, 'acme');
        return stateRows(connection);
      });
      expect(kept.length).toBeGreaterThan(20);
      expect(kept).toEqual(rebuilt);
      expect(kept).toEqual(oracle);
      // The gold tables, kept day by day (and rewritten whole by the rebuilds), hold the daily KPIs of the history.
      const [gold, daily] = await withConnection(async (connection) => {
        const rows = (sql: string) =>
          connection
            .runAndReadAll(`SELECT to_json(k)::VARCHAR FROM (${sql}) k`)
            .then((r) => r.getRows().map(([row]) => JSON.parse(String(row)) as Record<string, unknown>));
        await oracleState(connection, data, 'acme');
        await oracleDailyKpis(connection);
        const columns = 'period, kpi, dimension, key, findings, est_monthly_savings';
        return Promise.all([
          rows(
            `SELECT ${columns} FROM read_parquet('${join(goldRoot(data), 'tenant_id=acme', '*', '*.parquet')}', hive_partitioning = false)
             WHERE period IN (SELECT period FROM oracle_kpi) ORDER BY ALL`,
          ),
          rows(`SELECT ${columns} FROM oracle_kpi ORDER BY ALL`),
        ]);
      });
      expect(new Set(daily.map((row) => row.period)).size).toBeGreaterThan(5);
      expect(gold).toEqual(daily);
      expect(kept.some((row) => row.resolved_ts !== null)).toBe(true);
      expect(kept.some((row) => row.covered_status === null && row.covered_ts !== null)).toBe(true);

      // An export from the stored state equals one from the whole history, suppressions applied to both.
      await writeFile(
        join(data, 'tenant_id=acme', 'suppressions.yaml'),
        'rules:\n  - check_id: aws.test.buckets\n    account_id: "222222222222"\n    reason: owned elsewhere\n    owner: data\n  - resource_id: "*-r1*"\n    reason: planned\n    owner: web\n    expires: "2027-01-01"\n',
      );
      const now = () => new Date(clock + DAY);
      const fromState = join(dir, `seed-${seed}`, 'from-state');
      const fromHistory = join(dir, `seed-${seed}`, 'from-history');
      await exportTenant({ dataRoot: data, tenantId: 'acme', outDir: fromState, now, stateRoot: states });
      const nowhere = join(dir, `seed-${seed}`, 'nothing-stored');
      await exportTenant({
        dataRoot: data,
        tenantId: 'acme',
        outDir: fromHistory,
        now,
        stateRoot: nowhere,
        goldRoot: nowhere,
        saveState: false,
      });
      await expectSameFiles(fromState, fromHistory, [
        'findings.json',
        'summary.json',
        'top_savings.json',
        'resolved.json',
        'suppressed.json',
      ]);
      const findings = JSON.parse(await readFile(join(fromState, 'findings.json'), 'utf8')) as {
        lifecycle_status: string | null;
      }[];
      const lifecycles = new Set(findings.map((f) => f.lifecycle_status));
      for (const status of ['open', 'resolved', 'ignored']) expect(lifecycles).toContain(status);
    },
    120_000,
  );
});

describe('run manifests of earlier days', () => {
  it('are known from the state while unchanged, and read again once rewritten', async () => {
    const { stat, utimes } = await import('node:fs/promises');
    const rand = random(5);
    const data = join(dir, 'manifests', 'finops_findings');
    const states = stateRoot(data);
    for (let day = 0; day < 3; day += 1) {
      await writeRun(data, rand, {
        id: `day-${day}`,
        ts: START + day * DAY,
        status: 'completed',
        covered: CELLS,
        declared: true,
      });
      // What a run does after publishing.
      await maintainTenant({ dataRoot: data, tenant: 'acme' });
    }
    const first = join(data, '_runs', 'tenant_id=acme', `run_date=${utcDate(new Date(START))}`, 'day-0.json');
    const before = await stat(first);
    // Same size and time, other bytes: a manifest the state already holds is not read again.
    await writeFile(first, ' '.repeat(before.size));
    await utimes(first, before.atimeMs / 1000, before.mtimeMs / 1000);
    const exportOnce = async (name: string) => {
      const out = join(dir, 'manifests', name);
      const result = await exportTenant({ dataRoot: data, tenantId: 'acme', outDir: out, stateRoot: states });
      const runs = JSON.parse(await readFile(join(out, 'runs.json'), 'utf8')) as {
        runs: { run_id: string }[];
      };
      return { skipped: result.skipped.map((s) => s.path), runs: runs.runs.map((r) => r.run_id) };
    };
    expect(await exportOnce('unchanged')).toEqual({ skipped: [], runs: ['day-2', 'day-1', 'day-0'] });
    // Rewritten (a new time): read, found damaged, named; the state no longer matches the dataset.
    await utimes(first, new Date(), new Date());
    const rewritten = await exportOnce('rewritten');
    expect(rewritten.skipped).toEqual([
      join('_runs', 'tenant_id=acme', `run_date=${utcDate(new Date(START))}`, 'day-0.json'),
    ]);
    expect(rewritten.runs).toEqual(['day-2', 'day-1']);
  });
});

describe('a dataset whose parts no manifest lists (another engine)', () => {
  it('rebuilds once for those parts, not at every export, and again when they change', async () => {
    const data = join(dir, 'unlisted', 'finops_findings');
    const states = stateRoot(data);
    const rand = random(7);
    const day = (n: number) => ({
      id: `day-${n}`,
      ts: START + n * DAY,
      status: 'completed',
      covered: CELLS,
      declared: true,
    });
    for (const n of [0, 1, 2]) await writeRun(data, rand, day(n));
    // The other engine wrote no manifests.
    await rm(join(data, '_runs'), { recursive: true });
    const refresh = (rebuild = false) =>
      withConnection(async (connection) => {
        const state = await refreshState(connection, {
          dataRoot: data,
          stateRoot: states,
          tenant: 'acme',
          rebuild,
        });
        if (!rebuild) await writeState(connection, states, state.meta);
        return { mode: state.mode, rows: await stateRows(connection) };
      });
    expect((await refresh()).mode).toBe('rebuilt');
    const stored = await refresh();
    expect(stored.mode).toBe('stored');
    expect(stored.rows.length).toBeGreaterThan(20);
    expect(stored.rows).toEqual((await refresh(true)).rows);

    // A run of this engine (with its manifest), newer than the other engine's: folded on top.
    await writeRun(data, rand, day(3));
    const folded = await refresh();
    expect(folded.mode).toBe('folded');
    expect(folded.rows).toEqual((await refresh(true)).rows);
    expect((await refresh()).mode).toBe('stored');

    // A new part no manifest lists, then one of them removed: each is a rebuild, then stored again.
    await writeRun(data, rand, day(4));
    const manifests = await readdir(join(data, '_runs', 'tenant_id=acme'), { recursive: true });
    const day4 = manifests.find((name) => name.endsWith('day-4.json'))!;
    await rm(join(data, '_runs', 'tenant_id=acme', day4));
    expect((await refresh()).mode).toBe('rebuilt');
    expect((await refresh()).mode).toBe('stored');
    const parts = (await readdir(join(data, 'tenant_id=acme'), { recursive: true })).filter((p) =>
      p.endsWith('.parquet'),
    );
    await rm(join(data, 'tenant_id=acme', parts[0]!));
    const removed = await refresh();
    expect(removed.mode).toBe('rebuilt');
    expect(removed.rows).toEqual((await refresh(true)).rows);
  });
});
