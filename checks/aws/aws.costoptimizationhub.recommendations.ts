import type { Recommendation } from '@aws-sdk/client-cost-optimization-hub';
import { AWS_RECOMMENDATION_SOURCE } from '../../contracts/vocabulary.ts';
import { isAccessDenied } from '../_lib/aws.ts';
import { scopeOf, tagMap } from '../_lib/drafts.ts';
import { collect } from '../_lib/paging.ts';
import { big, money } from '../_lib/pricing.ts';
import { defineChecker, registerChecker } from '../_lib/registry.ts';
import * as sdk from '../_lib/sdk.ts';

/** Cost Optimization Hub is served from us-east-1 for every region. */
const HUB_REGION = 'us-east-1';

/** Recommendation resource types → the service and resource type names the native checks use. */
const RESOURCE_TYPES: Readonly<Record<string, [service: string, resourceType: string]>> = {
  Ec2Instance: ['AmazonEC2', 'ec2_instance'],
  Ec2AutoScalingGroup: ['AmazonEC2', 'autoscaling_group'],
  EbsVolume: ['AmazonEC2', 'ebs_volume'],
  EcsService: ['AmazonECS', 'ecs_service'],
  LambdaFunction: ['AWSLambda', 'lambda_function'],
  RdsDbInstance: ['AmazonRDS', 'db_instance'],
  RdsDbInstanceStorage: ['AmazonRDS', 'db_instance'],
  AuroraDbClusterStorage: ['AmazonRDS', 'db_cluster'],
  DynamoDbReservedCapacity: ['AmazonDynamoDB', 'reservation'],
  Ec2ReservedInstances: ['AmazonEC2', 'reservation'],
  RdsReservedInstances: ['AmazonRDS', 'reservation'],
  ComputeSavingsPlans: ['AWSSavingsPlans', 'savings_plan'],
  Ec2InstanceSavingsPlans: ['AWSSavingsPlans', 'savings_plan'],
  SageMakerSavingsPlans: ['AWSSavingsPlans', 'savings_plan'],
};

const amount = (value: number | undefined): string => (value === undefined ? '' : money(big(value)));
const flag = (value: boolean | undefined): string => (value === undefined ? '' : String(value));

export const checker = defineChecker({
  meta: {
    id: 'aws.costoptimizationhub.recommendations',
    title: "AWS Cost Optimization Hub's recommendation",
    cloud: 'aws',
    service: 'AWSCostOptimizationHub',
    resource_type: 'recommendation',
    category: 'recommendation',
    severity: 'medium',
    iam_actions: [
      'cost-optimization-hub:ListEnrollmentStatuses',
      'cost-optimization-hub:ListRecommendations',
    ],
    rule: "Each of AWS Cost Optimization Hub's current recommendations for the account (rightsizing, stopping, upgrading, Graviton, commitments), with AWS's own monthly saving, which accounts for the account's discounts. An account that is not enrolled is reported unknown; it is never enrolled by this engine.",
    remediation:
      'Review the recommendation in the Cost Optimization Hub console and apply it; its effort, restart and rollback are in the finding.',
    docs_url: 'https://docs.aws.amazon.com/cost-management/latest/userguide/cost-optimization-hub.html',
    regional: false,
    example: {
      given:
        'Cost Optimization Hub recommends rightsizing the m5.xlarge `batch-idle` to m5.large: $52.56 of its $105.12 a month (the account pays 25% below list)',
      dollars:
        "AWS's figure as given, $52.56/month; the export shows it beside the native rightsizing finding for the same instance ($70.08 at list price) and counts the saving once",
      monthly_savings: '52.560000',
      demo: 'instances.idle',
    },
    pricing:
      "AWS's estimatedMonthlySavings and estimatedMonthlyCost, as given (they include the account's discounts)",
  },
  create: async function* (ctx, bootstrap) {
    const hub = await sdk.costOptimizationHub();
    const client = ctx.services.costOptimizationHub(HUB_REGION);
    const account = bootstrap.aws_account_id;
    const unknown = (reason: string, why: string) => ({
      status: 'unknown' as const,
      scope: { ...scopeOf(bootstrap, HUB_REGION, account, ''), resource_type: 'aws_account' },
      issue_key: { rule: 'recommendations_unreadable' },
      title: `Cost Optimization Hub could not be read for account ${account}`,
      message: why,
      dimensions: { unknown_reason: reason },
    });
    let recommendations: Recommendation[];
    try {
      const statuses = await collect(
        hub.paginateListEnrollmentStatuses({ client }, { accountId: account }),
        (p) => p.items,
      );
      if (!statuses.some((s) => s.status === 'Active')) {
        yield unknown(
          'not_enrolled',
          `Account ${account} is not enrolled in Cost Optimization Hub, so AWS makes no recommendations for it. Enrol it in the console (this engine never does) to see them here.`,
        );
        return;
      }
      recommendations = await collect(
        hub.paginateListRecommendations({ client }, { filter: { accountIds: [account] } }),
        (p) => p.items,
      );
    } catch (error) {
      if (!isAccessDenied(error)) throw error;
      yield unknown(
        'access_denied',
        `${(error as Error).name}: ${(error as Error).message}. Grant the IAM actions listed by \`runner.ts iam-policy\`.`,
      );
      return;
    }
    for (const r of recommendations) {
      const [service, resourceType] = RESOURCE_TYPES[r.currentResourceType ?? ''] ?? [
        'AWSCostOptimizationHub',
        (r.currentResourceType ?? 'resource').toLowerCase(),
      ];
      const region = r.region || HUB_REGION;
      const resourceId = r.resourceId || r.recommendationId || '';
      const change = [r.currentResourceSummary, r.recommendedResourceSummary].filter(Boolean).join(' → ');
      yield {
        status: 'fail',
        scope: {
          ...scopeOf(bootstrap, region, resourceId, r.resourceArn ?? ''),
          service,
          resource_type: resourceType,
        },
        // AWS's facts about the resource; the recommendation id and figures change with each refresh.
        issue_key: { rule: 'aws_recommendation', action_type: r.actionType ?? '' },
        source_ref: r.recommendationId ?? '',
        title: `${r.actionType ?? 'Recommendation'} for ${resourceId}${change ? `: ${change}` : ''}`,
        message: `AWS Cost Optimization Hub recommends: ${r.actionType ?? 'a change'} for ${r.currentResourceType ?? 'a resource'} ${resourceId} in ${region}${change ? ` (${change})` : ''}.`,
        recommendation: `${r.actionType ?? 'Apply the recommendation'}${r.recommendedResourceType ? ` to ${r.recommendedResourceType}` : ''}; effort ${r.implementationEffort ?? 'unknown'}, restart ${r.restartNeeded ? 'needed' : 'not needed'}.`,
        tags: tagMap(r.tags?.map((t) => ({ Key: t.key, Value: t.value }))),
        estimated: {
          monthly_savings: amount(r.estimatedMonthlySavings),
          monthly_cost: amount(r.estimatedMonthlyCost),
          confidence: 80,
          notes: `AWS's estimate (${r.currencyCode ?? 'USD'}, over a ${r.recommendationLookbackPeriodInDays ?? '?'}-day lookback), which includes the account's discounts.`,
        },
        dimensions: {
          savings_source: AWS_RECOMMENDATION_SOURCE,
          action_type: r.actionType ?? '',
          implementation_effort: r.implementationEffort ?? '',
          restart_needed: flag(r.restartNeeded),
          rollback_possible: flag(r.rollbackPossible),
          current_resource_type: r.currentResourceType ?? '',
          ...(r.recommendedResourceType ? { recommended_resource_type: r.recommendedResourceType } : {}),
          currency: r.currencyCode ?? 'USD',
        },
      };
    }
  },
});

registerChecker(checker, import.meta.url);
