import { arn, eachRegion, scopeOf, tagMap } from '../_lib/drafts.ts';
import { big, estimate, monthlyFromHourly, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.ec2.eip.unassociated',
    title: 'Elastic IP address not associated with anything',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'elastic_ip',
    category: 'network',
    severity: 'low',
    iam_actions: ['ec2:DescribeAddresses', 'ec2:DescribeNatGateways'],
    rule: 'Every public IPv4 address is billed by the hour; an Elastic IP associated with nothing (no instance, interface or NAT gateway) is pure cost.',
    remediation: 'Release the Elastic IP if nothing depends on the address.',
    docs_url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html',
    example: {
      given: 'an Elastic IP address associated with nothing, in us-east-1',
      dollars: 'public IPv4 $0.005/hour × 730 hours = $3.65/month',
      monthly_savings: '3.650000',
      demo: 'addresses.unassociated',
    },
    pricing: 'public IPv4 $/hour × 730 hours; saving = the whole cost',
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const [addresses, gateways] = await Promise.all([
        ctx.inventory.addresses(region),
        ctx.inventory.natGateways(region),
      ]);
      const natAllocations = new Set(
        gateways
          .filter((g) => g.State !== 'deleted')
          .flatMap((g) => (g.NatGatewayAddresses ?? []).map((a) => a.AllocationId)),
      );
      for (const address of addresses) {
        const id = address.AllocationId ?? address.PublicIp ?? '';
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            id,
            arn('ec2', region, bootstrap.aws_account_id, `elastic-ip/${id}`),
          ),
          issue_key: { rule: 'unassociated' },
          tags: tagMap(address.Tags),
          dimensions: { public_ip: address.PublicIp ?? '' },
        };
        if (address.AssociationId || natAllocations.has(address.AllocationId)) {
          // The API may return an empty string rather than leave a field out; a NAT gateway's address is on its
          // network interface, which says less than naming the gateway.
          const owner =
            address.InstanceId ||
            (natAllocations.has(address.AllocationId) ? 'a NAT gateway' : '') ||
            address.NetworkInterfaceId ||
            `association ${address.AssociationId}`;
          yield {
            ...base,
            status: 'pass',
            title: `Elastic IP ${address.PublicIp} is associated`,
            message: `Associated with ${owner}.`,
          };
          continue;
        }
        const hourly = big(lookup.prices.public_ipv4_hour);
        const cost = monthlyFromHourly(hourly);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: 95,
          notes: `Public IPv4 at $${hourly}/hour × 730 hours; releasing it saves all of it.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `Elastic IP ${address.PublicIp} is not associated`,
          message: `Elastic IP ${address.PublicIp} (${id}) in ${region} is allocated but associated with no instance or network interface.`,
          recommendation: 'Release the address if nothing depends on it.',
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
