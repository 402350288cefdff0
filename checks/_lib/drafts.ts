/** Small builders shared by checkers: scopes, tags, ages, parameters, and the per-region loop. */
import type { CheckerMeta } from '../../contracts/checker_meta.ts';
import type { DraftScope, FindingDraft } from '../../contracts/draft.ts';
import { errorName, isAccessDenied, isRegionUnavailable, partitionOf } from './aws.ts';
import type { Bootstrap, RunContext } from './context.ts';

export function scopeOf(
  bootstrap: Bootstrap,
  region: string,
  resourceId: string,
  resourceArn: string,
  availabilityZone?: string,
): DraftScope {
  return {
    account_id: bootstrap.aws_account_id,
    ...(bootstrap.billing_account_id ? { billing_account_id: bootstrap.billing_account_id } : {}),
    provider_partition: partitionOf(region),
    region,
    ...(availabilityZone ? { availability_zone: availabilityZone } : {}),
    resource_id: resourceId,
    resource_arn: resourceArn,
  };
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; pass '' for parts a resource type omits. */
export const arn = (service: string, region: string, account: string, resource: string): string =>
  `arn:${partitionOf(region)}:${service}:${region}:${account}:${resource}`;

export function tagMap(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

const DAY_MS = 86_400_000;

/** Whole days from `since` to `now`, or undefined when `since` is unknown. */
export function ageDays(since: Date | string | number | undefined, now: Date): number | undefined {
  if (since === undefined) return undefined;
  const ms = new Date(since).getTime();
  return Number.isNaN(ms) ? undefined : Math.floor((now.getTime() - ms) / DAY_MS);
}

/** A checker's parameters as its metadata declares them: each at its default. */
export const defaultParams = (meta: CheckerMeta): Record<string, number> =>
  Object.fromEntries(Object.entries(meta.params).map(([name, p]) => [name, p.default]));

/** The checker's parameters for this run: defaults from its metadata, overridden with --set. */
export function paramsOf(ctx: RunContext, meta: CheckerMeta): Record<string, number> {
  return { ...defaultParams(meta), ...ctx.params[meta.id] };
}

/** An `unknown` finding for a region (or API) the scanning identity may not read. */
function regionUnreadable(bootstrap: Bootstrap, region: string, error: unknown): FindingDraft {
  const reason = `${errorName(error)}: ${(error as Error).message}`;
  return {
    status: 'unknown',
    scope: { ...scopeOf(bootstrap, region, region, ''), resource_type: 'aws_region' },
    issue_key: { rule: 'region_unreadable' },
    title: `Region ${region} could not be examined`,
    message: `The listing this check needs failed in ${region} (${reason}); resources there were not examined.`,
    recommendation:
      'Grant the IAM actions listed by `runner.ts iam-policy`, or enable the region, then run again.',
    dimensions: { unknown_reason: isAccessDenied(error) ? 'access_denied' : 'region_unavailable' },
  };
}

/**
 * Runs a scan in every region of the run. Access denied or a region that is not enabled becomes an
 * `unknown` finding for that region, and the other regions go on; any other error fails the checker.
 */
export async function* eachRegion(
  ctx: RunContext,
  bootstrap: Bootstrap,
  scan: (region: string) => AsyncIterable<FindingDraft>,
): AsyncGenerator<FindingDraft> {
  for (const region of ctx.regions) {
    try {
      yield* scan(region);
    } catch (error) {
      if (!isAccessDenied(error) && !isRegionUnavailable(error)) throw error;
      yield regionUnreadable(bootstrap, region, error);
    }
  }
}
