/**
 * `runs list` and `runs delete`: what runs a tenant's dataset holds, and undoing one (a mistaken backfill, a run
 * against the wrong account) without touching files by hand. Deleting removes the run's parts first, then its
 * manifest, so the run never looks complete while its data is half gone.
 */
import { readStoreManifests, type RunManifest } from '../pipeline/manifest.ts';
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

export async function runsList(store: ObjectStore, tenantId: string, effects: RunsEffects): Promise<number> {
  const tenant = normaliseTenant(tenantId);
  const { manifests, skipped } = await readStoreManifests(store, tenant);
  if (manifests.length === 0 && skipped.length === 0) {
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
  const matching = manifests.filter(({ manifest }) => manifest.run_id === runId);
  if (matching.length === 0) {
    const known = manifests.map(({ manifest }) => manifest.run_id).slice(-10);
    throw new CliError(
      `tenant ${tenant} has no run ${runId} under ${store.location}${known.length ? `; its runs include: ${known.join(', ')}` : ''} (see runs list)`,
      EXIT.failure,
    );
  }
  let parts = 0;
  for (const { path, manifest } of matching) {
    // Parts are named relative to the dataset root, always inside the run's own tenant folder.
    const keys = manifest.files
      .map((file) => file.path)
      .filter((key) => key.startsWith(`tenant_id=${tenant}/`) && !key.split('/').includes('..'));
    await store.delete(keys);
    parts += keys.length;
    await store.delete([path]);
  }
  effects.print(`Deleted run ${runId} of tenant ${tenant}: ${parts} part(s) and its manifest.`);
  return EXIT.ok;
}
