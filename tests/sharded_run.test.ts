/**
 * One run split across workers, against moto as the AWS API: an organisation of 20 accounts, four shard
 * processes at once writing into one S3 dataset, one of them killed and retried, `run finalize`, and an export
 * that equals the export of one unsharded run over the same accounts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../lambda/handler.ts';
import { defaultEffects, main } from '../runner.ts';
import { startMoto, type MotoServer } from '../scripts/moto_server.ts';
import { inAccount, unattachedVolume } from './helpers/moto_org.ts';
import { runRunner, startRunner } from './helpers/runner_process.ts';

const ROLE = 'FinOpsAudit';
const BUCKET = 'finops-sharded';
const MEMBERS = 19;

let moto: MotoServer;
let dir: string;
let env: NodeJS.ProcessEnv;
let accounts: string[];
const volumes = new Map<string, string>();
/** findings.json of the unsharded run (first test). */
let singleFindings: unknown[] = [];

const where = () => ({ cwd: dir, env });
const runner = (args: readonly string[]) => runRunner(args, where());

beforeAll(async () => {
  moto = await startMoto();
  env = { ...process.env, ...moto.env };
  Object.assign(process.env, moto.env);
  dir = await mkdtemp(join(tmpdir(), 'sharded-'));
  const org = new OrganizationsClient({ region: 'us-east-1' });
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  accounts = ['123456789012'];
  for (let i = 0; i < MEMBERS; i += 1) {
    const created = await org.send(
      new CreateAccountCommand({ AccountName: `member-${i}`, Email: `member-${i}@example.com` }),
    );
    accounts.push(created.CreateAccountStatus!.AccountId!);
  }
  // Waste in every account, of a different size each: each finding is its account's own.
  for (const [i, account] of accounts.entries())
    volumes.set(account, await unattachedVolume((await inAccount(account, ROLE)).ec2, 10 + i));
  await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(
    new CreateBucketCommand({ Bucket: BUCKET }),
  );
}, 180_000);

afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a run split into shards', () => {
  it('four shards at once, one killed and retried, finalized: the export of one unsharded run', async () => {
    const runTs = new Date(Date.now() - 60_000).toISOString();
    const scan = (out: string, extra: readonly string[] = []) => [
      '--tenant',
      'acme',
      '--org',
      '--role-name',
      ROLE,
      '--regions',
      'us-east-1',
      '--checker',
      'aws.ec2.ebs.unattached.volume',
      '--run-id',
      'nightly-2026-11-28',
      '--run-ts',
      runTs,
      '--out',
      out,
      ...extra,
    ];
    const sharded = `s3://${BUCKET}/sharded/finops_findings`;
    const single = `s3://${BUCKET}/single/finops_findings`;

    // Four workers at once; shard 2 dies (SIGKILL: no chance to tidy up) as soon as it has started.
    const shards = [1, 2, 3, 4].map((k) =>
      startRunner(scan(sharded, ['--shard', `${k}/4`, '--log-level', 'debug']), where(), (stderr, child) => {
        if (k === 2 && stderr.includes('"run started"') && !child.killed) child.kill('SIGKILL');
      }),
    );
    const ended = await Promise.all(shards.map((s) => s.ended));
    expect(ended.map((e) => e.code)).toEqual([0, -1, 0, 0]);
    for (const k of [0, 2, 3])
      expect(ended[k]!.stdout).toContain(`Shard ${k + 1}/4 of run nightly-2026-11-28 is written`);

    // Not finalized yet: the shards' findings belong to no run, and an export shows none of them.
    const early = await runner([
      'export',
      '--tenant',
      'acme',
      '--data',
      sharded,
      '--out-dir',
      join(dir, 'early'),
    ]);
    expect(early.code, early.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'early', 'findings.json'), 'utf8'))).toEqual([]);

    const finalize = () =>
      runner(['run', 'finalize', '--tenant', 'acme', '--run-id', 'nightly-2026-11-28', '--data', sharded]);
    const partial = await finalize();
    expect(partial.code, partial.stderr).toBe(3);
    expect(partial.stdout).toContain('from 3 of 4 shard(s): interrupted, 15 account(s)');
    expect(partial.stdout).toContain('Shard(s) that never finished (no manifest, or still running): 2.');

    // The retry of shard 2 replaces only that shard's files; finalizing again makes the whole run.
    const retried = await runner(scan(sharded, ['--shard', '2/4']));
    expect(retried.code, retried.stderr).toBe(0);
    const whole = await finalize();
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toContain('from 4 of 4 shard(s): completed, 20 account(s), 20 finding(s)');

    // The same run, unsharded, into a dataset of its own.
    const one = await runner(scan(single));
    expect(one.code, one.stderr).toBe(0);

    const exported = async (data: string, name: string) => {
      const out = join(dir, name);
      const result = await runner(['export', '--tenant', 'acme', '--data', data, '--out-dir', out]);
      expect(result.code, result.stderr).toBe(0);
      const read = async (file: string) => JSON.parse(await readFile(join(out, file), 'utf8'));
      const coverage = await read('coverage.json');
      // How long each checker took is the one thing two runs of the same accounts do not share.
      for (const checker of coverage.checkers) delete checker.duration_ms;
      return { findings: await read('findings.json'), coverage };
    };
    const fromShards = await exported(sharded, 'from-shards');
    const fromOne = await exported(single, 'from-one');
    expect(fromShards.findings).toHaveLength(20);
    expect(new Set(fromShards.findings.map((f: { resource_id: string }) => f.resource_id))).toEqual(
      new Set(volumes.values()),
    );
    expect(fromShards.findings).toEqual(fromOne.findings);
    expect(fromShards.coverage.accounts).toEqual([...accounts].sort());
    expect(fromShards.coverage).toEqual(fromOne.coverage);

    // Every part in the bucket is listed by the run's manifest: the killed attempt left nothing behind.
    const listed = await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'sharded/finops_findings/tenant_id=acme/' }),
    );
    const parts = (listed.Contents ?? []).map((o) => o.Key!.slice('sharded/finops_findings/'.length)).sort();
    const manifestKey = `sharded/finops_findings/_runs/tenant_id=acme/run_date=${runTs.slice(0, 10)}/nightly-2026-11-28.json`;
    const manifest = JSON.parse(
      await (
        await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(
          new GetObjectCommand({ Bucket: BUCKET, Key: manifestKey }),
        )
      ).Body!.transformToString(),
    ) as { files: { path: string }[]; shards: { index: number }[] };
    expect(parts.length).toBeGreaterThan(0);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(parts);
    expect(manifest.shards.map((s) => s.index)).toEqual([1, 2, 3, 4]);
    singleFindings = fromOne.findings;
  }, 300_000);

  it("runs the state machine's steps through the Lambda handler: plan, every shard, finalize, export", async () => {
    const scan = {
      tenant: 'acme',
      out: `s3://${BUCKET}/lambda/finops_findings`,
      org: true,
      role_name: ROLE,
      regions: ['us-east-1'],
      checkers: ['aws.ec2.ebs.unattached.volume'],
      accounts_per_shard: 8,
      log_level: 'error' as const,
    };
    const run = { run_id: 'nightly-2026-11-28', run_ts: new Date(Date.now() - 60_000).toISOString() };
    const planned = await handler({ ...scan, ...run, action: 'plan' });
    const { shards } = planned.plan as { shards: Record<string, unknown>[] };
    // 20 accounts, at most 8 a shard: three shards of 6, 7 and 7.
    expect(shards.map((item) => [item['shard'], (item['accounts'] as string[]).length])).toEqual([
      ['1/3', 6],
      ['2/3', 7],
      ['3/3', 7],
    ]);
    // The Distributed Map: each item as it is, as the input of one invocation, some at once.
    const scanned = await Promise.all(shards.map((item) => handler({ ...item, log_level: 'error' })));
    expect(scanned.map((r) => r.exit_code)).toEqual([0, 0, 0]);
    // Before finalize, runs list shows the run in shards.
    const said: string[] = [];
    const listing = { ...defaultEffects, print: (text: string) => void said.push(text) };
    expect(await main(['runs', 'list', '--tenant', 'acme', '--data', scan.out], listing)).toBe(0);
    expect(said.join('\n')).toMatch(/nightly-2026-11-28\s+in shards: 3 of 3 written, not finalized/);
    const finalized = await handler({
      action: 'finalize',
      tenant: 'acme',
      out: scan.out,
      run_id: run.run_id,
    });
    expect(finalized.exit_code).toBe(0);
    const exported = await handler({
      action: 'export',
      tenant: 'acme',
      out: scan.out,
      export_dir: `s3://${BUCKET}/site/acme`,
    });
    expect(exported.exit_code).toBe(0);
    const body = await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'site/acme/findings.json' }),
    );
    const findings = JSON.parse(await body.Body!.transformToString()) as unknown[];
    expect(findings).toHaveLength(20);
    // The same findings as the unsharded run of the first test, but for the run's time.
    const strip = (rows: unknown[]) =>
      rows.map((row) => ({
        ...(row as Record<string, unknown>),
        run_ts: null,
        run_date: null,
        first_seen: null,
        last_seen: null,
      }));
    expect(strip(findings)).toEqual(strip(singleFindings));

    // Deleting the run takes its parts, its manifest and its shards' manifests.
    said.length = 0;
    expect(
      await main(['runs', 'delete', '--tenant', 'acme', '--data', scan.out, '--run-id', run.run_id], listing),
    ).toBe(0);
    expect(said.at(-1)).toMatch(
      /^Deleted run nightly-2026-11-28 of tenant acme: \d+ part\(s\) and its manifest \(and 3 shard manifest\(s\)\)\.$/,
    );
    const left = await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lambda/finops_findings/' }),
    );
    const keys = (left.Contents ?? []).map((o) => o.Key!);
    expect(keys.filter((key) => key.endsWith('.parquet') || key.includes('nightly-2026-11-28'))).toEqual([]);
  }, 300_000);
});
