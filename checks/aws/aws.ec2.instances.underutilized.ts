import { eachRegion } from '../_lib/drafts.ts';
import { cpuParams, cpuVerdicts, UNDERUTILIZED_ID, UNDERUTILIZED_PARAMS } from '../_lib/cpu.ts';
import { instanceFinding, instanceMonthly, monthlyDifference } from '../_lib/ec2.ts';
import { nextSmaller } from '../_lib/instance_catalogue.ts';
import { estimate, money, monthlyFromHourly, noEstimate, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: UNDERUTILIZED_ID,
    title: 'Underutilized EC2 instance',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ec2_instance',
    category: 'compute',
    severity: 'medium',
    iam_actions: ['ec2:DescribeInstances', 'cloudwatch:GetMetricData'],
    rule: 'A running instance whose highest daily average CPU over the lookback window stays below the threshold; instances with data on fewer than half the days are reported unknown.',
    remediation:
      'Move to the next smaller size of its family, or stop it if it does nothing; check memory and network first.',
    docs_url: 'https://docs.aws.amazon.com/cost-management/latest/userguide/ce-rightsizing.html',
    example: {
      given:
        'm5.xlarge `batch-idle` in us-east-1 whose daily average CPU stayed at 1–3% over 14 days (threshold 10%)',
      dollars:
        'm5.xlarge $0.192/hour × 730 = $140.16; the next smaller m5 size sold there, m5.large, $0.096/hour × 730 = $70.08; saving $70.08/month',
      monthly_savings: '70.080000',
      demo: 'instances.idle',
    },
    pricing:
      'current hourly price minus the price of the next smaller size of the same family sold in the region, × 730; none when there is no such size or it has no price',
    params: UNDERUTILIZED_PARAMS,
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const { threshold } = cpuParams(ctx);
      const running = (await ctx.inventory.instances(region)).filter((i) => i.State?.Name === 'running');
      const cpu = await cpuVerdicts(ctx, region, running);
      for (const instance of running) {
        const id = instance.InstanceId ?? '';
        const type = instance.InstanceType ?? '';
        const verdict = cpu.get(id)!;
        const base = instanceFinding(bootstrap, region, instance, 'cpu_underutilized');
        if (verdict.kind === 'no_data') {
          yield {
            ...base,
            status: 'unknown',
            title: `EC2 instance ${id}: not enough CPU data`,
            message: `CloudWatch has CPUUtilization for fewer than half of the last ${verdict.days} days for ${id}.`,
          };
          continue;
        }
        const metrics = { max_daily_cpu_percent: verdict.maxDailyAverage.toFixed(2) };
        if (verdict.kind === 'busy') {
          yield {
            ...base,
            metrics,
            status: 'pass',
            title: `EC2 instance ${id} is used`,
            message: `Highest daily average CPU ${verdict.maxDailyAverage.toFixed(1)}% over ${verdict.days} days.`,
          };
          continue;
        }
        const sizing = nextSmaller(type, lookup);
        const target = sizing.type;
        const current = instanceMonthly(type, lookup);
        const smaller = sizing.hourly && monthlyFromHourly(sizing.hourly);
        const priced =
          current && smaller && target
            ? estimate({
                lookup,
                monthlyCost: current,
                monthlySavings: monthlyDifference(current, smaller),
                confidence: 60,
                derivedCompute: true,
                notes: `${type} costs $${money(current)}/month and ${target}, the next smaller size sold in ${lookup.region}, $${money(smaller)}/month on demand (730 hours).`,
              })
            : noEstimate(
                target
                  ? `No list price for ${type} in the price table.`
                  : `No smaller size to price: ${sizing.reason}.`,
              );
        yield {
          ...base,
          metrics,
          status: 'fail',
          title: `EC2 instance ${id} is underutilized`,
          message: `Instance ${id} (${type}) peaked at ${verdict.maxDailyAverage.toFixed(1)}% daily average CPU over ${verdict.days} days (threshold ${threshold}%).`,
          recommendation: target
            ? `Resize to ${target} after checking memory and network use.`
            : 'Stop it or consolidate its workload.',
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
