import { ageDays, arn, eachRegion, scopeOf, tagMap } from '../_lib/drafts.ts';
import { snapshotUse } from '../_lib/ec2.ts';
import { big, estimate, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.ebs.snapshots.orphaned',
    title: 'EBS snapshot whose volume no longer exists',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ebs_snapshot',
    category: 'storage',
    severity: 'low',
    iam_actions: ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes', 'ec2:DescribeImages'],
    rule: 'A snapshot this account owns whose source volume no longer exists (deleted, or a copy from elsewhere) and that no registered AMI uses: nothing can be restored from it to a running workload without someone remembering it.',
    remediation:
      'Delete it unless a retention policy requires it; archive long-term ones (EBS Snapshots Archive is 75% cheaper).',
    docs_url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html',
    example: {
      given: 'snapshot of a 40 GiB volume that has since been deleted, used by no AMI, in us-east-1',
      dollars: '40 GiB × $0.05/GB-month = $2.00/month, an upper bound (snapshots store changed blocks)',
      monthly_savings: '2.000000',
      demo: 'snapshots.orphaned',
    },
    pricing:
      'volume size × snapshot $/GB-month: an upper bound; the old-snapshot check prices such a snapshot at zero so it is counted once',
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const { snapshots, usedByImages, orphaned } = await snapshotUse(ctx.inventory, region);
      for (const snapshot of snapshots) {
        const id = snapshot.SnapshotId ?? '';
        const size = snapshot.VolumeSize ?? 0;
        const base = {
          scope: scopeOf(bootstrap, region, id, arn('ec2', region, '', `snapshot/${id}`)),
          issue_key: { rule: 'orphaned_snapshot' },
          tags: tagMap(snapshot.Tags),
          metrics: {
            volume_size_gib: String(size),
            age_days: String(ageDays(snapshot.StartTime, ctx.runTs) ?? 0),
          },
        };
        if (!orphaned.has(id) || usedByImages.has(id)) {
          yield {
            ...base,
            status: 'pass',
            title: `EBS snapshot ${id} has a source`,
            message: usedByImages.has(id)
              ? `Snapshot ${id} is used by a registered AMI.`
              : `Snapshot ${id}'s volume ${snapshot.VolumeId} still exists.`,
          };
          continue;
        }
        const perGb = lookup.prices.ebs_snapshot_gb_month;
        const cost = big(perGb).times(size);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: 50,
          notes: `Upper bound: ${size} GiB × $${perGb}/GB-month = $${money(cost)}; the snapshot stores only blocks changed since the previous one.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `EBS snapshot ${id} outlived its volume`,
          message: `Snapshot ${id} (${size} GiB) was taken from ${snapshot.VolumeId ?? 'a volume'}, which no longer exists, and no registered AMI uses it.`,
          recommendation: 'Delete it unless a retention policy requires it; otherwise archive it.',
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
