import { ageDays, eachRegion, paramsOf, scopeOf } from '../_lib/drafts.ts';
import { big, estimate, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

const GIB = 2 ** 30;

export const checker = defineChecker({
  meta: {
    id: 'aws.logs.log.groups.retention.missing',
    title: 'CloudWatch log group that never expires its events',
    cloud: 'aws',
    service: 'AmazonCloudWatch',
    resource_type: 'log_group',
    category: 'observability',
    severity: 'low',
    iam_actions: ['logs:DescribeLogGroups'],
    rule: 'A log group without a retention setting keeps every event forever, billed as stored data every month.',
    remediation: 'Set a retention period (PutRetentionPolicy) that matches how long the logs are needed.',
    docs_url:
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html',
    example: {
      given:
        'log group `/aws/lambda/orders-legacy` in us-east-1, 99 days old, that never expires its events and stores 0 bytes (the emulator reports none)',
      dollars:
        'stored GiB × $0.03/GB-month × the share a 30-day retention removes (69.7% for a group 99 days old, assuming even accrual) = 0 × $0.03 × 0.697 = $0.00/month',
      monthly_savings: '0.000000',
      demo: 'logGroups.forever',
    },
    pricing:
      'storedBytes × logs storage $/GB-month; saving assumes data accrued evenly since creation and that what is older than the target retention goes',
    params: {
      target_retention_days: {
        default: 30,
        min: 1,
        max: 3653,
        description: 'Retention assumed when estimating the saving',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { target_retention_days } = paramsOf(ctx, checker.meta);
      const target = target_retention_days!;
      const lookup = pricesFor(region);
      for (const group of await ctx.inventory.logGroups(region)) {
        const name = group.logGroupName ?? '';
        const storedGiB = big(group.storedBytes ?? 0).div(GIB);
        const base = {
          scope: scopeOf(bootstrap, region, name, (group.logGroupArn ?? group.arn ?? '').replace(/:\*$/, '')),
          issue_key: { rule: 'retention_missing' },
          metrics: { stored_gib: money(storedGiB) },
        };
        if (group.retentionInDays) {
          yield {
            ...base,
            status: 'pass',
            title: `Log group ${name} has a retention`,
            message: `Events expire after ${group.retentionInDays} days.`,
          };
          continue;
        }
        const age = Math.max(1, ageDays(group.creationTime, ctx.runTs) ?? 1);
        const perGb = lookup.prices.logs_storage_gb_month;
        const cost = storedGiB.times(big(perGb));
        const expiring = age > target ? big(age - target).div(age) : big(0);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost.times(expiring),
          confidence: 40,
          notes: `${money(storedGiB)} GiB stored × $${perGb}/GB-month = $${money(cost)}; assuming even accrual over ${age} days, a ${target}-day retention removes ${(Number(expiring) * 100).toFixed(1)}% of it.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `Log group ${name} keeps its events forever`,
          message: `Log group ${name} in ${region} has no retention setting and stores ${money(storedGiB)} GiB.`,
          recommendation: `Set a retention period, e.g. ${target} days.`,
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
