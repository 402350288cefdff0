/**
 * `kpi rebuild`: the tenant's state and every day of its KPI gold tables recomputed from the whole dataset
 * (after a backfill), where they live: beside the dataset or where --state-data / --gold-data say, local or
 * s3://. From S3 the tenant is copied to a temporary folder, rebuilt there, and the state and gold go back.
 */
import { parseDate } from '../contracts/time.ts';
import { isDirectory } from '../pipeline/history.ts';
import { goldTenantDir, rebuildKpis } from '../pipeline/kpi.ts';
import { normaliseTenant, tenantDir } from '../pipeline/layout.ts';
import { parseLocation } from '../pipeline/store.ts';
import type { AwsAccess } from './aws.ts';
import { CliError, defaultRegion, EXIT } from './errors.ts';
import { foldProgress, type Logger } from './log.ts';
import { tenantCopy } from './remote_state.ts';
import { S3Store } from './s3_store.ts';
import { stoppable } from './stop.ts';

export interface KpiArgs {
  readonly tenant: string;
  readonly data: string;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly 'state-data'?: string | undefined;
  readonly 'gold-data'?: string | undefined;
}

export interface KpiEffects {
  readonly print: (text: string) => void;
  readonly awsServices: (region: string) => AwsAccess;
  readonly signals?: NodeJS.EventEmitter;
  readonly logger: Logger;
}

export async function kpiRebuildCommand(args: KpiArgs, effects: KpiEffects): Promise<number> {
  const tenant = normaliseTenant(args.tenant);
  // The range is checked before anything is read or copied.
  for (const [flag, value] of [
    ['--from', args.from],
    ['--to', args.to],
  ] as const) {
    if (value !== undefined && parseDate(value) === undefined)
      throw new CliError(`${flag} ${value} is not a date (YYYY-MM-DD)`, EXIT.usage);
  }
  if (args.from !== undefined && args.to !== undefined && args.from > args.to)
    throw new CliError(
      `--from ${args.from} is after --to ${args.to}: give the earlier day first`,
      EXIT.usage,
    );
  const home = defaultRegion();
  const copy = await tenantCopy({
    data: args.data,
    tenant,
    stateData: args['state-data'],
    goldData: args['gold-data'],
    storeFor: (location) => S3Store.at(effects.awsServices(home), home, location),
  });
  try {
    if (!copy.save) {
      throw new CliError(
        `${args.data} is a bucket root: there is no folder beside it for the state and the gold tables; pass --state-data and --gold-data`,
        EXIT.usage,
      );
    }
    const remote = parseLocation(args.data).kind === 's3';
    const exists = remote
      ? (copy.remoteParts?.paths.length ?? 0) > 0
      : await isDirectory(tenantDir(copy.dataRoot, tenant));
    if (!exists) throw new CliError(`tenant ${tenant} has no findings under ${args.data}`, EXIT.failure);
    effects.logger.info({ tenant, data: args.data }, 'rebuilding KPIs');
    const result = await stoppable(
      effects.signals,
      'KPI rebuild',
      (signal) =>
        rebuildKpis({
          dataRoot: copy.dataRoot,
          tenantId: tenant,
          from: args.from,
          to: args.to,
          signal,
          onProgress: foldProgress(effects.logger),
          stateRoot: copy.stateRoot,
          goldRoot: copy.goldRoot,
          ...(copy.remoteParts ? { remoteParts: copy.remoteParts } : {}),
          ...(copy.remoteManifests ? { remoteManifests: copy.remoteManifests } : {}),
        }).catch((error: Error) => {
          throw error.message.startsWith('--') ? new CliError(error.message, EXIT.usage) : error;
        }),
      'the days already rebuilt are replaced whole, the others are as they were',
    );
    // The state and gold go back where they live (a no-op for local folders).
    await copy.publish();
    const where =
      args['gold-data'] ??
      (remote ? 'finops_kpi_gold beside the dataset' : goldTenantDir(copy.goldRoot, tenant));
    effects.print(
      `Rebuilt ${result.periods.length} day(s) of KPIs (${result.rows} rows) for tenant ${tenant} under ${where}`,
    );
    return EXIT.ok;
  } finally {
    await copy.close();
  }
}
