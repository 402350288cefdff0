// A checker pack: EC2 instances without the cost-allocation tag the company requires. It is built with the
// engine's own helpers (finops-findings/pack, a peer dependency) and yields findings as the built-in checks do:
// the engine validates, fingerprints and stores them.
import { defineChecker, definePack, eachRegion, paramsOf, scopeOf, tagMap } from 'finops-findings/pack';

/** The tag every instance must carry; a policy file can scope or re-severity the check, not rename the tag. */
export const REQUIRED_TAG = 'cost-center';

export const checker = defineChecker({
  meta: {
    id: 'finopspackcosttags.ec2.instances.cost.tag.missing',
    title: 'EC2 instance without a cost-center tag',
    cloud: 'aws',
    service: 'AmazonEC2',
    resource_type: 'ec2_instance',
    category: 'governance',
    severity: 'low',
    iam_actions: ['ec2:DescribeInstances'],
    rule: `A running or stopped instance without a "${REQUIRED_TAG}" tag: its cost cannot be allocated.`,
    remediation: `Tag the instance with ${REQUIRED_TAG}=<the team's cost centre>.`,
    docs_url: 'https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/cost-alloc-tags.html',
    pricing: 'none',
    params: {
      min_age_days: {
        default: 0,
        min: 0,
        max: 365,
        description: 'Days since launch before an untagged instance fails (gives new ones time to be tagged)',
      },
    },
  },
  create: (ctx, bootstrap) =>
    eachRegion(ctx, bootstrap, async function* (region) {
      const { min_age_days } = paramsOf(ctx, checker.meta);
      for (const instance of await ctx.inventory.instances(region)) {
        const id = instance.InstanceId ?? '';
        const tags = tagMap(instance.Tags);
        const launched = instance.LaunchTime ? new Date(instance.LaunchTime) : ctx.runTs;
        const ageDays = Math.floor((ctx.runTs.getTime() - launched.getTime()) / 86_400_000);
        const tagged = Boolean(tags[REQUIRED_TAG]);
        yield {
          status: tagged || ageDays < min_age_days ? 'pass' : 'fail',
          scope: scopeOf(
            bootstrap,
            region,
            id,
            `arn:aws:ec2:${region}:${bootstrap.aws_account_id}:instance/${id}`,
          ),
          issue_key: { rule: 'cost_tag_missing' },
          title: tagged
            ? `Instance ${id} carries ${REQUIRED_TAG}`
            : `Instance ${id} has no ${REQUIRED_TAG} tag`,
          message: tagged
            ? `${REQUIRED_TAG}=${tags[REQUIRED_TAG]}.`
            : `Instance ${id} (${instance.InstanceType}) cannot be allocated to a cost centre.`,
          tags,
        };
      }
    }),
});

export default definePack({
  meta: { name: 'finops-pack-cost-tags', version: '1.0.0', engine: '^0.1' },
  checkers: [checker],
});
