/**
 * `export`: a tenant's dataset (local or s3://) → the dashboard JSON (+ the page) in a folder (local or
 * s3://). From S3, the tenant's run manifests, state and gold tables are downloaded into a temporary folder,
 * and only the parts the export reads (the runs its state has not folded yet); a state it advanced goes back.
 * To S3, every file goes up with its content type and a short cache lifetime.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { DASHBOARD_CONTENT_TYPES, writeDashboard, type DashboardFile } from '../dashboard/build.ts';
import { exportTenant, ExportError, suppressionKeys, TREND_DAYS } from '../pipeline/export.ts';
import { PAGES_DIR } from '../pipeline/findings_files.ts';
import { caseHint, normaliseTenant } from '../pipeline/layout.ts';
import { parseLocation, type ObjectStore } from '../pipeline/store.ts';
import type { AwsAccess } from './aws.ts';
import { defaultRegion, EXIT } from './errors.ts';
import { foldProgress, logStep, type Logger } from './log.ts';
import { tenantCopy } from './remote_state.ts';
import { S3Store } from './s3_store.ts';
import { stoppable } from './stop.ts';
import type { CostModel } from '../contracts/vocabulary.ts';

export interface ExportArgs {
  readonly tenant: string;
  readonly data: string;
  readonly 'out-dir': string;
  readonly suppressions?: string | undefined;
  readonly dashboard: boolean;
  readonly 'log-level'?: string | undefined;
  /** Where the tenant state is kept (default: finops_state beside the dataset). */
  readonly 'state-data'?: string | undefined;
  /** Where the KPI gold tables are kept (default: finops_kpi_gold beside the dataset). */
  readonly 'gold-data'?: string | undefined;
  /** Where the cost facts are (default: finops_cost_facts beside a local dataset), and which cost to show. */
  readonly 'cost-data'?: string | undefined;
  readonly 'cost-model'?: CostModel | undefined;
}

export interface ExportEffects {
  readonly now: () => Date;
  readonly print: (text: string) => void;
  readonly awsServices: (region: string) => AwsAccess;
  /** SIGINT/SIGTERM stop the export (see cli/stop.ts). */
  readonly signals?: NodeJS.EventEmitter;
  /** For progress on stderr (what the export is doing); none when absent. */
  readonly logger?: (level: string) => Logger;
}

/** Dashboards poll: a minute of caching keeps them cheap and fresh enough. */
export const EXPORT_CACHE_CONTROL = 'max-age=60';
const contentType = (name: string): string =>
  name.endsWith('.json')
    ? 'application/json'
    : (DASHBOARD_CONTENT_TYPES[name as DashboardFile] ?? 'application/octet-stream');

export function exportCommand(args: ExportArgs, effects: ExportEffects): Promise<number> {
  return stoppable(effects.signals, 'export', (signal) => exportTo(args, effects, signal));
}

async function exportTo(args: ExportArgs, effects: ExportEffects, signal: AbortSignal): Promise<number> {
  const log = effects.logger?.(args['log-level'] ?? 'info');
  const tenant = normaliseTenant(args.tenant);
  const home = defaultRegion();
  const source = parseLocation(args.data);
  const target = parseLocation(args['out-dir']);
  const temps: string[] = [];
  const temp = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), `finops-${name}-`));
    temps.push(dir);
    return dir;
  };
  const s3 = (bucket: string, prefix: string) =>
    S3Store.at(effects.awsServices(home), home, { bucket, prefix });
  if (source.kind === 's3') await assertRemoteTenant(s3(source.bucket, source.prefix), tenant);
  const copy = await tenantCopy({
    data: args.data,
    tenant,
    stateData: args['state-data'],
    goldData: args['gold-data'],
    costs: true,
    costData: args['cost-data'],
    actions: true,
    storeFor: (location) => s3(location.bucket, location.prefix),
    extraKeys: suppressionKeys(tenant),
    // The trends read the last TREND_DAYS days (to the export's clock, or later runs).
    goldFrom: new Date(effects.now().getTime() - TREND_DAYS * 86_400_000).toISOString().slice(0, 10),
  });
  try {
    const outDir = target.kind === 'local' ? target.path : await temp('export');
    const result = await exportTenant({
      dataRoot: copy.dataRoot,
      tenantId: tenant,
      outDir,
      now: effects.now,
      suppressions: args.suppressions,
      signal,
      stateRoot: copy.stateRoot,
      goldRoot: copy.goldRoot,
      saveState: copy.save,
      ...(copy.remoteParts ? { remoteParts: copy.remoteParts } : {}),
      ...(copy.remoteManifests ? { remoteManifests: copy.remoteManifests } : {}),
      costModel: args['cost-model'],
      costRoot: copy.costRoot,
      actionsRoot: copy.actionsRoot,
      attributionRoot: copy.attributionRoot,
      onStage: (stage, detail) => (log ? logStep(log, detail, stage) : undefined),
      ...(log ? { onProgress: foldProgress(log) } : {}),
    });
    // The state and gold days it advanced go back where they live (S3), for the next run and export.
    if (result.stateSaved || result.attributionSaved) await copy.publish();
    const files = [...result.files];
    if (args.dashboard) files.push(...(await writeDashboard(outDir)));
    const pages = relative(outDir, result.pages).split(sep).join('/');
    let shown = [...files, `${result.pages}${sep}`];
    if (target.kind === 's3') {
      const store = s3(target.bucket, target.prefix);
      shown = await uploadExport(store, outDir, files, pages);
    }
    effects.print(`Exported ${result.findings} finding(s) for tenant ${tenant}:\n  ${shown.join('\n  ')}`);
    if (result.skipped.length > 0) {
      effects.print(
        `Skipped ${result.skipped.length} file(s) that are not readable findings (listed in summary.json):\n  ${result.skipped.map((f) => `${f.path}: ${f.reason}`).join('\n  ')}`,
      );
    }
    if (args.dashboard && target.kind === 'local') {
      effects.print(`Dashboard: npm run dashboard -- --dir ${args['out-dir']}`);
    }
    return EXIT.ok;
  } finally {
    await copy.close();
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Puts an export into S3 in the order a reader needs: the pages first, then the files naming them, then the
 * pages of older exports are deleted. Returns what it put, as s3:// locations.
 */
async function uploadExport(
  store: S3Store,
  outDir: string,
  files: readonly string[],
  pages: string,
): Promise<string[]> {
  const put = (key: string, file: string) =>
    store.putFile(key, file, { contentType: contentType(key), cacheControl: EXPORT_CACHE_CONTROL });
  const pageFiles = (await readdir(join(outDir, ...pages.split('/')))).sort();
  for (let start = 0; start < pageFiles.length; start += UPLOAD_BATCH) {
    await Promise.all(
      pageFiles
        .slice(start, start + UPLOAD_BATCH)
        .map((name) => put(`${pages}/${name}`, join(outDir, ...pages.split('/'), name))),
    );
  }
  const shown = await Promise.all(
    files.map(async (file) => {
      await put(basename(file), file);
      return `${store.location}/${basename(file)}`;
    }),
  );
  const stale = (await store.list(`${PAGES_DIR}/`)).filter((key) => !key.startsWith(`${pages}/`));
  await store.delete(stale);
  return [...shown, `${store.location}/${pages}/`];
}

const UPLOAD_BATCH = 16;

/** A tenant with neither parts nor run manifests in an S3 dataset: the error names the tenants there are. */
async function assertRemoteTenant(store: ObjectStore, tenant: string): Promise<void> {
  const parts = (await store.list(`tenant_id=${tenant}/`)).filter((key) => key.endsWith('.parquet'));
  // A run that found nothing wrote only its manifest: the tenant exists, with no findings yet.
  if (parts.length > 0 || (await store.list(`_runs/tenant_id=${tenant}/`)).length > 0) return;
  const tenants = (await store.listDirs(''))
    .filter((dir) => dir.startsWith('tenant_id='))
    .map((dir) => dir.slice('tenant_id='.length));
  throw new ExportError(
    tenants.length === 0
      ? `no findings dataset at ${store.location}: run the checkers with --out ${store.location} first`
      : `tenant ${tenant} has no findings under ${store.location}; available tenants: ${tenants.join(', ')}${caseHint(tenant, tenants)}`,
  );
}
