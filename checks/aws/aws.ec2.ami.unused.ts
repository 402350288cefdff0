import { ageDays, arn, eachRegion, paramsOf, scopeOf, tagMap } from '../_lib/drafts.ts';
import { big, estimate, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.ami.unused',
    title: 'Old AMI not used by any instance',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ami',
    category: 'storage',
    severity: 'low',
    iam_actions: ['ec2:DescribeImages', 'ec2:DescribeInstances'],
    rule: 'An AMI this account owns, older than the threshold, that no instance (running or stopped) was launched from; its snapshots are billed while it is registered.',
    remediation:
      'Deregister the AMI and delete its snapshots, after checking no launch template or Auto Scaling group refers to it.',
    docs_url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html',
    example: {
      given:
        'AMI `web-golden-2025`, 99 days old, that no instance was launched from; its snapshots total 15 GiB, in us-east-1',
      dollars: '15 GiB × $0.05/GB-month = $0.75/month, an upper bound (snapshots store changed blocks)',
      monthly_savings: '0.750000',
      demo: 'images.unused',
    },
    pricing: "sum of its EBS snapshots' volume sizes × snapshot $/GB-month (upper bound)",
    params: {
      min_age_days: {
        default: 90,
        min: 1,
        max: 3650,
        description: 'Age in days from which an unused AMI is reported',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { min_age_days } = paramsOf(ctx, checker.meta);
      const lookup = pricesFor(region);
      const [images, instances] = await Promise.all([
        ctx.inventory.images(region),
        ctx.inventory.instances(region),
      ]);
      const inUse = new Set(instances.filter((i) => i.State?.Name !== 'terminated').map((i) => i.ImageId));
      for (const image of images) {
        const id = image.ImageId ?? '';
        const age = ageDays(image.CreationDate, ctx.runTs) ?? 0;
        const sizeGiB = (image.BlockDeviceMappings ?? []).reduce(
          (sum, m) => sum + (m.Ebs?.VolumeSize ?? 0),
          0,
        );
        const base = {
          scope: scopeOf(bootstrap, region, id, arn('ec2', region, '', `image/${id}`)),
          issue_key: { rule: 'unused_ami' },
          tags: tagMap(image.Tags),
          metrics: { snapshot_size_gib: String(sizeGiB), age_days: String(age) },
        };
        if (inUse.has(id) || age < min_age_days!) {
          const why = inUse.has(id) ? 'is used by an instance' : `is ${age} days old`;
          yield {
            ...base,
            status: 'pass',
            title: `AMI ${id} is kept for a reason`,
            message: `AMI ${id} (${image.Name}) ${why}.`,
          };
          continue;
        }
        const perGb = lookup.prices.ebs_snapshot_gb_month;
        const cost = big(perGb).times(sizeGiB);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: 50,
          notes: `Upper bound: its snapshots total ${sizeGiB} GiB × $${perGb}/GB-month = $${money(cost)}.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `AMI ${id} is ${age} days old and used by no instance`,
          message: `AMI ${id} (${image.Name}) was created ${age} days ago and no instance uses it; its ${sizeGiB} GiB of snapshots are billed.`,
          recommendation:
            'Deregister it and delete its snapshots if no launch template or Auto Scaling group needs it.',
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
