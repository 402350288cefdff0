/** The shape shared by the S3 governance checkers: one finding per bucket, from the shared bucket facts. */
import type { FindingDraft } from '../../contracts/draft.ts';
import type { Bootstrap, RunContext } from './context.ts';
import { scopeOf } from './drafts.ts';
import { partitionOf } from './aws.ts';
import { noEstimate } from './pricing.ts';
import type { BucketFacts } from './s3_inventory.ts';

export type BucketVerdict =
  | { readonly status: 'pass'; readonly message: string }
  | {
      readonly status: 'fail';
      readonly title: string;
      readonly message: string;
      readonly recommendation: string;
    }
  | { readonly status: 'unknown'; readonly reason: string };

export async function* eachBucket(
  ctx: RunContext,
  bootstrap: Bootstrap,
  rule: string,
  judge: (bucket: BucketFacts) => Promise<BucketVerdict | undefined>,
): AsyncGenerator<FindingDraft> {
  for (const bucket of await ctx.inventory.buckets(ctx.regions[0] ?? 'us-east-1')) {
    const verdict = await judge(bucket);
    if (!verdict) continue;
    const base = {
      scope: scopeOf(
        bootstrap,
        bucket.region,
        bucket.name,
        `arn:${partitionOf(bucket.region)}:s3:::${bucket.name}`,
      ),
      issue_key: { rule },
      tags: bucket.tags,
    };
    if (verdict.status === 'pass') {
      yield {
        ...base,
        status: 'pass',
        title: `S3 bucket ${bucket.name}: no issue`,
        message: verdict.message,
      };
    } else if (verdict.status === 'unknown') {
      yield {
        ...base,
        status: 'unknown',
        title: `S3 bucket ${bucket.name} could not be examined`,
        message: `Reading the configuration of ${bucket.name} failed (${verdict.reason}).`,
        dimensions: { unknown_reason: 'access_denied' },
      };
    } else {
      const { estimated, dimensions } = noEstimate(
        'No saving is estimated: this check does not read the bucket size or its access pattern.',
      );
      yield {
        ...base,
        status: 'fail',
        title: verdict.title,
        message: verdict.message,
        recommendation: verdict.recommendation,
        estimated,
        dimensions,
      };
    }
  }
}
