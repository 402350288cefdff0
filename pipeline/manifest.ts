/**
 * Run manifests: `<root>/_runs/tenant_id=<t>/run_date=<d>/<run_id>.json`, one per run, written atomically.
 * They record what a run covered (checker × account × region), which is what lets history tell a fixed
 * finding from one that was simply not looked at.
 */
import { join } from 'node:path';
import { normaliseTenant } from './layout.ts';
import type { ObjectStore } from './store.ts';

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

/** `running` while a run is under way (and forever after a crash); it covers nothing. */
export type RunStatus = 'running' | 'completed' | 'completed_with_errors' | 'interrupted' | 'failed';

export interface AccountError {
  readonly account_id: string;
  readonly error: string;
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
  readonly status: RunStatus;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly accounts: readonly string[];
  /** Accounts that could not be scanned at all, and why. */
  readonly account_errors?: readonly AccountError[];
  readonly regions: readonly string[];
  readonly started_ts: string;
  readonly finished_ts: string;
  readonly duration_ms: number;
  readonly checkers: readonly CheckerManifest[];
  readonly files: readonly { path: string; rows: number }[];
}

export const manifestDir = (root: string, tenant: string): string =>
  join(root, '_runs', `tenant_id=${normaliseTenant(tenant)}`);

/** Run ids name files: letters, digits, '-', '_' and '.' only. */
export const SAFE_RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The manifest's key under the dataset root: `_runs/tenant_id=<t>/run_date=<d>/<run_id>.json`. */
export function manifestKey(tenant: string, runDate: string, runId: string): string {
  if (!SAFE_RUN_ID.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} cannot name a file`);
  return `_runs/tenant_id=${normaliseTenant(tenant)}/run_date=${runDate}/${runId}.json`;
}

/** Earlier attempts of a run id (a retried scheduled run): their manifest keys and the parts they published. */
export async function previousAttempts(
  store: ObjectStore,
  tenant: string,
  runId: string,
): Promise<{ key: string; files: string[] }[]> {
  const keys = (await store.list(`_runs/tenant_id=${normaliseTenant(tenant)}/`)).filter((key) =>
    key.endsWith(`/${runId}.json`),
  );
  const attempts = [];
  for (const key of keys) {
    const text = await store.getText(key);
    if (text === undefined) continue;
    const manifest = JSON.parse(text) as Partial<RunManifest>;
    attempts.push({ key, files: (manifest.files ?? []).map((file) => file.path) });
  }
  return attempts;
}
