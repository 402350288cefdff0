/**
 * The tenant state and KPI gold tables where they live (beside the dataset, or --state-data/--gold-data, local or
 * s3://), brought up to date after a run or a finalized sharded run, so exports and trends never read history.
 */
import { maintainTenant } from '../pipeline/kpi.ts';
import type { AwsAccess } from './aws.ts';
import { foldProgress, type Logger } from './log.ts';
import { tenantCopy } from './remote_state.ts';
import { S3Store } from './s3_store.ts';

export async function keepTenantState(options: {
  readonly data: string;
  readonly tenant: string;
  readonly stateData: string | undefined;
  readonly goldData: string | undefined;
  readonly access: AwsAccess;
  readonly homeRegion: string;
  readonly logger: Logger;
}): Promise<{ mode: string; saveError?: string }> {
  const copy = await tenantCopy({
    data: options.data,
    tenant: options.tenant,
    stateData: options.stateData,
    goldData: options.goldData,
    storeFor: (location) => S3Store.at(options.access, options.homeRegion, location),
    // A run writes its own days, never one before the newest kept: only that one is fetched.
    goldFrom: new Date().toISOString().slice(0, 10),
  });
  try {
    if (!copy.save)
      return { mode: 'not kept (a dataset at a bucket root needs --state-data and --gold-data)' };
    const kept = await maintainTenant({
      dataRoot: copy.dataRoot,
      tenant: options.tenant,
      onProgress: foldProgress(options.logger),
      stateRoot: copy.stateRoot,
      goldRoot: copy.goldRoot,
      ...(copy.remoteParts ? { remoteParts: copy.remoteParts } : {}),
      ...(copy.remoteManifests ? { remoteManifests: copy.remoteManifests } : {}),
    });
    if (kept.saveError === undefined && kept.mode !== 'stored') await copy.publish();
    return kept;
  } finally {
    await copy.close();
  }
}
