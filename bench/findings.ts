/**
 * Deterministic, realistic wire findings for the benchmark: several checks, accounts and regions, nested
 * scope, severities, estimates as decimal strings, tags, metrics. The same seed gives the same findings.
 */
import type { CheckerMeta } from '../contracts/checker_meta.ts';
import type { FindingDraft } from '../contracts/draft.ts';

const CHECKS: readonly Pick<
  CheckerMeta,
  'id' | 'title' | 'service' | 'resource_type' | 'category' | 'severity'
>[] = [
  {
    id: 'aws.ec2.ebs.unattached.volume',
    title: 'Unattached EBS volume',
    service: 'AmazonEC2',
    resource_type: 'ebs_volume',
    category: 'waste',
    severity: 'medium',
  },
  {
    id: 'aws.ec2.ebs.gp2.to.gp3',
    title: 'gp2 volume that would be cheaper as gp3',
    service: 'AmazonEC2',
    resource_type: 'ebs_volume',
    category: 'rightsizing',
    severity: 'low',
  },
  {
    id: 'aws.ec2.eip.unassociated',
    title: 'Unassociated Elastic IP',
    service: 'AmazonEC2',
    resource_type: 'elastic_ip',
    category: 'waste',
    severity: 'low',
  },
  {
    id: 'aws.rds.instances.idle',
    title: 'Idle RDS instance',
    service: 'AmazonRDS',
    resource_type: 'db_instance',
    category: 'waste',
    severity: 'high',
  },
  {
    id: 'aws.s3.governance.lifecycle.missing',
    title: 'Bucket without lifecycle',
    service: 'AmazonS3',
    resource_type: 's3_bucket',
    category: 'governance',
    severity: 'medium',
  },
  {
    id: 'aws.logs.log.groups.retention.missing',
    title: 'Log group without retention',
    service: 'AmazonCloudWatch',
    resource_type: 'log_group',
    category: 'governance',
    severity: 'low',
  },
];
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
];
const TEAMS = ['payments', 'search', 'platform', 'data', 'growth', 'identity'];
const ENVS = ['prod', 'staging', 'dev'];

export const BENCH_METAS: readonly CheckerMeta[] = CHECKS.map((check) => ({
  ...check,
  cloud: 'aws',
  iam_actions: ['ec2:DescribeVolumes'],
  rule: 'A benchmark rule.',
  remediation: 'Fix it.',
  docs_url: 'https://docs.aws.amazon.com/',
  pricing: 'none',
  params: {},
  regional: true,
}));

/** mulberry32 */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchFinding {
  readonly meta: CheckerMeta;
  readonly draft: FindingDraft;
}

/** Findings one at a time (memory stays flat however many are asked for). */
export function* benchFindings(count: number, seed = 42): Generator<BenchFinding> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  for (let i = 0; i < count; i += 1) {
    const meta = BENCH_METAS[Math.floor(next() * BENCH_METAS.length)]!;
    const region = pick(REGIONS);
    const account = String(100000000000 + Math.floor(next() * 40));
    const id = `${meta.resource_type.slice(0, 3)}-${((i * 2654435761) % 4294967296).toString(16).padStart(8, '0')}${i.toString(16)}`;
    const fail = next() < 0.7;
    const cost = (next() * 800).toFixed(6);
    const savings = (Number(cost) * (0.5 + next() / 2)).toFixed(6);
    yield {
      meta,
      draft: {
        status: fail ? 'fail' : 'pass',
        scope: {
          account_id: account,
          region,
          availability_zone: `${region}a`,
          resource_id: id,
          resource_arn: `arn:aws:ec2:${region}:${account}:volume/${id}`,
        },
        issue_key: { rule: meta.id, resource: id },
        title: `${meta.title}: ${id}`,
        message: fail ? `${id} in ${region} costs ${cost} USD a month and is not used.` : '',
        ...(fail
          ? {
              estimated: {
                monthly_cost: cost,
                monthly_savings: savings,
                confidence: 80,
                notes: 'list price × size',
              },
            }
          : {}),
        tags: { team: pick(TEAMS), env: pick(ENVS), 'cost-center': String(1000 + Math.floor(next() * 50)) },
        dimensions: { savings_source: fail ? 'price_table' : 'none' },
        metrics: { size_gib: String(Math.floor(next() * 2000)), age_days: String(Math.floor(next() * 900)) },
      },
    };
  }
}
