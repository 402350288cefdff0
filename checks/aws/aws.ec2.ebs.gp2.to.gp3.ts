import type Big from 'big.js';
import { eachRegion, tagMap } from '../_lib/drafts.ts';
import { volumeCost, volumeScope, volumesInUse } from '../_lib/ec2.ts';
import {
  estimate,
  money,
  pricesFor,
  volumeMonthly,
  GP3_INCLUDED_IOPS,
  GP3_INCLUDED_THROUGHPUT,
} from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

/** gp2 performance is tied to size: 3 IOPS per GiB (100 to 16,000); 128 MiB/s up to 170 GiB, 250 MiB/s above. */
export function gp2Performance(sizeGiB: number): { iops: number; throughputMiBps: number } {
  return { iops: Math.min(16_000, Math.max(100, 3 * sizeGiB)), throughputMiBps: sizeGiB > 170 ? 250 : 128 };
}

/** The IOPS and throughput a gp3 volume needs to match a gp2 volume's baseline (what the fix provisions). */
export function gp3Target(sizeGiB: number): { iops: number; throughputMiBps: number } {
  const perf = gp2Performance(sizeGiB);
  return {
    iops: Math.max(GP3_INCLUDED_IOPS, perf.iops),
    // Small gp2 volumes top out at 128 MiB/s, which gp3's included 125 MiB/s matches in practice (AWS's own
    // migration guidance); only the 250 MiB/s of larger volumes is provisioned on top.
    throughputMiBps: perf.throughputMiBps > 128 ? perf.throughputMiBps : GP3_INCLUDED_THROUGHPUT,
  };
}

/** The gp3 volume that matches a gp2 volume's baseline performance, and what each costs a month. */
export function gp3Equivalent(
  sizeGiB: number,
  prices: ReturnType<typeof pricesFor>['prices'],
): { gp2: Big; gp3: Big; iops: number; throughputMiBps: number } {
  const { iops, throughputMiBps } = gp3Target(sizeGiB);
  return {
    gp2: volumeMonthly({ type: 'gp2', sizeGiB }, prices)!,
    gp3: volumeMonthly({ type: 'gp3', sizeGiB, iops, throughputMiBps }, prices)!,
    iops,
    throughputMiBps,
  };
}

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.ebs.gp2.to.gp3',
    title: 'gp2 EBS volume that would be cheaper as gp3',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ebs_volume',
    category: 'storage',
    severity: 'low',
    iam_actions: ['ec2:DescribeVolumes', 'ec2:DescribeInstances'],
    rule: 'gp3 costs about 20% less per GB than gp2 and includes 3,000 IOPS and 125 MiB/s. Volumes attached to a running instance are examined; unattached volumes and volumes of stopped instances are priced by their own checks.',
    remediation:
      'Modify the volume type to gp3 (online, no downtime), provisioning IOPS/throughput to match gp2 where needed.',
    docs_url: 'https://docs.aws.amazon.com/ebs/latest/userguide/requesting-ebs-volume-modifications.html',
    example: {
      given:
        '500 GiB gp2 volume `web-data` on a running instance in us-east-1 (gp2 gives it 1,500 IOPS and 250 MiB/s)',
      dollars:
        'gp2 500 × $0.10 = $50.00; gp3 with the same performance 500 × $0.08 + (250 − 125) MiB/s × $0.04 = $45.00 (3,000 IOPS included); saving $5.00/month',
      monthly_savings: '5.000000',
      demo: 'volumes.data',
    },
    pricing:
      "gp2 cost minus the cost of a gp3 volume of the same size provisioned with gp2's baseline IOPS and throughput",
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      for (const { volume, instanceId: attachedTo } of await volumesInUse(ctx.inventory, region)) {
        if (volume.VolumeType !== 'gp2') continue;
        const id = volume.VolumeId ?? '';
        const size = volume.Size ?? 0;
        const base = {
          scope: volumeScope(bootstrap, region, volume),
          issue_key: { from: 'gp2', to: 'gp3' },
          tags: tagMap(volume.Tags),
          metrics: { size_gib: String(size) },
        };
        const { gp2, gp3, iops, throughputMiBps } = gp3Equivalent(size, lookup.prices);
        const savings = gp2.minus(gp3);
        if (!savings.gt(0)) {
          yield {
            ...base,
            status: 'pass',
            title: `gp2 volume ${id}: gp3 would not be cheaper`,
            message: `At ${size} GiB, a gp3 volume matching its performance costs $${money(gp3)} against $${money(gp2)}.`,
          };
          continue;
        }
        const priced = estimate({
          lookup,
          monthlyCost: volumeCost(volume, lookup) ?? gp2,
          monthlySavings: savings,
          confidence: 85,
          notes: `${size} GiB gp2 costs $${money(gp2)}/month; gp3 with ${iops} IOPS and ${throughputMiBps} MiB/s costs $${money(gp3)}/month in ${lookup.region}.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `EBS volume ${id} is gp2; gp3 would save $${money(savings)} a month`,
          message: `Volume ${id} (${size} GiB gp2, attached to ${attachedTo}) would cost less as gp3 with the same baseline performance.`,
          recommendation: `Modify the volume to gp3 with ${iops} IOPS and ${throughputMiBps} MiB/s.`,
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
