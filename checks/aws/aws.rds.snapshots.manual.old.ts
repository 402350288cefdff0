import { ageDays, eachRegion, paramsOf, scopeOf, tagMap } from '../_lib/drafts.ts';
import { big, estimate, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.rds.snapshots.manual.old',
    title: 'Old manual RDS snapshot',
    cloud: 'aws',
    service: 'AmazonRDS',
    resource_type: 'rds_snapshot',
    category: 'database',
    severity: 'low',
    iam_actions: ['rds:DescribeDBSnapshots'],
    rule: 'A manual DB snapshot older than the threshold: manual snapshots never expire and are billed as backup storage.',
    remediation:
      'Delete manual snapshots no retention policy requires (or export them to S3 for long-term keeping).',
    docs_url: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteSnapshot.html',
    example: {
      given: 'manual snapshot `orders-before-migration` of 100 GiB, 99 days old (threshold 90), in us-east-1',
      dollars: '100 GiB × $0.095/GB-month = $9.50/month, an upper bound',
      monthly_savings: '9.500000',
      demo: 'db.snapshot',
    },
    pricing: 'allocated storage × backup storage $/GB-month: an upper bound',
    params: {
      min_age_days: {
        default: 90,
        min: 1,
        max: 3650,
        description: 'Age in days from which a manual snapshot is old',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { min_age_days } = paramsOf(ctx, checker.meta);
      const lookup = pricesFor(region);
      for (const snapshot of await ctx.inventory.dbSnapshots(region)) {
        const id = snapshot.DBSnapshotIdentifier ?? '';
        const age = ageDays(snapshot.SnapshotCreateTime, ctx.runTs) ?? 0;
        const base = {
          scope: scopeOf(bootstrap, region, id, snapshot.DBSnapshotArn ?? '', snapshot.AvailabilityZone),
          issue_key: { rule: 'old_manual_snapshot' },
          tags: tagMap(snapshot.TagList),
          metrics: { allocated_gib: String(snapshot.AllocatedStorage ?? 0), age_days: String(age) },
        };
        if (age < min_age_days!) {
          yield {
            ...base,
            status: 'pass',
            title: `RDS snapshot ${id} is recent`,
            message: `Snapshot ${id} is ${age} days old.`,
          };
          continue;
        }
        const perGb = lookup.prices.rds_snapshot_gb_month;
        const cost = big(perGb).times(snapshot.AllocatedStorage ?? 0);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: 50,
          notes: `Upper bound: ${snapshot.AllocatedStorage} GiB × $${perGb}/GB-month = $${money(cost)}.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `Manual RDS snapshot ${id} is ${age} days old`,
          message: `Manual snapshot ${id} of ${snapshot.DBInstanceIdentifier} (${snapshot.AllocatedStorage} GiB) was taken ${age} days ago and never expires.`,
          recommendation: 'Delete it unless a retention policy requires it.',
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
