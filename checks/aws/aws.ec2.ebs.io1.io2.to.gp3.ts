import type Big from 'big.js';
import { eachRegion, tagMap } from '../_lib/drafts.ts';
import {
  estimate,
  money,
  pricesFor,
  volumeMonthly,
  GP3_INCLUDED_IOPS,
  GP3_INCLUDED_THROUGHPUT,
} from '../_lib/pricing.ts';
import { volumeScope, volumesInUse } from '../_lib/ec2.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

/** gp3's limits: 16,000 IOPS, 1,000 MiB/s, 500 IOPS per GiB, 16 TiB. */
const GP3 = { maxIops: 16_000, maxThroughput: 1_000, iopsPerGiB: 500, maxSizeGiB: 16_384 } as const;
/** A provisioned-IOPS volume moves up to 256 KiB per I/O, at most 500 MiB/s below 32,000 IOPS. */
const IO_MAX_THROUGHPUT = 500;

/**
 * The gp3 volume with at least a provisioned-IOPS volume's performance: its IOPS (3,000 at least, included) and
 * the most throughput it can reach (IOPS × 256 KiB, capped at 500 MiB/s), or undefined when gp3 cannot give it.
 */
export function gp3ForProvisioned(
  sizeGiB: number,
  iops: number,
): { iops: number; throughputMiBps: number } | undefined {
  if (iops > GP3.maxIops || sizeGiB > GP3.maxSizeGiB || iops > GP3.iopsPerGiB * sizeGiB) return undefined;
  const throughputMiBps = Math.max(GP3_INCLUDED_THROUGHPUT, Math.min(IO_MAX_THROUGHPUT, Math.ceil(iops / 4)));
  return {
    iops: Math.max(GP3_INCLUDED_IOPS, iops),
    throughputMiBps: Math.min(GP3.maxThroughput, throughputMiBps),
  };
}

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.ebs.io1.io2.to.gp3',
    title: 'Provisioned-IOPS EBS volume that gp3 could serve for less',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ebs_volume',
    category: 'storage',
    severity: 'medium',
    iam_actions: ['ec2:DescribeVolumes', 'ec2:DescribeInstances'],
    rule: "An io1 or io2 volume whose provisioned IOPS (up to 16,000, and 500 per GiB) and throughput fit gp3's limits; gp3 bills IOPS above 3,000 at a fraction of io1/io2's rate. Volumes attached to a running instance are examined; unattached volumes and volumes of stopped instances are priced by their own checks.",
    remediation:
      'Modify the volume type to gp3 with the same IOPS and enough throughput (online, no downtime); keep io2 where its durability or latency is required.',
    docs_url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html',
    example: {
      given:
        'io1 volume `db-journal`, 100 GiB with 3,000 provisioned IOPS, on a running instance in us-east-1',
      dollars:
        'io1 100 × $0.125 + 3,000 IOPS × $0.065 = $207.50; gp3 with 3,000 IOPS (included) and 500 MiB/s, the most io1 gives it: 100 × $0.08 + (500 − 125) × $0.04 = $23.00; saving $184.50/month',
      monthly_savings: '184.500000',
      demo: 'volumes.io1Attached',
    },
    pricing:
      "io1/io2 cost (GB-month + provisioned IOPS) minus a gp3 volume of the same size with the same IOPS and the volume's maximum throughput",
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      for (const { volume, instanceId: attachedTo } of await volumesInUse(ctx.inventory, region)) {
        const type = volume.VolumeType ?? '';
        if (type !== 'io1' && type !== 'io2') continue;
        const id = volume.VolumeId ?? '';
        const size = volume.Size ?? 0;
        const iops = volume.Iops ?? 0;
        const base = {
          scope: volumeScope(bootstrap, region, volume),
          issue_key: { rule: 'provisioned_iops_fits_gp3' },
          tags: tagMap(volume.Tags),
          metrics: { size_gib: String(size), iops: String(iops) },
          dimensions: { volume_type: type },
        };
        const target = gp3ForProvisioned(size, iops);
        const current = volumeMonthly({ type, sizeGiB: size, iops }, lookup.prices);
        const gp3: Big | undefined =
          target && volumeMonthly({ type: 'gp3', sizeGiB: size, ...target }, lookup.prices);
        if (!target || !current || !gp3 || !current.gt(gp3)) {
          yield {
            ...base,
            status: 'pass',
            title: `${type} volume ${id} needs provisioned IOPS`,
            message: target
              ? `A gp3 volume matching ${id} (${size} GiB, ${iops} IOPS) would not cost less.`
              : `${id} (${size} GiB, ${iops} IOPS) needs more than gp3 offers (16,000 IOPS, 500 IOPS per GiB).`,
          };
          continue;
        }
        const savings = current.minus(gp3);
        const priced = estimate({
          lookup,
          monthlyCost: current,
          monthlySavings: savings,
          confidence: 80,
          notes: `${size} GiB ${type} with ${iops} IOPS costs $${money(current)}/month; gp3 with ${target.iops} IOPS and ${target.throughputMiBps} MiB/s costs $${money(gp3)}/month in ${lookup.region}.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `EBS volume ${id} is ${type}; gp3 would save $${money(savings)} a month`,
          message: `Volume ${id} (${size} GiB ${type}, ${iops} IOPS, attached to ${attachedTo}) fits gp3's limits.`,
          recommendation: `Modify the volume to gp3 with ${target.iops} IOPS and ${target.throughputMiBps} MiB/s.`,
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
