/**
 * The per-tenant state: one row per fingerprint, its latest occurrence (every column of the findings schema)
 * with its lifecycle (first/last failing sighting, times seen, when it was resolved, the saving of its last
 * failing sighting) and its latest covering run (when, and its status there: NULL when that run covered it and
 * did not report it). Exports read the state and the runs not folded into it yet, instead of the whole history.
 *
 * The append-only findings dataset stays the system of record: `buildState` derives the state from the history
 * tables (`loadHistory`), and `foldRun` advances it by one run newer than every run in it, with the same rules,
 * so a state kept run by run equals one rebuilt from the dataset. Anything else (a backfill, a retried or
 * deleted run, a part that changed) is a rebuild.
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
import { deriveHistory, loadHistory } from './history.ts';
import { utcDate } from '../contracts/time.ts';
import { normaliseTenant, tenantDir } from './layout.ts';
import { listManifestFiles, parseManifest, type RunManifest } from './manifest.ts';
import {
  checkParts,
  emptyPart,
  listParts,
  readableValues,
  readSkippingDamaged,
  VALID_ROW,
  type SkippedFile,
} from './parts.ts';
import { runSummary, type RunSummary } from './runs_export.ts';

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

/**
 * Creates the temp table `state` from the history tables (`allf`, `allf_files`, `obs`, `lifecycle`) of
 * `loadHistory`: each fingerprint's latest row is found among the history's columns, then read whole from
 * the parts that hold one (after a year of daily runs, mostly the newest few).
 */
export async function buildState(
  connection: DuckDBConnection,
  tenant: string,
  root: string,
): Promise<SkippedFile[]> {
  const skipped: SkippedFile[] = [];
  for (;;) {
    await connection.run(`CREATE OR REPLACE TEMP TABLE latest_keys AS ${latestOf('allf')}`);
    const parts = (
      (
        await connection.runAndReadAll(
          'SELECT DISTINCT f.path FROM latest_keys k JOIN allf_files f USING (part) ORDER BY f.path',
        )
      ).getRowObjectsJson() as { path: string }[]
    ).map((p) => p.path);
    try {
      await createState(connection, tenant, parts);
      await connection.run('DROP TABLE latest_keys');
      return skipped;
    } catch (error) {
      // The history read only some columns: a part whose other columns are damaged fails only now. Such
      // parts leave the history whole, as when the history read finds them.
      const checked = await readableValues(connection, root, parts);
      if (checked.skipped.length === 0) throw error;
      skipped.push(...checked.skipped);
      await connection.run(
        'DELETE FROM allf WHERE part IN (SELECT part FROM allf_files WHERE path IN (SELECT unnest($paths)))',
        { paths: listValue(checked.skipped.map((s) => join(root, s.path))) },
      );
      await deriveHistory(connection);
    }
  }
}

async function createState(
  connection: DuckDBConnection,
  tenant: string,
  parts: readonly string[],
): Promise<void> {
  const rows =
    parts.length > 0
      ? `(SELECT f.* FROM read_parquet($files, hive_partitioning = true, union_by_name = true) f
          SEMI JOIN latest_keys k ON f.fingerprint = k.fingerprint AND f.run_id = k.run_id AND f.finding_id = k.finding_id
          WHERE ${VALID_ROW})`
      : `(SELECT *, NULL::DATE AS run_date FROM read_parquet($file, hive_partitioning = false) WHERE ${VALID_ROW})`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE state AS
     WITH l AS (${latestOf(rows)}),
     savings AS (
       SELECT fingerprint, arg_max(estimated.monthly_savings, run_ts) AS last_fail_savings
       FROM allf WHERE status = 'fail' GROUP BY fingerprint),
     covered AS (
       SELECT fingerprint, max(run_ts) AS covered_ts, arg_max_null(status, run_ts) AS covered_status
       FROM obs GROUP BY fingerprint)
     SELECT l.*, lc.first_seen, lc.last_seen, lc.times_seen, lc.resolved_ts, s.last_fail_savings,
            c.covered_ts, c.covered_status
     FROM l LEFT JOIN lifecycle lc USING (fingerprint) LEFT JOIN savings s USING (fingerprint)
            LEFT JOIN covered c USING (fingerprint)`,
    parts.length > 0 ? { files: listValue([...parts]), tenant } : { file: await emptyPart(), tenant },
  );
}

/**
 * Advances the temp table `state` by one run, newer than every run in it: `files` are its readable parts,
 * `coverage` the checker × account × region cells its manifest declares (empty: inferred from its findings,
 * as the history does for a run without a declared coverage).
 */
export async function foldRun(
  connection: DuckDBConnection,
  run: {
    readonly tenant: string;
    readonly runTs: string;
    readonly files: readonly string[];
    readonly coverage: readonly { check_id: string; account_id: string; region: string }[];
  },
): Promise<void> {
  if (run.files.length > 0) {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE run_rows AS
       ${latestOf(`(SELECT * FROM read_parquet($files, hive_partitioning = true, union_by_name = true) WHERE ${VALID_ROW})`)}`,
      { files: listValue([...run.files]), tenant: run.tenant },
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
    await connection.run(
      `COPY (SELECT * FROM state ORDER BY fingerprint) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
    );
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
  /** The history tables of `loadHistory` exist on the connection (only after a rebuild). */
  readonly history: boolean;
}

const byTime = (a: FoldedRun, b: FoldedRun) =>
  Date.parse(a.run_ts) - Date.parse(b.run_ts) || a.run_id.localeCompare(b.run_id);
const sameRun = (a: FoldedRun, b: FoldedRun) =>
  a.run_ts === b.run_ts && a.status === b.status && a.parts.join('\n') === b.parts.join('\n');

/**
 * Puts the tenant's current state in the temp table `state`: the stored one when it holds every run of the
 * dataset, advanced run by run when the only new runs are newer than all it holds, else rebuilt from the whole
 * history. Runs are known by their manifests; parts that no manifest lists (an older engine, another engine)
 * that the stored state did not read mean a rebuild, since only reading them would tell which run they
 * belong to; the state remembers those it read, so an unchanged dataset is not rebuilt again.
 */
export async function refreshState(
  connection: DuckDBConnection,
  options: RefreshOptions,
): Promise<RefreshedState> {
  const tenant = normaliseTenant(options.tenant);
  const { dataRoot } = options;
  const stored = await readStateMeta(options.stateRoot, tenant);
  const existing = new Set(
    options.remoteParts?.paths ??
      (await listParts(tenantDir(dataRoot, tenant))).map((file) => relative(dataRoot, file)),
  );
  // Manifests of earlier days that have not changed since they were folded are known from the state; the
  // newest day's are always read (coverage.json describes the newest run).
  const files =
    options.remoteManifests?.files.map((f) => ({ ...f, path: join(dataRoot, ...f.key.split('/')) })) ??
    (await listManifestFiles(dataRoot, tenant));
  const newestDay = files.at(-1)?.key.split('/')[2];
  const storedRuns = stored?.runs ?? [];
  const manifests: RunManifest[] = [];
  const skippedManifests: SkippedFile[] = [];
  const listed = new Set<string>();
  const current: FoldedRun[] = [];
  for (const file of files) {
    const hit = knownManifest(storedRuns, file, newestDay);
    if (hit) {
      const parts = hit.parts.filter((p) => existing.has(p));
      for (const part of hit.parts) listed.add(part);
      current.push({ ...hit, parts });
      continue;
    }
    const parsed = parseManifest(await readFile(file.path, 'utf8').catch(() => ''));
    if ('reason' in parsed) {
      skippedManifests.push({ path: relative(dataRoot, file.path), reason: parsed.reason });
      continue;
    }
    const manifest = parsed.manifest;
    manifests.push(manifest);
    const parts = manifest.files.map((f) => f.path.split('/').join(sep)).filter((p) => existing.has(p));
    for (const part of parts) listed.add(part);
    current.push({
      run_id: manifest.run_id,
      run_ts: manifest.run_ts,
      status: manifest.status,
      parts: parts.sort(),
      manifest: file.key,
      stamp: file.stamp,
      summary: runSummary(manifest),
    });
  }
  current.sort(byTime);
  const orphans = [...existing].filter((part) => !listed.has(part)).sort();

  const summaries = current.map((run) => run.summary!);
  const rebuild = async (): Promise<RefreshedState> => {
    await options.remoteParts?.fetch([...existing]);
    await options.remoteManifests?.fetchAll();
    const history = await loadHistory(connection, dataRoot, tenant);
    const skipped = [...history.skipped, ...(await buildState(connection, tenant, dataRoot))];
    const newest = orphans.length === 0 ? null : await newestSighting(connection);
    return {
      mode: 'rebuilt',
      skipped,
      manifests: history.manifests,
      summaries,
      meta: {
        state_version: STATE_VERSION,
        tenant_id: tenant,
        runs: current,
        skipped: skipped.filter((s) => existing.has(s.path)),
        ...(orphans.length > 0 ? { unlisted: orphans, unlisted_newest_ts: newest } : {}),
      },
      history: true,
    };
  };

  // Unlisted parts cannot be placed among the runs without reading them: new or removed ones mean a rebuild.
  if (options.rebuild || orphans.join('\n') !== (stored?.unlisted ?? []).join('\n')) return rebuild();
  // The stored state is read only now that it will be used (a rebuild replaces it).
  const meta = stored;
  if (!meta || !(await loadState(connection, options.stateRoot, meta))) return rebuild();
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

  const skipped: SkippedFile[] = (meta.skipped ?? []).filter((s) => existing.has(s.path));
  for (const [index, run] of fresh.entries()) {
    // A run not folded yet was read above (its manifest was not known).
    const manifest = manifests.find((m) => m.run_id === run.run_id && m.run_ts === run.run_ts)!;
    const fold = (files: readonly string[]) =>
      foldRun(connection, {
        tenant,
        runTs: run.run_ts,
        files,
        coverage: manifest.checkers.flatMap((checker) =>
          checker.coverage.map((cell) => ({
            check_id: checker.check_id,
            account_id: cell.account_id,
            region: cell.region,
          })),
        ),
      });
    await options.remoteParts?.fetch(run.parts);
    const parts = await checkParts(
      connection,
      dataRoot,
      run.parts.map((part) => join(dataRoot, part)),
    );
    skipped.push(...parts.skipped);
    skipped.push(...(await readSkippingDamaged(connection, dataRoot, parts.files, fold)).skipped);
    const day = utcDate(new Date(run.run_ts));
    const next = fresh[index + 1];
    if (!next || utcDate(new Date(next.run_ts)) !== day) await options.onDay?.(day);
  }
  return {
    mode: fresh.length > 0 ? 'folded' : 'stored',
    skipped: [...skipped, ...skippedManifests],
    manifests,
    summaries,
    meta: {
      state_version: STATE_VERSION,
      tenant_id: tenant,
      runs: current,
      skipped,
      ...(meta.unlisted
        ? { unlisted: meta.unlisted, unlisted_newest_ts: meta.unlisted_newest_ts ?? null }
        : {}),
    },
    history: false,
  };
}

/** The newest run the state holds a row of (ISO), or null. */
async function newestSighting(connection: DuckDBConnection): Promise<string | null> {
  const reader = await connection.runAndReadAll(
    `SELECT strftime(max(run_ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS ts FROM state`,
  );
  return (reader.getRowObjectsJson()[0]?.['ts'] as string | null | undefined) ?? null;
}
