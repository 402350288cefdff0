import { eachRegion, scopeOf } from '../_lib/drafts.ts';
import { big, estimate, monthlyFromHourly, money, pricesFor } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';

export const checker = defineChecker({
  meta: {
    id: 'aws.elbv2.load.balancers.no.targets',
    title: 'Load balancer with no registered targets',
    cloud: 'aws',
    service: 'AWSELB',
    resource_type: 'load_balancer',
    category: 'network',
    severity: 'medium',
    iam_actions: [
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
    ],
    rule: 'An Application or Network Load Balancer none of whose target groups has a registered target: it is billed by the hour and serves nothing.',
    remediation: 'Delete the load balancer (and its target groups) if nothing will be registered behind it.',
    docs_url: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-delete.html',
    example: {
      given:
        'application load balancer `legacy-api` in us-east-1 whose target groups have no registered targets',
      dollars: '$0.0225/hour × 730 hours = $16.425/month (no LCUs are used without traffic)',
      monthly_savings: '16.425000',
      demo: 'loadBalancers.empty',
    },
    pricing: 'ALB or NLB $/hour × 730 (LCU charges are nil without traffic); saving = the whole cost',
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const lookup = pricesFor(region);
      const [balancers, groups] = await Promise.all([
        ctx.inventory.loadBalancers(region),
        ctx.inventory.targetGroups(region),
      ]);
      for (const lb of balancers.filter((b) => b.Type === 'application' || b.Type === 'network')) {
        const lbArn = lb.LoadBalancerArn ?? '';
        const mine = groups.filter((g) => g.LoadBalancerArns?.includes(lbArn));
        const health = await Promise.all(
          mine.map((g) => ctx.inventory.targetHealth(region, g.TargetGroupArn ?? '')),
        );
        const targets = health.reduce((n, h) => n + h.length, 0);
        const base = {
          scope: scopeOf(
            bootstrap,
            region,
            lb.LoadBalancerName ?? '',
            lbArn,
            lb.AvailabilityZones?.[0]?.ZoneName,
          ),
          issue_key: { rule: 'no_targets' },
          metrics: { target_groups: String(mine.length), targets: String(targets) },
          dimensions: { load_balancer_type: lb.Type ?? '' },
        };
        if (targets > 0) {
          yield {
            ...base,
            status: 'pass',
            title: `Load balancer ${lb.LoadBalancerName} has targets`,
            message: `${targets} target(s) in ${mine.length} target group(s).`,
          };
          continue;
        }
        const hourly = big(lb.Type === 'application' ? lookup.prices.alb_hour : lookup.prices.nlb_hour);
        const cost = monthlyFromHourly(hourly);
        const priced = estimate({
          lookup,
          monthlyCost: cost,
          monthlySavings: cost,
          confidence: 85,
          notes: `${lb.Type === 'application' ? 'ALB' : 'NLB'} at $${hourly}/hour × 730 hours = $${money(cost)}/month.`,
        });
        yield {
          ...base,
          status: 'fail',
          title: `Load balancer ${lb.LoadBalancerName} has no registered targets`,
          message: `${lb.Type} load balancer ${lb.LoadBalancerName} in ${region} has ${mine.length} target group(s) and no registered target.`,
          recommendation: 'Delete it and its target groups if nothing will be registered.',
          ...priced,
          dimensions: { ...priced.dimensions, ...base.dimensions },
        };
      }
    }),
});

registerChecker(checker, import.meta.url);
