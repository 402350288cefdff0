/**
 * `cost import`: an AWS Data Exports folder (CUR 2.0, legacy CUR Parquet or FOCUS), local or s3://, into the
 * tenant's daily per-resource cost facts, beside the findings dataset (or --cost-data), local or s3://, each
 * billing period replaced whole.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  COST_FACTS_DIR,
  CostImportError,
  costTenantDir,
  findCostPeriods,
  importCostPeriods,
  manifestDataPaths,
  periodManifests,
  periodOfPath,
  type CostFormat,
  type ImportedPeriod,
} from '../pipeline/cost_facts.ts';
import { isDirectory } from '../pipeline/history.ts';
import { interruptible } from '../pipeline/interruptible.ts';
import { normaliseTenant } from '../pipeline/layout.ts';
import type { AwsAccess } from './aws.ts';
import { CliError, defaultRegion, EXIT } from './errors.ts';
import { logStep, type Logger } from './log.ts';
import { besideDataset, downloadPrefix, locate } from './remote_state.ts';
import type { ObjectStore } from '../pipeline/store.ts';
import { S3Store } from './s3_store.ts';
import { stoppable } from './stop.ts';

export interface CostImportArgs {
  readonly tenant: string;
  readonly source: string;
  readonly format: 'auto' | CostFormat;
  readonly data: string;
  readonly 'cost-data'?: string | undefined;
}

export interface CostEffects {
  readonly print: (text: string) => void;
  readonly signals?: NodeJS.EventEmitter;
  readonly logger: Logger;
  /** For an export or facts in S3. */
  readonly awsServices?: (region: string) => AwsAccess;
}

const describe = (p: ImportedPeriod): string => {
  const totals = Object.entries(p.amortized)
    .map(([currency, total]) => `${total} ${currency || '(no currency)'}`)
    .join(', ');
  const lines = [
    `  ${p.period} (${p.format}, ${p.files} file(s)${p.manifest ? ' from its manifest' : ''}): ${p.facts} daily fact(s) for ${p.resources} resource(s), amortized ${totals || '0'}`,
  ];
  for (const left of p.leftOut)
    lines.push(`    left out: ${left.lines} ${left.reason} line(s), ${left.cost ?? '0'} unblended`);
  return lines.join('\n');
};

export async function costImportCommand(args: CostImportArgs, effects: CostEffects): Promise<number> {
  const tenant = normaliseTenant(args.tenant);
  const source = locate(args.source, '--source');
  const factsValue = args['cost-data'] ?? besideDataset(args.data, COST_FACTS_DIR);
  if (factsValue === undefined)
    throw new CliError(
      `${args.data} is a bucket root: there is no folder beside it for the cost facts; pass --cost-data`,
      EXIT.usage,
    );
  const facts = locate(factsValue, '--cost-data');
  if (source.kind === 'local' && !(await isDirectory(source.path)))
    throw new CliError(`--source ${args.source} is not a folder (an AWS Data Exports export)`, EXIT.usage);
  const home = defaultRegion();
  const storeFor = (location: { bucket: string; prefix: string }) => {
    if (!effects.awsServices) throw new CliError('s3:// needs AWS access', EXIT.usage);
    return S3Store.at(effects.awsServices(home), home, location);
  };
  const work = await mkdtemp(join(tmpdir(), 'finops-cost-'));
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const folder = source.kind === 'local' ? source.path : join(work, 'export');
    if (source.kind === 's3') await downloadExport(storeFor(source), folder);
    const root = facts.kind === 'local' ? facts.path : join(work, 'facts');
    const periods = await findCostPeriods(folder).catch(rethrow);
    logStep(
      effects.logger,
      { tenant, source: args.source, periods: periods.map((p) => p.period) },
      'importing costs',
    );
    const imported = await stoppable(
      effects.signals,
      'cost import',
      async (signal) => {
        const { connection, dispose } = interruptible(await instance.connect(), signal);
        try {
          await connection.run("SET TimeZone = 'UTC'");
          return await importCostPeriods(connection, {
            periods,
            root,
            tenant,
            format: args.format === 'auto' ? undefined : args.format,
            onPeriod: (p) =>
              effects.logger.info({ period: p.period, facts: p.facts }, 'billing period imported'),
          }).catch(rethrow);
        } finally {
          dispose();
          connection.closeSync();
        }
      },
      'the billing periods already imported are replaced whole, the others are as they were',
    );
    if (facts.kind === 's3') await sendPeriods(storeFor(facts), root, tenant, imported);
    effects.print(
      `Imported ${imported.length} billing period(s) for tenant ${tenant} into ${facts.kind === 's3' ? `${factsValue}/tenant_id=${tenant}` : costTenantDir(root, tenant)}:\n${imported.map(describe).join('\n')}`,
    );
    return EXIT.ok;
  } finally {
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * An export in S3, copied into `folder`: its manifests, then the data files they list (of a period without a
 * manifest, every file of its data folder). Files of earlier deliveries that a manifest no longer lists stay
 * where they are. A legacy CUR report (no data/ or metadata/) is copied as its year=/month= Parquet files.
 */
export async function downloadExport(store: ObjectStore, folder: string): Promise<void> {
  const manifests = await downloadPrefix(store, 'metadata/', folder);
  const listed = new Map<string, ReadonlySet<string>>();
  for (const [period, manifest] of await periodManifests(folder))
    listed.set(period, new Set(await manifestDataPaths(manifest).catch(rethrow)));
  const data = await downloadPrefix(store, 'data/', folder, (key) => {
    const files = listed.get(periodOfPath(key) ?? '');
    return files === undefined || files.has(key);
  });
  // Not a Data Exports folder: a legacy CUR report's Parquet files, year=YYYY/month=M/ under its prefix.
  if (manifests.length === 0 && data.length === 0)
    await downloadPrefix(store, '', folder, (key) => LEGACY_DATA_FILE.test(key));
}

const LEGACY_DATA_FILE = /(?:^|\/)year=\d{4}\/month=\d{1,2}\/[^/]+\.parquet$/;

/**
 * Each imported period to S3, replacing what was there: its old parts go first, then the new one, so that a
 * reader never sees a period twice (at worst, for a moment, not at all).
 */
async function sendPeriods(
  store: S3Store,
  root: string,
  tenant: string,
  periods: readonly ImportedPeriod[],
): Promise<void> {
  for (const { period } of periods) {
    const prefix = `tenant_id=${tenant}/billing_period=${period}/`;
    await store.delete(await store.list(prefix));
    const dir = join(costTenantDir(root, tenant), `billing_period=${period}`);
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.parquet')))
      await store.putFile(`${prefix}${name}`, join(dir, name), {
        contentType: 'application/vnd.apache.parquet',
      });
  }
}

/** What the import says is wrong is the message; anything else goes on as it is. */
function rethrow(error: unknown): never {
  throw error instanceof CostImportError
    ? new CliError(error.message, EXIT.failure, { cause: error })
    : error;
}
