/**
 * Which accounts and regions a run scans. Without --accounts/--org: the caller's own account. With them:
 * a role assumed in each account (its failure is recorded, the other accounts go on). Regions: --regions,
 * else each account's enabled regions.
 */
import { shardAccounts, type Shard } from '../pipeline/shards.ts';
import pLimit from 'p-limit';
import type { Bootstrap } from '../checks/_lib/context.ts';
import type { AccountError } from '../pipeline/manifest.ts';
import type { AwsAccess } from './aws.ts';
import { CliError, EXIT } from './errors.ts';
import type { Logger } from './log.ts';

export interface AccountScope {
  readonly accountId: string;
  readonly access: AwsAccess;
  readonly bootstrap: Bootstrap;
  readonly regions: readonly string[];
}

export interface AccountOptions {
  readonly root: AwsAccess;
  readonly homeRegion: string;
  readonly regions: readonly string[] | undefined;
  readonly accounts: readonly string[];
  readonly org: boolean;
  readonly roleName: string | undefined;
  readonly externalId: string | undefined;
  readonly runId: string;
  readonly concurrency: number;
  readonly log: Logger;
  /** With --org: only this shard's slice of the organisation's accounts (see `shardAccounts`). */
  readonly shard?: Shard | undefined;
}

const ACCOUNT_ID = /^\d{12}$/;

export async function resolveAccounts(
  options: AccountOptions,
): Promise<{ scopes: AccountScope[]; errors: AccountError[] }> {
  const caller = await options.root.bootstrap().catch((error: unknown) => {
    throw new CliError(
      `could not identify the AWS account (STS GetCallerIdentity): ${(error as Error).message}. ` +
        'Check your credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and AWS_ENDPOINT_URL.',
      EXIT.failure,
      { cause: error },
    );
  });
  await checkRegionNames(options);
  const many = options.accounts.length > 0 || options.org;
  if (!many) {
    if (options.roleName) throw new CliError('--role-name needs --accounts or --org', EXIT.usage);
    const regions = await regionsOf(options.root, options).catch((error: unknown) => {
      throw new CliError(
        `could not list the enabled regions (EC2 DescribeRegions): ${(error as Error).message}; pass --regions`,
        EXIT.failure,
        { cause: error },
      );
    });
    return {
      scopes: [
        {
          accountId: caller.aws_account_id,
          access: options.root,
          bootstrap: { aws_account_id: caller.aws_account_id },
          regions,
        },
      ],
      errors: [],
    };
  }
  if (!options.roleName)
    throw new CliError(
      '--accounts and --org need --role-name (the role to assume in each account)',
      EXIT.usage,
    );
  const bad = options.accounts.filter((id) => !ACCOUNT_ID.test(id));
  if (bad.length > 0)
    throw new CliError(`not an AWS account id: ${bad.join(', ')} (12 digits expected)`, EXIT.usage);
  const ids = new Set(options.accounts);
  if (options.org) {
    if (!options.root.organizationAccounts)
      throw new CliError('--org is not available with these credentials', EXIT.usage);
    const listed = await options.root.organizationAccounts().catch((error: unknown) => {
      throw new CliError(
        `could not list the organization's accounts (Organizations ListAccounts): ${(error as Error).message}`,
        EXIT.failure,
        { cause: error },
      );
    });
    for (const id of listed) ids.add(id);
    options.log.info({ accounts: listed.length }, 'organization accounts listed');
  }
  // A shard of --org scans its slice of the organisation's accounts, the same slice at every attempt; a shard
  // given --accounts scans those (its slice, as plan-shards cut it).
  const chosen = options.shard && options.org ? shardAccounts([...ids], options.shard) : [...ids].sort();
  if (options.shard)
    options.log.info(
      { shard: `${options.shard.index}/${options.shard.count}`, accounts: chosen.length, of: ids.size },
      'accounts of this shard',
    );
  const partition = /^arn:([^:]+):/.exec(caller.arn ?? '')?.[1] ?? 'aws';
  const sessionName = `finops-findings-${options.runId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  const limit = pLimit(Math.max(1, options.concurrency));
  const results = await Promise.all(
    chosen.map((accountId) =>
      limit(async (): Promise<AccountScope | AccountError> => {
        const roleArn = `arn:${partition}:iam::${accountId}:role/${options.roleName}`;
        try {
          if (!options.root.assumeRole) throw new Error('these credentials cannot assume roles');
          const access = options.root.assumeRole(roleArn, { externalId: options.externalId, sessionName });
          const identity = await access.bootstrap();
          if (identity.aws_account_id !== accountId) {
            throw new Error(`the role answered for account ${identity.aws_account_id}, not ${accountId}`);
          }
          const regions = await regionsOf(access, options);
          return { accountId, access, bootstrap: { aws_account_id: accountId }, regions };
        } catch (error) {
          const message = `could not assume ${roleArn}: ${(error as Error).name}: ${(error as Error).message}`;
          options.log.error({ account: accountId }, message);
          return { account_id: accountId, error: message };
        }
      }),
    ),
  );
  return {
    scopes: results.filter((r): r is AccountScope => 'access' in r),
    errors: results.filter((r): r is AccountError => 'error' in r),
  };
}

/**
 * --regions against the partition's own list (DescribeRegions with AllRegions, in the caller's account): a
 * misspelt or foreign region is a usage error before anything is scanned. If the list cannot be read, the
 * names stand as given (each region's calls will say what is wrong).
 */
async function checkRegionNames(options: AccountOptions): Promise<void> {
  if (!options.regions?.length || !options.root.partitionRegions) return;
  const known = await options.root.partitionRegions().catch((error: unknown) => {
    options.log.warn(
      { err: (error as Error).message },
      'could not list the partition regions (EC2 DescribeRegions); --regions is not checked',
    );
    return [] as string[];
  });
  if (known.length === 0) return;
  const unknown = options.regions.filter((region) => !known.includes(region));
  if (unknown.length > 0) {
    throw new CliError(
      `--regions: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a region' : 'are not regions'} ` +
        `of this AWS partition; known: ${known.join(', ')}`,
      EXIT.usage,
    );
  }
}

async function regionsOf(access: AwsAccess, options: AccountOptions): Promise<string[]> {
  if (options.regions && options.regions.length > 0) return [...options.regions];
  if (!access.enabledRegions) return [options.homeRegion];
  const regions = await access.enabledRegions();
  return regions.length > 0 ? regions : [options.homeRegion];
}
