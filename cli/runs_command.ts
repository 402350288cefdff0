/**
 * `runs list` and `runs delete`: what runs a tenant's dataset holds, and undoing one (a mistaken backfill, a run
 * against the wrong account) without touching files by hand; `run finalize`: one run from its shards. Deleting removes the run's parts first, then its
 * manifest, so the run never looks complete while its data is half gone.
 */
import {
  manifestKey,
  parseManifest,
  readStoreManifests,
  SAFE_RUN_ID,
  type RunManifest,
} from '../pipeline/manifest.ts';
import { mergeShards, shardOfKey, type ShardManifest } from '../pipeline/shards.ts';
import { normaliseTenant, RUN_GIVEN_UP_MS } from '../pipeline/layout.ts';
import { newestFirst, statusTotals } from '../pipeline/runs_export.ts';
import type { ObjectStore } from '../pipeline/store.ts';
import { CliError, EXIT } from './errors.ts';

export interface RunsEffects {
  readonly now: () => Date;
  readonly print: (text: string) => void;
}

const statusOf = (run: RunManifest, now: Date): string =>
  run.status === 'running' && now.getTime() - Date.parse(run.started_ts) > RUN_GIVEN_UP_MS
    ? 'abandoned'
    : run.status;

const findingsOf = (run: RunManifest): number => Object.values(statusTotals(run)).reduce((a, b) => a + b, 0);

/** Shard manifest keys of the tenant, by run id. */
async function shardKeys(store: ObjectStore, tenant: string): Promise<Map<string, string[]>> {
  const byRun = new Map<string, string[]>();
  for (const key of await store.list(`_runs/tenant_id=${tenant}/`)) {
    const shard = shardOfKey(key);
    if (shard) byRun.set(shard.runId, [...(byRun.get(shard.runId) ?? []), key]);
  }
  return byRun;
}

export async function runsList(store: ObjectStore, tenantId: string, effects: RunsEffects): Promise<number> {
  const tenant = normaliseTenant(tenantId);
  const { manifests, skipped } = await readStoreManifests(store, tenant);
  // Runs still in shards: not finalized, so not yet a run that exports see.
  const finalized = new Set(manifests.map(({ manifest }) => manifest.run_id));
  const pending = [...(await shardKeys(store, tenant))].filter(([runId]) => !finalized.has(runId));
  if (manifests.length === 0 && skipped.length === 0 && pending.length === 0) {
    throw new CliError(`tenant ${tenant} has no runs under ${store.location}`, EXIT.failure);
  }
  const rows = manifests
    .map(({ manifest }) => manifest)
    .sort(newestFirst)
    .map((run) => [
      run.run_id,
      run.run_ts,
      statusOf(run, effects.now()),
      String(findingsOf(run)),
      String(run.files.length),
    ]);
  for (const [runId, keys] of pending) {
    const count = shardOfKey(keys[0]!)!.count;
    rows.unshift([runId, '', `in shards: ${keys.length} of ${count} written, not finalized`, '', '']);
  }
  const header = ['run id', 'run ts', 'status', 'findings', 'parts'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  effects.print([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
  for (const file of skipped) effects.print(`skipped ${file.path}: ${file.reason}`);
  return EXIT.ok;
}

export async function runsDelete(
  store: ObjectStore,
  tenantId: string,
  runId: string,
  effects: RunsEffects,
): Promise<number> {
  const tenant = normaliseTenant(tenantId);
  const { manifests } = await readStoreManifests(store, tenant);
  const matching = manifests
    .filter(({ manifest }) => manifest.run_id === runId)
    .map(({ path, manifest }) => ({ path, files: manifest.files.map((file) => file.path) }));
  // A sharded run's shard manifests (and their parts) go with it, finalized or not.
  const shards = (await shardKeys(store, tenant)).get(runId) ?? [];
  for (const key of shards) {
    const parsed = parseManifest((await store.getText(key)) ?? '');
    matching.push({
      path: key,
      files: 'manifest' in parsed ? parsed.manifest.files.map((file) => file.path) : [],
    });
  }
  if (matching.length === 0) {
    const known = manifests.map(({ manifest }) => manifest.run_id).slice(-10);
    throw new CliError(
      `tenant ${tenant} has no run ${runId} under ${store.location}${known.length ? `; its runs include: ${known.join(', ')}` : ''} (see runs list)`,
      EXIT.failure,
    );
  }
  // Parts are named relative to the dataset root, always inside the run's own tenant folder.
  const keys = [...new Set(matching.flatMap((m) => m.files))].filter(
    (key) => key.startsWith(`tenant_id=${tenant}/`) && !key.split('/').includes('..'),
  );
  // Parts first, then the manifests: the run never looks complete while its data is half gone.
  await store.delete(keys);
  const parts = keys.length;
  await store.delete(matching.map((m) => m.path));
  effects.print(
    `Deleted run ${runId} of tenant ${tenant}: ${parts} part(s) and its manifest${shards.length > 0 ? ` (and ${shards.length} shard manifest(s))` : ''}.`,
  );
  return EXIT.ok;
}

/**
 * `run finalize`: the run's manifest from its shards' manifests (`mergeShards`), written where a run's manifest
 * goes; then the tenant state and gold tables are brought up to date (`keepState`). Finalizing again (after a
 * shard was retried) writes the manifest again. Exit 0 when every shard completed; 3 when some had errors or
 * never finished (what the others covered counts); 1 when none finished.
 */
export async function runsFinalize(
  store: ObjectStore,
  tenantId: string,
  runId: string,
  effects: RunsEffects & { readonly keepState: () => Promise<{ mode: string; saveError?: string }> },
): Promise<number> {
  const tenant = normaliseTenant(tenantId);
  if (!SAFE_RUN_ID.test(runId))
    throw new CliError(`--run-id ${runId}: use letters, digits, '-', '_' and '.' (at most 128)`, EXIT.usage);
  const keys = (await store.list(`_runs/tenant_id=${tenant}/`)).filter(
    (key) => shardOfKey(key)?.runId === runId,
  );
  if (keys.length === 0) {
    throw new CliError(
      `tenant ${tenant} has no shard of run ${runId} under ${store.location}: nothing to finalize (shards write their manifests under _runs/tenant_id=${tenant}/run_date=<day>/${runId}/)`,
      EXIT.failure,
    );
  }
  const shards: ShardManifest[] = [];
  const damaged: string[] = [];
  for (const key of keys) {
    const parsed = parseManifest((await store.getText(key)) ?? '');
    const shard = shardOfKey(key)!;
    if ('reason' in parsed) damaged.push(`${key}: ${parsed.reason}`);
    else shards.push({ ...parsed.manifest, shard: { index: shard.index, count: shard.count } });
  }
  let merged;
  try {
    merged = mergeShards(shards);
  } catch (error) {
    throw new CliError(`run ${runId} cannot be finalized: ${(error as Error).message}`, EXIT.failure, {
      cause: error,
    });
  }
  const { manifest } = merged;
  await store.putText(
    manifestKey(tenant, manifest.run_date, runId),
    `${JSON.stringify(manifest, null, 2)}\n`,
    {
      contentType: 'application/json',
    },
  );
  const kept = await effects.keepState();
  const count = shards[0]?.shard.count ?? 0;
  const lines = [
    `Finalized run ${runId} of tenant ${tenant} from ${count - merged.unfinished.length} of ${count} shard(s): ${manifest.status}, ${manifest.accounts.length} account(s), ${findingsOf(manifest)} finding(s) in ${manifest.files.length} part(s).`,
  ];
  if (merged.unfinished.length > 0)
    lines.push(
      `Shard(s) that never finished (no manifest, or still running): ${merged.unfinished.join(', ')}. Retry them with the same --run-id and --run-ts, then finalize again.`,
    );
  for (const line of damaged) lines.push(`Unreadable shard manifest ${line}`);
  lines.push(
    kept.saveError === undefined
      ? `Tenant state and KPI gold tables: ${kept.mode}.`
      : `The tenant state and KPI gold tables were not updated (${kept.saveError}); the next export rebuilds them.`,
  );
  effects.print(lines.join('\n'));
  return manifest.status === 'completed'
    ? EXIT.ok
    : manifest.status === 'failed'
      ? EXIT.failure
      : EXIT.partial;
}
