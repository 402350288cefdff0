import { ageDays, eachRegion, paramsOf, scopeOf, tagMap } from '../_lib/drafts.ts';
import {
  big,
  estimate,
  money,
  monthlyFromHourly,
  noEstimate,
  pricesFor,
  rdsHourly,
} from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.rds.instances.idle',
    title: 'Idle RDS database instance',
    cloud: 'aws',
    service: 'AmazonRDS',
    resource_type: 'rds_instance',
    category: 'database',
    severity: 'high',
    iam_actions: ['rds:DescribeDBInstances', 'cloudwatch:GetMetricData'],
    rule: 'An available DB instance, older than the lookback window, with no database connection on any day of it (DatabaseConnections maximum is 0); no data on fewer than half the days is unknown.',
    remediation: 'Take a final snapshot and delete the instance, or stop it if it is needed again soon.',
    docs_url: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html',
    example: {
      given: 'db.t3.medium `reporting-old` with 100 GiB of storage in us-east-1, no connections in 14 days',
      dollars:
        'db.t3.medium $0.068/hour × 730 = $49.64, plus 100 GiB × $0.115/GB-month = $11.50: $61.14/month',
      monthly_savings: '61.140000',
      demo: 'db.idle',
    },
    pricing: 'instance $/hour × 730 (× 2 for Multi-AZ) plus allocated gp2 storage; saving = the whole cost',
    params: {
      lookback_days: {
        default: 14,
        min: 1,
        max: 455,
        description: 'Days without connections after which an instance is idle',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { lookback_days } = paramsOf(ctx, checker.meta);
      const days = lookback_days!;
      const lookup = pricesFor(region);
      const instances = (await ctx.inventory.dbInstances(region)).filter(
        (db) =>
          db.DBInstanceStatus === 'available' && (ageDays(db.InstanceCreateTime, ctx.runTs) ?? 0) >= days,
      );
      const ids = instances.map((db) => db.DBInstanceIdentifier ?? '');
      const connections = ids.length
        ? await ctx.inventory.dailyMetric(region, {
            namespace: 'AWS/RDS',
            metric: 'DatabaseConnections',
            dimension: 'DBInstanceIdentifier',
            ids,
            stat: 'Maximum',
            days,
            end: ctx.runTs,
          })
        : new Map<string, number[]>();
      for (const db of instances) {
        const id = db.DBInstanceIdentifier ?? '';
        const values = connections.get(id) ?? [];
        const base = {
          scope: scopeOf(bootstrap, region, id, db.DBInstanceArn ?? '', db.AvailabilityZone),
          issue_key: { rule: 'idle' },
          tags: tagMap(db.TagList),
          dimensions: {
            instance_class: db.DBInstanceClass ?? '',
            engine: db.Engine ?? '',
            multi_az: String(Boolean(db.MultiAZ)),
          },
        };
        if (values.length < Math.ceil(days / 2)) {
          yield {
            ...base,
            status: 'unknown',
            title: `RDS instance ${id}: not enough connection data`,
            message: `CloudWatch has DatabaseConnections for fewer than half of the last ${days} days.`,
          };
          continue;
        }
        const peak = Math.max(...values);
        if (peak > 0) {
          yield {
            ...base,
            status: 'pass',
            title: `RDS instance ${id} is used`,
            message: `Up to ${peak} connections a day over ${days} days.`,
          };
          continue;
        }
        const hourly = rdsHourly(db.DBInstanceClass ?? '', lookup);
        const aurora = (db.Engine ?? '').startsWith('aurora');
        let priced;
        if (!hourly) {
          priced = noEstimate(`No list price for ${db.DBInstanceClass} in the price table.`);
        } else {
          const compute = monthlyFromHourly(hourly).times(db.MultiAZ ? 2 : 1);
          // Aurora storage is billed per GB used by the cluster, not per instance: it is left out.
          const storage = aurora
            ? big(0)
            : big(lookup.prices.rds_storage_gb_month).times(db.AllocatedStorage ?? 0);
          const cost = compute.plus(storage);
          priced = estimate({
            lookup,
            monthlyCost: cost,
            monthlySavings: cost,
            confidence: 70,
            derivedCompute: true,
            notes: `${db.DBInstanceClass}${db.MultiAZ ? ' Multi-AZ' : ''} at $${money(compute)}/month plus ${aurora ? 'no instance storage (Aurora)' : `${db.AllocatedStorage} GiB storage at $${money(storage)}`}.`,
          });
        }
        yield {
          ...base,
          metrics: { max_daily_connections: '0' },
          status: 'fail',
          title: `RDS instance ${id} had no connections in ${days} days`,
          message: `DB instance ${id} (${db.Engine}, ${db.DBInstanceClass}) in ${region} had no database connection in the last ${days} days.`,
          recommendation: 'Take a final snapshot and delete it, or stop it if it will be needed soon.',
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
