import { defineFix, PlanOptionError, registerFix } from '../_lib/fixes.ts';
import { logs } from '../_lib/sdk.ts';

/** The retention periods CloudWatch Logs accepts, in days. */
const ALLOWED_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const fix = defineFix({
  meta: {
    check_id: 'aws.logs.log.groups.retention.missing',
    action: 'set_log_retention',
    summary: 'Set a retention period on the log group (events older than it are deleted by CloudWatch Logs)',
    iam_actions: ['logs:DescribeLogGroups', 'logs:PutRetentionPolicy'],
  },
  parameters: (_target, options) => {
    if (!ALLOWED_DAYS.includes(options.retentionDays))
      throw new PlanOptionError(
        `--retention-days ${options.retentionDays} is not a retention CloudWatch Logs accepts (${ALLOWED_DAYS.join(', ')})`,
      );
    return { retention_days: options.retentionDays };
  },
  async apply(ctx, entry) {
    const { DescribeLogGroupsCommand, PutRetentionPolicyCommand } = await logs();
    const client = ctx.services.logs(entry.region);
    const { logGroups } = await client.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: entry.resource_id }),
    );
    const group = logGroups?.find((g) => g.logGroupName === entry.resource_id);
    if (!group) return { status: 'skipped_drift', before: {}, note: 'the log group no longer exists' };
    const before = { retention_days: group.retentionInDays ?? null, stored_bytes: group.storedBytes ?? null };
    if (group.retentionInDays)
      return {
        status: 'skipped_drift',
        before,
        note: `the log group has a retention now (${group.retentionInDays} days)`,
      };
    // The check records no tags for a log group: there are none to compare.
    if (ctx.dryRun)
      return {
        status: 'dry_run_ok',
        before,
        note: 'PutRetentionPolicy has no DryRun: the log group was read, the permission to change it not checked',
      };
    const days = Number(entry.parameters['retention_days']);
    await client.send(
      new PutRetentionPolicyCommand({ logGroupName: entry.resource_id, retentionInDays: days }),
    );
    return { status: 'succeeded', before, after: { retention_days: days } };
  },
});

registerFix(fix, import.meta.url);
