import { arn, eachRegion, scopeOf } from '../_lib/drafts.ts';
import { errorName } from '../_lib/aws.ts';
import { collect } from '../_lib/paging.ts';
import { big, estimate, money, noEstimate, otherPrice, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';
import * as sdk from '../_lib/sdk.ts';

const GB = 1_000_000_000;

export const checker = defineChecker({
  meta: {
    id: 'aws.ecr.repositories.lifecycle.missing',
    title: 'ECR repository without a lifecycle policy',
    cloud: 'aws',
    service: 'AmazonECR',
    resource_type: 'ecr_repository',
    category: 'storage',
    severity: 'low',
    iam_actions: ['ecr:DescribeRepositories', 'ecr:GetLifecyclePolicy', 'ecr:DescribeImages'],
    rule: 'A repository with no lifecycle policy keeps every image pushed to it, and ECR bills their storage by the GB-month for ever.',
    remediation:
      'Add a lifecycle policy that expires untagged images after a few days and keeps only the last N tagged images.',
    docs_url: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html',
    example: {
      given:
        'repository `legacy-worker` in us-east-1 with no lifecycle policy, holding images of 2.5 GB in all',
      dollars:
        '2.5 GB × $0.10/GB-month = $0.25/month, an upper bound (a policy keeps the images still in use)',
      monthly_savings: '0.250000',
      demo: 'repository:legacy-worker',
    },
    pricing:
      'stored GB (the sum of its images’ sizes) × ECR $/GB-month: an upper bound, since a policy keeps the images in use; null when the sizes cannot be read',
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const ecr = await sdk.ecr();
      const client = ctx.services.ecr(region);
      const repositories = await collect(
        ecr.paginateDescribeRepositories({ client }, {}),
        (p) => p.repositories,
      );
      for (const repository of repositories) {
        const name = repository.repositoryName ?? '';
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            name,
            repository.repositoryArn ?? arn('ecr', region, bootstrap.aws_account_id, `repository/${name}`),
          ),
          issue_key: { rule: 'lifecycle_missing' },
        };
        const policy = await client
          .send(
            new ecr.GetLifecyclePolicyCommand({ repositoryName: name, registryId: repository.registryId }),
          )
          .then(
            () => true,
            (error: unknown) => {
              if (errorName(error) === 'LifecyclePolicyNotFoundException') return false;
              throw error;
            },
          );
        if (policy) {
          yield {
            ...base,
            status: 'pass',
            title: `ECR repository ${name} has a lifecycle policy`,
            message: `Repository ${name} expires images by its lifecycle policy.`,
          };
          continue;
        }
        const images = await collect(
          ecr.paginateDescribeImages({ client }, { repositoryName: name, registryId: repository.registryId }),
          (p) => p.imageDetails,
        );
        const bytes = images.reduce((sum, image) => sum + (image.imageSizeInBytes ?? 0), 0);
        const sized = images.every((image) => image.imageSizeInBytes !== undefined);
        const gb = big(bytes).div(GB);
        const perGb = otherPrice('ecr_storage_gb_month', lookup);
        const cost = perGb.times(gb);
        const priced = sized
          ? estimate({
              lookup,
              monthlyCost: cost,
              monthlySavings: cost,
              confidence: 40,
              derivedCompute: true,
              notes: `Upper bound: ${images.length} image(s), ${money(gb)} GB × $${perGb}/GB-month = $${money(cost)}; a policy keeps the images still in use.`,
            })
          : noEstimate('ECR did not report the size of every image.');
        yield {
          ...base,
          status: 'fail',
          title: `ECR repository ${name} has no lifecycle policy`,
          message: `Repository ${name} in ${region} keeps all ${images.length} image(s) it was ever pushed, for ever.`,
          recommendation:
            'Add a lifecycle policy: expire untagged images after 7 days, keep the last 20 tagged ones.',
          metrics: { image_count: String(images.length), stored_gb: money(gb) },
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
