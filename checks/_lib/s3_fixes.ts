/**
 * The S3 lifecycle fix: a rule aborting incomplete multipart uploads, merged into the bucket's configuration by
 * rule id (S3's put replaces the whole configuration, so it is read, merged and written back, never replaced).
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { defineFix, isNotFound, tagsDrifted, type FixDefinition } from './fixes.ts';
import { s3 } from './sdk.ts';

export const ABORT_RULE_ID = 'finops-abort-incomplete-multipart-uploads';
const ABORT_DAYS = 7;

export const isAbortRule = (rule: LifecycleRule) =>
  rule.Status === 'Enabled' && rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined;

/** The fix for a check that fails a bucket: `drifted` says why the bucket no longer needs it, given its rules. */
export function abortRuleFix(
  checkId: string,
  drifted: (rules: readonly LifecycleRule[]) => string | undefined,
): FixDefinition {
  return defineFix({
    meta: {
      check_id: checkId,
      action: 'add_abort_multipart_rule',
      summary: `Add a lifecycle rule aborting incomplete multipart uploads after ${ABORT_DAYS} days, kept beside the bucket's other rules`,
      iam_actions: ['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration', 's3:GetBucketTagging'],
    },
    parameters: () => ({ rule_id: ABORT_RULE_ID, days_after_initiation: ABORT_DAYS }),
    async apply(ctx, entry) {
      const {
        GetBucketLifecycleConfigurationCommand,
        GetBucketTaggingCommand,
        PutBucketLifecycleConfigurationCommand,
      } = await s3();
      const client = ctx.services.s3(entry.region);
      const bucket = entry.resource_id;
      const current = await client
        .send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))
        .catch((error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchLifecycleConfiguration') return { Rules: [] };
          if (isNotFound(error)) return undefined;
          throw error;
        });
      if (!current) return { status: 'skipped_drift', before: {}, note: 'the bucket no longer exists' };
      const rules = current.Rules ?? [];
      const tagging = await client
        .send(new GetBucketTaggingCommand({ Bucket: bucket }))
        .catch((error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchTagSet') return { TagSet: [] };
          throw error;
        });
      const tags = Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      const before = { rules: rules.map((rule) => rule.ID ?? ''), tags };
      const drift = drifted(rules) ?? tagsDrifted(entry.tags, tags);
      if (drift) return { status: 'skipped_drift', before, note: drift };
      if (ctx.dryRun)
        return {
          status: 'dry_run_ok',
          before,
          note: 'S3 has no DryRun: the configuration was read, the permission to change it not checked',
        };
      const merged: LifecycleRule[] = [
        ...rules.filter((rule) => rule.ID !== ABORT_RULE_ID),
        {
          ID: ABORT_RULE_ID,
          Status: 'Enabled',
          Filter: { Prefix: '' },
          AbortIncompleteMultipartUpload: {
            DaysAfterInitiation: Number(entry.parameters['days_after_initiation']),
          },
        },
      ];
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: merged },
          ...(current &&
          'TransitionDefaultMinimumObjectSize' in current &&
          current.TransitionDefaultMinimumObjectSize
            ? { TransitionDefaultMinimumObjectSize: current.TransitionDefaultMinimumObjectSize }
            : {}),
        }),
      );
      return { status: 'succeeded', before, after: { rules: merged.map((rule) => rule.ID ?? '') } };
    },
  });
}
