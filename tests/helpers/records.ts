/** Fixed inputs for contract and pipeline tests. */
import { assembleFinding, type RunFacts } from '../../contracts/assemble.ts';
import type { CheckerMeta } from '../../contracts/checker_meta.ts';
import type { FindingDraft } from '../../contracts/draft.ts';
import type { FindingRecord } from '../../contracts/record.ts';

export const META: CheckerMeta = {
  id: 'aws.test.example.check',
  title: 'Example check',
  cloud: 'aws',
  service: 'AmazonEC2',
  resource_type: 'ebs_volume',
  category: 'compute',
  severity: 'medium',
  iam_actions: ['ec2:DescribeVolumes'],
  rule: 'An example rule.',
  remediation: 'Fix it.',
  docs_url: 'https://docs.aws.amazon.com/example',
  pricing: 'none',
  params: {},
  regional: true,
};

export const RUN: RunFacts = {
  tenantId: 'acme',
  workspaceId: 'default',
  runId: 'run-2026-11-22T10:00:00.000Z-0001',
  runTs: new Date('2026-11-22T10:00:00.000Z'),
  ingestedTs: new Date('2026-11-22T10:00:05.000Z'),
  engineName: 'finops-findings',
  engineVersion: '0.1.0',
  rulepackVersion: '0.1.0',
  findingIdMode: 'stable',
};

export const DRAFT: FindingDraft = {
  status: 'fail',
  scope: {
    account_id: '123456789012',
    region: 'eu-west-3',
    resource_id: 'vol-0abc',
    resource_arn: 'arn:aws:ec2:eu-west-3:123456789012:volume/vol-0abc',
  },
  issue_key: { rule: 'unattached' },
  title: 'Volume vol-0abc is unattached',
  estimated: { monthly_cost: '10', monthly_savings: '0.1', confidence: 80, notes: '100 GiB gp2 at $0.10' },
  tags: { env: 'prod' },
  metrics: { size_gib: '100' },
};

export function validRecord(draft: FindingDraft = DRAFT, run: RunFacts = RUN): FindingRecord {
  const assembled = assembleFinding(draft, META, run);
  if (!assembled.ok) throw new Error(JSON.stringify(assembled.issues));
  return assembled.record;
}
