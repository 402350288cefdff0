import { eachRegion } from '../_lib/drafts.ts';
import { cpuVerdicts, UNDERUTILIZED_ID } from '../_lib/cpu.ts';
import { instanceFinding, typeChangeEstimate } from '../_lib/ec2.ts';
import { familyOf, instanceFacts, isSold } from '../_lib/instance_catalogue.ts';
import { money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

/** x86 families and the Graviton family that runs the same sizes. */
export const GRAVITON: Readonly<Record<string, string>> = {
  m5: 'm7g',
  m6i: 'm7g',
  c5: 'c7g',
  c6i: 'c7g',
  r5: 'r7g',
  r6i: 'r7g',
  t3: 't4g',
};

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.instances.graviton.candidate',
    title: 'x86 EC2 instance with a cheaper Graviton equivalent',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ec2_instance',
    category: 'compute',
    severity: 'low',
    iam_actions: ['ec2:DescribeInstances', 'cloudwatch:GetMetricData'],
    rule: `A running x86 instance of a family with a Graviton (arm64) equivalent of the same size (${Object.entries(
      GRAVITON,
    )
      .map(([from, to]) => `${from} → ${to}`)
      .join(', ')}), sold in its region. The workload must run on arm64.`,
    remediation:
      'Rebuild the workload for arm64 (most interpreted and JVM workloads run unchanged), test it, then change the instance type.',
    docs_url: 'https://aws.amazon.com/ec2/graviton/',
    example: {
      given: 'c5.large `api` running in us-east-1 at 40–60% CPU',
      dollars:
        'c5.large $0.085/hour × 730 = $62.05; c7g.large $0.0725/hour × 730 = $52.925; saving $9.125/month',
      monthly_savings: '9.125000',
      demo: 'instances.api',
    },
    pricing: `hourly price difference at equal size × 730; an underutilized instance's saving is counted once, by ${UNDERUTILIZED_ID}`,
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const running = (await ctx.inventory.instances(region)).filter((i) => i.State?.Name === 'running');
      const cpu = await cpuVerdicts(ctx, region, running);
      for (const instance of running) {
        const id = instance.InstanceId ?? '';
        const type = instance.InstanceType ?? '';
        const graviton = GRAVITON[familyOf(type)];
        const target = graviton && `${graviton}.${type.slice(type.indexOf('.') + 1)}`;
        const base = instanceFinding(bootstrap, region, instance, 'graviton_candidate');
        if (!target || !instanceFacts(target) || !isSold(target, lookup.region)) {
          yield {
            ...base,
            status: 'pass',
            title: `EC2 instance ${id} has no Graviton move to make`,
            message: target
              ? `${target} is not sold in ${region}.`
              : `${type} (${instance.Architecture ?? 'unknown architecture'}) has no Graviton family of the same sizes here.`,
          };
          continue;
        }
        const priced = typeChangeEstimate({
          lookup,
          from: type,
          to: target,
          underutilized: cpu.get(id)?.kind === 'underutilized',
          confidence: 60,
          why: (current, next) =>
            `${type} costs $${money(current)}/month and ${target} $${money(next)}/month on demand (730 hours); the workload must run on arm64.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `EC2 instance ${id} (${type}) could run on Graviton ${target}`,
          message: `Instance ${id} runs ${type}; ${target} is its Graviton equivalent of the same size.`,
          recommendation: `Move the workload to arm64 and change the instance type to ${target}.`,
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions, recommended_type: target },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
