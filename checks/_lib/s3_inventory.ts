/** S3 facts for the inventory: buckets are listed once, each attributed to its own region. */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { errorName, isAccessDenied } from './aws.ts';
import type { AwsServices } from './context.ts';
import * as sdk from './sdk.ts';

/** Buckets are looked at this many at a time: enough to be quick, few enough not to be throttled. */
const BUCKET_CONCURRENCY = 8;

export type LifecycleState =
  | { readonly kind: 'configured'; readonly rules: readonly LifecycleRule[] }
  | { readonly kind: 'missing' }
  | { readonly kind: 'denied'; readonly reason: string };

export interface BucketFacts {
  readonly name: string;
  readonly region: string;
  readonly lifecycle: LifecycleState;
  readonly tags: Readonly<Record<string, string>>;
}

/** GetBucketLocation answers null or "" for us-east-1 and the legacy "EU" for eu-west-1. */
export function bucketRegion(locationConstraint: string | null | undefined): string {
  if (!locationConstraint) return 'us-east-1';
  return locationConstraint === 'EU' ? 'eu-west-1' : locationConstraint;
}

const denied = (error: unknown): LifecycleState => ({
  kind: 'denied',
  reason: `${errorName(error)}: ${(error as Error).message}`,
});

export async function s3Buckets(services: AwsServices, home: string): Promise<BucketFacts[]> {
  const limit = pLimit(BUCKET_CONCURRENCY);
  const names: string[] = [];
  for await (const page of (await sdk.s3()).paginateListBuckets({ client: services.s3(home) }, {})) {
    names.push(...(page.Buckets ?? []).flatMap((b) => (b.Name ? [b.Name] : [])));
  }
  return Promise.all(names.map((name) => limit(() => bucketFacts(services, home, name))));
}

async function bucketFacts(services: AwsServices, home: string, name: string): Promise<BucketFacts> {
  let region = home;
  let lifecycle: LifecycleState;
  try {
    const location = await services
      .s3(home)
      .send(new (await sdk.s3()).GetBucketLocationCommand({ Bucket: name }));
    region = bucketRegion(location.LocationConstraint);
    lifecycle = await lifecycleOf(services, region, name);
  } catch (error) {
    if (!isAccessDenied(error)) throw error;
    lifecycle = denied(error);
  }
  return { name, region, lifecycle, tags: await tagsOf(services, region, name) };
}

async function lifecycleOf(services: AwsServices, region: string, bucket: string): Promise<LifecycleState> {
  try {
    const out = await services
      .s3(region)
      .send(new (await sdk.s3()).GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const rules = out.Rules ?? [];
    return rules.length > 0 ? { kind: 'configured', rules } : { kind: 'missing' };
  } catch (error) {
    if (errorName(error) === 'NoSuchLifecycleConfiguration') return { kind: 'missing' };
    throw error;
  }
}

/** Bucket tags help owners find their findings; a bucket whose tags cannot be read simply has none here. */
async function tagsOf(
  services: AwsServices,
  region: string,
  bucket: string,
): Promise<Record<string, string>> {
  try {
    const out = await services
      .s3(region)
      .send(new (await sdk.s3()).GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    if (errorName(error) === 'NoSuchTagSet' || isAccessDenied(error)) return {};
    throw error;
  }
}

export type VersioningState = 'Enabled' | 'Suspended' | 'Disabled' | { readonly denied: string };

export async function bucketVersioning(services: AwsServices, bucket: BucketFacts): Promise<VersioningState> {
  try {
    const out = await services
      .s3(bucket.region)
      .send(new (await sdk.s3()).GetBucketVersioningCommand({ Bucket: bucket.name }));
    return out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : 'Disabled';
  } catch (error) {
    if (!isAccessDenied(error)) throw error;
    return { denied: `${errorName(error)}: ${(error as Error).message}` };
  }
}

/** Whether a lifecycle rule is enabled and carries a given action. */
export const hasEnabledRule = (
  rules: readonly LifecycleRule[],
  has: (rule: LifecycleRule) => boolean,
): boolean => rules.some((rule) => rule.Status === 'Enabled' && has(rule));
