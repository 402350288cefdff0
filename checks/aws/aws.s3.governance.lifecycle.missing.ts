import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  paginateListBuckets,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { FindingDraft } from '../../contracts/draft.ts';
import { errorName, isAccessDenied, partitionOf } from '../_lib/aws.ts';
import type { Bootstrap, RunContext } from '../_lib/context.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

/** Buckets are looked at this many at a time: enough to be quick, few enough not to be throttled. */
const BUCKET_CONCURRENCY = 8;

export const checker = defineChecker({
  meta: {
    id: 'aws.s3.governance.lifecycle.missing',
    title: 'S3 bucket without a lifecycle configuration',
    cloud: 'aws',
    service: 'AmazonS3',
    resource_type: 's3_bucket',
    category: 'storage',
    severity: 'low',
    iam_actions: [
      's3:ListAllMyBuckets',
      's3:GetBucketLocation',
      's3:GetLifecycleConfiguration',
      's3:GetBucketTagging',
    ],
    rule: 'A bucket without any lifecycle rule keeps every object, version and incomplete upload in its original storage class forever.',
    remediation:
      'Add a lifecycle configuration: transition cold objects to cheaper storage classes, expire what is no longer needed, and abort incomplete multipart uploads.',
    docs_url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html',
  },
  create: scanBuckets,
});

registerChecker(checker, import.meta.url);

/** GetBucketLocation answers null or "" for us-east-1 and the legacy "EU" for eu-west-1. */
export function bucketRegion(locationConstraint: string | null | undefined): string {
  if (!locationConstraint) return 'us-east-1';
  return locationConstraint === 'EU' ? 'eu-west-1' : locationConstraint;
}

type LifecycleState =
  | { readonly kind: 'configured'; readonly rules: readonly LifecycleRule[] }
  | { readonly kind: 'missing' }
  | { readonly kind: 'denied'; readonly reason: string };

async function* scanBuckets(ctx: RunContext, bootstrap: Bootstrap): AsyncGenerator<FindingDraft> {
  const home = ctx.regions[0] ?? 'us-east-1';
  const s3 = ctx.services.s3(home);
  const limit = pLimit(BUCKET_CONCURRENCY);
  for await (const page of paginateListBuckets({ client: s3 }, {})) {
    const names = (page.Buckets ?? []).flatMap((b) => (b.Name ? [b.Name] : []));
    const drafts = await Promise.all(
      names.map((name) => limit(() => examineBucket(ctx, bootstrap, home, name))),
    );
    yield* drafts;
  }
}

async function examineBucket(
  ctx: RunContext,
  bootstrap: Bootstrap,
  home: string,
  bucket: string,
): Promise<FindingDraft> {
  let region = home;
  let state: LifecycleState;
  try {
    const location = await ctx.services.s3(home).send(new GetBucketLocationCommand({ Bucket: bucket }));
    region = bucketRegion(location.LocationConstraint);
    state = await lifecycleOf(ctx, region, bucket);
  } catch (error) {
    if (!isAccessDenied(error)) throw error;
    state = { kind: 'denied', reason: `${errorName(error)}: ${(error as Error).message}` };
  }
  return { ...draftFor(bootstrap, region, bucket, state), tags: await tagsOf(ctx, region, bucket) };
}

/** Bucket tags help owners find their findings; a bucket whose tags cannot be read simply has none here. */
async function tagsOf(ctx: RunContext, region: string, bucket: string): Promise<Record<string, string>> {
  try {
    const out = await ctx.services.s3(region).send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    if (errorName(error) === 'NoSuchTagSet' || isAccessDenied(error)) return {};
    throw error;
  }
}

async function lifecycleOf(ctx: RunContext, region: string, bucket: string): Promise<LifecycleState> {
  try {
    const out = await ctx.services
      .s3(region)
      .send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const rules = out.Rules ?? [];
    return rules.length > 0 ? { kind: 'configured', rules } : { kind: 'missing' };
  } catch (error) {
    if (errorName(error) === 'NoSuchLifecycleConfiguration') return { kind: 'missing' };
    throw error;
  }
}

function draftFor(bootstrap: Bootstrap, region: string, bucket: string, state: LifecycleState): FindingDraft {
  const scope = {
    account_id: bootstrap.aws_account_id,
    ...(bootstrap.billing_account_id ? { billing_account_id: bootstrap.billing_account_id } : {}),
    region,
    resource_id: bucket,
    resource_arn: `arn:${partitionOf(region)}:s3:::${bucket}`,
  };
  const issue_key = { rule: 'lifecycle_missing' };
  switch (state.kind) {
    case 'configured':
      return {
        status: 'pass',
        scope,
        issue_key,
        title: `S3 bucket ${bucket} has a lifecycle configuration`,
        message: `Bucket ${bucket} has ${state.rules.length} lifecycle rule(s).`,
        dimensions: { lifecycle_rules: String(state.rules.length) },
      };
    case 'missing':
      return {
        status: 'fail',
        scope,
        issue_key,
        title: `S3 bucket ${bucket} has no lifecycle configuration`,
        message: `Bucket ${bucket} in ${region} has no lifecycle rules: objects, old versions and incomplete uploads are kept and billed indefinitely.`,
        recommendation:
          'Add lifecycle rules that transition infrequently read objects, expire temporary data and abort incomplete multipart uploads.',
        estimated: {
          monthly_cost: '',
          monthly_savings: '',
          confidence: '',
          notes: 'No saving is estimated: this check does not read the bucket size or its access pattern.',
        },
        dimensions: { savings_source: 'none' },
      };
    case 'denied':
      return {
        status: 'unknown',
        scope,
        issue_key,
        title: `S3 bucket ${bucket}: lifecycle configuration could not be read`,
        message: `Access was denied while reading the lifecycle configuration of ${bucket} (${state.reason}).`,
        recommendation: 'Grant s3:GetBucketLocation and s3:GetLifecycleConfiguration to the scanning role.',
        dimensions: { unknown_reason: 'access_denied' },
      };
  }
}
