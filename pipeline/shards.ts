/**
 * Shards of one run: a run of many accounts split across workers (`--shard K/N`), each scanning a deterministic
 * slice of the accounts under the same run id and run time. A shard writes its parts and a shard manifest
 * `_runs/tenant_id=<t>/run_date=<d>/<run_id>/shard-<K>-of-<N>.json` (the same shape as a run manifest, with
 * `shard`); readers of run manifests do not see it. `mergeShards` makes the run's own manifest from them once the
 * shards are done (`run finalize`): until then the run's parts belong to no run and readers leave them out.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { normaliseTenant } from './layout.ts';
import {
  manifestDir,
  parseManifest,
  SAFE_RUN_ID,
  type CheckerManifest,
  type ManifestFile,
  type RunManifest,
  type RunStatus,
} from './manifest.ts';

export interface Shard {
  /** 1 to count. */
  readonly index: number;
  readonly count: number;
}

export const MAX_SHARDS = 1000;

/** `K/N` as a shard, or why it is not one. */
export function parseShard(text: string): Shard | { reason: string } {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  if (!match) return { reason: `--shard ${text}: write it K/N, as 3/40 (shard 3 of 40)` };
  const [index, count] = [Number(match[1]), Number(match[2])];
  if (count < 1 || count > MAX_SHARDS) return { reason: `--shard ${text}: from 1 to ${MAX_SHARDS} shards` };
  if (index < 1 || index > count) return { reason: `--shard ${text}: K is from 1 to ${count}` };
  return { index, count };
}

/**
 * The shard's accounts: the sorted account list cut into `count` contiguous slices of near-equal size. The same
 * account list gives every shard the same accounts, whichever worker runs it and whenever it is retried.
 */
export function shardAccounts(accounts: readonly string[], shard: Shard): string[] {
  const sorted = [...new Set(accounts)].sort();
  const from = Math.floor(((shard.index - 1) * sorted.length) / shard.count);
  const to = Math.floor((shard.index * sorted.length) / shard.count);
  return sorted.slice(from, to);
}

/** The folder of a run's shard manifests under the dataset root. */
export function shardFolderKey(tenant: string, runDate: string, runId: string): string {
  if (!SAFE_RUN_ID.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} cannot name a file`);
  return `_runs/tenant_id=${normaliseTenant(tenant)}/run_date=${runDate}/${runId}`;
}

export const shardManifestName = (shard: Shard): string => `shard-${shard.index}-of-${shard.count}.json`;

/** The shard a manifest key names (`…/<run_id>/shard-K-of-N.json`), with its run id and date, or undefined. */
export function shardOfKey(key: string): (Shard & { runId: string; runDate: string }) | undefined {
  const match = /\/run_date=([^/]+)\/([^/]+)\/shard-(\d+)-of-(\d+)\.json$/.exec(key);
  if (!match) return undefined;
  return { runDate: match[1]!, runId: match[2]!, index: Number(match[3]), count: Number(match[4]) };
}

/** A shard's manifest: a run manifest of its slice, saying which shard it is. */
export interface ShardManifest extends RunManifest {
  readonly shard: Shard;
}

export interface MergedRun {
  readonly manifest: RunManifest & {
    readonly shards: readonly {
      readonly index: number;
      readonly status: RunStatus;
      readonly accounts: number;
      readonly files: number;
    }[];
    readonly missing_shards: readonly number[];
  };
  /** Shards with no manifest, or whose manifest still says running (never finished: crashed, or running still). */
  readonly unfinished: readonly number[];
}

/**
 * The run's manifest from its shards' manifests: accounts, coverage, counts and parts of every shard, as one run
 * over all their accounts would record them. Its status: completed when every shard completed; with errors
 * when every shard finished and some had errors; interrupted when a shard never finished or is missing (what
 * the finished shards covered still counts); failed when none finished. Shards must share one run time.
 */
export function mergeShards(shards: readonly ShardManifest[]): MergedRun {
  if (shards.length === 0) throw new Error('no shard of this run has written a manifest');
  const first = shards[0]!;
  const count = first.shard.count;
  const counts = [...new Set(shards.map((s) => s.shard.count))];
  if (counts.length > 1) throw new Error(`the shards disagree on how many there are (${counts.join(', ')})`);
  const times = [...new Set(shards.map((s) => s.run_ts))];
  if (times.length > 1)
    throw new Error(
      `the shards have different run times (${times.join(', ')}): give every shard the same --run-ts`,
    );
  const byIndex = new Map(shards.map((s) => [s.shard.index, s]));
  const all = Array.from({ length: count }, (_, i) => i + 1);
  const missing = all.filter((index) => !byIndex.has(index));
  const unfinished = all.filter((index) => byIndex.get(index)?.status === 'running');
  const present = all.flatMap((index) => (byIndex.has(index) ? [byIndex.get(index)!] : []));
  const finished = present.filter((s) => s.status !== 'running');
  const status: RunStatus =
    finished.length === 0
      ? 'failed'
      : missing.length > 0 ||
          unfinished.length > 0 ||
          finished.some((s) => s.status === 'interrupted' || s.status === 'failed')
        ? 'interrupted'
        : finished.some((s) => s.status === 'completed_with_errors')
          ? 'completed_with_errors'
          : 'completed';
  // In the order the shards ran them (every shard runs the same checkers), as one run records them.
  const checkers = new Map<
    string,
    {
      counts: Record<string, number>;
      invalid: number;
      errors: string[];
      duration_ms: number;
      coverage: CheckerManifest['coverage'][number][];
    }
  >();
  for (const shard of present) {
    for (const checker of shard.checkers) {
      const merged = checkers.get(checker.check_id) ?? {
        counts: {},
        invalid: 0,
        errors: [],
        duration_ms: 0,
        coverage: [],
      };
      for (const [status, n] of Object.entries(checker.counts))
        merged.counts[status] = (merged.counts[status] ?? 0) + n;
      merged.invalid += checker.invalid;
      if (checker.error !== null) merged.errors.push(checker.error);
      merged.duration_ms += checker.duration_ms;
      merged.coverage.push(...checker.coverage);
      checkers.set(checker.check_id, merged);
    }
  }
  const started = Math.min(...present.map((s) => Date.parse(s.started_ts)));
  const ended = Math.max(...present.map((s) => Date.parse(s.finished_ts)));
  const { shard: _shard, ...base } = first;
  return {
    manifest: {
      ...base,
      status,
      arguments: Object.fromEntries(
        Object.entries(first.arguments).filter(([key]) => key !== 'shard' && key !== 'accounts'),
      ),
      accounts: [...new Set(present.flatMap((s) => s.accounts))].sort(),
      account_errors: present.flatMap((s) => s.account_errors ?? []),
      regions: [...new Set(present.flatMap((s) => s.regions))].sort(),
      started_ts: new Date(started).toISOString(),
      finished_ts: new Date(ended).toISOString(),
      duration_ms: ended - started,
      checkers: [...checkers].map(([check_id, c]) => ({
        check_id,
        counts: c.counts,
        invalid: c.invalid,
        error: c.errors.length > 0 ? [...new Set(c.errors)].join('; ') : null,
        duration_ms: c.duration_ms,
        coverage: c.coverage.sort(
          (a, b) => a.account_id.localeCompare(b.account_id) || a.region.localeCompare(b.region),
        ),
      })),
      files: present.flatMap((s) => s.files),
      shards: present.map((s) => ({
        index: s.shard.index,
        status: s.status,
        accounts: s.accounts.length,
        files: s.files.length,
      })),
      missing_shards: missing,
    },
    unfinished: [...missing, ...unfinished].sort((a, b) => a - b),
  };
}

/** The shard manifests of a local dataset's tenant (not read): `run_date=<d>/<run_id>/shard-K-of-N.json`. */
export async function listShardManifestFiles(dataRoot: string, tenant: string): Promise<ManifestFile[]> {
  const root = manifestDir(dataRoot, tenant);
  const files: ManifestFile[] = [];
  for (const date of (await readdir(root).catch(() => [] as string[]))
    .filter((n) => n.startsWith('run_date='))
    .sort()) {
    const runs = await readdir(join(root, date), { withFileTypes: true }).catch(() => []);
    for (const run of runs
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()) {
      const names = await readdir(join(root, date, run)).catch(() => [] as string[]);
      for (const name of names.filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort()) {
        const path = join(root, date, run, name);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) continue;
        files.push({
          key: `_runs/tenant_id=${normaliseTenant(tenant)}/${date}/${run}/${name}`,
          path,
          stamp: `${info.size}:${Math.round(info.mtimeMs)}`,
        });
      }
    }
  }
  return files;
}

/**
 * The parts of runs whose shards have written manifests but that are not finalized yet (no run manifest of that
 * id among `runManifests`): readers leave them out until `run finalize` makes the run. Paths relative to the
 * dataset root, in the platform's separator.
 */
export async function pendingShardParts(
  shardFiles: readonly ManifestFile[],
  runManifests: readonly ManifestFile[],
): Promise<Set<string>> {
  const finalized = new Set(
    runManifests.map((file) =>
      file.key
        .split('/')
        .pop()!
        .replace(/\.json$/, ''),
    ),
  );
  const pending = new Set<string>();
  for (const file of shardFiles) {
    const shard = shardOfKey(file.key);
    if (!shard || finalized.has(shard.runId)) continue;
    const parsed = parseManifest(await readFile(file.path, 'utf8').catch(() => ''));
    if ('reason' in parsed) continue;
    for (const part of parsed.manifest.files) pending.add(part.path.split('/').join(sep));
  }
  return pending;
}
