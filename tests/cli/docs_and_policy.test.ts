import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { discoverCheckers, discoverFixes } from '../../cli/discover.ts';
import { checksMarkdown } from '../../cli/docs.ts';
import { iamPolicy } from '../../cli/iam_policy.ts';
import { main } from '../../runner.ts';
import { fakeEffects } from '../helpers/fake_aws.ts';

describe('docs/checks.md', () => {
  it('is up to date with the checkers (run `npm run docs` when this fails)', async () => {
    const registry = await discoverCheckers();
    const committed = await readFile(new URL('../../docs/checks.md', import.meta.url), 'utf8');
    const fixes = (await discoverFixes()).list();
    expect(committed).toBe(
      checksMarkdown(
        registry.list().filter((c) => !c.meta.id.startsWith('test.')),
        fixes,
      ),
    );
    // Each fix is documented under its check.
    expect(fixes.length).toBeGreaterThan(0);
    for (const fix of fixes) expect(committed).toContain(`- Fix (\`remediate\`): \`${fix.meta.action}\``);
  });

  it('documents every check with its rule, defaults, APIs and pricing basis', async () => {
    const registry = await discoverCheckers();
    const text = checksMarkdown(registry.list());
    for (const { meta } of registry.list()) {
      expect(text).toContain(`## ${meta.id}`);
      expect(text).toContain(meta.pricing);
      for (const name of Object.keys(meta.params))
        expect(text).toContain(`\`${name}\` = ${meta.params[name]!.default}`);
    }
  });
});

describe('iam-policy', () => {
  it('grants exactly the actions of the selected checkers, plus the identity and region calls', async () => {
    const registry = await discoverCheckers();
    const policy = iamPolicy([
      registry.get('aws.ec2.eip.unassociated'),
      registry.get('aws.logs.log.groups.retention.missing'),
    ]);
    expect(policy.Statement[0]!.Action).toEqual([
      'ec2:DescribeAddresses',
      'ec2:DescribeNatGateways',
      'ec2:DescribeRegions',
      'logs:DescribeLogGroups',
      'sts:GetCallerIdentity',
    ]);
    expect(policy.Statement[0]!.Effect).toBe('Allow');
  });

  it('prints a JSON policy from the command line', async () => {
    const { effects, printed } = fakeEffects([]);
    expect(await main(['iam-policy', '--checker', 'aws.rds.snapshots.manual.old'], effects)).toBe(0);
    expect(JSON.parse(printed[0]!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'FinOpsFindingsReadOnly',
          Effect: 'Allow',
          Action: ['ec2:DescribeRegions', 'rds:DescribeDBSnapshots', 'sts:GetCallerIdentity'],
          Resource: '*',
        },
      ],
    });
  });

  it('covers every action of every checker when none is selected', async () => {
    const { effects, printed } = fakeEffects([]);
    expect(await main(['iam-policy'], effects)).toBe(0);
    const actions: string[] = JSON.parse(printed[0]!).Statement[0].Action;
    const registry = await discoverCheckers();
    for (const checker of registry.list())
      for (const a of checker.meta.iam_actions) expect(actions).toContain(a);
  });
});
