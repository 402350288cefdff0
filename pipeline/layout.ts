/** Where a dataset keeps its files: `<root>/tenant_id=<t>/run_date=<YYYY-MM-DD>/part-<uuid>.parquet`. */
import { join } from 'node:path';

const SAFE_TENANT = /^[A-Za-z0-9._-]+$/;

export class UnsafeTenantError extends Error {
  constructor(tenant: string) {
    super(
      `tenant id ${JSON.stringify(tenant)} cannot name a directory: use letters, digits, '-', '_' and '.' (not '.' or '..')`,
    );
    this.name = 'UnsafeTenantError';
  }
}

export function assertSafeTenant(tenant: string): string {
  if (!SAFE_TENANT.test(tenant) || tenant === '.' || tenant === '..') throw new UnsafeTenantError(tenant);
  return tenant;
}

export const tenantDir = (root: string, tenant: string): string =>
  join(root, `tenant_id=${assertSafeTenant(tenant)}`);

export const partitionDir = (root: string, tenant: string, runDate: string): string =>
  join(tenantDir(root, tenant), `run_date=${runDate}`);

export const partFileName = (uuid: string): string => `part-${uuid}.parquet`;

/** A temporary name no `*.parquet` glob matches, in the same directory so the rename is atomic. */
export const tempPartFileName = (uuid: string): string => `.part-${uuid}.parquet.tmp`;
