/** The least-privilege IAM policy for a set of checkers, built from their metadata. */
import type { RegisteredChecker } from '../checks/_lib/registry.ts';

/** What the runner itself calls, whatever the checkers. */
/** (`ec2:DescribeRegions`: each account's enabled regions, when --regions is not given.) */
const RUNNER_ACTIONS = ['ec2:DescribeRegions', 'sts:GetCallerIdentity'];

export function iamPolicy(checkers: readonly RegisteredChecker[]) {
  const actions = new Set(RUNNER_ACTIONS);
  for (const checker of checkers) for (const action of checker.meta.iam_actions) actions.add(action);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FinOpsFindingsReadOnly',
        Effect: 'Allow',
        Action: [...actions].sort(),
        Resource: '*',
      },
    ],
  };
}
