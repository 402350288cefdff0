import { ageDays, arn, eachRegion, paramsOf, scopeOf, tagMap } from '../_lib/drafts.ts';
import { collect } from '../_lib/paging.ts';
import { estimate, money, monthlyFromHourly, otherPrice, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';
import * as sdk from '../_lib/sdk.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.vpc.endpoints.idle',
    title: 'Interface VPC endpoint that processed no traffic',
    cloud: 'aws',
    service: 'AmazonVPC',
    resource_type: 'vpc_endpoint',
    category: 'network',
    severity: 'low',
    iam_actions: ['ec2:DescribeVpcEndpoints', 'cloudwatch:GetMetricData'],
    rule: 'An available interface endpoint, older than the lookback window, that processed no bytes during it (PrivateLink BytesProcessed); it is billed per hour in every Availability Zone it has a network interface in.',
    remediation:
      'Delete the endpoint if nothing resolves the service through it, or remove the subnets (Availability Zones) that carry no traffic.',
    docs_url: 'https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-cloudwatch-metrics.html',
    example: {
      given:
        'interface endpoint for `com.amazonaws.us-east-1.sqs` in two Availability Zones, no bytes in 30 days',
      dollars: '$0.01 per AZ-hour × 2 AZs × 730 hours = $14.60/month',
      monthly_savings: '14.600000',
      demo: 'vpcEndpoints.idle',
    },
    pricing:
      'interface endpoint $/AZ-hour × its Availability Zones × 730 (no data processing, since it carries none)',
    params: {
      lookback_days: {
        default: 30,
        min: 1,
        max: 455,
        description: 'Days without traffic after which an endpoint is idle',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { lookback_days } = paramsOf(ctx, checker.meta);
      const days = lookback_days!;
      const lookup = pricesFor(region);
      const ec2 = await sdk.ec2();
      const endpoints = (
        await collect(
          ec2.paginateDescribeVpcEndpoints({ client: ctx.services.ec2(region) }, {}),
          (p) => p.VpcEndpoints,
        )
      ).filter(
        (e) =>
          e.VpcEndpointType === 'Interface' &&
          e.State?.toLowerCase() === 'available' &&
          (ageDays(e.CreationTimestamp, ctx.runTs) ?? 0) >= days,
      );
      const byId = new Map(endpoints.map((e) => [e.VpcEndpointId ?? '', e]));
      const bytesSeen = endpoints.length
        ? await ctx.inventory.dailyMetric(region, {
            namespace: 'AWS/PrivateLinkEndpoints',
            metric: 'BytesProcessed',
            dimension: 'VPC Endpoint Id',
            extraDimensions: (id) => [
              { Name: 'Endpoint Type', Value: 'Interface' },
              { Name: 'Service Name', Value: byId.get(id)?.ServiceName ?? '' },
              { Name: 'VPC Id', Value: byId.get(id)?.VpcId ?? '' },
            ],
            ids: [...byId.keys()],
            stat: 'Sum',
            days,
            end: ctx.runTs,
          })
        : new Map<string, number[]>();
      for (const endpoint of endpoints) {
        const id = endpoint.VpcEndpointId ?? '';
        const values = bytesSeen.get(id) ?? [];
        const bytes = values.reduce((a, b) => a + b, 0);
        const zones = Math.max(1, (endpoint.SubnetIds ?? []).length);
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            id,
            arn('ec2', region, bootstrap.aws_account_id, `vpc-endpoint/${id}`),
          ),
          issue_key: { rule: 'idle' },
          tags: tagMap(endpoint.Tags),
          metrics: { bytes_processed: String(bytes), availability_zones: String(zones) },
          dimensions: { service_name: endpoint.ServiceName ?? '', vpc_id: endpoint.VpcId ?? '' },
        };
        if (bytes > 0) {
          yield {
            ...base,
            status: 'pass',
            title: `VPC endpoint ${id} carries traffic`,
            message: `${bytes} bytes processed over ${days} days.`,
          };
          continue;
        }
        const hourly = otherPrice('vpc_endpoint_az_hour', lookup);
        const cost = monthlyFromHourly(hourly.times(zones));
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          // PrivateLink publishes metrics only for traffic; no datapoints at all is less certain.
          confidence: values.length > 0 ? 80 : 65,
          derivedCompute: true,
          notes: `$${hourly} per AZ-hour × ${zones} AZ(s) × 730 hours = $${money(cost)}/month; it processed no bytes in ${days} days.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `VPC endpoint ${id} processed no traffic in ${days} days`,
          message: `Interface endpoint ${id} for ${endpoint.ServiceName} in ${endpoint.VpcId} (${region}) processed no bytes in ${days} days.`,
          recommendation: 'Delete it if nothing resolves the service through it.',
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
