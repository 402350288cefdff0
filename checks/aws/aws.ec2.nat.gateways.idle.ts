import { ageDays, arn, eachRegion, paramsOf, scopeOf, tagMap } from '../_lib/drafts.ts';
import { big, estimate, monthlyFromHourly, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.nat.gateways.idle',
    title: 'Idle NAT gateway',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'nat_gateway',
    category: 'network',
    severity: 'medium',
    iam_actions: ['ec2:DescribeNatGateways', 'cloudwatch:GetMetricData'],
    rule: 'An available NAT gateway, older than the lookback window, that processed no bytes (BytesOutToDestination + BytesInFromSource) during it.',
    remediation: 'Delete the NAT gateway (and release its Elastic IP) if no route needs it.',
    docs_url: 'https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-cloudwatch.html',
    example: {
      given: 'a NAT gateway in us-east-1 that processed no bytes in 30 days',
      dollars: '$0.045/hour × 730 hours = $32.85/month (its data charge is zero when idle)',
      monthly_savings: '32.850000',
      demo: 'natGateway',
    },
    pricing:
      'NAT gateway $/hour × 730 (no data processing, since it processes nothing); saving = the whole cost',
    params: {
      lookback_days: {
        default: 30,
        min: 1,
        max: 455,
        description: 'Days without traffic after which a NAT gateway is idle',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { lookback_days } = paramsOf(ctx, checker.meta);
      const days = lookback_days!;
      const lookup = pricesFor(region);
      const gateways = (await ctx.inventory.natGateways(region)).filter(
        (g) => g.State === 'available' && (ageDays(g.CreateTime, ctx.runTs) ?? 0) >= days,
      );
      const ids = gateways.map((g) => g.NatGatewayId ?? '');
      const request = {
        namespace: 'AWS/NATGateway',
        dimension: 'NatGatewayId',
        ids,
        stat: 'Sum',
        days,
        end: ctx.runTs,
      } as const;
      const [out, inbound] = ids.length
        ? await Promise.all([
            ctx.inventory.dailyMetric(region, { ...request, metric: 'BytesOutToDestination' }),
            ctx.inventory.dailyMetric(region, { ...request, metric: 'BytesInFromSource' }),
          ])
        : [new Map<string, number[]>(), new Map<string, number[]>()];
      for (const gateway of gateways) {
        const id = gateway.NatGatewayId ?? '';
        const values = [...(out.get(id) ?? []), ...(inbound.get(id) ?? [])];
        const bytes = values.reduce((a, b) => a + b, 0);
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            id,
            arn('ec2', region, bootstrap.aws_account_id, `natgateway/${id}`),
          ),
          issue_key: { rule: 'idle' },
          tags: tagMap(gateway.Tags),
          metrics: { bytes_processed: String(bytes) },
          dimensions: { vpc_id: gateway.VpcId ?? '' },
        };
        if (bytes > 0) {
          yield {
            ...base,
            status: 'pass',
            title: `NAT gateway ${id} carries traffic`,
            message: `${bytes} bytes processed over ${days} days.`,
          };
          continue;
        }
        const hourly = big(lookup.prices.nat_gateway_hour);
        const cost = monthlyFromHourly(hourly);
        // CloudWatch publishes NAT gateway metrics only for traffic; no datapoints at all is less certain.
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: values.length > 0 ? 85 : 70,
          notes: `NAT gateway at $${hourly}/hour × 730 hours = $${money(cost)}/month; it processed no bytes in ${days} days.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `NAT gateway ${id} processed no traffic in ${days} days`,
          message: `NAT gateway ${id} in ${gateway.VpcId} (${region}) is available but processed no bytes in the last ${days} days.`,
          recommendation: 'Delete it and release its Elastic IP if no route table needs it.',
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
