/** What a checker factory receives: the run's immutable context and bootstrap facts. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CostOptimizationHubClient } from '@aws-sdk/client-cost-optimization-hub';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Inventory } from './inventory.ts';

/** SDK clients built by the runner; checkers ask for one, they never build or configure their own. */
export interface AwsServices {
  s3(region: string): S3Client;
  ec2(region: string): EC2Client;
  cloudwatch(region: string): CloudWatchClient;
  elbv2(region: string): ElasticLoadBalancingV2Client;
  logs(region: string): CloudWatchLogsClient;
  rds(region: string): RDSClient;
  ecr(region: string): ECRClient;
  dynamodb(region: string): DynamoDBClient;
  /** Cost Optimization Hub answers from us-east-1 only, for every region of the account. */
  costOptimizationHub(region: string): CostOptimizationHubClient;
}

/** Checker parameters by checker id (thresholds), already merged with the declared defaults by the runner. */
export type CheckerParams = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface RunContext {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly runId: string;
  /** "Now" for every age and metric window, so backfills and tests see a consistent clock. */
  readonly runTs: Date;
  readonly engineVersion: string;
  readonly regions: readonly string[];
  readonly services: AwsServices;
  /** Listings shared by all checkers of the run: each is fetched once per account and region. */
  readonly inventory: Inventory;
  readonly params: CheckerParams;
}

export interface Bootstrap {
  /** The scanned account, from STS GetCallerIdentity. */
  readonly aws_account_id: string;
  readonly billing_account_id?: string;
}
