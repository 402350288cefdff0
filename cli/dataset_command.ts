/**
 * `dataset check`: which files of a tenant's dataset cannot be read (damaged parts, files of another schema,
 * manifests that are not run manifests), the same files an export skips. With `--quarantine` they are moved
 * under `<data>/_quarantine/` with a `.quarantined` suffix, out of every `**\/*.parquet` reader's way, and kept
 * for whoever wants to look at them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { readTenantManifests } from '../pipeline/manifest.ts';
import { readableValues, tenantParts, type SkippedFile } from '../pipeline/parts.ts';
import { normaliseTenant, tenantDir } from '../pipeline/layout.ts';
import type { ObjectStore } from '../pipeline/store.ts';
import { CliError, EXIT } from './errors.ts';

export interface DatasetCheckEffects {
  readonly print: (text: string) => void;
}

export const QUARANTINE = '_quarantine';
const SUFFIX = '.quarantined';

/**
 * Checks one tenant of a dataset held in `store`. `local` is a folder holding the tenant's files under the same
 * keys: the store's own folder, or a copy downloaded from S3 (`fetch`).
 */
export async function datasetCheck(
  store: ObjectStore,
  tenantId: string,
  options: { quarantine: boolean; local?: string },
  effects: DatasetCheckEffects,
): Promise<number> {
  const tenant = normaliseTenant(tenantId);
  const temp = options.local ? undefined : await mkdtemp(join(tmpdir(), 'finops-check-'));
  try {
    const local = options.local ?? (await fetchTenant(store, tenant, temp!));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    let checked: { files: readonly string[]; skipped: readonly SkippedFile[] };
    let manifests;
    try {
      const parts = await tenantParts(connection, local, tenantDir(local, tenant));
      const values = await readableValues(connection, local, parts.files);
      checked = { files: values.files, skipped: [...parts.skipped, ...values.skipped] };
      manifests = await readTenantManifests(local, tenant);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const bad = [...checked.skipped, ...manifests.skipped].map((file) => ({
      ...file,
      key: file.path.split(sep).join('/'),
    }));
    const total = checked.files.length + checked.skipped.length;
    if (total === 0 && manifests.manifests.length + manifests.skipped.length === 0) {
      throw new CliError(`tenant ${tenant} has no files under ${store.location}`, EXIT.failure);
    }
    effects.print(
      `Checked tenant ${tenant} under ${store.location}: ${total} part(s) and ` +
        `${manifests.manifests.length + manifests.skipped.length} run manifest(s); ` +
        (bad.length === 0 ? 'every file reads.' : `${bad.length} cannot be read:`),
    );
    for (const file of bad) effects.print(`  ${file.key}: ${file.reason}`);
    if (bad.length === 0) return EXIT.ok;
    if (!options.quarantine) {
      effects.print('Exports skip these files. --quarantine moves them aside (under _quarantine/).');
      return EXIT.partial;
    }
    for (const file of bad) {
      const target = `${QUARANTINE}/${file.key}${SUFFIX}`;
      // Copy first, then delete: a failure half-way leaves the file where it was, never nowhere.
      await store.putFile(target, join(local, ...file.key.split('/')));
      await store.delete([file.key]);
      effects.print(`  moved to ${store.location}/${target}`);
    }
    effects.print(`Quarantined ${bad.length} file(s); the tenant's dataset now reads whole.`);
    return EXIT.partial;
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** Copies the tenant's parts and run manifests from a store into a local folder under the same keys. */
async function fetchTenant(store: ObjectStore, tenant: string, local: string): Promise<string> {
  const keys = [
    ...(await store.list(`tenant_id=${tenant}/`)).filter((key) => key.endsWith('.parquet')),
    ...(await store.list(`_runs/tenant_id=${tenant}/`)).filter(
      (key) => !key.split('/').pop()!.startsWith('.'),
    ),
  ];
  for (const key of keys) await store.download(key, join(local, ...key.split('/')));
  return local;
}
