import { eachRegion, tagMap } from '../_lib/drafts.ts';
import { volumeCost, volumeCostNote, volumeScope } from '../_lib/ec2.ts';
import { estimate, noEstimate, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.ebs.unattached.volume',
    title: 'Unattached EBS volume',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ebs_volume',
    category: 'storage',
    severity: 'medium',
    iam_actions: ['ec2:DescribeVolumes'],
    rule: 'A volume in state `available` is attached to nothing but billed in full for its size, IOPS and throughput.',
    remediation: 'Snapshot the volume if its data may be needed, then delete it.',
    docs_url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-volume.html',
    example: {
      given:
        'io1 volume `old-db-disk`, 200 GiB with 4,000 provisioned IOPS, attached to nothing, in us-east-1',
      dollars:
        '200 GiB × $0.125 + 4,000 IOPS × $0.065 = $285.00/month, all of it saved by deleting the volume',
      monthly_savings: '285.000000',
      demo: 'volumes.io1Unattached',
    },
    pricing:
      'size × the EBS $/GB-month of its type, plus provisioned IOPS and throughput; saving = the whole cost',
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      for (const volume of await ctx.inventory.volumes(region)) {
        const id = volume.VolumeId ?? '';
        const base = {
          scope: volumeScope(bootstrap, region, volume),
          issue_key: { rule: 'unattached' },
          tags: tagMap(volume.Tags),
          metrics: { size_gib: String(volume.Size ?? 0) },
        };
        if (volume.State !== 'available') {
          yield {
            ...base,
            status: 'pass',
            title: `EBS volume ${id} is in use`,
            message: `Volume ${id} is ${volume.State}.`,
          };
          continue;
        }
        const cost = volumeCost(volume, lookup);
        const priced = cost
          ? estimate({
              lookup,
              monthlyCost: cost,
              monthlySavings: cost,
              confidence: 90,
              notes: `${volumeCostNote(volume, lookup, cost)}; deleting it saves all of it.`,
            })
          : noEstimate(`No price for volume type ${volume.VolumeType} in the price table.`);
        yield {
          ...base,
          status: 'fail',
          title: `EBS volume ${id} is not attached to any instance`,
          message: `Volume ${id} (${volume.Size} GiB ${volume.VolumeType}) in ${region} is available (unattached) and billed in full.`,
          recommendation: 'Snapshot it if the data may be needed, then delete the volume.',
          ...priced,
          dimensions: { ...priced.dimensions, volume_type: volume.VolumeType ?? '' },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
