import { arn, eachRegion, scopeOf, tagMap } from '../_lib/drafts.ts';
import { cpuVerdicts, UNDERUTILIZED_ID } from '../_lib/cpu.ts';
import {
  instanceMonthly,
  monthlyDifference,
  replacementType,
  splitType,
  OLD_GENERATION,
} from '../_lib/ec2.ts';
import { big, estimate, money, noEstimate, pricesFor } from '../_lib/pricing.ts';
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
        const target = replacementType(type);
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            id,
            arn('ec2', region, bootstrap.aws_account_id, `instance/${id}`),
            instance.Placement?.AvailabilityZone,
          ),
          tags: tagMap(instance.Tags),
          dimensions: { instance_type: type },
        };
        if (!target) {
          yield {
            ...base,
            issue_key: { current_type: type },
            status: 'pass',
            title: `EC2 instance ${id} is current generation`,
            message: `${type} (${splitType(type)[0]}) is a current-generation family.`,
          };
          continue;
        }
        const current = instanceMonthly(type, lookup);
        const next = instanceMonthly(target, lookup);
        const rightsized = cpu.get(id)?.kind === 'underutilized';
        let priced;
        if (!current || !next) {
          priced = noEstimate(`No list price for ${current ? target : type} in the price table.`);
        } else if (rightsized) {
          priced = estimate({
            lookup,
            monthlyCost: current,
            monthlySavings: big(0),
            confidence: 75,
            derivedCompute: true,
            notes: `The instance is underutilized: its saving ($${money(current)}/month today) is counted once, by ${UNDERUTILIZED_ID}, which recommends a smaller current-generation type.`,
          });
        } else {
          const savings = monthlyDifference(current, next);
          priced = estimate({
            lookup,
            monthlyCost: current,
            monthlySavings: savings,
            confidence: 75,
            derivedCompute: true,
            notes: `${type} costs $${money(current)}/month and ${target} $${money(next)}/month on demand (730 hours)${savings.eq(0) ? '; the move is for performance, not price' : ''}.`,
          });
        }
        yield {
          ...base,
          issue_key: { current_type: type, recommended_type: target },
          status: 'fail',
          title: `EC2 instance ${id} runs previous-generation ${type}`,
          message: `Instance ${id} runs ${type}, a previous-generation type; ${target} is its current-generation replacement.`,
          recommendation: `Change the instance type to ${target}.`,
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions, recommended_type: target },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
