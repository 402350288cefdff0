import { eachBucket } from '../_lib/s3_checks.ts';
import { hasEnabledRule } from '../_lib/s3_inventory.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.s3.versioned.noncurrent.expiration.missing',
    title: 'Versioned S3 bucket without noncurrent-version expiration',
    cloud: 'aws',
    service: 'AmazonS3',
    resource_type: 's3_bucket',
    regional: false,
    category: 'storage',
    severity: 'medium',
    iam_actions: [
      's3:ListAllMyBuckets',
      's3:GetBucketLocation',
      's3:GetLifecycleConfiguration',
      's3:GetBucketVersioning',
      's3:GetBucketTagging',
    ],
    rule: 'With versioning enabled, every overwrite and delete keeps the old version, billed at full price until a NoncurrentVersionExpiration rule removes it.',
    remediation:
      'Add an enabled lifecycle rule with NoncurrentVersionExpiration (and optionally NoncurrentVersionTransition).',
    docs_url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html',
    example: {
      given: 'versioned bucket `acme-data-lake-raw` with no noncurrent-version expiration',
      dollars:
        'no dollar figure: the check does not measure the old versions (savings null, `savings_source` none)',
      monthly_savings: null,
      demo: 'bucket:acme-data-lake-raw',
    },
    pricing: 'none: the size of noncurrent versions is not read, so savings stay null',
  },
  create: (ctx, bootstrap) =>
    eachBucket(ctx, bootstrap, 'noncurrent_expiration_missing', async (bucket) => {
      const lifecycle = bucket.lifecycle;
      if (lifecycle.kind === 'denied') return { status: 'unknown', reason: lifecycle.reason };
      const versioning = await ctx.inventory.versioning(bucket);
      if (typeof versioning === 'object') return { status: 'unknown', reason: versioning.denied };
      // Only buckets with versioning enabled are examined; the others have no noncurrent versions to expire.
      if (versioning !== 'Enabled') return undefined;
      const rules = lifecycle.kind === 'configured' ? lifecycle.rules : [];
      if (hasEnabledRule(rules, (r) => r.NoncurrentVersionExpiration !== undefined)) {
        return { status: 'pass', message: `Versioned bucket ${bucket.name} expires noncurrent versions.` };
      }
      return {
        status: 'fail',
        title: `Versioned S3 bucket ${bucket.name} keeps every old version`,
        message: `Bucket ${bucket.name} in ${bucket.region} has versioning enabled and no NoncurrentVersionExpiration rule: every overwritten or deleted object stays billed.`,
        recommendation:
          'Add a lifecycle rule expiring noncurrent versions after a retention period (e.g. 30 days).',
      };
    }),
});

registerChecker(checker, import.meta.url);
