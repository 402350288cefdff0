/** Where a dataset keeps its files: `<root>/tenant_id=<t>/run_date=<YYYY-MM-DD>/part-<uuid>.parquet`. */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pyStrip } from '../contracts/identity.ts';

const SAFE_TENANT = /^[a-z0-9._-]+$/;
/** Long enough for any tenant naming scheme, short enough for every file system's name limit. */
export const MAX_TENANT_LENGTH = 128;

export class UnsafeTenantError extends Error {
  constructor(tenant: string) {
    super(
      `tenant id ${JSON.stringify(tenant.length > 80 ? `${tenant.slice(0, 80)}…` : tenant)} cannot name a directory: use at most ${MAX_TENANT_LENGTH} letters, digits, '-', '_' and '.' (not '.' or '..')`,
    );
    this.name = 'UnsafeTenantError';
  }
}

/**
 * The tenant id as both engines write it, in the `tenant_id` column and the partition name: trimmed and
 * lower-cased (the reference engine's normalisation; identity lower-cases it too). `Acme` and `acme` are one
 * tenant. Refuses an id that cannot name a directory.
 */
export function normaliseTenant(tenant: string): string {
  const id = pyStrip(tenant).toLowerCase();
  if (!SAFE_TENANT.test(id) || id === '.' || id === '..' || id.length > MAX_TENANT_LENGTH)
    throw new UnsafeTenantError(tenant);
  return id;
}

export const tenantDir = (root: string, tenant: string): string =>
  join(root, `tenant_id=${normaliseTenant(tenant)}`);

/** Why a tenant has no folder when one differs only in case: it was written before ids were lower-cased. */
export function caseHint(tenant: string, tenants: readonly string[]): string {
  const older = tenants.find((t) => t !== tenant && t.toLowerCase() === tenant);
  return older === undefined
    ? ''
    : ` (tenant_id=${older} was written before tenant ids were lower-cased: rename it, and _runs/tenant_id=${older}, to tenant_id=${tenant})`;
}

export const partitionDir = (root: string, tenant: string, runDate: string): string =>
  join(tenantDir(root, tenant), `run_date=${runDate}`);

export const partFileName = (uuid: string): string => `part-${uuid}.parquet`;

/** A temporary name no `*.parquet` glob matches, in the same directory so the rename is atomic. */
export const tempPartFileName = (uuid: string): string => `.part-${uuid}.parquet.tmp`;

/**
 * A run still at work this long after it started was killed (SIGKILL, a Lambda timeout): its manifest shows it
 * abandoned, and its lock and temporary parts are taken over or removed. Longer than any run that still writes.
 */
export const RUN_GIVEN_UP_MS = 24 * 3_600_000;

/**
 * Removes the hidden temporary parts a killed run left in a tenant's partitions (SIGKILL, a Lambda timeout).
 * Only those older than a day: a run writing now keeps its own. Returns the files removed.
 */
export async function removeStaleTempParts(root: string, tenant: string, now: Date): Promise<string[]> {
  const dir = tenantDir(root, tenant);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !/^\.part-.*\.parquet\.tmp$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path).catch(() => undefined);
    if (!info || now.getTime() - info.mtimeMs < RUN_GIVEN_UP_MS) continue;
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}
