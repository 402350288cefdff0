/**
 * Every checker against the AWS emulator: a seeded estate, the real runner in process with real SDK
 * clients (instrumented to count API calls), and a table of expected findings read back from Parquet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsServices } from '../../checks/_lib/context.ts';
import { createAwsServices } from '../../cli/aws.ts';
import { main, type RunnerEffects } from '../../runner.ts';
import { DEMO_BUCKETS, seedDemoEstate, type DemoIds } from '../../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../../scripts/moto_server.ts';
import { query } from '../helpers/duckdb.ts';

let moto: MotoServer;
let estate: DemoIds;
let dir: string;
const savedEnv = { ...process.env };
const calls = new Map<string, number>();

type Middleware = (
  next: (args: unknown) => unknown,
  context: { commandName: string },
) => (args: unknown) => unknown;
interface CountableClient {
  middlewareStack: { add(middleware: Middleware, options: { step: 'initialize' }): void };
}

/** Real clients for the emulator, each counting the commands it sends. */
function countingEffects(): RunnerEffects {
  const counted = new WeakSet<object>();
  return {
    now: () => new Date(),
    newId: () => crypto.randomUUID(),
    print: () => undefined,
    logger: () => pino({ level: 'silent' }),
    awsServices: (home) => {
      const real = createAwsServices(home);
      const services = Object.fromEntries(
        Object.entries(real.services).map(([name, get]) => [
          name,
          (region: string) => {
            const client = (get as (r: string) => CountableClient)(region);
            if (!counted.has(client)) {
              counted.add(client);
              client.middlewareStack.add(
                (next, context) => (args) => {
                  calls.set(context.commandName, (calls.get(context.commandName) ?? 0) + 1);
                  return next(args);
                },
                { step: 'initialize' },
              );
            }
            return client;
          },
        ]),
      ) as unknown as AwsServices;
      return { services, bootstrap: real.bootstrap };
    },
  };
}

async function run(out: string, extra: string[] = [], runTs = estate.runTs): Promise<number> {
  calls.clear();
  const args = ['--tenant', 'acme', '--out', out, '--regions', 'us-east-1', '--run-ts', runTs.toISOString()];
  return main([...args, ...extra], countingEffects());
}

interface Row {
  check_id: string;
  resource_id: string;
  status: string;
  savings: string | null;
  cost: string | null;
  source: string | null;
  message: string | null;
}

const findings = async (out: string): Promise<Row[]> =>
  (await query(
    `SELECT check_id, scope.resource_id AS resource_id, status, estimated.monthly_savings::VARCHAR AS savings,
            estimated.monthly_cost::VARCHAR AS cost, dimensions['savings_source'] AS source, message
     FROM read_parquet($glob) ORDER BY ALL`,
    { glob: join(out, '**', '*.parquet') },
  )) as unknown as Row[];

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  estate = await seedDemoEstate(moto);
  dir = await mkdtemp(join(tmpdir(), 'checks-'));
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('checkers against the emulator, run dated 100 days after the estate was built', () => {
  let rows: Row[];
  const apiCalls = new Map<string, number>();
  beforeAll(async () => {
    expect(await run(join(dir, 'main'), ['--page-size', '1'])).toBe(0);
    for (const [k, v] of calls) apiCalls.set(k, v);
    rows = await findings(join(dir, 'main'));
  });

  const find = (check: string, resource: string) =>
    rows.filter((r) => r.check_id === check && r.resource_id === resource);

  // [check, resource, status, monthly savings (null: no price known)]
  const cases = (): [string, string, string, string | null][] => [
    ['aws.ec2.ebs.unattached.volume', estate.volumes.unattached, 'fail', '10.000000'],
    ['aws.ec2.ebs.unattached.volume', estate.volumes.io1Unattached, 'fail', '285.000000'],
    ['aws.ec2.ebs.unattached.volume', estate.volumes.data, 'pass', null],
    ['aws.ec2.ebs.gp2.to.gp3', estate.volumes.data, 'fail', '5.000000'],
    ['aws.ec2.ebs.old.snapshot', estate.snapshots.old, 'fail', '5.000000'],
    ['aws.ec2.eip.unassociated', estate.addresses.unassociated, 'fail', '3.650000'],
    ['aws.ec2.eip.unassociated', estate.addresses.associated, 'pass', null],
    ['aws.ec2.instances.stopped.long', estate.instances.stopped, 'fail', '0.800000'],
    ['aws.ec2.instances.old.generation', estate.instances.web, 'fail', '2.920000'],
    ['aws.ec2.instances.old.generation', estate.instances.idle, 'pass', null],
    ['aws.ec2.instances.underutilized', estate.instances.idle, 'fail', '70.080000'],
    ['aws.ec2.instances.underutilized', estate.instances.web, 'pass', null],
    ['aws.ec2.nat.gateways.idle', estate.natGateway, 'fail', '32.850000'],
    ['aws.elbv2.load.balancers.no.targets', estate.loadBalancers.empty, 'fail', '16.425000'],
    ['aws.elbv2.load.balancers.no.targets', estate.loadBalancers.served, 'pass', null],
    ['aws.logs.log.groups.retention.missing', estate.logGroups.forever, 'fail', '0.000000'],
    ['aws.logs.log.groups.retention.missing', estate.logGroups.kept, 'pass', null],
    ['aws.rds.instances.idle', estate.db.idle, 'fail', '61.140000'],
    ['aws.rds.instances.idle', estate.db.busy, 'pass', null],
    ['aws.rds.snapshots.manual.old', estate.db.snapshot, 'fail', '9.500000'],
    ['aws.ec2.ebs.io1.io2.to.gp3', estate.volumes.io1Attached, 'fail', '184.500000'],
    ['aws.ec2.ebs.io1.io2.to.gp3', estate.volumes.io1TooFast, 'pass', null],
    ['aws.ec2.ebs.snapshots.orphaned', estate.snapshots.orphaned, 'fail', '2.000000'],
    ['aws.ec2.ebs.snapshots.orphaned', estate.snapshots.old, 'pass', null],
    // Counted once: the orphaned snapshot is old too, and the old-snapshot check leaves its saving to the other.
    ['aws.ec2.ebs.old.snapshot', estate.snapshots.orphaned, 'fail', '0.000000'],
    ['aws.ec2.instances.graviton.candidate', estate.instances.api, 'fail', '9.125000'],
    ['aws.ec2.instances.graviton.candidate', estate.instances.idle, 'fail', '0.000000'],
    ['aws.ec2.instances.graviton.candidate', estate.instances.web, 'pass', null],
    ['aws.ec2.vpc.endpoints.idle', estate.vpcEndpoints.idle, 'fail', '14.600000'],
    ['aws.ec2.vpc.endpoints.idle', estate.vpcEndpoints.busy, 'pass', null],
    ['aws.ecr.repositories.lifecycle.missing', 'legacy-worker', 'fail', '0.250000'],
    ['aws.ecr.repositories.lifecycle.missing', 'app-images', 'pass', null],
    ['aws.dynamodb.tables.provisioned.idle', 'sessions-v1', 'fail', '33.215000'],
    ['aws.dynamodb.tables.provisioned.idle', 'orders-v2', 'pass', null],
    ['aws.costoptimizationhub.recommendations', estate.instances.idle, 'fail', '52.560000'],
    ['aws.costoptimizationhub.recommendations', 'thumbnailer', 'fail', '3.200000'],
    ['aws.s3.governance.lifecycle.missing', 'acme-app-logs', 'fail', null],
    ['aws.s3.governance.lifecycle.missing', 'acme-backups', 'pass', null],
    ['aws.s3.multipart.abort.missing', 'acme-data-lake-raw', 'fail', null],
    ['aws.s3.multipart.abort.missing', 'acme-static-site', 'pass', null],
    ['aws.s3.versioned.noncurrent.expiration.missing', 'acme-data-lake-raw', 'fail', null],
    ['aws.s3.versioned.noncurrent.expiration.missing', 'acme-backups', 'pass', null],
  ];

  it('computes the worked example of every check in docs/checks.md', async () => {
    const { registry } = await import('../../checks/_lib/registry.ts');
    const checks = registry.list().filter((c) => c.module.includes('/checks/aws/'));
    expect(checks.length).toBeGreaterThanOrEqual(16);
    for (const { meta } of checks) {
      expect(meta.example, `${meta.id} has a worked example`).toBeDefined();
      const { demo, monthly_savings } = meta.example!;
      // `bucket:<name>`, `repository:<name>`, `table:<name>`, or a path in the estate's ids.
      const resource = demo.includes(':')
        ? demo.slice(demo.indexOf(':') + 1)
        : (demo.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], estate) as string);
      expect(typeof resource, `${meta.id}: ${demo} names a demo resource`).toBe('string');
      const found = find(meta.id, resource);
      expect(found, `${meta.id} on ${demo}`).toHaveLength(1);
      expect({ status: found[0]!.status, savings: found[0]!.savings }, meta.id).toEqual({
        status: 'fail',
        savings: monthly_savings,
      });
    }
  });

  it("shows AWS's recommendation beside the native finding for the same resource, counting its saving once", async () => {
    const out = join(dir, 'json');
    expect(
      await main(
        ['export', '--tenant', 'acme', '--data', join(dir, 'main'), '--out-dir', out, '--no-dashboard'],
        countingEffects(),
      ),
    ).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const exported = JSON.parse(await readFile(join(out, 'findings.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const forIdle = exported.filter((f) => f.resource_id === estate.instances.idle && f.status === 'fail');
    // The native rightsizing finding (list price) carries AWS's figure (discounted); AWS's own row is gone.
    expect(
      forIdle.map((f) => [f.check_id, f.est_monthly_savings, f.aws_monthly_savings, f.aws_action_type]),
    ).toEqual([
      ['aws.ec2.instances.underutilized', '70.080000', '52.560000', 'Rightsize'],
      ['aws.ec2.instances.graviton.candidate', '0.000000', '52.560000', 'Rightsize'],
    ]);
    // A recommendation no native check matches is a finding of its own.
    expect(exported.filter((f) => f.check_id === 'aws.costoptimizationhub.recommendations')).toMatchObject([
      {
        resource_id: 'thumbnailer',
        service: 'AWSLambda',
        est_monthly_savings: '3.200000',
        aws_monthly_savings: null,
      },
    ]);
    // Totals add each open failing finding once: AWS's 52.56 is not added to the native 70.08.
    const open = exported.filter((f) => f.status === 'fail' && f.lifecycle_status === 'open');
    const cents = open.reduce((sum, f) => sum + Math.round(Number(f.est_monthly_savings ?? 0) * 1e6), 0);
    expect(summary.totals.est_monthly_savings).toBe((cents / 1e6).toFixed(6));
    // The trend's latest day (the KPI gold tables the run wrote) says the same: AWS's row is not counted there either.
    const trends = JSON.parse(await readFile(join(out, 'trends.json'), 'utf8'));
    expect(trends.source).toBe('kpi_gold');
    expect(trends.days.at(-1)).toMatchObject({
      open_monthly_savings: summary.totals.est_monthly_savings,
      open_findings: summary.totals.open_failing_findings,
    });
  });

  it('says what a passing Elastic IP is associated with (the API gives empty strings for the rest)', () => {
    const passing = rows.filter((r) => r.check_id === 'aws.ec2.eip.unassociated' && r.status === 'pass');
    expect(passing.map((r) => r.message).sort()).toEqual(
      [`Associated with ${estate.instances.web}.`, 'Associated with a NAT gateway.'].sort(),
    );
  });

  it('reports the expected status and saving for each case', () => {
    for (const [check, resource, status, savings] of cases()) {
      const found = find(check, resource);
      expect(found, `${check} ${resource}`).toHaveLength(1);
      expect({ status: found[0]!.status, savings: found[0]!.savings }, `${check} ${resource}`).toEqual({
        status,
        savings,
      });
    }
  });

  it('prices every failing finding, or says it cannot (savings null, never zero by default)', () => {
    for (const row of rows.filter((r) => r.status === 'fail')) {
      // A price from the table, AWS's own figure, or none at all: then savings are null, not zero.
      if (row.source === 'price_table' || row.source === 'aws_cost_optimization_hub')
        expect(row.cost, `${row.check_id} ${row.resource_id}`).not.toBeNull();
      else expect({ source: row.source, savings: row.savings }).toEqual({ source: 'none', savings: null });
    }
  });

  it('prices an unused AMI by the size of its snapshots', async () => {
    const [ami] = (await query(
      `SELECT metrics['snapshot_size_gib']::VARCHAR AS gib, estimated.monthly_savings::VARCHAR AS savings
       FROM read_parquet($glob) WHERE check_id = 'aws.ec2.ami.unused' AND status = 'fail'`,
      { glob: join(dir, 'main', '**', '*.parquet') },
    )) as [{ gib: string; savings: string }];
    expect(Number(ami.gib)).toBeGreaterThan(0);
    expect(ami.savings).toBe((Number(ami.gib) * 0.05).toFixed(6));
  });

  it('never double-counts: a stopped instance volume is not also unattached or a gp3 candidate', () => {
    const stoppedVolumes = rows.filter((r) => r.check_id === 'aws.ec2.ebs.gp2.to.gp3' && r.status === 'fail');
    // The three running instances' root volumes and the data volume; not the stopped instance's root volume.
    expect(stoppedVolumes).toHaveLength(4);
    expect(
      rows.filter((r) => r.check_id === 'aws.ec2.ebs.unattached.volume' && r.status === 'fail'),
    ).toHaveLength(2);
  });

  it('attributes each bucket to its own region, listing S3 once', async () => {
    const regions = await query(
      `SELECT DISTINCT scope.resource_id AS bucket, scope.region AS region FROM read_parquet($glob)
       WHERE check_id LIKE 'aws.s3.%' ORDER BY 1`,
      { glob: join(dir, 'main', '**', '*.parquet') },
    );
    expect(regions).toEqual(
      DEMO_BUCKETS.map((b) => ({ bucket: b.name, region: b.region })).sort((a, b) =>
        a.bucket < b.bucket ? -1 : 1,
      ),
    );
    expect(apiCalls.get('ListBucketsCommand')).toBe(1);
    expect(apiCalls.get('GetBucketLifecycleConfigurationCommand')).toBe(DEMO_BUCKETS.length);
  });

  it('fetches each listing once per region, shared by every checker, following pages', () => {
    // Two log groups at one a page: two calls (the emulator honours page sizes for CloudWatch Logs).
    expect(apiCalls.get('DescribeLogGroupsCommand')).toBe(2);
    // Five checkers read volumes, three read instances: one listing each.
    for (const command of [
      'DescribeVolumesCommand',
      'DescribeInstancesCommand',
      'DescribeSnapshotsCommand',
      'DescribeAddressesCommand',
      'DescribeNatGatewaysCommand',
      'DescribeLoadBalancersCommand',
      'DescribeTargetGroupsCommand',
      'DescribeDBInstancesCommand',
      'DescribeDBSnapshotsCommand',
      'DescribeVpcEndpointsCommand',
      'DescribeRepositoriesCommand',
      'ListTablesCommand',
    ]) {
      expect(apiCalls.get(command), command).toBe(1);
    }
    // The same command name in two services: EC2's AMIs once (three checkers), ECR's images of the one
    // repository without a lifecycle policy once.
    expect(apiCalls.get('DescribeImagesCommand')).toBe(2);
    // CPU once for three checkers, connections once, NAT bytes in and out, DynamoDB reads and writes,
    // PrivateLink bytes.
    expect(apiCalls.get('GetMetricDataCommand')).toBe(7);
    expect(apiCalls.get('GetBucketVersioningCommand')).toBe(DEMO_BUCKETS.length);
  });
});

describe('checkers at the edges', () => {
  it('respects thresholds set with --set', async () => {
    const out = join(dir, 'thresholds');
    const sets = [
      'aws.ec2.ebs.old.snapshot.min_age_days=365',
      'aws.ec2.instances.underutilized.cpu_threshold_percent=60',
    ];
    expect(
      await run(
        out,
        sets.flatMap((s) => ['--set', s]),
      ),
    ).toBe(0);
    const rows = await findings(out);
    const one = (check: string, id: string) =>
      rows.find((r) => r.check_id === check && r.resource_id === id)!;
    expect(one('aws.ec2.ebs.old.snapshot', estate.snapshots.old).status).toBe('pass');
    // web (m4.large, 35-55% CPU) is now underutilized: rightsizing takes its saving, the generation upgrade none.
    expect(one('aws.ec2.instances.underutilized', estate.instances.web).status).toBe('fail');
    expect(one('aws.ec2.instances.old.generation', estate.instances.web)).toMatchObject({
      status: 'fail',
      savings: '0.000000',
    });
  });

  it('judges nothing by age on the day the estate was built', async () => {
    const out = join(dir, 'today');
    // An hour after the resources were made: a backfilled run, dated in the past.
    expect(await run(out, [], new Date(estate.builtAt.getTime() + 3_600_000))).toBe(0);
    const rows = await findings(out);
    const statuses = (check: string) => rows.filter((r) => r.check_id === check).map((r) => r.status);
    expect(statuses('aws.ec2.instances.stopped.long')).toEqual(['pass']);
    expect(statuses('aws.ec2.ebs.old.snapshot').every((s) => s === 'pass')).toBe(true);
    expect(statuses('aws.ec2.ami.unused').every((s) => s === 'pass')).toBe(true);
    // Too young to be judged idle: not examined at all.
    expect(statuses('aws.ec2.nat.gateways.idle')).toEqual([]);
    expect(statuses('aws.rds.instances.idle')).toEqual([]);
    expect(statuses('aws.ec2.vpc.endpoints.idle')).toEqual([]);
    expect(statuses('aws.dynamodb.tables.provisioned.idle')).toEqual([]);
    // No CPU data in the window ending today: unknown, not idle.
    expect(statuses('aws.ec2.instances.underutilized')).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('rejects --set for an unknown parameter with the parameters it has', async () => {
    const { vi } = await import('vitest');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await run(join(dir, 'bad'), ['--set', 'aws.ec2.ebs.old.snapshot.days=3'])).toBe(2);
      expect(String(stderr.mock.calls[0]?.[0])).toContain(
        'aws.ec2.ebs.old.snapshot has no parameter days; its parameters: min_age_days',
      );
    } finally {
      stderr.mockRestore();
    }
  });
});
