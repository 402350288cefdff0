/**
 * The execute step against the AWS emulator: a scan of the demo estate, `remediate plan`, a dry run that changes
 * nothing, refused plans (edited, stale, too large, destructive without its flag), and a real apply with a
 * resource that drifted and an action that fails in the middle; the audit read back with DuckDB.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AwsServices } from '../checks/_lib/context.ts';
import { createAwsServices } from '../cli/aws.ts';
import { planDigest, type Plan } from '../contracts/remediation_plan.ts';
import { main, type RunnerEffects } from '../runner.ts';
import { seedDemoEstate, type DemoIds } from '../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../scripts/moto_server.ts';
import { serveDashboard } from '../dashboard/serve.ts';
import { launchChromium } from './helpers/browser.ts';
import { query } from './helpers/duckdb.ts';

let moto: MotoServer;
let estate: DemoIds;
let dir: string;
let data: string;
let planFile: string;
let plan: Plan;
const savedEnv = { ...process.env };
const region = 'us-east-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ec2 = () => new EC2Client({ region, endpoint: moto.endpoint, credentials });

/** A command the emulator is made to refuse, as AWS would (a permission taken away, a throttled API). */
const faults = new Map<string, { resource: string; message: string; name?: string }>();

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName: string },
) => (args: unknown) => Promise<unknown>;

/** Every command the fixes sent, by service (`ec2`, `logs`, `s3`), as `ec2:DescribeVolumes`. */
const sent = new Set<string>();

/** Real SDK clients for the emulator; a command named in `faults` fails for its resource; commands are recorded. */
function effects(now: () => Date = () => new Date()): RunnerEffects & { printed: string[] } {
  const printed: string[] = [];
  const instrumented = new WeakSet<object>();
  return {
    printed,
    now,
    newId: () => crypto.randomUUID(),
    print: (text) => void printed.push(text),
    logger: () => pino({ level: 'silent' }),
    sleep: async () => undefined,
    awsServices: (home) => {
      const real = createAwsServices(home);
      const services = Object.fromEntries(
        Object.entries(real.services).map(([service, get]) => [
          service,
          (at: string) => {
            const client = (get as (r: string) => object)(at) as {
              middlewareStack: { add(m: Middleware, o: object): void };
            };
            if (!instrumented.has(client)) {
              instrumented.add(client);
              client.middlewareStack.add(
                (next, context) => async (args) => {
                  sent.add(`${service}:${context.commandName.replace(/Command$/, '')}`);
                  const fault = faults.get(context.commandName);
                  const input = (args as { input: Record<string, unknown> }).input;
                  if (fault && Object.values(input).flat().includes(fault.resource))
                    throw Object.assign(new Error(fault.message), {
                      name: fault.name ?? 'RequestLimitExceeded',
                    });
                  return next(args);
                },
                { step: 'initialize' },
              );
            }
            return client;
          },
        ]),
      ) as unknown as AwsServices;
      return { ...real, services };
    },
  };
}

const stderr = () =>
  vi
    .mocked(process.stderr.write)
    .mock.calls.map((c) => String(c[0]))
    .join('');

async function audit(): Promise<Record<string, unknown>[]> {
  return query(
    `SELECT action_id, plan_digest, finding_id, fingerprint, check_id, account_id, region, resource_id, action,
            parameters, mode, status, error, note, before, after, monthly_savings, caller_arn, started_ts, finished_ts,
            typeof(monthly_savings) AS savings_type, typeof(started_ts) AS ts_type
     FROM read_parquet($glob) ORDER BY started_ts, action_id`,
    { glob: join(dir, 'data', 'finops_actions', 'tenant_id=acme', 'run_date=*', '*.parquet') },
  ).catch(() => []);
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  estate = await seedDemoEstate(moto);
  // A bucket with a rule of its own and none aborting multipart uploads: the fix must keep that rule.
  await new S3Client({ region, endpoint: moto.endpoint, credentials, forcePathStyle: true }).send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: 'acme-app-logs',
      LifecycleConfiguration: {
        Rules: [{ ID: 'expire-tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 3 } }],
      },
    }),
  );
  dir = await mkdtemp(join(tmpdir(), 'remediation-'));
  data = join(dir, 'data', 'finops_findings');
  planFile = join(dir, 'plan.json');
  const scan = ['--tenant', 'acme', '--data', data, '--regions', 'us-east-1,eu-west-1'];
  expect(await main(scan, effects())).toBe(0);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
}, 180_000);

afterAll(async () => {
  vi.restoreAllMocks();
  process.env = savedEnv;
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('remediate plan', () => {
  it('plans one action per open failing finding of a check with a fix, with its parameters and the total', async () => {
    const planning = effects();
    expect(
      await main(['remediate', 'plan', '--tenant', 'acme', '--data', data, '--out', planFile], planning),
    ).toBe(0);
    plan = JSON.parse(await readFile(planFile, 'utf8')) as Plan;
    const byResource = new Map(plan.entries.map((entry) => [entry.resource_id, entry]));
    const data500 = (await ec2().send(new DescribeVolumesCommand({ VolumeIds: [estate.volumes.data] })))
      .Volumes![0]!;
    const expected: [string, string, Record<string, string | number>][] = [
      [estate.volumes.unattached, 'snapshot_and_delete_volume', { snapshot: 'yes' }],
      [estate.volumes.io1Unattached, 'snapshot_and_delete_volume', { snapshot: 'yes' }],
      [
        estate.volumes.data,
        'modify_volume_to_gp3',
        // gp2's baseline at this size: 3 IOPS a GiB (at least gp3's 3000), 250 MiB/s above 170 GiB.
        {
          volume_type: 'gp3',
          size_gib: data500.Size!,
          iops: Math.max(3000, 3 * data500.Size!),
          throughput_mibps: 250,
        },
      ],
      [estate.snapshots.old, 'delete_snapshot', {}],
      [estate.addresses.unassociated, 'release_address', {}],
      [estate.instances.stopped, 'backup_and_terminate_instance', { backup: 'ami' }],
      [estate.logGroups.forever, 'set_log_retention', { retention_days: 30 }],
      [
        'acme-app-logs',
        'add_abort_multipart_rule',
        { rule_id: 'finops-abort-incomplete-multipart-uploads', days_after_initiation: 7 },
      ],
    ];
    for (const [resource, action, parameters] of expected) {
      expect(byResource.get(resource), resource).toMatchObject({
        action,
        parameters,
        account_id: '123456789012',
      });
    }
    expect(byResource.get(estate.instances.stopped)!.destructive).toBe(true);
    expect(byResource.get(estate.addresses.unassociated)!.monthly_savings).toBe('3.650000');
    // One action per resource and action, and the total is the exact sum of the entries' savings.
    const keys = plan.entries.map((e) => `${e.account_id}/${e.region}/${e.resource_id}/${e.action}`);
    expect(new Set(keys).size).toBe(keys.length);
    const micros = plan.entries.reduce(
      (sum, e) => sum + (e.monthly_savings === null ? 0n : BigInt(e.monthly_savings.replace('.', ''))),
      0n,
    );
    expect(plan.total_monthly_savings).toBe(
      `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')}`,
    );
    expect(plan.digest).toBe(planDigest(plan));
    const table = planning.printed.join('\n');
    expect(table).toContain(`total`);
    expect(table).toContain(`$${plan.total_monthly_savings}`);
    expect(table).toContain('backup_and_terminate_instance (destructive)');
  });

  it('refuses a check without a fix, naming those that have one', async () => {
    const code = await main(
      [
        'remediate',
        'plan',
        '--tenant',
        'acme',
        '--data',
        data,
        '--out',
        join(dir, 'x.json'),
        '--checker',
        'aws.rds.instances.idle',
      ],
      effects(),
    );
    expect(code).toBe(2);
    expect(stderr()).toMatch(
      /no fix for aws\.rds\.instances\.idle; the checks with a fix are: .*aws\.ec2\.eip\.unassociated/,
    );
  });
});

describe('remediate apply', () => {
  it('changes nothing in a dry run, and records every action as it would go', async () => {
    // From here on, what the fixes call (the scan's calls are the checkers').
    sent.clear();
    const before = await audit();
    const dryRun = effects();
    expect(await main(['remediate', 'apply', '--plan', planFile], dryRun), dryRun.printed.join('\n')).toBe(0);
    const volume = await ec2().send(new DescribeVolumesCommand({ VolumeIds: [estate.volumes.unattached] }));
    expect(volume.Volumes![0]!.State).toBe('available');
    const address = await ec2().send(
      new DescribeAddressesCommand({ AllocationIds: [estate.addresses.unassociated] }),
    );
    expect(address.Addresses).toHaveLength(1);
    const instance = await ec2().send(
      new DescribeInstancesCommand({ InstanceIds: [estate.instances.stopped] }),
    );
    expect(instance.Reservations![0]!.Instances![0]!.State!.Name).toBe('stopped');
    const rules = await lifecycleRules('acme-app-logs', region);
    expect(rules).toEqual(['expire-tmp']);

    const rows = (await audit()).slice(before.length);
    expect(rows).toHaveLength(plan.entries.length);
    expect(new Set(rows.map((r) => r['mode']))).toEqual(new Set(['dry_run']));
    expect(new Set(rows.map((r) => r['status']))).toEqual(new Set(['dry_run_ok']));
    const entry = plan.entries.find((e) => e.resource_id === estate.addresses.unassociated)!;
    const row = rows.find((r) => r['resource_id'] === estate.addresses.unassociated)!;
    expect(row).toMatchObject({
      action_id: entry.action_id,
      plan_digest: plan.digest,
      finding_id: entry.finding_id,
      fingerprint: entry.fingerprint,
      check_id: 'aws.ec2.eip.unassociated',
      account_id: '123456789012',
      region,
      action: 'release_address',
      parameters: '{}',
      mode: 'dry_run',
      status: 'dry_run_ok',
      error: null,
      monthly_savings: '3.650000',
      savings_type: 'DECIMAL(18,6)',
      ts_type: 'TIMESTAMP WITH TIME ZONE',
    });
    expect(String(row['caller_arn'])).toMatch(/^arn:aws:(sts|iam)::123456789012:/);
    expect(JSON.parse(String(row['before']))).toMatchObject({ association_id: null });
  });

  it('refuses an edited plan, a stale one, one larger than --max-actions, and destructive actions without their flag', async () => {
    const before = (await audit()).length;
    const edited = JSON.parse(await readFile(planFile, 'utf8')) as Plan;
    edited.entries[0]!.parameters = { snapshot: 'no' };
    const editedFile = join(dir, 'edited.json');
    await writeFile(editedFile, JSON.stringify(edited));
    const cases: [string[], RunnerEffects, RegExp][] = [
      [
        ['--plan', editedFile],
        effects(),
        /edited\.json was changed after it was made \(its digest does not match/,
      ],
      [
        ['--plan', planFile],
        effects(() => new Date(Date.parse(plan.created_at) + 25 * 3_600_000)),
        /was made 25 h ago, more than --max-age 24h: .* make a new plan/,
      ],
      [
        ['--plan', planFile, '--max-actions', '2'],
        effects(),
        new RegExp(`holds ${plan.entries.length} actions, more than --max-actions 2`),
      ],
      [
        ['--plan', planFile, '--execute'],
        effects(),
        new RegExp(
          `1 destructive action\\(s\\) \\(backup_and_terminate_instance ${estate.instances.stopped}\\): add --allow-destructive`,
        ),
      ],
      [
        ['--plan', planFile, '--max-age', 'soon'],
        effects(),
        /--max-age soon: write it as minutes, hours or days/,
      ],
    ];
    for (const [args, runEffects, message] of cases) {
      vi.mocked(process.stderr.write).mockClear();
      expect(await main(['remediate', 'apply', ...args], runEffects), args.join(' ')).toBe(2);
      expect(stderr(), args.join(' ')).toMatch(message);
    }
    expect((await audit()).length).toBe(before);
  });

  it('does the plan: each fix applied, a drifted resource skipped, a failure in the middle leaving the others done', async () => {
    const before = (await audit()).length;
    // Someone tags one unattached volume after the finding; AWS refuses one snapshot deletion.
    await ec2().send(
      new CreateTagsCommand({
        Resources: [estate.volumes.io1Unattached],
        Tags: [{ Key: 'keep', Value: 'yes' }],
      }),
    );
    faults.set('DeleteSnapshotCommand', {
      resource: estate.snapshots.old,
      message: 'Request limit exceeded.',
    });
    const applying = effects();
    try {
      expect(
        await main(['remediate', 'apply', '--plan', planFile, '--execute', '--allow-destructive'], applying),
      ).toBe(3);
    } finally {
      faults.clear();
    }
    const rows = (await audit()).slice(before);
    // Every entry attempted once (actions started in the same millisecond have no order between them here).
    expect(rows.map((r) => r['action_id']).sort()).toEqual(plan.entries.map((e) => e.action_id).sort());
    const status = new Map(rows.map((r) => [r['resource_id'], r]));
    expect(status.get(estate.volumes.io1Unattached)).toMatchObject({
      status: 'skipped_drift',
      note: 'its tags changed since the finding (keep)',
    });
    expect(status.get(estate.snapshots.old)).toMatchObject({
      status: 'failed',
      error: 'RequestLimitExceeded: Request limit exceeded.',
    });
    const failedAt = plan.entries.findIndex((e) => e.resource_id === estate.snapshots.old);
    expect(failedAt).toBeGreaterThan(0);
    expect(failedAt).toBeLessThan(plan.entries.length - 1);
    for (const entry of plan.entries.slice(failedAt + 1))
      expect(status.get(entry.resource_id)!['status'], entry.resource_id).toBe('succeeded');
    expect(new Set(rows.map((r) => r['mode']))).toEqual(new Set(['execute']));
    expect(applying.printed.join('\n')).toMatch(/1 skipped_drift.*1 failed|1 failed.*1 skipped_drift/);

    // The unattached volume: snapshotted with its tags and a link to the finding, then deleted.
    const volumeEntry = plan.entries.find((e) => e.resource_id === estate.volumes.unattached)!;
    const after = JSON.parse(String(status.get(estate.volumes.unattached)!['after'])) as {
      snapshot_id: string;
    };
    const snapshot = (await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [after.snapshot_id] })))
      .Snapshots![0]!;
    expect(Object.fromEntries(snapshot.Tags!.map((t) => [t.Key, t.Value]))).toMatchObject({
      ...volumeEntry.tags,
      'finops:finding_id': volumeEntry.finding_id,
      'finops:source_volume': estate.volumes.unattached,
    });
    await expect(
      ec2().send(new DescribeVolumesCommand({ VolumeIds: [estate.volumes.unattached] })),
    ).rejects.toThrow();
    // The drifted volume is still there; the gp2 volume is gp3 with gp2's baseline.
    const [kept, modified] = [estate.volumes.io1Unattached, estate.volumes.data];
    expect((await ec2().send(new DescribeVolumesCommand({ VolumeIds: [kept] }))).Volumes).toHaveLength(1);
    const gp3 = (await ec2().send(new DescribeVolumesCommand({ VolumeIds: [modified] }))).Volumes![0]!;
    const planned = plan.entries.find((e) => e.resource_id === modified)!.parameters;
    expect([gp3.VolumeType, gp3.Iops, gp3.Size]).toEqual(['gp3', planned['iops'], planned['size_gib']]);
    // The snapshot whose deletion failed is kept.
    expect(
      (await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [estate.snapshots.old] }))).Snapshots,
    ).toHaveLength(1);
    // The Elastic IP is released.
    await expect(
      ec2().send(new DescribeAddressesCommand({ AllocationIds: [estate.addresses.unassociated] })),
    ).rejects.toThrow();
    // The stopped instance: an AMI first, then terminated.
    const image = JSON.parse(String(status.get(estate.instances.stopped)!['after'])) as { image_id: string };
    const images = await ec2().send(new DescribeImagesCommand({ ImageIds: [image.image_id] }));
    expect(images.Images![0]!.Tags).toContainEqual({
      Key: 'finops:source_instance',
      Value: estate.instances.stopped,
    });
    const instance = await ec2().send(
      new DescribeInstancesCommand({ InstanceIds: [estate.instances.stopped] }),
    );
    expect(instance.Reservations![0]!.Instances![0]!.State!.Name).toBe('terminated');
    // The log group keeps 30 days.
    const logs = new CloudWatchLogsClient({ region, endpoint: moto.endpoint, credentials });
    const { logGroups } = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: estate.logGroups.forever }),
    );
    expect(logGroups!.find((g) => g.logGroupName === estate.logGroups.forever)!.retentionInDays).toBe(30);
    // The bucket keeps its own rule beside the new one.
    expect(await lifecycleRules('acme-app-logs', region)).toEqual([
      'expire-tmp',
      'finops-abort-incomplete-multipart-uploads',
    ]);
  });

  it('needs only what iam-policy --remediation grants', async () => {
    const printed: string[] = [];
    expect(
      await main(['iam-policy', '--remediation'], { ...effects(), print: (t) => void printed.push(t) }),
    ).toBe(0);
    const policy = JSON.parse(printed.join('')) as { Statement: { Sid: string; Action: string[] }[] };
    const granted = new Set(policy.Statement.find((s) => s.Sid === 'FinOpsFindingsRemediation')!.Action);
    // S3's IAM actions are not named as its API calls.
    const iamName: Record<string, string> = {
      's3:GetBucketLifecycleConfiguration': 's3:GetLifecycleConfiguration',
      's3:PutBucketLifecycleConfiguration': 's3:PutLifecycleConfiguration',
    };
    const needed = [...sent].filter((call) => !call.startsWith('sts:')).map((call) => iamName[call] ?? call);
    expect(needed.length).toBeGreaterThan(5);
    expect(needed.filter((action) => !granted.has(action))).toEqual([]);
  });

  it('skips what was already done when the same plan is applied again', async () => {
    const before = (await audit()).length;
    expect(
      await main(['remediate', 'apply', '--plan', planFile, '--execute', '--allow-destructive'], effects()),
    ).toBe(0);
    const rows = (await audit()).slice(before);
    const status = new Map(rows.map((r) => [r['resource_id'], r['status']]));
    expect(status.get(estate.addresses.unassociated)).toBe('skipped_drift');
    expect(status.get(estate.volumes.unattached)).toBe('skipped_drift');
    // The one that failed goes through now.
    expect(status.get(estate.snapshots.old)).toBe('succeeded');
  });
});

describe('remediation of a dataset in S3', () => {
  it('plans from the S3 dataset and records the apply beside it, where the export finds it', async () => {
    const s3 = new S3Client({ region, endpoint: moto.endpoint, credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'finops-lake' }));
    const lake = 's3://finops-lake/prod/finops_findings';
    const scan = [
      '--tenant',
      'acme',
      '--data',
      lake,
      '--regions',
      'us-east-1',
      '--checker',
      'aws.logs.log.groups.retention.missing',
    ];
    // The log group fixed above keeps 30 days now; one without a retention is made for this test.
    const logs = new CloudWatchLogsClient({ region, endpoint: moto.endpoint, credentials });
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/s3-test/kept-forever' }));
    expect(await main(scan, effects())).toBe(0);
    const s3Plan = join(dir, 's3-plan.json');
    expect(
      await main(['remediate', 'plan', '--tenant', 'acme', '--data', lake, '--out', s3Plan], effects()),
    ).toBe(0);
    const planned = JSON.parse(await readFile(s3Plan, 'utf8')) as Plan;
    expect(planned.data).toBe(lake);
    expect(planned.entries.map((e) => [e.resource_id, e.action])).toEqual([
      ['/s3-test/kept-forever', 'set_log_retention'],
    ]);
    expect(await main(['remediate', 'apply', '--plan', s3Plan], effects())).toBe(0);
    const { Contents } = await s3.send(
      new ListObjectsV2Command({ Bucket: 'finops-lake', Prefix: 'prod/finops_actions/' }),
    );
    expect((Contents ?? []).map((o) => o.Key)).toEqual([
      expect.stringMatching(
        /^prod\/finops_actions\/tenant_id=acme\/run_date=\d{4}-\d{2}-\d{2}\/part-[0-9a-f-]{36}\.parquet$/,
      ),
    ]);
    const site = join(dir, 's3-site');
    expect(await main(['export', '--tenant', 'acme', '--data', lake, '--out-dir', site], effects())).toBe(0);
    const actions = JSON.parse(await readFile(join(site, 'actions.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    expect(actions.map((a) => [a['resource_id'], a['mode'], a['status']])).toEqual([
      ['/s3-test/kept-forever', 'dry_run', 'dry_run_ok'],
    ]);
  });
});

describe('the export and the dashboard after remediation', () => {
  it('lists the recent actions in actions.json, and the page marks each finding with its latest fix', async () => {
    const site = join(dir, 'site');
    // Before the next scan the fixed findings are still open: the page says a fix was applied.
    expect(await main(['export', '--tenant', 'acme', '--data', data, '--out-dir', site], effects())).toBe(0);
    const actions = JSON.parse(await readFile(join(site, 'actions.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const attempts = await audit();
    expect(actions).toHaveLength(attempts.length);
    const times = actions.map((a) => String(a['started_ts']));
    expect(times).toEqual([...times].sort().reverse());
    expect(actions[0]).toMatchObject({ mode: 'execute', plan_digest: plan.digest });
    expect(typeof actions[0]!['parameters']).toBe('object');

    const server = await serveDashboard({ dir: site });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${server.url}?view=all&size=250`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.locator('#actions-table tbody tr').count()).toBe(Math.min(20, actions.length));
      const badge = (resource: string) =>
        page
          .locator(
            `#findings-body tr[data-fingerprint="${plan.entries.find((e) => e.resource_id === resource)!.fingerprint}"] .badge[class*="fix-"]`,
          )
          .textContent();
      expect(await badge(estate.addresses.unassociated)).toBe('fix skipped'); // the second apply found it released
      expect(await badge(estate.snapshots.old)).toBe('fix applied');
      const volume = plan.entries.find((e) => e.resource_id === estate.volumes.io1Unattached)!;
      await page.goto(`${server.url}?finding=${volume.fingerprint}`);
      await page.locator('dialog#detail[open]').waitFor();
      expect(await page.textContent('#detail-fix')).toContain('its tags changed since the finding (keep)');
    } finally {
      await browser.close();
      await server.close();
    }

    // The next scan resolves what was fixed.
    const scan = [
      '--tenant',
      'acme',
      '--data',
      data,
      '--regions',
      'us-east-1,eu-west-1',
      '--export',
      '--out-dir',
      site,
    ];
    expect(await main(scan, effects())).toBe(0);
    const findings = JSON.parse(await readFile(join(site, 'findings.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const lifecycle = (resource: string, check: string) =>
      findings.find((f) => f['resource_id'] === resource && f['check_id'] === check)?.['lifecycle_status'];
    expect(lifecycle(estate.addresses.unassociated, 'aws.ec2.eip.unassociated')).toBe('resolved');
    expect(lifecycle(estate.volumes.unattached, 'aws.ec2.ebs.unattached.volume')).toBe('resolved');
    expect(lifecycle(estate.volumes.io1Unattached, 'aws.ec2.ebs.unattached.volume')).toBe('open');
  });
});

describe('remediate apply across accounts and permissions', () => {
  it('acts in another account through --role-name, and says a denied dry run is denied', async () => {
    // A plan made elsewhere for another account of the organisation (a valid digest: nobody edited it).
    const entry = {
      ...plan.entries.find((e) => e.action === 'release_address')!,
      action_id: crypto.randomUUID(),
      account_id: '222222222222',
      resource_id: 'eipalloc-0123456789abcdef0',
    };
    const content = { ...plan, created_at: new Date().toISOString(), entries: [entry] };
    const other = join(dir, 'other-account.json');
    await writeFile(other, JSON.stringify({ ...content, digest: planDigest(content) }));
    const before = (await audit()).length;
    expect(await main(['remediate', 'apply', '--plan', other], effects())).toBe(1);
    expect(
      await main(['remediate', 'apply', '--plan', other, '--role-name', 'FinOpsRemediation'], effects()),
    ).toBe(0);
    const [without, through] = (await audit()).slice(before);
    expect(without).toMatchObject({
      status: 'failed',
      error:
        "account 222222222222 is not the caller's (123456789012): pass --role-name to act there through a role",
    });
    // In that account (moto's own, reached with the assumed role's credentials) there is no such address.
    expect(through).toMatchObject({ status: 'skipped_drift', note: 'the address was released already' });

    // A caller not allowed to release: EC2 answers the DryRun call with UnauthorizedOperation.
    const volume = plan.entries.find((e) => e.resource_id === estate.volumes.io1Unattached)!;
    const content2 = { ...plan, created_at: new Date().toISOString(), entries: [volume] };
    await ec2().send(new DeleteTagsCommand({ Resources: [volume.resource_id], Tags: [{ Key: 'keep' }] }));
    const denied = join(dir, 'denied.json');
    await writeFile(denied, JSON.stringify({ ...content2, digest: planDigest(content2) }));
    faults.set('DeleteVolumeCommand', {
      resource: volume.resource_id,
      message: 'You are not authorized to perform this operation.',
      name: 'UnauthorizedOperation',
    });
    try {
      expect(await main(['remediate', 'apply', '--plan', denied], effects())).toBe(1);
    } finally {
      faults.clear();
    }
    expect((await audit()).at(-1)).toMatchObject({
      resource_id: volume.resource_id,
      status: 'dry_run_denied',
      note: 'CreateSnapshot: dry_run_ok, DeleteVolume: dry_run_denied',
    });
    await ec2().send(
      new CreateTagsCommand({ Resources: [volume.resource_id], Tags: [{ Key: 'keep', Value: 'yes' }] }),
    );
  });
});

async function lifecycleRules(bucket: string, at: string): Promise<string[]> {
  const s3 = new S3Client({ region: at, endpoint: moto.endpoint, credentials, forcePathStyle: true });
  const { Rules } = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  return (Rules ?? []).map((rule) => rule.ID ?? '');
}
