/** The least-privilege IAM policy for a set of checkers, built from their metadata. */
import type { FixDefinition } from '../checks/_lib/fixes.ts';
import type { RegisteredChecker } from '../checks/_lib/registry.ts';

/** What the runner itself calls, whatever the checkers. */
/** (`ec2:DescribeRegions`: each account's enabled regions, when --regions is not given.) */
const RUNNER_ACTIONS = ['ec2:DescribeRegions', 'sts:GetCallerIdentity'];

/**
 * The policy of the selected checkers; with `fixes`, a second statement for the fixes of those checkers (what
 * `remediate apply` calls: it changes resources, so it is a statement of its own, to grant to another role).
 */
export function iamPolicy(checkers: readonly RegisteredChecker[], fixes?: readonly FixDefinition[]) {
  const actions = new Set(RUNNER_ACTIONS);
  for (const checker of checkers) for (const action of checker.meta.iam_actions) actions.add(action);
  const selected = new Set(checkers.map((checker) => checker.meta.id));
  const fixActions = new Set<string>();
  for (const fix of fixes ?? [])
    if (selected.has(fix.meta.check_id)) for (const action of fix.meta.iam_actions) fixActions.add(action);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FinOpsFindingsReadOnly',
        Effect: 'Allow',
        Action: [...actions].sort(),
        Resource: '*',
      },
      ...(fixes
        ? [
            {
              Sid: 'FinOpsFindingsRemediation',
              Effect: 'Allow',
              Action: [...fixActions, 'sts:GetCallerIdentity'].sort(),
              Resource: '*',
            },
          ]
        : []),
    ],
  };
}
