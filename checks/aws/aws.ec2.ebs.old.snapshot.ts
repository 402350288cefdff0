import { ageDays, arn, eachRegion, paramsOf, scopeOf, tagMap } from '../_lib/drafts.ts';
import { snapshotUse } from '../_lib/ec2.ts';
import { big, estimate, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.ebs.old.snapshot',
    title: 'Old EBS snapshot not used by any AMI',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ebs_snapshot',
    category: 'storage',
    severity: 'low',
    iam_actions: ['ec2:DescribeSnapshots', 'ec2:DescribeImages', 'ec2:DescribeVolumes'],
    rule: 'A snapshot this account owns, older than the threshold and not referenced by a registered AMI (AMIs are priced by aws.ec2.ami.unused; a snapshot whose volume is gone is priced by aws.ec2.ebs.snapshots.orphaned).',
    remediation: 'Delete snapshots no retention policy requires; move long-term ones to the archive tier.',
    docs_url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html',
    example: {
      given: 'snapshot of a 100 GiB volume, 99 days old (threshold 90), used by no AMI, in us-east-1',
      dollars:
        '100 GiB × $0.05/GB-month = $5.00/month, an upper bound (a snapshot stores the blocks changed since the previous one)',
      monthly_savings: '5.000000',
      demo: 'snapshots.old',
    },
    pricing:
      'volume size × snapshot $/GB-month: an upper bound, as incremental snapshots store only changed blocks',
    params: {
      min_age_days: {
        default: 90,
        min: 1,
        max: 3650,
        description: 'Age in days from which a snapshot is old',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { min_age_days } = paramsOf(ctx, checker.meta);
      const lookup = pricesFor(region);
      const { snapshots, usedByImages, orphaned } = await snapshotUse(ctx.inventory, region);
      for (const snapshot of snapshots) {
        const id = snapshot.SnapshotId ?? '';
        const age = ageDays(snapshot.StartTime, ctx.runTs) ?? 0;
        const base = {
          scope: scopeOf(bootstrap, region, id, arn('ec2', region, '', `snapshot/${id}`)),
          issue_key: { rule: 'old_unused_snapshot' },
          tags: tagMap(snapshot.Tags),
          metrics: { volume_size_gib: String(snapshot.VolumeSize ?? 0), age_days: String(age) },
        };
        if (usedByImages.has(id) || age < min_age_days!) {
          const why = usedByImages.has(id) ? 'is used by a registered AMI' : `is ${age} days old`;
          yield {
            ...base,
            status: 'pass',
            title: `EBS snapshot ${id} is kept for a reason`,
            message: `Snapshot ${id} ${why}.`,
          };
          continue;
        }
        const perGb = lookup.prices.ebs_snapshot_gb_month;
        const cost = big(perGb).times(snapshot.VolumeSize ?? 0);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: orphaned.has(id) ? big(0) : cost,
          confidence: 50,
          notes: orphaned.has(id)
            ? `Its volume no longer exists: the saving (up to $${money(cost)}/month) is counted once, by aws.ec2.ebs.snapshots.orphaned.`
            : `Upper bound: ${snapshot.VolumeSize} GiB × $${perGb}/GB-month = $${money(cost)}; the snapshot stores only blocks changed since the previous one.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `EBS snapshot ${id} is ${age} days old and used by no AMI`,
          message: `Snapshot ${id} of ${snapshot.VolumeId ?? 'a deleted volume'} (${snapshot.VolumeSize} GiB) was taken ${age} days ago and no registered AMI uses it.`,
          recommendation: 'Delete it unless a retention policy requires it; otherwise archive it.',
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
