import { describe, expect, it } from 'vitest';
import { sameAdvice } from '../../dashboard/src/detail.ts';

describe("a finding's detail", () => {
  it('prints a check’s remediation only when it says more than the finding’s recommendation', () => {
    // Pairs the built-in checks write (recommendation, then the check's remediation).
    const same: [string, string][] = [
      [
        'Snapshot it if the data may be needed, then delete the volume.',
        'Snapshot the volume if its data may be needed, then delete it.',
      ],
      [
        'Release the address if nothing depends on it.',
        'Release the Elastic IP if nothing depends on the address.',
      ],
      [
        'Keep an AMI or snapshots if needed, then terminate it and delete its volumes.',
        'Create an AMI or snapshots if needed, then terminate the instance and delete its volumes.',
      ],
      ['Delete it.', 'Delete it.'],
    ];
    const different: [string, string][] = [
      [
        'Set a retention period, e.g. 30 days.',
        'Set a retention period (PutRetentionPolicy) that matches how long the logs are needed.',
      ],
      [
        'Change the volume type to gp3 (ModifyVolume, no downtime).',
        'Delete snapshots no retention policy requires; move long-term ones to the archive tier.',
      ],
    ];
    for (const [recommendation, remediation] of same)
      expect(sameAdvice(recommendation, remediation), remediation).toBe(true);
    for (const [recommendation, remediation] of different)
      expect(sameAdvice(recommendation, remediation), remediation).toBe(false);
  });
});
