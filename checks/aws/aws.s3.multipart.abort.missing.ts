import { eachBucket } from '../_lib/s3_checks.ts';
import { hasEnabledRule } from '../_lib/s3_inventory.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.s3.multipart.abort.missing',
    title: 'S3 bucket without a rule to abort incomplete multipart uploads',
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
    rule: 'Parts of multipart uploads that never complete are invisible in listings but billed as storage until aborted; an enabled AbortIncompleteMultipartUpload rule cleans them up.',
    remediation:
      'Add an enabled lifecycle rule with AbortIncompleteMultipartUpload (DaysAfterInitiation 7 is common).',
    docs_url:
      'https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html',
    example: {
      given: 'bucket `acme-data-lake-raw` with no rule that aborts incomplete multipart uploads',
      dollars:
        'no dollar figure: the check does not list the incomplete uploads (savings null, `savings_source` none)',
      monthly_savings: null,
      demo: 'bucket:acme-data-lake-raw',
    },
    pricing: 'none: the size of incomplete uploads is not read, so savings stay null',
  },
  create: (ctx, bootstrap) =>
    eachBucket(ctx, bootstrap, 'abort_incomplete_multipart_missing', async (bucket) => {
      const lifecycle = bucket.lifecycle;
      if (lifecycle.kind === 'denied') return { status: 'unknown', reason: lifecycle.reason };
      const rules = lifecycle.kind === 'configured' ? lifecycle.rules : [];
      if (hasEnabledRule(rules, (r) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined)) {
        return { status: 'pass', message: `Bucket ${bucket.name} aborts incomplete multipart uploads.` };
      }
      return {
        status: 'fail',
        title: `S3 bucket ${bucket.name} keeps incomplete multipart uploads`,
        message: `Bucket ${bucket.name} in ${bucket.region} has no enabled AbortIncompleteMultipartUpload rule: parts of failed uploads stay billed.`,
        recommendation: 'Add a lifecycle rule aborting incomplete multipart uploads after 7 days.',
      };
    }),
});

registerChecker(checker, import.meta.url);
