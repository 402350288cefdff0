/**
 * The per-tenant state: one row per fingerprint, its latest occurrence (every column of the findings schema)
 * with its lifecycle (first/last failing sighting, times seen, when it was resolved, the saving of its last
 * failing sighting) and its latest covering run (when, and its status there: NULL when that run covered it and
 * did not report it). Exports read the state and the runs not folded into it yet, instead of the whole history.
 *
 * The append-only findings dataset stays the system of record: `foldRun` advances the state by one run newer
 * than every run in it, and a rebuild folds every run of the dataset in, oldest first, from an empty state, so
 * a state kept run by run equals one rebuilt from the dataset. Anything else (a backfill, a retried or deleted
 * run, a part that changed) is a rebuild.
 *
 * On disk, beside the findings dataset: `<root>/finops_state/tenant_id=<t>/state.parquet` and `state.json`
 * (which runs, with which parts, it holds), each replaced whole.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { writeFileAtomic } from './atomic.ts';
import { makeDirectory } from './dirs.ts';
import { utcDate } from '../contracts/time.ts';
import { normaliseTenant, tenantDir } from './layout.ts';
import { listManifestFiles, parseManifest, type RunManifest } from './manifest.ts';
import {
  checkParts,
  emptyPart,
  listParts,
  readSkippingDamaged,
  VALID_ROW,
  type SkippedFile,
} from './parts.ts';
import { runSummary, type RunSummary } from './runs_export.ts';
import { listShardManifestFiles, pendingShardParts, shardOfKey } from './shards.ts';

export const STATE_VERSION = 1;

/** The state dataset sits beside the findings dataset: data/finops_findings → data/finops_state. */
export const stateRoot = (dataRoot: string): string => join(dirname(dataRoot), 'finops_state');
export const stateTenantDir = (root: string, tenant: string): string =>
  join(root, `tenant_id=${normaliseTenant(tenant)}`);

/** One run as the state knows it: what it was when folded (a run that changed since means a rebuild). */
export interface FoldedRun {
  readonly run_id: string;
  readonly run_ts: string;
  readonly status: string | null;
  /** Its parts, relative to the dataset root, sorted. */
  readonly parts: readonly string[];
  /** Its manifest's key and stamp: an unchanged manifest of an earlier day is not read again. */
  readonly manifest?: string;
  readonly stamp?: string;
  /** What runs.json says of it. */
  readonly summary?: RunSummary;
}

export interface StateMeta {
  readonly state_version: number;
  readonly tenant_id: string;
  readonly runs: readonly FoldedRun[];
  /** Parts of those runs that could not be read, and why (still named by every export). */
  readonly skipped: readonly SkippedFile[];
  /** The state's Parquet file in the tenant's state folder (a new name at every write: the meta commits it). */
  readonly file?: string;
  /**
   * Parts no manifest lists (another engine's, an older one's) that the rebuild making this state read, sorted,
   * and the newest sighting then: while they are the same, an export does not rebuild again.
   */
  readonly unlisted?: readonly string[];
  readonly unlisted_newest_ts?: string | null;
}

/** The latest occurrence of each fingerprint in `source` (same order as everywhere: newest run, then ingest). */
const latestOf = (source: string) =>
  `SELECT * FROM ${source}
   QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY run_ts DESC, ingested_ts DESC NULLS LAST, finding_id) = 1`;

/** Creates the temp table `state` empty, with the columns a fold gives it: where a rebuild starts. */
async function emptyState(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE state AS
     SELECT *, NULL::DATE AS run_date, NULL::TIMESTAMPTZ AS first_seen, NULL::TIMESTAMPTZ AS last_seen,
            NULL::INTEGER AS times_seen, NULL::TIMESTAMPTZ AS resolved_ts, estimated.monthly_savings AS last_fail_savings,
            NULL::TIMESTAMPTZ AS covered_ts, NULL::VARCHAR AS covered_status
     FROM read_parquet($file, hive_partitioning = false) LIMIT 0`,
    { file: await emptyPart() },
  );
}

/**
 * Advances the temp table `state` by one run, newer than every run in it: `files` are readable parts holding its
 * rows, `coverage` the checker × account × region cells its manifest declares (empty: inferred from its
 * findings, for a run without a declared coverage).
 */
export async function foldRun(
  connection: DuckDBConnection,
  run: {
    readonly tenant: string;
    readonly runId: string;
    readonly runTs: string;
    readonly files: readonly string[];
    readonly coverage: readonly Cell[];
  },
): Promise<void> {
  if (run.files.length > 0) {
    // A row belongs to the run its run_id names, whichever part holds it.
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE run_rows AS
       ${latestOf(`(SELECT * FROM read_parquet($files, hive_partitioning = true, union_by_name = true) WHERE ${VALID_ROW} AND run_id = $run)`)}`,
      { files: listValue([...run.files]), tenant: run.tenant, run: run.runId },
    );
  } else {
    await connection.run(
      'CREATE OR REPLACE TEMP TABLE run_rows AS SELECT * EXCLUDE (first_seen, last_seen, times_seen, resolved_ts, last_fail_savings, covered_ts, covered_status) FROM state LIMIT 0',
    );
  }
  await connection.run(
    'CREATE OR REPLACE TEMP TABLE run_cov (check_id VARCHAR, account_id VARCHAR, region VARCHAR)',
  );
  if (run.coverage.length > 0) {
    await connection.run(`INSERT INTO run_cov SELECT unnest($checks), unnest($accounts), unnest($regions)`, {
      checks: listValue(run.coverage.map((c) => c.check_id)),
      accounts: listValue(run.coverage.map((c) => c.account_id)),
      regions: listValue(run.coverage.map((c) => c.region)),
    });
  } else {
    await connection.run(
      `INSERT INTO run_cov SELECT DISTINCT check_id, scope.account_id, scope.region FROM run_rows`,
    );
  }
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE state AS
     WITH absent AS (SELECT * FROM state ANTI JOIN run_rows USING (fingerprint)),
     hit AS (
       SELECT DISTINCT a.fingerprint FROM absent a JOIN run_cov c
         ON c.check_id = a.check_id AND c.account_id = a.scope.account_id AND (c.region = a.scope.region OR c.region = '*'))
     SELECT a.* REPLACE (
              CASE WHEN h.fingerprint IS NOT NULL AND a.last_seen < $ts::TIMESTAMPTZ AND a.resolved_ts IS NULL
                   THEN $ts::TIMESTAMPTZ ELSE a.resolved_ts END AS resolved_ts,
              CASE WHEN h.fingerprint IS NOT NULL THEN $ts::TIMESTAMPTZ ELSE a.covered_ts END AS covered_ts,
              CASE WHEN h.fingerprint IS NOT NULL THEN NULL ELSE a.covered_status END AS covered_status)
     FROM absent a LEFT JOIN hit h USING (fingerprint)
     UNION ALL BY NAME
     SELECT r.*,
            CASE WHEN r.status = 'fail' THEN coalesce(s.first_seen, r.run_ts) ELSE s.first_seen END AS first_seen,
            CASE WHEN r.status = 'fail' THEN r.run_ts ELSE s.last_seen END AS last_seen,
            CASE WHEN r.status = 'fail' THEN (coalesce(s.times_seen, 0) + 1)::INTEGER ELSE s.times_seen END AS times_seen,
            CASE WHEN r.status = 'fail' THEN NULL
                 WHEN r.status = 'pass' AND s.last_seen < r.run_ts AND s.resolved_ts IS NULL THEN r.run_ts
                 ELSE s.resolved_ts END AS resolved_ts,
            CASE WHEN r.status = 'fail' THEN r.estimated.monthly_savings ELSE s.last_fail_savings END AS last_fail_savings,
            r.run_ts AS covered_ts, r.status AS covered_status
     FROM run_rows r LEFT JOIN state s USING (fingerprint)`,
    { ts: run.runTs },
  );
}

/** A tenant's stored state meta (`state.json`), or undefined when there is none this version can use. */
export async function readStateMeta(root: string, tenant: string): Promise<StateMeta | undefined> {
  let meta: StateMeta;
  try {
    meta = JSON.parse(await readFile(join(stateTenantDir(root, tenant), 'state.json'), 'utf8')) as StateMeta;
  } catch {
    return undefined;
  }
  if (
    meta.state_version !== STATE_VERSION ||
    meta.tenant_id !== normaliseTenant(tenant) ||
    !Array.isArray(meta.runs)
  )
    return undefined;
  if (typeof meta.file !== 'string' || !/^state-[\w-]+\.parquet$/.test(meta.file)) return undefined;
  return meta;
}

/** Loads the stored state a meta names into the temp table `state`; false when its file cannot be read. */
async function loadState(connection: DuckDBConnection, root: string, meta: StateMeta): Promise<boolean> {
  try {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE state AS SELECT * FROM read_parquet($file, hive_partitioning = false)`,
      { file: join(stateTenantDir(root, meta.tenant_id), meta.file!) },
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the temp table `state` under a new name, then its meta naming it (the commit point), then removes the
 * Parquet files of earlier states. A reader holding the previous meta and losing its file rebuilds.
 */
export async function writeState(connection: DuckDBConnection, root: string, meta: StateMeta): Promise<void> {
  const dir = stateTenantDir(root, meta.tenant_id);
  await makeDirectory(dir);
  const file = `state-${randomUUID()}.parquet`;
  const path = join(dir, file);
  try {
    await connection.run(`COPY state TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
    await writeFileAtomic(join(dir, 'state.json'), `${JSON.stringify({ ...meta, file })}\n`);
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  for (const name of await readdir(dir)) {
    if (name !== file && /^state-[\w-]+\.parquet$/.test(name)) await rm(join(dir, name), { force: true });
  }
}

export interface RefreshOptions {
  readonly dataRoot: string;
  readonly stateRoot: string;
  readonly tenant: string;
  /** Rebuild from the whole history whatever is stored. */
  readonly rebuild?: boolean;
  /** Called once the state holds the last run of a day it advanced through (YYYY-MM-DD): that day's end. */
  readonly onDay?: (day: string) => Promise<void>;
  /** Told after each run folded in (a rebuild folds every run of the history). */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;

  /**
   * The tenant's parts when the dataset root is a partial local copy (of an S3 dataset): their paths relative
   * to the root, and how to fetch some of them into it before they are read. Default: the root is complete.
   */
  readonly remoteParts?: {
    readonly paths: readonly string[];
    fetch(paths: readonly string[]): Promise<void>;
  };
  /**
   * The tenant's manifests when the copy holds only some of them: every key with its stamp (those the state
   * knows unchanged are not in the copy), and how to fetch the rest before the whole history is read.
   */
  readonly remoteManifests?: {
    readonly files: readonly { readonly key: string; readonly stamp: string }[];
    fetchAll(): Promise<void>;
  };
}

/** Whether a manifest is known from the state: same key and stamp, and not of the newest day (always read). */
export function knownManifest(
  runs: readonly FoldedRun[],
  file: { readonly key: string; readonly stamp: string },
  newestDay: string | undefined,
): FoldedRun | undefined {
  if (file.key.split('/')[2] === newestDay) return undefined;
  const run = runs.find((r) => r.manifest === file.key);
  return run && run.stamp === file.stamp && run.summary ? run : undefined;
}

export interface RefreshedState {
  /** How the state was obtained: stored and current, stored and advanced by newer runs, or rebuilt. */
  readonly mode: 'stored' | 'folded' | 'rebuilt';
  /** Files that cannot be read as findings or manifests (paths relative to the dataset root). */
  readonly skipped: readonly SkippedFile[];
  /** The manifests read: every one after a rebuild, else those not known from the state (and the newest day's). */
  readonly manifests: readonly RunManifest[];
  /** What runs.json says of every run. */
  readonly summaries: readonly RunSummary[];
  /** The meta of the state now in the temp table `state` (to store it with `writeState`). */
  readonly meta: StateMeta;
}

/** A checker × account × region cell a run covered. */
interface Cell {
  readonly check_id: string;
  readonly account_id: string;
  readonly region: string;
}

/** A run to fold: the parts holding its rows (absolute paths) and the coverage it declares (empty: none). */
interface RunToFold {
  readonly run_id: string;
  readonly run_ts: string;
  readonly files: readonly string[];
  readonly coverage: readonly Cell[];
}

const coverageOf = (manifest: RunManifest): Cell[] =>
  manifest.checkers.flatMap((checker) =>
    checker.coverage.map((cell) => ({
      check_id: checker.check_id,
      account_id: cell.account_id,
      region: cell.region,
    })),
  );

const byTime = (a: { run_ts: string; run_id: string }, b: { run_ts: string; run_id: string }) =>
  Date.parse(a.run_ts) - Date.parse(b.run_ts) || a.run_id.localeCompare(b.run_id);
const sameRun = (a: FoldedRun, b: FoldedRun) =>
  a.run_ts === b.run_ts && a.status === b.status && a.parts.join('\n') === b.parts.join('\n');

/** The tenant's runs as their manifests tell them (those the state knows unchanged are not read again). */
interface ListedRuns {
  readonly runs: FoldedRun[];
  /** The manifests read, and those that could not be. */
  readonly manifests: RunManifest[];
  readonly skipped: SkippedFile[];
  /** The runs of the manifests read, as they fold. */
  readonly toFold: RunToFold[];
  /** Every part some manifest lists. */
  readonly listed: ReadonlySet<string>;
}

async function listedRuns(
  files: readonly { readonly key: string; readonly stamp: string; readonly path: string }[],
  known: readonly FoldedRun[],
  existing: ReadonlySet<string>,
  dataRoot: string,
): Promise<ListedRuns> {
  // Manifests of earlier days that have not changed since they were folded are known from the state; the
  // newest day's are always read (coverage.json describes the newest run).
  const newestDay = files.at(-1)?.key.split('/')[2];
  const runs: FoldedRun[] = [];
  const manifests: RunManifest[] = [];
  const skipped: SkippedFile[] = [];
  const toFold: RunToFold[] = [];
  const listed = new Set<string>();
  for (const file of files) {
    const hit = knownManifest(known, file, newestDay);
    if (hit) {
      for (const part of hit.parts) listed.add(part);
      runs.push({ ...hit, parts: hit.parts.filter((p) => existing.has(p)) });
      continue;
    }
    const parsed = parseManifest(await readFile(file.path, 'utf8').catch(() => ''));
    if ('reason' in parsed) {
      skipped.push({ path: relative(dataRoot, file.path), reason: parsed.reason });
      continue;
    }
    const manifest = parsed.manifest;
    manifests.push(manifest);
    const parts = manifest.files.map((f) => f.path.split('/').join(sep)).filter((p) => existing.has(p));
    for (const part of parts) listed.add(part);
    toFold.push({
      run_id: manifest.run_id,
      run_ts: manifest.run_ts,
      files: parts.map((part) => join(dataRoot, part)),
      coverage: coverageOf(manifest),
    });
    runs.push({
      run_id: manifest.run_id,
      run_ts: manifest.run_ts,
      status: manifest.status,
      parts: parts.sort(),
      manifest: file.key,
      stamp: file.stamp,
      summary: runSummary(manifest),
    });
  }
  runs.sort(byTime);
  return { runs, manifests, skipped, toFold, listed };
}

/**
 * The runs whose rows are in parts no manifest lists, read from those parts (their run ids and times only):
 * each with the parts holding its rows and no declared coverage.
 */
async function unlistedRuns(
  connection: DuckDBConnection,
  dataRoot: string,
  tenant: string,
  parts: readonly string[],
): Promise<{ runs: RunToFold[]; skipped: SkippedFile[] }> {
  const checked = await checkParts(
    connection,
    dataRoot,
    parts.map((part) => join(dataRoot, part)),
  );
  let rows: { file: string; run_id: string; run_ts: string }[] = [];
  const read = await readSkippingDamaged(connection, dataRoot, checked.files, async (files) => {
    if (files.length === 0) return;
    const reader = await connection.runAndReadAll(
      `SELECT filename AS file, run_id, strftime(max(run_ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS run_ts
       FROM read_parquet($files, hive_partitioning = true, union_by_name = true, filename = true)
       WHERE ${VALID_ROW} GROUP BY ALL ORDER BY ALL`,
      { files: listValue([...files]), tenant },
    );
    rows = reader.getRowObjectsJson() as typeof rows;
  });
  const runs = new Map<string, { run_ts: string; files: string[] }>();
  for (const row of rows) {
    const run = runs.get(row.run_id) ?? { run_ts: row.run_ts, files: [] };
    if (row.run_ts > run.run_ts) run.run_ts = row.run_ts;
    run.files.push(row.file);
    runs.set(row.run_id, run);
  }
  return {
    runs: [...runs].map(([run_id, run]) => ({ run_id, ...run, coverage: [] })),
    skipped: [...checked.skipped, ...read.skipped],
  };
}

/**
 * Folds the runs into the temp table `state`, oldest first, each from its readable parts (a damaged part is
 * skipped and named): what keeps the state run by run, and what rebuilds it from empty, holding one run's rows
 * at a time. Returns the parts skipped.
 */
async function foldRuns(
  connection: DuckDBConnection,
  runs: readonly RunToFold[],
  options: RefreshOptions & { readonly tenant: string },
): Promise<SkippedFile[]> {
  const { dataRoot } = options;
  const skipped: SkippedFile[] = [];
  const ordered = [...runs].sort(byTime);
  for (const [index, run] of ordered.entries()) {
    await options.remoteParts?.fetch(run.files.map((file) => relative(dataRoot, file)));
    const parts = await checkParts(connection, dataRoot, run.files);
    skipped.push(...parts.skipped);
    const fold = (files: readonly string[]) =>
      foldRun(connection, {
        tenant: options.tenant,
        runId: run.run_id,
        runTs: run.run_ts,
        files,
        coverage: run.coverage,
      });
    skipped.push(...(await readSkippingDamaged(connection, dataRoot, parts.files, fold)).skipped);
    options.onProgress?.({ done: index + 1, total: ordered.length });
    const day = utcDate(new Date(run.run_ts));
    const next = ordered[index + 1];
    if (!next || utcDate(new Date(next.run_ts)) !== day) await options.onDay?.(day);
  }
  // A part holding rows of several runs is named once.
  return [...new Map(skipped.map((s) => [s.path, s])).values()];
}

/**
 * Puts the tenant's current state in the temp table `state`: the stored one when it holds every run of the
 * dataset, advanced run by run when the only new runs are newer than all it holds, else rebuilt by folding
 * every run of the history in, oldest first, from an empty state (memory holds the state and one run, whatever
 * the history's length). Runs are known by their manifests; parts that no manifest lists (an older engine,
 * another engine) that the stored state did not read mean a rebuild, since only reading them would tell which
 * run they belong to; the state remembers those it read, so an unchanged dataset is not rebuilt again.
 */
export async function refreshState(
  connection: DuckDBConnection,
  options: RefreshOptions,
): Promise<RefreshedState> {
  const tenant = normaliseTenant(options.tenant);
  const { dataRoot } = options;
  const stored = await readStateMeta(options.stateRoot, tenant);
  const remote = options.remoteManifests?.files.map((f) => ({
    ...f,
    path: join(dataRoot, ...f.key.split('/')),
  }));
  const files = remote?.filter((f) => !shardOfKey(f.key)) ?? (await listManifestFiles(dataRoot, tenant));
  // The parts of a sharded run not finalized yet belong to no run so far: left out until it is.
  const pending = await pendingShardParts(
    remote?.filter((f) => shardOfKey(f.key)) ?? (await listShardManifestFiles(dataRoot, tenant)),
    files,
  );
  const existing = new Set(
    (
      options.remoteParts?.paths ??
      (await listParts(tenantDir(dataRoot, tenant))).map((file) => relative(dataRoot, file))
    ).filter((part) => !pending.has(part)),
  );
  const known = await listedRuns(files, stored?.runs ?? [], existing, dataRoot);
  const orphans = [...existing].filter((part) => !known.listed.has(part)).sort();

  const rebuild = async (): Promise<RefreshedState> => {
    // Every manifest is read: the coverage of each run is folded in.
    await options.remoteManifests?.fetchAll();
    const listed = await listedRuns(files, [], existing, dataRoot);
    await options.remoteParts?.fetch(orphans);
    const unlisted = await unlistedRuns(connection, dataRoot, tenant, orphans);
    // A run is its rows wherever they are: a manifest's parts and any unlisted part with its run id.
    const runs = new Map<string, RunToFold>();
    for (const run of [...listed.toFold, ...unlisted.runs]) {
      const before = runs.get(run.run_id);
      runs.set(
        run.run_id,
        before
          ? {
              ...before,
              files: [...before.files, ...run.files],
              coverage: [...before.coverage, ...run.coverage],
            }
          : run,
      );
    }
    await emptyState(connection);
    const skipped = [
      ...unlisted.skipped,
      ...(await foldRuns(connection, [...runs.values()], { ...options, tenant })),
    ];
    const newest = orphans.length === 0 ? null : await newestSighting(connection);
    return {
      mode: 'rebuilt',
      skipped: [...skipped, ...listed.skipped],
      manifests: listed.manifests,
      summaries: listed.runs.map((run) => run.summary!),
      meta: {
        state_version: STATE_VERSION,
        tenant_id: tenant,
        runs: listed.runs,
        skipped: skipped.filter((s) => existing.has(s.path)),
        ...(orphans.length > 0 ? { unlisted: orphans, unlisted_newest_ts: newest } : {}),
      },
    };
  };

  // Unlisted parts cannot be placed among the runs without reading them: new or removed ones mean a rebuild.
  if (options.rebuild || orphans.join('\n') !== (stored?.unlisted ?? []).join('\n')) return rebuild();
  // The stored state is read only now that it will be used (a rebuild replaces it).
  const meta = stored;
  if (!meta || !(await loadState(connection, options.stateRoot, meta))) return rebuild();
  const current = known.runs;
  const byId = new Map(current.map((run) => [run.run_id, run]));
  if (!meta.runs.every((run) => byId.has(run.run_id) && sameRun(run, byId.get(run.run_id)!)))
    return rebuild();
  const folded = new Set(meta.runs.map((run) => run.run_id));
  const fresh = current.filter((run) => !folded.has(run.run_id));
  const newest = Math.max(
    0,
    ...meta.runs.map((run) => Date.parse(run.run_ts)),
    meta.unlisted_newest_ts ? Date.parse(meta.unlisted_newest_ts) : 0,
  );
  if (fresh.some((run) => Date.parse(run.run_ts) <= newest)) return rebuild();

  // A run not folded yet was read above (its manifest was not known).
  const freshIds = new Set(fresh.map((run) => run.run_id));
  const runs = known.toFold.filter((run) => freshIds.has(run.run_id));
  const skipped: SkippedFile[] = [
    ...(meta.skipped ?? []).filter((s) => existing.has(s.path)),
    ...(await foldRuns(connection, runs, { ...options, tenant })),
  ];
  return {
    mode: fresh.length > 0 ? 'folded' : 'stored',
    skipped: [...skipped, ...known.skipped],
    manifests: known.manifests,
    summaries: current.map((run) => run.summary!),
    meta: {
      state_version: STATE_VERSION,
      tenant_id: tenant,
      runs: current,
      skipped,
      ...(meta.unlisted
        ? { unlisted: meta.unlisted, unlisted_newest_ts: meta.unlisted_newest_ts ?? null }
        : {}),
    },
  };
}

/** The newest run the state holds a row of (ISO), or null. */
async function newestSighting(connection: DuckDBConnection): Promise<string | null> {
  const reader = await connection.runAndReadAll(
    `SELECT strftime(max(run_ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS ts FROM state`,
  );
  return (reader.getRowObjectsJson()[0]?.['ts'] as string | null | undefined) ?? null;
}
