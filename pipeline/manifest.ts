/**
 * Run manifests: `<root>/_runs/tenant_id=<t>/run_date=<d>/<run_id>.json`, one per run, written atomically.
 * They record what a run covered (checker × account × region), which is what lets history tell a fixed
 * finding from one that was simply not looked at.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
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
  /** The configuration in force (policy file and flags; see cli/config.ts) and its sha256. */
  readonly config?: { readonly source: string | null; readonly sha256: string; readonly effective: unknown };
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

/**
 * Earlier attempts of a run id (a retried scheduled run), or of one shard of it (`name`: the shard manifest's
 * `<run_id>/shard-K-of-N.json`): their manifest keys and the parts they published.
 */
export async function previousAttempts(
  store: ObjectStore,
  tenant: string,
  runId: string,
  name = `${runId}.json`,
): Promise<{ key: string; files: string[] }[]> {
  const keys = (await store.list(`_runs/tenant_id=${normaliseTenant(tenant)}/`)).filter((key) =>
    key.endsWith(`/${name}`),
  );
  const attempts = [];
  for (const key of keys) {
    const text = await store.getText(key);
    if (text === undefined) continue;
    let manifest: Partial<RunManifest>;
    try {
      manifest = JSON.parse(text) as Partial<RunManifest>;
    } catch {
      // A damaged manifest names no part to remove; the attempt's manifest itself is still replaced.
      manifest = {};
    }
    const files = Array.isArray(manifest.files) ? manifest.files : [];
    attempts.push({
      key,
      files: files.map((file) => file?.path).filter((p): p is string => typeof p === 'string'),
    });
  }
  return attempts;
}

const text = z.string();
const count = z.number().int().nonnegative();

/** What readers of a manifest rely on; other fields pass through. */
const manifestSchema = z.looseObject({
  schema_version: z.number().int(),
  tenant_id: text,
  run_id: z.string().regex(SAFE_RUN_ID),
  run_ts: z.iso.datetime({ offset: true }),
  run_date: z.iso.date(),
  status: z.enum(['running', 'completed', 'completed_with_errors', 'interrupted', 'failed']),
  started_ts: text,
  finished_ts: text,
  duration_ms: z.number().nonnegative(),
  accounts: z.array(text),
  regions: z.array(text),
  checkers: z.array(
    z.looseObject({
      check_id: text,
      counts: z.record(text, count),
      invalid: count,
      error: text.nullable(),
      duration_ms: z.number().nonnegative(),
      coverage: z.array(z.looseObject({ account_id: text, region: text })),
    }),
  ),
  files: z.array(z.looseObject({ path: text, rows: count })),
});

export interface ReadManifests {
  readonly manifests: readonly { readonly path: string; readonly manifest: RunManifest }[];
  /** Manifests that are not valid JSON or not a run manifest, skipped (paths relative to the dataset root). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

/** A manifest's text as a run manifest, or why it is not one. */
export function parseManifest(text: string): { manifest: RunManifest } | { reason: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { reason: 'not valid JSON (empty or truncated)' };
  }
  const result = manifestSchema.safeParse(data);
  if (result.success) return { manifest: result.data as unknown as RunManifest };
  const fields = [...new Set(result.error.issues.map((i) => i.path.join('.') || '(file)'))].slice(0, 5);
  return { reason: `not a run manifest: ${fields.join(', ')} missing or invalid` };
}

/** Every run manifest of a tenant that reads as one; a damaged one is skipped and named, never fatal. */
export async function readTenantManifests(dataRoot: string, tenant: string): Promise<ReadManifests> {
  const manifests: { path: string; manifest: RunManifest }[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const { path } of await listManifestFiles(dataRoot, tenant)) {
    const parsed = parseManifest(await readFile(path, 'utf8').catch(() => ''));
    if ('manifest' in parsed) manifests.push({ path, manifest: parsed.manifest });
    else skipped.push({ path: relative(dataRoot, path), reason: parsed.reason });
  }
  return { manifests, skipped };
}

/** The same from any store (S3): manifests named by their keys. */
export async function readStoreManifests(store: ObjectStore, tenant: string): Promise<ReadManifests> {
  const manifests: { path: string; manifest: RunManifest }[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const keys = (await store.list(`_runs/tenant_id=${normaliseTenant(tenant)}/`)).filter((key) =>
    /\/run_date=[^/]+\/[^./][^/]*\.json$/.test(key),
  );
  for (const key of keys) {
    const parsed = parseManifest((await store.getText(key)) ?? '');
    if ('manifest' in parsed) manifests.push({ path: key, manifest: parsed.manifest });
    else skipped.push({ path: key, reason: parsed.reason });
  }
  return { manifests, skipped };
}

/** A run manifest file: its key under the dataset root, its path, and a stamp that changes when it is rewritten. */
export interface ManifestFile {
  readonly key: string;
  readonly path: string;
  readonly stamp: string;
}

/** The tenant's manifest files (not read), by run date then name. */
export async function listManifestFiles(dataRoot: string, tenant: string): Promise<ManifestFile[]> {
  const root = manifestDir(dataRoot, tenant);
  const files: ManifestFile[] = [];
  const dates = await readdir(root).catch(() => [] as string[]);
  for (const date of dates.filter((name) => name.startsWith('run_date=')).sort()) {
    const names = await readdir(join(root, date)).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const path = join(root, date, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      files.push({
        key: `_runs/tenant_id=${normaliseTenant(tenant)}/${date}/${name}`,
        path,
        stamp: `${info.size}:${Math.round(info.mtimeMs)}`,
      });
    }
  }
  return files;
}
