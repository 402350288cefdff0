/**
 * Run manifests: `<root>/_runs/tenant_id=<t>/run_date=<d>/<run_id>.json`, one per run, written atomically.
 * They record what a run covered (checker × account × region), which is what lets history tell a fixed
 * finding from one that was simply not looked at.
 */
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { assertSafeTenant } from './layout.ts';

export const MANIFEST_SCHEMA_VERSION = 1;

export interface Coverage {
  readonly account_id: string;
  /** A region, or "*" for a global check (S3) that covers every region of the account. */
  readonly region: string;
}

export interface CheckerManifest {
  readonly check_id: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly invalid: number;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly coverage: readonly Coverage[];
}

export interface RunManifest {
  readonly schema_version: number;
  readonly tenant_id: string;
  readonly workspace_id: string;
  readonly run_id: string;
  readonly run_ts: string;
  readonly run_date: string;
  readonly engine_name: string;
  readonly engine_version: string;
  readonly rulepack_version: string;
  readonly status: 'completed' | 'completed_with_errors' | 'interrupted';
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly started_ts: string;
  readonly finished_ts: string;
  readonly duration_ms: number;
  readonly checkers: readonly CheckerManifest[];
  readonly files: readonly { path: string; rows: number }[];
}

export const manifestDir = (root: string, tenant: string): string =>
  join(root, '_runs', `tenant_id=${assertSafeTenant(tenant)}`);

/** Run ids name files: letters, digits, '-', '_' and '.' only. */
const SAFE_RUN_ID = /^[A-Za-z0-9._-]+$/;

export async function writeRunManifest(root: string, manifest: RunManifest): Promise<string> {
  if (!SAFE_RUN_ID.test(manifest.run_id))
    throw new Error(`run id ${JSON.stringify(manifest.run_id)} cannot name a file`);
  const target = join(
    manifestDir(root, manifest.tenant_id),
    `run_date=${manifest.run_date}`,
    `${manifest.run_id}.json`,
  );
  await writeFileAtomic(target, `${JSON.stringify(manifest, null, 2)}\n`);
  return target;
}
