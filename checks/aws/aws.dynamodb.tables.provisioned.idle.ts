import { ageDays, arn, eachRegion, paramsOf, scopeOf } from '../_lib/drafts.ts';
import { collect } from '../_lib/paging.ts';
import { estimate, money, monthlyFromHourly, otherPrice, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';
import * as sdk from '../_lib/sdk.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.dynamodb.tables.provisioned.idle',
    title: 'Provisioned-capacity DynamoDB table with no reads or writes',
    cloud: 'aws',
    service: 'AmazonDynamoDB',
    resource_type: 'dynamodb_table',
    category: 'database',
    severity: 'medium',
    iam_actions: ['dynamodb:ListTables', 'dynamodb:DescribeTable', 'cloudwatch:GetMetricData'],
    rule: 'A table in provisioned-capacity mode, older than the lookback window, that consumed no read and no write capacity during it: its provisioned RCUs and WCUs are billed every hour regardless.',
    remediation:
      'Delete the table if nothing uses it (back it up first), or switch it to on-demand capacity so it costs nothing while idle.',
    docs_url: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html',
    example: {
      given:
        'table `sessions-v1` in us-east-1 provisioned with 100 RCUs and 50 WCUs, no consumed capacity in 14 days',
      dollars:
        '(100 × $0.00013 + 50 × $0.00065) per hour × 730 = $9.49 + $23.725 = $33.215/month (table storage is not counted)',
      monthly_savings: '33.215000',
      demo: 'table:sessions-v1',
    },
    pricing:
      'provisioned RCUs × $/RCU-hour + WCUs × $/WCU-hour (global secondary indexes included), × 730; storage is left out',
    params: {
      lookback_days: {
        default: 14,
        min: 1,
        max: 455,
        description: 'Days without consumed capacity after which a table is idle',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { lookback_days } = paramsOf(ctx, checker.meta);
      const days = lookback_days!;
      const lookup = pricesFor(region);
      const dynamodb = await sdk.dynamodb();
      const client = ctx.services.dynamodb(region);
      const names = await collect(dynamodb.paginateListTables({ client }, {}), (p) => p.TableNames);
      const tables = [];
      for (const name of names) {
        const { Table } = await client.send(new dynamodb.DescribeTableCommand({ TableName: name }));
        if (Table) tables.push(Table);
      }
      const provisioned = tables.filter(
        (t) =>
          (t.BillingModeSummary?.BillingMode ?? 'PROVISIONED') === 'PROVISIONED' &&
          (ageDays(t.CreationDateTime, ctx.runTs) ?? 0) >= days,
      );
      const ids = provisioned.map((t) => t.TableName ?? '');
      const request = {
        namespace: 'AWS/DynamoDB',
        dimension: 'TableName',
        ids,
        stat: 'Sum',
        days,
        end: ctx.runTs,
      } as const;
      const [reads, writes] = ids.length
        ? await Promise.all([
            ctx.inventory.dailyMetric(region, { ...request, metric: 'ConsumedReadCapacityUnits' }),
            ctx.inventory.dailyMetric(region, { ...request, metric: 'ConsumedWriteCapacityUnits' }),
          ])
        : [new Map<string, number[]>(), new Map<string, number[]>()];
      for (const table of provisioned) {
        const name = table.TableName ?? '';
        const indexes = table.GlobalSecondaryIndexes ?? [];
        const rcu = [table, ...indexes].reduce(
          (n, t) => n + (t.ProvisionedThroughput?.ReadCapacityUnits ?? 0),
          0,
        );
        const wcu = [table, ...indexes].reduce(
          (n, t) => n + (t.ProvisionedThroughput?.WriteCapacityUnits ?? 0),
          0,
        );
        const consumed = [...(reads.get(name) ?? []), ...(writes.get(name) ?? [])].reduce((a, b) => a + b, 0);
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            name,
            table.TableArn ?? arn('dynamodb', region, bootstrap.aws_account_id, `table/${name}`),
          ),
          issue_key: { rule: 'provisioned_idle' },
          metrics: {
            provisioned_rcu: String(rcu),
            provisioned_wcu: String(wcu),
            consumed_capacity_units: String(consumed),
          },
        };
        if (consumed > 0) {
          yield {
            ...base,
            status: 'pass',
            title: `DynamoDB table ${name} is used`,
            message: `${consumed} capacity units consumed over ${days} days.`,
          };
          continue;
        }
        const [rcuHour, wcuHour] = [
          otherPrice('dynamodb_rcu_hour', lookup),
          otherPrice('dynamodb_wcu_hour', lookup),
        ];
        const cost = monthlyFromHourly(rcuHour.times(rcu).plus(wcuHour.times(wcu)));
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: 75,
          derivedCompute: true,
          notes: `(${rcu} RCU × $${rcuHour} + ${wcu} WCU × $${wcuHour}) per hour × 730 = $${money(cost)}/month; nothing was read or written in ${days} days. Storage is not counted.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `DynamoDB table ${name} consumed no capacity in ${days} days`,
          message: `Table ${name} in ${region} is provisioned with ${rcu} RCUs and ${wcu} WCUs and nothing read or wrote it in ${days} days.`,
          recommendation: 'Delete it after a backup if nothing uses it, or switch it to on-demand capacity.',
          ...priced,
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
