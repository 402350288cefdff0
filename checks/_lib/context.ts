/** What a checker factory receives: the run's immutable context and bootstrap facts. */
import type { S3Client } from '@aws-sdk/client-s3';

/** SDK clients built by the runner; checkers ask for one, they never build or configure their own. */
export interface AwsServices {
  s3(region: string): S3Client;
}

export interface RunContext {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly runId: string;
  readonly runTs: Date;
  readonly engineVersion: string;
  readonly regions: readonly string[];
  readonly services: AwsServices;
}

export interface Bootstrap {
  /** The scanned account, from STS GetCallerIdentity. */
  readonly aws_account_id: string;
  readonly billing_account_id?: string;
}
