import { eachRegion } from '../_lib/drafts.ts';
import { cpuVerdicts, UNDERUTILIZED_ID } from '../_lib/cpu.ts';
import { instanceFinding, OLD_GENERATION, replacementFor, typeChangeEstimate } from '../_lib/ec2.ts';
import { familyOf } from '../_lib/instance_catalogue.ts';
import { money, noEstimate, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.instances.old.generation',
    title: 'EC2 instance of a previous generation',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ec2_instance',
    category: 'compute',
    severity: 'low',
    iam_actions: ['ec2:DescribeInstances', 'cloudwatch:GetMetricData'],
    rule: `A running instance of a previous-generation family (${Object.keys(OLD_GENERATION).join(', ')}); the current generation is faster and usually cheaper per hour.`,
    remediation:
      'Stop the instance, change its type to the recommended current-generation type, start it (check driver support: ENA/NVMe).',
    docs_url: 'https://aws.amazon.com/ec2/previous-generation/',
    example: {
      given: 'm4.large `web` (2 vCPUs, 8 GiB) running in us-east-1 at 35–55% CPU',
      dollars:
        'm4.large $0.10/hour × 730 = $73.00; the smallest m6i with at least 2 vCPUs and 8 GiB is m6i.large, $0.096/hour × 730 = $70.08; saving $2.92/month',
      monthly_savings: '2.920000',
      demo: 'instances.web',
    },
    pricing: `hourly price difference × 730; when the instance is also underutilized the saving is counted once, by ${UNDERUTILIZED_ID}`,
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const running = (await ctx.inventory.instances(region)).filter((i) => i.State?.Name === 'running');
      // The same request as the underutilized checker's, so the metrics are fetched once for both.
      const cpu = await cpuVerdicts(ctx, region, running);
      for (const instance of running) {
        const id = instance.InstanceId ?? '';
        const type = instance.InstanceType ?? '';
        const sizing = replacementFor(type, lookup);
        // Pass and fail share the key, and nothing the engine derives (the recommended type, a price) is in it.
        const base = instanceFinding(bootstrap, region, instance, 'previous_generation');
        if (!sizing) {
          yield {
            ...base,
            status: 'pass',
            title: `EC2 instance ${id} is current generation`,
            message: `${type} (${familyOf(type)}) is not a previous-generation family.`,
          };
          continue;
        }
        const target = sizing.type;
        const priced = target
          ? typeChangeEstimate({
              lookup,
              from: type,
              to: target,
              underutilized: cpu.get(id)?.kind === 'underutilized',
              confidence: 75,
              why: (current, next, savings) =>
                `${type} costs $${money(current)}/month and ${target} (the smallest ${OLD_GENERATION[familyOf(type)]} size with at least its vCPUs and memory) $${money(next)}/month on demand (730 hours)${savings.eq(0) ? '; the move is for performance, not price' : ''}.`,
            })
          : noEstimate(`No replacement to price: ${sizing.reason}.`);
        yield {
          ...base,
          status: 'fail',
          title: `EC2 instance ${id} runs previous-generation ${type}`,
          message: target
            ? `Instance ${id} runs ${type}, a previous-generation type; ${target} is its current-generation replacement.`
            : `Instance ${id} runs ${type}, a previous-generation type; ${sizing.reason}.`,
          ...(target ? { recommendation: `Change the instance type to ${target}.` } : {}),
          ...priced,
          dimensions: {
            ...priced.dimensions,
            ...base.dimensions,
            ...(target ? { recommended_type: target } : {}),
          },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
