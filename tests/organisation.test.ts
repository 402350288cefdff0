/**
 * Unattended runs across an organisation, against moto as the AWS API: roles assumed in several accounts,
 * the organization's accounts listed, S3 as the dataset and the export target, a retried run id, an
 * interrupted run, and JSON logs carrying the run id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { S3Store } from '../cli/s3_store.ts';
import { handler } from '../lambda/handler.ts';
import type { RunManifest } from '../pipeline/manifest.ts';
import { readManifests } from '../pipeline/runs_export.ts';
import { createAwsServices } from '../cli/aws.ts';
import { main, type AwsAccess } from '../runner.ts';
import { seedDemoEstate } from '../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../scripts/moto_server.ts';
import { query } from './helpers/duckdb.ts';
import { inAccount as inAccountAs, unattachedVolume } from './helpers/moto_org.ts';
import { runRunner, startRunner } from './helpers/runner_process.ts';

const SECRET = 'sEcReT-never-logged-4242';
const ROLE = 'FinOpsAudit';
let moto: MotoServer;
let dir: string;
let env: NodeJS.ProcessEnv;

const runner = (args: string[]) => runRunner(args, { cwd: dir, env });

const inAccount = (account: string) => inAccountAs(account, ROLE);

const parquetGlob = (root: string) => join(root, '**', '*.parquet');

/** The manifest of the one run a dataset holds. */
async function onlyManifest(root: string, tenant: string): Promise<RunManifest> {
  const manifests = await readManifests(root, tenant);
  expect(manifests).toHaveLength(1);
  return manifests[0]!;
}

beforeAll(async () => {
  moto = await startMoto();
  env = { ...process.env, ...moto.env, AWS_SECRET_ACCESS_KEY: SECRET };
  Object.assign(process.env, moto.env);
  dir = await mkdtemp(join(tmpdir(), 'organisation-'));
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('several accounts through an assumed role', () => {
  it('scans each account with its own credentials and records them all', async () => {
    const volumes = {
      '111111111111': await unattachedVolume((await inAccount('111111111111')).ec2),
      '222222222222': await unattachedVolume((await inAccount('222222222222')).ec2),
    };
    const run = await runner([
      '--tenant',
      'multi',
      '--accounts',
      '111111111111,222222222222',
      '--role-name',
      ROLE,
      '--regions',
      'us-east-1',
      '--checker',
      'aws.ec2.ebs.unattached.volume',
      '--out',
      'multi',
      '--log-level',
      'debug',
    ]);
    expect(run.stderr).not.toContain('"level":50');
    expect(run.code).toBe(0);
    const rows = await query(
      `SELECT scope.account_id AS account, scope.resource_id AS volume, status FROM read_parquet($glob)
       WHERE status = 'fail' ORDER BY account`,
      { glob: parquetGlob(join(dir, 'multi')) },
    );
    expect(rows).toEqual([
      { account: '111111111111', volume: volumes['111111111111'], status: 'fail' },
      { account: '222222222222', volume: volumes['222222222222'], status: 'fail' },
    ]);
    const manifest = await onlyManifest(join(dir, 'multi'), 'multi');
    expect(manifest.accounts).toEqual(['111111111111', '222222222222']);
    expect(manifest.account_errors).toEqual([]);
    expect(manifest.checkers[0]!.coverage).toEqual([
      { account_id: '111111111111', region: 'us-east-1' },
      { account_id: '222222222222', region: 'us-east-1' },
    ]);

    // JSON lines on stderr (not a terminal), each with the run id, and never a credential.
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(new Set(lines.map((l) => l.run_id))).toEqual(new Set([manifest.run_id]));
    expect(run.stderr + run.stdout).not.toContain(SECRET);
  });

  it('records an account that cannot be scanned and scans the others (exit 3)', async () => {
    // moto lets every role be assumed; the refusal of one account's trust policy is injected at the client.
    const volume = await unattachedVolume((await inAccount('444444444444')).ec2);
    const printed: string[] = [];
    const out = join(dir, 'one-fails');
    const access = (region: string): AwsAccess => {
      const real = createAwsServices(region);
      return {
        ...real,
        assumeRole: (roleArn, options) => {
          const assumed = real.assumeRole!(roleArn, options);
          if (!roleArn.includes('333333333333')) return assumed;
          const denied = Object.assign(new Error(`not authorized to perform: sts:AssumeRole on ${roleArn}`), {
            name: 'AccessDenied',
          });
          return { ...assumed, bootstrap: () => Promise.reject(denied) };
        },
      };
    };
    const code = await main(
      [
        '--tenant',
        'partial',
        '--accounts',
        '333333333333,444444444444',
        '--role-name',
        ROLE,
        '--regions',
        'us-east-1',
        '--checker',
        'aws.ec2.ebs.unattached.volume',
        '--out',
        out,
        '--export',
        '--export-dir',
        join(out, 'site'),
      ],
      {
        now: () => new Date(),
        newId: () => crypto.randomUUID(),
        print: (text) => printed.push(text),
        logger: () => pino({ level: 'silent' }),
        awsServices: access,
      },
    );
    expect(code).toBe(3);
    const rows = await query(
      `SELECT scope.account_id AS account, scope.resource_id AS id FROM read_parquet($glob) WHERE status = 'fail'`,
      {
        glob: join(out, 'tenant_id=partial', '**', '*.parquet'),
      },
    );
    expect(rows).toEqual([{ account: '444444444444', id: volume }]);
    const coverage = JSON.parse(await readFile(join(out, 'site', 'coverage.json'), 'utf8'));
    expect(coverage.accounts).toEqual(['333333333333', '444444444444']);
    expect(coverage.account_errors).toEqual([
      {
        account_id: '333333333333',
        error: expect.stringContaining(
          'could not assume arn:aws:iam::333333333333:role/FinOpsAudit: AccessDenied',
        ),
      },
    ]);
    expect(coverage.checkers[0].accounts).toEqual(['444444444444']);
    expect(printed.join('\n')).toContain('1 account(s) could not be scanned: 333333333333');
  });

  it('refuses --accounts without --role-name (exit 2)', async () => {
    const run = await runner(['--tenant', 'multi', '--accounts', '111111111111']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--accounts and --org need --role-name');
  });

  it('lists the active accounts of the organization with --org', async () => {
    const org = new OrganizationsClient({ region: 'us-east-1' });
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created = await org.send(
      new CreateAccountCommand({ AccountName: 'member', Email: 'member@example.com' }),
    );
    const member = created.CreateAccountStatus!.AccountId!;
    const volume = await unattachedVolume((await inAccount(member)).ec2);
    const run = await runner([
      '--tenant',
      'org',
      '--org',
      '--role-name',
      ROLE,
      '--regions',
      'us-east-1',
      '--checker',
      'aws.ec2.ebs.unattached.volume',
      '--out',
      'org',
    ]);
    expect(run.code).toBe(0);
    const manifest = await onlyManifest(join(dir, 'org'), 'org');
    expect(manifest.accounts).toEqual(['123456789012', member].sort());
    expect(manifest.checkers[0]!.coverage.map((c) => c.account_id)).toEqual(['123456789012', member].sort());
    const [found] = await query(
      `SELECT scope.account_id AS account FROM read_parquet($glob) WHERE scope.resource_id = $volume`,
      {
        glob: parquetGlob(join(dir, 'org')),
        volume,
      },
    );
    expect(found).toEqual({ account: member });
  });
});

describe('S3 as the system of record', () => {
  const s3 = () => new S3Client({ region: 'us-east-1', forcePathStyle: true });
  const keys = async (bucket: string, prefix = '') =>
    ((await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key!)
      .sort();

  it('writes the partition layout to S3, exports from it, and publishes the JSON for a static site', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'finops-lake' }));
    await s3().send(new CreateBucketCommand({ Bucket: 'finops-site' }));
    // An older export's pages, which this export replaces.
    await s3().send(
      new PutObjectCommand({
        Bucket: 'finops-site',
        Key: 'acme/findings/deadbeefdeadbeef/00000.json',
        Body: '[]',
      }),
    );
    const run = await runner([
      '--tenant',
      'acme',
      '--regions',
      'us-east-1',
      '--out',
      's3://finops-lake/findings',
      '--export',
      '--export-dir',
      's3://finops-site/acme',
    ]);
    expect(run.stderr).not.toContain('"level":50');
    expect(run.code).toBe(0);
    const lake = await keys('finops-lake');
    const parts = lake.filter((k) => k.startsWith('findings/') && k.endsWith('.parquet'));
    expect(parts).toHaveLength(1);
    // The run kept the tenant state and its day's KPI gold beside the dataset, in S3 too.
    expect(lake).toContain('finops_state/tenant_id=acme/state.json');
    expect(lake.filter((k) => /^finops_state\/tenant_id=acme\/state-[\w-]+\.parquet$/.test(k))).toHaveLength(
      1,
    );
    expect(
      lake.filter((k) =>
        /^finops_kpi_gold\/tenant_id=acme\/period=\d{4}-\d{2}-\d{2}\/part-[\w-]+\.parquet$/.test(k),
      ),
    ).toHaveLength(1);
    expect(parts[0]).toMatch(
      /^findings\/tenant_id=acme\/run_date=\d{4}-\d{2}-\d{2}\/part-[0-9a-f-]{36}\.parquet$/,
    );
    expect(lake.filter((k) => k.includes('/_runs/'))).toHaveLength(1);
    expect(run.stdout).toContain(`s3://finops-lake/${parts[0]}`);

    // The part in S3 is the typed Parquet a local run writes.
    const local = join(dir, 'from-s3.parquet');
    const body = await s3().send(new GetObjectCommand({ Bucket: 'finops-lake', Key: parts[0] }));
    await import('node:fs/promises').then(async (fs) =>
      fs.writeFile(local, await body.Body!.transformToByteArray()),
    );
    const [typed] = await query(
      `SELECT count(*)::INTEGER AS n, any_value(typeof(estimated.monthly_savings)) AS money, any_value(typeof(run_ts)) AS ts FROM read_parquet($file)`,
      { file: local },
    );
    expect(typed).toMatchObject({ money: 'DECIMAL(18,6)', ts: 'TIMESTAMP WITH TIME ZONE' });

    const site = await keys('finops-site', 'acme/');
    expect(site).toEqual(
      expect.arrayContaining([
        'acme/findings.json',
        'acme/summary.json',
        'acme/runs.json',
        'acme/index.html',
      ]),
    );
    // The dashboard's index and the pages it names went up; the older pages are gone.
    const index = JSON.parse(
      await (
        await s3().send(new GetObjectCommand({ Bucket: 'finops-site', Key: 'acme/findings_index.json' }))
      ).Body!.transformToString(),
    );
    expect(index.pages.dir).toMatch(/^findings\/[0-9a-f]{16}$/);
    expect(site.filter((key) => key.startsWith('acme/findings/'))).toEqual([
      `acme/${index.pages.dir}/00000.json`,
    ]);
    const head = await s3().send(new HeadObjectCommand({ Bucket: 'finops-site', Key: 'acme/findings.json' }));
    expect(head.ContentType).toBe('application/json');
    expect(head.CacheControl).toBe('max-age=60');
    const published = JSON.parse(
      await (
        await s3().send(new GetObjectCommand({ Bucket: 'finops-site', Key: 'acme/findings.json' }))
      ).Body!.transformToString(),
    );
    expect(published).toHaveLength(Number(typed!.n));

    // export from S3 to a local folder fetches the tenant and gives the same rows.
    const exported = await runner([
      'export',
      '--tenant',
      'acme',
      '--data',
      's3://finops-lake/findings',
      '--out-dir',
      'acme-local',
    ]);
    expect(exported.code).toBe(0);
    const again = JSON.parse(await readFile(join(dir, 'acme-local', 'findings.json'), 'utf8'));
    expect(again.map((r: { fingerprint: string }) => r.fingerprint)).toEqual(
      published.map((r: { fingerprint: string }) => r.fingerprint),
    );

    const unknown = await runner(['export', '--tenant', 'globex', '--data', 's3://finops-lake/findings']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'tenant globex has no findings under s3://finops-lake/findings; available tenants: acme',
    );
  });

  it('uploads a large part as a multipart upload, byte for byte, leaving no upload open', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'finops-multipart' }));
    const file = join(dir, 'large.bin');
    const bytes = randomBytes(12 * 1024 * 1024 + 123);
    await writeFile(file, bytes);
    const store = new S3Store(s3(), 'finops-multipart', 'lake', 5 * 1024 * 1024);
    await store.putFile('tenant_id=x/run_date=2026-11-22/part-large.parquet', file);
    const object = await s3().send(
      new GetObjectCommand({
        Bucket: 'finops-multipart',
        Key: 'lake/tenant_id=x/run_date=2026-11-22/part-large.parquet',
      }),
    );
    // A multipart object's ETag ends with the number of its parts.
    expect(object.ETag).toMatch(/-3"$/);
    const received = Buffer.from(await object.Body!.transformToByteArray());
    expect(createHash('sha256').update(received).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    const open = await s3().send(new ListMultipartUploadsCommand({ Bucket: 'finops-multipart' }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  it('replaces its own files when a run is retried with the same --run-id', async () => {
    const args = [
      '--tenant',
      'retry',
      '--regions',
      'us-east-1',
      '--out',
      's3://finops-lake/findings',
      '--run-id',
      'nightly-20261122',
      '--checker',
      'aws.s3.governance.lifecycle.missing',
    ];
    expect((await runner(args)).code).toBe(0);
    const first = (await keys('finops-lake', 'findings/tenant_id=retry/')).filter((k) =>
      k.endsWith('.parquet'),
    );
    const second = await runner(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Replaced 1 file(s) of an earlier attempt');
    const after = (await keys('finops-lake', 'findings/tenant_id=retry/')).filter((k) =>
      k.endsWith('.parquet'),
    );
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(first);
    expect(
      (await keys('finops-lake', 'findings/_runs/tenant_id=retry/')).filter((k) =>
        k.endsWith('/nightly-20261122.json'),
      ),
    ).toHaveLength(1);
  });

  it('rejects a run id that cannot name a file (exit 2)', async () => {
    const run = await runner(['--tenant', 'retry', '--run-id', '../../etc', '--regions', 'us-east-1']);
    expect(run.code).toBe(2);
  });
});

describe('the scheduled Lambda handler', () => {
  const s3 = () => new S3Client({ region: 'us-east-1', forcePathStyle: true });

  it('runs the rule input, and a retried invocation replaces its own run', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'finops-scheduled' }));
    const event = {
      tenant: 'sched',
      out: 's3://finops-scheduled/lake',
      regions: ['us-east-1'],
      checkers: ['aws.s3.governance.lifecycle.missing'],
      log_level: 'error' as const,
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const first = await handler(event, { awsRequestId: 'req-0001' });
      expect(first).toMatchObject({ exit_code: 0, run_id: 'sched-req-0001' });
      expect((await handler(event, { awsRequestId: 'req-0001' })).exit_code).toBe(0);
    } finally {
      process.env = saved;
    }
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: 'finops-scheduled' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(keys.filter((k) => k.startsWith('lake/') && k.endsWith('.parquet'))).toHaveLength(1);
    expect(keys).toContain('finops_state/tenant_id=sched/state.json');
    expect(keys).toContain(
      'lake/_runs/tenant_id=sched/run_date=' +
        keys
          .find((k) => k.includes('run_date='))!
          .split('run_date=')[1]!
          .slice(0, 10) +
        '/sched-req-0001.json',
    );
  });

  it('refuses an input that cannot run in Lambda, saying why', async () => {
    await expect(handler({ tenant: 'sched', out: 'data/local' })).rejects.toThrow(
      /out must be s3:\/\/bucket\/prefix in Lambda/,
    );
    await expect(handler({ tenant: 'sched', out: 's3://b/p', colour: 'red' })).rejects.toThrow(/colour/);
  });
});

describe('a run stopped by a signal', () => {
  it('stops cleanly on SIGTERM: complete parts only, and a manifest that says interrupted', async () => {
    const estate = await seedDemoEstate(moto);
    // node itself (not the tsx wrapper, which relays signals to a child process): the signal reaches the runner.
    let signalled = false;
    const run = startRunner(
      [
        ...['--tenant', 'stopped', '--out', 'stopped', '--concurrency', '1', '--log-level', 'debug'],
        ...['--run-ts', estate.runTs.toISOString()],
      ],
      { cwd: dir, env },
      (stderr, child) => {
        // Stop once a few units have run and more are queued.
        if (!signalled && (stderr.match(/"unit started"/g) ?? []).length >= 20) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    );
    const { code, stderr, stdout } = await run.ended;
    expect(signalled, `the run ended before it was stopped:\n${stderr}`).toBe(true);
    expect(code).toBe(1);
    expect(stderr).toContain('SIGTERM: stopping');
    expect(stdout).toContain('The run was interrupted');
    const root = join(dir, 'stopped');
    const files = await readdir(root, { recursive: true });
    const manifest = await onlyManifest(root, 'stopped');
    expect(manifest.status).toBe('interrupted');
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Every visible part reads in full, and the manifest lists exactly them.
    const parts = files.filter((f) => f.endsWith('.parquet'));
    expect(parts.map((f) => f.replaceAll('\\', '/')).sort()).toEqual(
      manifest.files.map((f) => f.path).sort(),
    );
    for (const part of parts) {
      const [{ n }] = (await query('SELECT count(*)::INTEGER AS n FROM read_parquet($file)', {
        file: join(root, part),
      })) as [{ n: number }];
      expect(n).toBe(manifest.files.find((f) => part.endsWith(f.path.split('/').pop()!))!.rows);
    }
    // An interrupted run resolves nothing: units cut short cover nothing.
    const covered = manifest.checkers.reduce((n, c) => n + c.coverage.length, 0);
    const total = manifest.checkers.length * manifest.regions.length;
    expect(covered).toBeLessThan(total);
  }, 120_000);
});
