/**
 * Runs on an S3 dataset, against moto: one run per run id at a time (a lease object written with S3's
 * conditional puts), and `runs list` / `runs delete` on the bucket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3Store } from '../cli/s3_store.ts';
import { acquireRunLease, LEASE_MS, RunLockedError } from '../pipeline/run_lock.ts';
import { main } from '../runner.ts';
import { startMoto, type MotoServer } from '../scripts/moto_server.ts';

const BUCKET = 'lease-lake';
let moto: MotoServer;
let s3: S3Client;
let dir: string;
let cwd: string;

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  dir = await mkdtemp(join(tmpdir(), 's3-runs-'));
  cwd = process.cwd();
  process.chdir(dir);
}, 120_000);

afterAll(async () => {
  process.chdir(cwd);
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const store = (prefix: string) => new S3Store(s3, BUCKET, prefix);
const later = (ms: number) => () => new Date(Date.now() + ms);

/** Runs the CLI in this process; returns the exit code, what it printed and what it wrote to stderr. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(argv.includes('--log-level') ? argv : [...argv, '--log-level', 'error']);
    return { code, stdout: out.mock.calls.join(''), stderr: err.mock.calls.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('the run lease on S3', () => {
  it('lets one process hold a run id, refuses a second, and lets a later one take an expired lease over', async () => {
    const leases = store('unit');
    const first = await acquireRunLease(leases, 'acme', 'nightly', undefined, 250);
    const refused = await acquireRunLease(leases, 'acme', 'nightly').catch((e: Error) => e);
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as Error).message).toMatch(
      /^run nightly is already running \(process \d+ on .+; its lease at s3:\/\/lease-lake\/unit\/_runs\/tenant_id=acme\/\.lease-nightly\.json ends /,
    );

    // Past the lease's end (the first holder stalled): the lease is taken over.
    const second = await acquireRunLease(leases, 'acme', 'nightly', later(LEASE_MS + 60_000));
    await new Promise((r) => setTimeout(r, 600));
    // The first holder's next renewal finds the lease gone from it: it must stop publishing.
    expect(() => first.check()).toThrow(
      'run nightly: its lease was taken over by another process; this process stops publishing',
    );
    second.check();
    await first.release();
    expect(await leases.list('_runs/')).toEqual(['_runs/tenant_id=acme/.lease-nightly.json']);
    await second.release();
    expect(await leases.list('_runs/')).toEqual([]);
  });

  it('gives a run id to exactly one of two processes that start it at the same moment', async () => {
    const leases = store('race');
    const both = await Promise.allSettled(
      Array.from({ length: 2 }, () => acquireRunLease(leases, 'acme', 'same')),
    );
    const won = both.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      both.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason),
    ).toEqual([expect.any(RunLockedError)]);
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });

  it('renews the lease while the run goes on', async () => {
    const leases = store('renew');
    const lease = await acquireRunLease(leases, 'acme', 'long', undefined, 40);
    const expires = async () =>
      JSON.parse((await leases.getText('_runs/tenant_id=acme/.lease-long.json'))!).expires as string;
    const before = await expires();
    await new Promise((r) => setTimeout(r, 150));
    expect(Date.parse(await expires())).toBeGreaterThan(Date.parse(before));
    lease.check();
    await lease.release();
  });
});

describe('runs with one run id on S3', () => {
  const argv = [
    '--tenant',
    'acme',
    '--regions',
    'us-east-1',
    '--checker',
    'aws.s3.governance.lifecycle.missing',
    '--out',
    `s3://${BUCKET}/lake`,
    '--run-id',
    'nightly',
  ];
  const leaseKey = '_runs/tenant_id=acme/.lease-nightly.json';
  const lease = (expires: Date) =>
    JSON.stringify({
      pid: 4242,
      host: 'scheduler-b',
      started: '2026-11-28T06:00:00.000Z',
      holder: 'other',
      expires: expires.toISOString(),
    });
  const parts = async () =>
    (await store('lake').list('tenant_id=acme/')).filter((k) => k.endsWith('.parquet'));

  it('refuses a second run while another holds the lease, writing nothing (exit 1)', async () => {
    await store('lake').putText(leaseKey, lease(new Date(Date.now() + LEASE_MS)));
    const run = await cli(argv);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'run nightly is already running (process 4242 on scheduler-b, since 2026-11-28T06:00:00.000Z',
    );
    expect(await parts()).toEqual([]);
    expect(await store('lake').list('_runs/')).toEqual([`${leaseKey}`]);
  });

  it('takes over the lease of a run that died, runs, and leaves no lease behind', async () => {
    await store('lake').putText(leaseKey, lease(new Date(Date.now() - 1000)));
    const run = await cli(argv);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await parts()).toHaveLength(1);
    expect((await store('lake').list('_runs/')).filter((k) => k.includes('.lease-'))).toEqual([]);
  });

  it('lists the runs of an S3 dataset and deletes one, parts and manifest', async () => {
    const other = await cli([...argv.slice(0, -1), 'weekly']);
    expect(other.code).toBe(0);
    const list = await cli(['runs', 'list', '--tenant', 'acme', '--data', `s3://${BUCKET}/lake`]);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .slice(2)
      .map((line) => line.split(/\s+/)[0])
      .sort();
    expect(rows).toEqual(['nightly', 'weekly']);
    expect(await parts()).toHaveLength(2);

    const removal = await cli([
      'runs',
      'delete',
      '--tenant',
      'acme',
      '--data',
      `s3://${BUCKET}/lake`,
      '--run-id',
      'nightly',
    ]);
    expect(removal.code).toBe(0);
    expect(removal.stdout).toContain('Deleted run nightly of tenant acme: 1 part(s) and its manifest.');
    expect(await parts()).toHaveLength(1);
    const manifests = (await store('lake').list('_runs/')).map((k) => k.split('/').pop());
    expect(manifests).toEqual(['weekly.json']);
  });
});

describe('dataset check on S3', () => {
  it('names an unreadable part and manifest in the bucket and moves them under _quarantine/', async () => {
    const lake = store('checked');
    const run = await cli([
      '--tenant',
      'acme',
      '--regions',
      'us-east-1',
      '--checker',
      'aws.s3.governance.lifecycle.missing',
      '--out',
      `s3://${BUCKET}/checked`,
    ]);
    expect(run.code).toBe(0);
    const [good] = (await lake.list('tenant_id=acme/')).filter((k) => k.endsWith('.parquet'));
    const day = good!.split('/').slice(0, 2).join('/');
    await lake.putText(`${day}/part-broken.parquet`, 'not parquet');
    await lake.putText(`_runs/tenant_id=acme/${day.split('/')[1]}/broken.json`, '{}');

    const check = await cli([
      'dataset',
      'check',
      '--tenant',
      'acme',
      '--data',
      `s3://${BUCKET}/checked`,
      '--quarantine',
    ]);
    expect(check.code).toBe(3);
    expect(check.stdout).toContain('Quarantined 2 file(s)');
    expect((await lake.list('tenant_id=acme/')).filter((k) => k.endsWith('.parquet'))).toEqual([good]);
    expect(await lake.list('_quarantine/')).toEqual([
      `_quarantine/_runs/tenant_id=acme/${day.split('/')[1]}/broken.json.quarantined`,
      `_quarantine/${day}/part-broken.parquet.quarantined`,
    ]);
  });
});

describe('the tenant state of an S3 dataset', () => {
  const scanTo = (out: string, ...more: string[]) =>
    cli([
      ...['--tenant', 'acme', '--regions', 'us-east-1', '--checker', 'aws.s3.governance.lifecycle.missing'],
      ...['--out', out, ...more],
    ]);

  it('is kept beside it by every run, so an export fetches no part and no earlier manifest', async () => {
    // Yesterday's run (a backfill, dated), then today's.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    for (const more of [['--run-ts', yesterday], []]) {
      const run = await scanTo(`s3://${BUCKET}/kept/findings`, ...more);
      expect(run.code, run.stderr).toBe(0);
    }
    const kept = store('kept');
    expect(await kept.list('finops_state/')).toEqual([
      expect.stringMatching(/^finops_state\/tenant_id=acme\/state-[\w-]+\.parquet$/),
      'finops_state/tenant_id=acme/state.json',
    ]);
    const site = join(dir, 'kept-site');
    const stateBefore = await kept.list('finops_state/');
    const downloads = vi.spyOn(S3Store.prototype, 'download');
    const exported = await cli([
      ...['export', '--tenant', 'acme', '--data', `s3://${BUCKET}/kept/findings`, '--out-dir', site],
      '--no-dashboard',
    ]);
    const fetched = downloads.mock.calls.map(([key]) => key);
    downloads.mockRestore();
    expect(exported.code, exported.stderr).toBe(0);
    // The state and the gold tables, today's manifest only (yesterday's is known from the state, unchanged),
    // and not one part: the stored state holds both runs.
    expect(fetched.filter((key) => key.startsWith('tenant_id=') && key.includes('/run_date='))).toEqual([]);
    const manifests = fetched.filter((key) => key.startsWith('_runs/'));
    expect(manifests).toHaveLength(1);
    expect(manifests[0]).toContain(`/run_date=${new Date().toISOString().slice(0, 10)}/`);
    expect(fetched).toContain('tenant_id=acme/state.json');
    expect(await kept.list('finops_state/')).toEqual(stateBefore);
    const { readFile } = await import('node:fs/promises');
    const findings = JSON.parse(await readFile(join(site, 'findings.json'), 'utf8')) as unknown[];
    const parts = (await kept.list('findings/tenant_id=acme/')).filter((k) => k.endsWith('.parquet'));
    expect(parts).toHaveLength(2);
    expect(findings.length).toBeGreaterThan(0);
    const trends = JSON.parse(await readFile(join(site, 'trends.json'), 'utf8')) as { source: string };
    expect(trends.source).toBe('kpi_gold');
  });

  it('fetches only the gold days an export reads, and the newest; a run keeps the days it did not fetch', async () => {
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const day = (iso: string) => `period=${iso.slice(0, 10)}`;
    const scanAs = (tenant: string, more: string[]) =>
      cli([
        ...['--tenant', tenant, '--regions', 'us-east-1', '--checker', 'aws.s3.governance.lifecycle.missing'],
        ...['--out', `s3://${BUCKET}/window/findings`, ...more],
      ]);
    for (const more of [['--run-ts', ago(200)], ['--run-ts', ago(150)], []]) {
      const run = await scanAs('acme', more);
      expect(run.code, run.stderr).toBe(0);
    }
    const lake = store('window');
    const goldDays = async (tenant: string) =>
      (await lake.list(`finops_kpi_gold/tenant_id=${tenant}/`)).map((key) => key.split('/')[2]);
    expect(new Set(await goldDays('acme'))).toEqual(new Set([day(ago(200)), day(ago(150)), day(ago(0))]));
    const fetchedGold = async (argv: string[]) => {
      const downloads = vi.spyOn(S3Store.prototype, 'download');
      try {
        const result = await cli(argv);
        expect(result.code, result.stderr).toBe(0);
        return downloads.mock.calls.map(([key]) => key).filter((key) => key.includes('/period='));
      } finally {
        downloads.mockRestore();
      }
    };
    // The export's trends read the last 90 days: today's gold day, not the two older ones.
    const site = join(dir, 'window-site');
    const exportArgs = (tenant: string) => [
      ...['export', '--tenant', tenant, '--data', `s3://${BUCKET}/window/findings`],
      ...['--out-dir', site, '--no-dashboard'],
    ];
    expect((await fetchedGold(exportArgs('acme'))).map((key) => key.split('/')[1])).toEqual([day(ago(0))]);
    const { readFile } = await import('node:fs/promises');
    const trends = JSON.parse(await readFile(join(site, 'trends.json'), 'utf8')) as {
      source: string;
      from: string;
      days: { date: string }[];
    };
    expect(trends.source).toBe('kpi_gold');
    // The window the export draws starts after the days it did not fetch, and holds today's.
    expect(trends.from > ago(150).slice(0, 10)).toBe(true);
    expect(trends.days.map((d) => d.date)).toEqual([ago(0).slice(0, 10)]);

    // Another run today rewrites today's day (fetched: the newest) and keeps the others as they were.
    const older = (await lake.list('finops_kpi_gold/tenant_id=acme/')).filter(
      (key) => !key.includes(day(ago(0))),
    );
    expect(older).toHaveLength(2);
    const again = await fetchedGold([
      ...['--tenant', 'acme', '--regions', 'us-east-1', '--checker', 'aws.s3.governance.lifecycle.missing'],
      ...['--out', `s3://${BUCKET}/window/findings`, '--log-level', 'error'],
    ]);
    expect(again.map((key) => key.split('/')[1])).toEqual([day(ago(0))]);
    const after = await lake.list('finops_kpi_gold/tenant_id=acme/');
    expect(after.filter((key) => !key.includes(day(ago(0))))).toEqual(older);
    expect(after.filter((key) => key.includes(day(ago(0))))).toHaveLength(1);

    // A tenant idle for months: its newest day, outside the window, is fetched (the gold is kept, not rebuilt).
    for (const more of [
      ['--run-ts', ago(200)],
      ['--run-ts', ago(150)],
    ]) {
      const run = await scanAs('idle', more);
      expect(run.code, run.stderr).toBe(0);
    }
    const stateBefore = await lake.getText('finops_state/tenant_id=idle/state.json');
    expect((await fetchedGold(exportArgs('idle'))).map((key) => key.split('/')[1])).toEqual([day(ago(150))]);
    expect(await lake.getText('finops_state/tenant_id=idle/state.json')).toBe(stateBefore);
    expect(new Set(await goldDays('idle'))).toEqual(new Set([day(ago(200)), day(ago(150))]));
  });

  it('goes where --state-data and --gold-data say', async () => {
    const gold = join(dir, 'gold-here');
    const run = await cli([
      ...['--tenant', 'solo', '--regions', 'us-east-1', '--checker', 'aws.s3.governance.lifecycle.missing'],
      ...['--out', `s3://${BUCKET}/explicit`, '--state-data', `s3://${BUCKET}/elsewhere/state`],
      ...['--gold-data', gold],
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(await store('elsewhere/state').list('')).toContain('tenant_id=solo/state.json');
    const { readdir } = await import('node:fs/promises');
    const periods = (await readdir(join(gold, 'tenant_id=solo'))).filter((d) => d.startsWith('period='));
    expect(periods).toHaveLength(1);
    // Nothing beside the dataset.
    expect(await store('').list('finops_state/tenant_id=solo/')).toEqual([]);
  });

  it('is rebuilt with every gold day by `kpi rebuild` on the S3 dataset, and stored back beside it', async () => {
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    for (const more of [['--run-ts', twoDaysAgo], []]) {
      const run = await scanTo(`s3://${BUCKET}/rebuilt/findings`, ...more);
      expect(run.code, run.stderr).toBe(0);
    }
    const lake = store('rebuilt');
    // The gold tables lost (or never kept, as before this engine kept them): the rebuild brings every day back.
    await lake.delete(await lake.list('finops_kpi_gold/'));
    const stateBefore = await lake.getText('finops_state/tenant_id=acme/state.json');
    const rebuilt = await cli([
      'kpi',
      'rebuild',
      '--tenant',
      'acme',
      '--data',
      `s3://${BUCKET}/rebuilt/findings`,
    ]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('Rebuilt 2 day(s) of KPIs');
    const days = new Set(
      (await lake.list('finops_kpi_gold/tenant_id=acme/')).map((key) => key.split('/')[2]),
    );
    expect([...days].sort()).toEqual(
      [2, 0].map((n) => `period=${new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)}`),
    );
    const state = JSON.parse((await lake.getText('finops_state/tenant_id=acme/state.json'))!) as {
      runs: unknown[];
      file: string;
    };
    expect(state.runs).toHaveLength(2);
    expect(state.file).not.toBe(JSON.parse(stateBefore!).file);
    expect(await lake.list('finops_state/')).toContain(`finops_state/tenant_id=acme/${state.file}`);

    // At a bucket root there is no folder beside the dataset: the flags are needed (exit 2).
    const root = await cli(['kpi', 'rebuild', '--tenant', 'acme', '--data', `s3://${BUCKET}`]);
    expect(root.code).toBe(2);
    expect(root.stderr).toContain('pass --state-data and --gold-data');
    const unknown = await cli([
      'kpi',
      'rebuild',
      '--tenant',
      'nobody',
      '--data',
      `s3://${BUCKET}/rebuilt/findings`,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('tenant nobody has no findings under');
  });
});

describe('billed cost with an S3 export and an S3 dataset', () => {
  it('imports a CUR 2.0 export from S3 into facts beside the dataset, replaces them, and the export shows them', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { writeCurExport } = await import('../scripts/billing_export.ts');
    // Eight days of the dataset's own bucket (a finding of the lifecycle check), today still being billed.
    const days = Array.from({ length: 8 }, (_, d) =>
      new Date(Date.now() - (7 - d) * 86_400_000).toISOString().slice(0, 10),
    );
    const lines = days.map((day) => ({
      type: 'Usage',
      account: '123456789012',
      resource: BUCKET,
      product: 'AmazonS3',
      start: `${day}T00:00:00Z`,
      unblended: 0.5,
    }));
    const byPeriod = new Map<string, typeof lines>();
    for (const line of lines)
      byPeriod.set(line.start.slice(0, 7), [...(byPeriod.get(line.start.slice(0, 7)) ?? []), line]);
    let folder = '';
    for (const [period, periodLines] of byPeriod)
      folder = await writeCurExport(join(dir, 'bill'), 'acme-cur2', period, periodLines);
    const billing = store('billing/acme-cur2');
    for (const file of await readdir(folder, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const path = join(file.parentPath, file.name);
      await billing.putFile(
        path
          .slice(folder.length + 1)
          .split('\\')
          .join('/'),
        path,
      );
    }
    const data = `s3://${BUCKET}/billed/finops_findings`;
    const importCosts = () =>
      cli([
        'cost',
        'import',
        '--tenant',
        'acme',
        '--source',
        `s3://${BUCKET}/billing/acme-cur2`,
        '--data',
        data,
      ]);
    const first = await importCosts();
    expect(first.code, first.stderr).toBe(0);
    const facts = async () => (await store('billed').list('finops_cost_facts/')).sort();
    const once = await facts();
    expect(once.length).toBe(byPeriod.size);
    // Importing again replaces each period: one part a period, never two.
    expect((await importCosts()).code).toBe(0);
    const twice = await facts();
    expect(twice).toHaveLength(byPeriod.size);
    expect(twice).not.toEqual(once);

    const run = await cli([
      ...['--tenant', 'acme', '--regions', 'us-east-1', '--checker', 'aws.s3.governance.lifecycle.missing'],
      ...['--out', data],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const site = join(dir, 'billed-site');
    const exported = await cli([
      'export',
      '--tenant',
      'acme',
      '--data',
      data,
      '--out-dir',
      site,
      '--no-dashboard',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const findings = JSON.parse(await readFile(join(site, 'findings.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    // Seven complete days of $0.50.
    expect(findings.find((f) => f['resource_id'] === BUCKET)).toMatchObject({
      actual_cost_7d: '3.500000',
      attribution_method: 'exact_resource_id',
    });
    expect(await store('billed').list('finops_cost_attribution/')).toEqual([
      expect.stringMatching(/^finops_cost_attribution\/tenant_id=acme\/attribution-[\w-]+\.parquet$/),
    ]);
  });
});
