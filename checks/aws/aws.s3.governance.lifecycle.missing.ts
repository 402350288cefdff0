import { eachBucket } from '../_lib/s3_checks.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.s3.governance.lifecycle.missing',
    title: 'S3 bucket without a lifecycle configuration',
    cloud: 'aws',
    service: 'AmazonS3',
    resource_type: 's3_bucket',
    regional: false,
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
    example: {
      given: 'bucket `acme-app-logs` with no lifecycle configuration',
      dollars:
        "no dollar figure: the check does not read the bucket's size or access pattern (savings null, `savings_source` none)",
      monthly_savings: null,
      demo: 'bucket:acme-app-logs',
    },
    pricing: 'none: the bucket size and access pattern are not read, so savings stay null',
  },
  create: (ctx, bootstrap) =>
    eachBucket(ctx, bootstrap, 'lifecycle_missing', async (bucket) => {
      const lifecycle = bucket.lifecycle;
      if (lifecycle.kind === 'denied') return { status: 'unknown', reason: lifecycle.reason };
      if (lifecycle.kind === 'configured') {
        return {
          status: 'pass',
          message: `Bucket ${bucket.name} has ${lifecycle.rules.length} lifecycle rule(s).`,
        };
      }
      return {
        status: 'fail',
        title: `S3 bucket ${bucket.name} has no lifecycle configuration`,
        message: `Bucket ${bucket.name} in ${bucket.region} has no lifecycle rules: objects, old versions and incomplete uploads are kept and billed indefinitely.`,
        recommendation:
          'Add lifecycle rules that transition infrequently read objects, expire temporary data and abort incomplete multipart uploads.',
      };
    }),
});

registerChecker(checker, import.meta.url);
