/**
 * The policy file (finops.config.yaml): validated whole against the checkers, printed as the configuration in
 * force (flags win), and applied by a run against the AWS emulator, whose manifest records it.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argvFor } from '../../lambda/handler.ts';
import { seedDemoEstate, type DemoIds } from '../../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../../scripts/moto_server.ts';
import { query } from '../helpers/duckdb.ts';
import { runRunner } from '../helpers/runner_process.ts';

let moto: MotoServer;
let dir: string;
let estate: DemoIds;

const runner = (args: string[], cwd = dir) => runRunner(args, { cwd, env: { ...process.env, ...moto.env } });

beforeAll(async () => {
  moto = await startMoto();
  estate = await seedDemoEstate(moto);
  dir = await mkdtemp(join(tmpdir(), 'config-'));
});
afterAll(async () => {
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A folder holding `text` as its finops.config.yaml (or another name). */
async function folderWith(name: string, text: string, file = 'finops.config.yaml'): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, file), text);
  return folder;
}

const POLICY = `
regions: [us-east-1]
concurrency: 3
checks:
  aws.ec2.ebs.old.snapshot:
    params: { min_age_days: 3650 }
  aws.ec2.eip.unassociated:
    severity: critical
  aws.s3.governance.lifecycle.missing:
    enabled: false
  aws.rds.instances.idle:
    accounts: ["999999999999"]
  aws.ec2.ebs.unattached.volume:
    tags: { Name: old-scratch }
`;

describe('config validate', () => {
  it('names every problem with the file, its key path and the known values (exit 2)', async () => {
    const folder = await folderWith(
      'bad',
      `regions: [us-east-1, nowhere]
colour: blue
checks:
  aws.ec2.ebs.old.snapshot:
    params: { min_age_days: 0, max_age: 3 }
    severity: urgent
  aws.no.such.check: { enabled: false }
  aws.s3.governance.lifecycle.missing:
    regions: [us-east-1]
    owner: me
`,
    );
    const { code, stdout, stderr } = await runner(['config', 'validate'], folder);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe('error: finops.config.yaml: 8 problem(s)');
    expect(lines.slice(1)).toEqual([
      '  checks["aws.ec2.ebs.old.snapshot"].params.max_age: unknown parameter; aws.ec2.ebs.old.snapshot has these: min_age_days',
      '  checks["aws.ec2.ebs.old.snapshot"].params.min_age_days: 0 is out of range: from 1 to 3650',
      expect.stringMatching(/^ {2}checks\["aws.ec2.ebs.old.snapshot"\].severity: .*"info".*"critical"/),
      expect.stringMatching(
        /^ {2}checks\["aws.no.such.check"\]: unknown check; known checks: aws.costoptimizationhub.recommendations, .*aws.ec2.ebs.old.snapshot, /,
      ),
      '  checks["aws.s3.governance.lifecycle.missing"].owner: unknown key; known keys: enabled, params, severity, accounts, regions, tags',
      '  checks["aws.s3.governance.lifecycle.missing"].regions: aws.s3.governance.lifecycle.missing is not regional (it looks at each account once): scope it by accounts',
      '  colour: unknown key; known keys: plugins, regions, concurrency, finding_id_mode, checks',
      '  regions[1]: an AWS region name, like eu-west-1',
    ]);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('accepts a valid file, a JSON one given with --config, and says when there is none', async () => {
    const folder = await folderWith('good', POLICY);
    const valid = await runner(['config', 'validate'], folder);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toContain('finops.config.yaml is valid: 22 of 23 checkers would run.');
    const json = await folderWith(
      'json',
      JSON.stringify({ checks: { 'aws.ec2.eip.unassociated': { enabled: false } } }),
      'policy.json',
    );
    const given = await runner(['config', 'validate', '--config', join(json, 'policy.json')], dir);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toContain('policy.json is valid: 22 of 23 checkers would run.');
    const none = await folderWith('none', '', 'README');
    const nothing = await runner(['config', 'validate'], none);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain(
      'No policy file: none of finops.config.yaml, finops.config.yml, finops.config.json',
    );
    const missing = await runner(['config', 'validate', '--config', join(dir, 'absent.yaml')], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--config ${join(dir, 'absent.yaml')}: no such file`);
  });
});

describe('a policy file in S3', () => {
  it('is read with --config s3://bucket/key, and a missing object is named', async () => {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'policies' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'policies', Key: 'finops/finops.config.yaml', Body: POLICY }),
    );
    s3.destroy();
    const printed = await runner(['config', 'print', '--config', 's3://policies/finops/finops.config.yaml']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({
      source: 's3://policies/finops/finops.config.yaml',
      effective: { concurrency: 3, regions: ['us-east-1'] },
    });
    const missing = await runner(['config', 'validate', '--config', 's3://policies/finops/absent.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config s3://policies/finops/absent.yaml: no such file');
  });
});

describe('config print', () => {
  it('prints the file and the flags together, flags winning, with a digest that follows the thresholds', async () => {
    const folder = await folderWith('print', POLICY);
    const print = async (args: string[]) => {
      const { code, stdout, stderr } = await runner(['config', 'print', ...args], folder);
      expect(code, stderr).toBe(0);
      return JSON.parse(stdout);
    };
    const fromFile = await print([]);
    expect(fromFile.source).toBe(join(folder, 'finops.config.yaml'));
    expect(fromFile.effective).toMatchObject({
      regions: ['us-east-1'],
      concurrency: 3,
      finding_id_mode: 'stable',
    });
    expect(Object.keys(fromFile.effective.checks)).toHaveLength(22);
    expect(fromFile.effective.checks['aws.s3.governance.lifecycle.missing']).toBeUndefined();
    expect(fromFile.effective.checks['aws.ec2.ebs.old.snapshot']).toEqual({ params: { min_age_days: 3650 } });
    // A check's defaults are recorded with it: the thresholds a finding came from.
    expect(fromFile.effective.checks['aws.ec2.ami.unused']).toEqual({ params: { min_age_days: 90 } });
    expect(fromFile.effective.checks['aws.ec2.eip.unassociated']).toEqual({
      params: {},
      severity: 'critical',
    });
    expect(fromFile.sha256).toMatch(/^[0-9a-f]{64}$/);

    const flags = await print([
      ...['--concurrency', '5', '--regions', 'eu-west-1', '--finding-id-mode', 'per_day'],
      ...['--set', 'aws.ec2.ebs.old.snapshot.min_age_days=30'],
      ...['--checker', 'aws.s3.governance.lifecycle.missing', '--checker', 'aws.ec2.ebs.old.snapshot'],
    ]);
    expect(flags.effective).toMatchObject({
      regions: ['eu-west-1'],
      concurrency: 5,
      finding_id_mode: 'per_day',
    });
    // --checker names a check the file disables: it runs.
    expect(Object.keys(flags.effective.checks)).toEqual([
      'aws.ec2.ebs.old.snapshot',
      'aws.s3.governance.lifecycle.missing',
    ]);
    expect(flags.effective.checks['aws.ec2.ebs.old.snapshot'].params).toEqual({ min_age_days: 30 });
    expect(flags.sha256).not.toBe(fromFile.sha256);
    // The same configuration, the same digest.
    expect((await print([])).sha256).toBe(fromFile.sha256);
  });
});

describe('a run with a policy file', () => {
  it('applies params, severity, disabled checks and scopes, and records the configuration in the manifest', async () => {
    const folder = await folderWith('run', POLICY);
    const data = join(folder, 'data', 'finops_findings');
    const run = await runner(
      ['--tenant', 'acme', '--out', data, '--run-ts', estate.runTs.toISOString()],
      folder,
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = await query(
      `SELECT check_id, scope.resource_id AS resource, status, severity.level AS level,
              estimated.monthly_savings::VARCHAR AS savings, message
       FROM read_parquet($glob, hive_partitioning = true) ORDER BY ALL`,
      { glob: join(data, '**', '*.parquet') },
    );
    const of = (check: string) => rows.filter((r) => r.check_id === check);
    expect(rows.length).toBeGreaterThan(10);
    // Disabled, and scoped to an account the run did not scan: no finding, no coverage.
    expect(of('aws.s3.governance.lifecycle.missing')).toEqual([]);
    expect(of('aws.rds.instances.idle')).toEqual([]);
    // min_age_days 3650: no snapshot is old now; the demo's old one (99 days) is kept for its age.
    const snapshots = of('aws.ec2.ebs.old.snapshot');
    expect(snapshots.map((r) => r.status)).toEqual(snapshots.map(() => 'pass'));
    expect(snapshots.find((r) => r.resource === estate.snapshots.old)).toMatchObject({
      message: `Snapshot ${estate.snapshots.old} is 99 days old.`,
    });
    // The file's severity.
    const eip = of('aws.ec2.eip.unassociated').filter((r) => r.status === 'fail');
    expect(eip.length).toBeGreaterThan(0);
    for (const row of eip) expect(row.level).toBe('critical');
    // Tagged Name=old-scratch: in scope and failing; the other unattached volume is outside it, with no estimate.
    const volumes = Object.fromEntries(of('aws.ec2.ebs.unattached.volume').map((r) => [r.resource, r]));
    expect(volumes[estate.volumes.unattached]).toMatchObject({ status: 'fail', savings: expect.any(String) });
    expect(volumes[estate.volumes.io1Unattached]).toMatchObject({ status: 'info', savings: null });
    expect(String(volumes[estate.volumes.io1Unattached]!.message)).toMatch(
      /^Outside the policy's scope \(tags Name=old-scratch\)\./,
    );

    const manifests = join(data, '_runs', 'tenant_id=acme');
    const [day] = await readdir(manifests);
    const [file] = await readdir(join(manifests, day!));
    const manifest = JSON.parse(await readFile(join(manifests, day!, file!), 'utf8'));
    const printed = JSON.parse((await runner(['config', 'print'], folder)).stdout);
    expect(manifest.config).toEqual(printed);
    expect(manifest.arguments).not.toHaveProperty('concurrency');
    const rds = manifest.checkers.find((c: { check_id: string }) => c.check_id === 'aws.rds.instances.idle');
    expect(rds.coverage).toEqual([]);
    expect(manifest.checkers.map((c: { check_id: string }) => c.check_id)).not.toContain(
      'aws.s3.governance.lifecycle.missing',
    );
  });
});

describe('the Lambda input', () => {
  it('passes config on as --config to a run and to plan-shards', () => {
    const input = {
      tenant: 'acme',
      out: 's3://lake/findings',
      config: 's3://lake/policy/finops.config.yaml',
    };
    expect(argvFor(input, 'r1')).toEqual(
      expect.arrayContaining(['--config', 's3://lake/policy/finops.config.yaml']),
    );
    expect(argvFor({ ...input, action: 'plan', org: true, role_name: 'Audit' }, 'r1')).toEqual(
      expect.arrayContaining(['plan-shards', '--config', 's3://lake/policy/finops.config.yaml']),
    );
  });
});
