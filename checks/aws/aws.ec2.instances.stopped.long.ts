import type Big from 'big.js';
import { ageDays, eachRegion, paramsOf } from '../_lib/drafts.ts';
import { instanceFinding, stoppedAt, volumeCost } from '../_lib/ec2.ts';
import { big, estimate, money, noEstimate, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.instances.stopped.long',
    title: 'EC2 instance stopped for a long time',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ec2_instance',
    category: 'compute',
    severity: 'medium',
    iam_actions: ['ec2:DescribeInstances', 'ec2:DescribeVolumes'],
    rule: 'A stopped instance costs no compute, but its attached EBS volumes are billed in full; after the threshold it is usually forgotten.',
    remediation: 'Create an AMI or snapshots if needed, then terminate the instance and delete its volumes.',
    docs_url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Stop_Start.html',
    example: {
      given:
        't3.large `forgotten`, stopped for 99 days (threshold 30), with an 8 GiB gp2 volume, in us-east-1',
      dollars: 'a stopped instance bills no compute; its volumes 8 GiB × $0.10/GB-month = $0.80/month',
      monthly_savings: '0.800000',
      demo: 'instances.stopped',
    },
    pricing: 'the monthly price of its attached EBS volumes (they are not priced again as unattached)',
    params: {
      min_stopped_days: {
        default: 30,
        min: 1,
        max: 3650,
        description: 'Days stopped from which an instance is reported',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { min_stopped_days } = paramsOf(ctx, checker.meta);
      const lookup = pricesFor(region);
      const [instances, volumes] = await Promise.all([
        ctx.inventory.instances(region),
        ctx.inventory.volumes(region),
      ]);
      for (const instance of instances.filter((i) => i.State?.Name === 'stopped')) {
        const id = instance.InstanceId ?? '';
        const stopped = stoppedAt(instance);
        const days = ageDays(stopped, ctx.runTs);
        const base = instanceFinding(bootstrap, region, instance, 'stopped_long');
        if (days === undefined) {
          yield {
            ...base,
            status: 'unknown',
            title: `EC2 instance ${id}: stop time unknown`,
            message: `Instance ${id} is stopped but its state reason (${instance.StateTransitionReason}) gives no stop time.`,
          };
          continue;
        }
        if (days < min_stopped_days!) {
          yield {
            ...base,
            status: 'pass',
            title: `EC2 instance ${id} stopped recently`,
            message: `Instance ${id} has been stopped for ${days} days.`,
          };
          continue;
        }
        const attached = volumes.filter((v) => v.Attachments?.some((a) => a.InstanceId === id));
        const costs = attached.map((v) => volumeCost(v, lookup));
        const total = costs.reduce(
          (sum, c) => (sum && c ? sum.plus(c) : undefined),
          big(0) as Big | undefined,
        );
        const described = attached.map((v) => `${v.Size} GiB ${v.VolumeType}`).join(', ') || 'none';
        const priced = total
          ? estimate({
              lookup,
              monthlyCost: total,
              monthlySavings: total,
              confidence: 80,
              notes: `Its ${attached.length} attached volume(s) (${described}) cost $${money(total)}/month in ${lookup.region}.`,
            })
          : noEstimate('An attached volume has a type the price table does not know.');
        yield {
          ...base,
          status: 'fail',
          title: `EC2 instance ${id} has been stopped for ${days} days`,
          message: `Instance ${id} (${instance.InstanceType}) was stopped ${days} days ago; its ${attached.length} EBS volume(s) are still billed.`,
          recommendation: 'Keep an AMI or snapshots if needed, then terminate it and delete its volumes.',
          ...priced,
          metrics: { stopped_days: String(days), attached_volumes: String(attached.length) },
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
