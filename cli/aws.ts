/**
 * The one place that builds AWS SDK clients: per account (the caller's credentials, or a role assumed in
 * another account) and per region, with bounded adaptive retries. Standard configuration (AWS_PROFILE,
 * AWS_REGION, AWS_ENDPOINT_URL) is read by the SDK itself.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CostOptimizationHubClient } from '@aws-sdk/client-cost-optimization-hub';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsServices, Bootstrap } from '../checks/_lib/context.ts';

type AwsCredentialIdentityProvider = ReturnType<typeof fromTemporaryCredentials>;

/** What the runner needs from AWS for one account. The optional parts have fallbacks (tests' fakes omit them). */
export interface AwsAccess {
  readonly services: AwsServices;
  /** STS GetCallerIdentity: the account, and the caller's ARN (its partition names role ARNs). */
  bootstrap(): Promise<Bootstrap & { arn?: string }>;
  /** The account's enabled regions (EC2 DescribeRegions). */
  enabledRegions?(): Promise<string[]>;
  /** Every region of the account's partition, enabled or not (EC2 DescribeRegions AllRegions). */
  partitionRegions?(): Promise<string[]>;
  /** Active accounts of the organization (Organizations ListAccounts). */
  organizationAccounts?(): Promise<string[]>;
  /** The same access through a role assumed in another account; credentials refresh themselves. */
  assumeRole?(roleArn: string, options: { externalId?: string | undefined; sessionName: string }): AwsAccess;
}

// Throttling is retried by the SDK's adaptive mode (client-side rate limiting), a bounded number of times.
const COMMON = { retryMode: 'adaptive', maxAttempts: 6 } as const;

/** One client per region and service, built on first use. */
function perRegion<C>(make: (region: string) => C): (region: string) => C {
  const clients = new Map<string, C>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = make(region);
      clients.set(region, client);
    }
    return client;
  };
}

function regionNames(regions: readonly { RegionName?: string | undefined }[]): string[] {
  return regions
    .map((r) => r.RegionName)
    .filter((name): name is string => Boolean(name))
    .sort();
}

export function createAwsServices(
  homeRegion: string,
  credentials?: AwsCredentialIdentityProvider,
): AwsAccess {
  const s3Endpoint = process.env['AWS_ENDPOINT_URL_S3'] ?? process.env['AWS_ENDPOINT_URL'];
  const common = { ...COMMON, ...(credentials ? { credentials } : {}) };
  const services: AwsServices = {
    // A custom endpoint (a local emulator, an S3-compatible store) cannot resolve bucket subdomains.
    s3: perRegion(
      (region) =>
        new S3Client({
          ...common,
          region,
          followRegionRedirects: true,
          ...(s3Endpoint ? { forcePathStyle: true } : {}),
        }),
    ),
    ec2: perRegion((region) => new EC2Client({ ...common, region })),
    cloudwatch: perRegion((region) => new CloudWatchClient({ ...common, region })),
    elbv2: perRegion((region) => new ElasticLoadBalancingV2Client({ ...common, region })),
    logs: perRegion((region) => new CloudWatchLogsClient({ ...common, region })),
    rds: perRegion((region) => new RDSClient({ ...common, region })),
    ecr: perRegion((region) => new ECRClient({ ...common, region })),
    dynamodb: perRegion((region) => new DynamoDBClient({ ...common, region })),
    costOptimizationHub: perRegion((region) => new CostOptimizationHubClient({ ...common, region })),
  };
  return {
    services,
    async bootstrap() {
      const sts = new STSClient({ ...common, region: homeRegion });
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      if (!identity.Account) throw new Error('STS GetCallerIdentity returned no account id');
      return { aws_account_id: identity.Account, ...(identity.Arn ? { arn: identity.Arn } : {}) };
    },
    async enabledRegions() {
      const answer = await services.ec2(homeRegion).send(new DescribeRegionsCommand({ AllRegions: false }));
      return regionNames((answer.Regions ?? []).filter((r) => r.OptInStatus !== 'not-opted-in'));
    },
    async partitionRegions() {
      const answer = await services.ec2(homeRegion).send(new DescribeRegionsCommand({ AllRegions: true }));
      return regionNames(answer.Regions ?? []);
    },
    async organizationAccounts() {
      const client = new OrganizationsClient({ ...common, region: homeRegion });
      const ids: string[] = [];
      for await (const page of paginateListAccounts({ client }, {})) {
        for (const account of page.Accounts ?? []) {
          const state = (account as { State?: string }).State ?? account.Status;
          if (account.Id && state === 'ACTIVE') ids.push(account.Id);
        }
      }
      return ids.sort();
    },
    assumeRole(roleArn, { externalId, sessionName }) {
      const provider = fromTemporaryCredentials({
        params: {
          RoleArn: roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: 3600,
          ...(externalId ? { ExternalId: externalId } : {}),
        },
        clientConfig: { ...COMMON, region: homeRegion },
        ...(credentials ? { masterCredentials: credentials } : {}),
      });
      return createAwsServices(homeRegion, provider);
    },
  };
}
