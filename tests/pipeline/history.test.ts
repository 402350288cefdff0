/**
 * A synthetic multi-day history, produced by the real runner over fake AWS whose estate changes from day to
 * day: a finding that appears, persists, is fixed and comes back; a run that skipped a region; a
 * suppression that expires. Exports at pinned dates are compared with golden files.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsServices } from '../../checks/_lib/context.ts';
import { exportTenant, type ExportOptions } from '../../pipeline/export.ts';
import { rebuildKpis } from '../../pipeline/kpi.ts';
import { main, type RunnerEffects } from '../../runner.ts';
import { query } from '../helpers/duckdb.ts';
import { expectSameFiles } from '../helpers/same_files.ts';

const GOLDEN = fileURLToPath(new URL('../golden/history/', import.meta.url));
const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];
const at = (day: string) => new Date(`${day}T06:00:00.000Z`);

/** What exists on each day (index into DAYS). */
const bucketsOn = (day: number) => [
  { name: 'logs', lifecycle: day === 2 }, // fixed on day 3, back on day 4
  { name: 'data', lifecycle: false },
  { name: 'site', lifecycle: true },
];
const volumesOn = (day: number, region: string) =>
  region === 'us-east-1'
    ? day === 0
      ? [{ VolumeId: 'vol-us', State: 'available', VolumeType: 'gp2', Size: 100 }]
      : [] // deleted on day 2
    : [{ VolumeId: 'vol-eu', State: 'available', VolumeType: 'gp2', Size: 50 }];

let today = 0;
let root: string;
let ids = 0;

const serviceError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });

function fakeServices(): AwsServices {
  const s3 = new S3Client({ region: 'us-east-1' });
  s3.send = (async (command: { constructor: { name: string }; input: { Bucket?: string } }) => {
    const bucket = bucketsOn(today).find((b) => b.name === command.input.Bucket);
    switch (command.constructor.name) {
      case 'ListBucketsCommand':
        return { Buckets: bucketsOn(today).map((b) => ({ Name: b.name })) };
      case 'GetBucketLocationCommand':
        return { LocationConstraint: null };
      case 'GetBucketLifecycleConfigurationCommand':
        if (!bucket!.lifecycle) throw serviceError('NoSuchLifecycleConfiguration');
        return { Rules: [{ ID: 'r', Status: 'Enabled' }] };
      case 'GetBucketTaggingCommand':
        return { TagSet: [{ Key: 'team', Value: bucket!.name === 'data' ? 'data' : 'platform' }] };
      default:
        throw new Error(`no fake answer for ${command.constructor.name}`);
    }
  }) as S3Client['send'];
  const ec2 = (region: string) => {
    const client = new EC2Client({ region });
    client.send = (async () => ({ Volumes: volumesOn(today, region) })) as EC2Client['send'];
    return client;
  };
  return { s3: () => s3, ec2 } as unknown as AwsServices;
}

function effects(): RunnerEffects {
  const services = fakeServices();
  return {
    now: () => at(DAYS[today]!),
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    print: () => undefined,
    logger: () => pino({ level: 'silent' }),
    awsServices: () => ({ services, bootstrap: async () => ({ aws_account_id: '123456789012' }) }),
  };
}

async function runDay(day: number, regions: string): Promise<void> {
  today = day;
  const checkers = ['aws.s3.governance.lifecycle.missing', 'aws.ec2.ebs.unattached.volume'];
  const args = [
    '--tenant',
    'acme',
    '--out',
    join(root, 'finops_findings'),
    '--run-ts',
    at(DAYS[day]!).toISOString(),
  ];
  expect(
    await main([...args, '--regions', regions, ...checkers.flatMap((c) => ['--checker', c])], effects()),
  ).toBe(0);
}

const SUPPRESSIONS = `rules:
  - check_id: aws.s3.governance.lifecycle.missing
    resource_id: "dat*"
    tags: { team: data }
    reason: raw data is kept on purpose until the migration
    owner: data-platform
    expires: "2026-11-03"
`;

async function exportOn(day: string, name: string, more: Partial<ExportOptions> = {}) {
  const outDir = join(root, name);
  await exportTenant({
    dataRoot: join(root, 'finops_findings'),
    tenantId: 'acme',
    outDir,
    now: () => at(day),
    ...more,
  });
  const read = async (file: string) => JSON.parse(await readFile(join(outDir, file), 'utf8'));
  return { outDir, read };
}

type Row = {
  resource_id: string;
  check_id: string;
  lifecycle_status: string | null;
  first_seen: string | null;
  times_seen: number | null;
  resolved_ts: string | null;
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'history-'));
  await runDay(0, 'us-east-1,eu-west-1');
  await runDay(1, 'us-east-1,eu-west-1');
  await runDay(2, 'us-east-1'); // skipped eu-west-1
  await runDay(3, 'us-east-1');
  await writeFile(join(root, 'finops_findings', 'tenant_id=acme', 'suppressions.yaml'), SUPPRESSIONS);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('finding lifecycle over a multi-day history', () => {
  it('writes a run manifest per run recording what it covered', async () => {
    const rows = await query(
      `SELECT run_date::VARCHAR AS d, c.check_id AS check, len(c.coverage) AS covered
       FROM (SELECT run_date, unnest(checkers) AS c FROM read_json($glob, hive_partitioning = true)) ORDER BY ALL`,
      { glob: join(root, 'finops_findings', '_runs', 'tenant_id=acme', '*', '*.json') },
    );
    expect(rows.map((r) => [r.d, r.check, Number(r.covered)])).toEqual([
      ['2026-11-01', 'aws.ec2.ebs.unattached.volume', 2],
      ['2026-11-01', 'aws.s3.governance.lifecycle.missing', 1],
      ['2026-11-02', 'aws.ec2.ebs.unattached.volume', 2],
      ['2026-11-02', 'aws.s3.governance.lifecycle.missing', 1],
      ['2026-11-03', 'aws.ec2.ebs.unattached.volume', 1],
      ['2026-11-03', 'aws.s3.governance.lifecycle.missing', 1],
      ['2026-11-04', 'aws.ec2.ebs.unattached.volume', 1],
      ['2026-11-04', 'aws.s3.governance.lifecycle.missing', 1],
    ]);
  });

  it('tracks appear, persist, fix and come back; a skipped region resolves nothing; a suppression expires', async () => {
    const { read } = await exportOn('2026-11-04', 'day4');
    const rows: Row[] = await read('findings.json');
    const one = (id: string) => rows.find((r) => r.resource_id === id)!;
    // Failing on days 1 and 2, fixed on day 3, failing again on day 4: open, first seen on day 1.
    expect(one('logs')).toMatchObject({
      lifecycle_status: 'open',
      first_seen: '2026-11-01T06:00:00.000Z',
      times_seen: 3,
      resolved_ts: null,
    });
    // Deleted before day 2's run, which covered us-east-1: resolved then.
    expect(one('vol-us')).toMatchObject({
      lifecycle_status: 'resolved',
      resolved_ts: '2026-11-02T06:00:00.000Z',
    });
    // Days 3 and 4 did not scan eu-west-1: still open, last seen on day 2.
    expect(one('vol-eu')).toMatchObject({ lifecycle_status: 'open', times_seen: 2 });
    // The suppression expired on 2026-11-03: the finding is open again and counted.
    expect(one('data')).toMatchObject({ lifecycle_status: 'open' });
    expect(one('site')).toMatchObject({ lifecycle_status: null });
    expect((await read('suppressed.json')).length).toBe(0);
    const resolved = await read('resolved.json');
    expect(resolved).toMatchObject({ resolved_findings: 1, realised_monthly_savings: '10.000000' });
  });

  it('marks a suppressed finding snoozed until the expiry, keeps it, and leaves it out of the totals', async () => {
    const { read } = await exportOn('2026-11-02', 'day2');
    const rows: (Row & {
      suppression_reason: string;
      snooze_until: string;
      labels: Record<string, string>;
    })[] = await read('findings.json');
    const data = rows.find((r) => r.resource_id === 'data')!;
    expect(data).toMatchObject({
      lifecycle_status: 'snoozed',
      suppression_reason: 'raw data is kept on purpose until the migration',
      snooze_until: '2026-11-03',
      labels: {
        suppression_reason: 'raw data is kept on purpose until the migration',
        suppression_owner: 'data-platform',
      },
    });
    expect((await read('suppressed.json')).map((r: Row) => r.resource_id)).toEqual(['data']);
    const summary = await read('summary.json');
    expect(summary.by_lifecycle).toMatchObject({ snoozed: 1 });
    expect(summary.totals.suppressed_findings).toBe(1);
  });

  it('matches the golden exports (clock and ids pinned)', async () => {
    const { outDir } = await exportOn('2026-11-04', 'golden');
    if (process.env.UPDATE_GOLDEN === '1') await cp(outDir, GOLDEN, { recursive: true });
    await expectSameFiles(outDir, GOLDEN, [
      'findings.json',
      'summary.json',
      'top_savings.json',
      'resolved.json',
      'suppressed.json',
      'trends.json',
      'runs.json',
      'coverage.json',
    ]);
  });
});

describe('KPI gold tables', () => {
  const goldGlob = () => join(root, 'finops_kpi_gold', 'tenant_id=acme', '*', '*.parquet');
  const gold = () =>
    query(
      `SELECT period::VARCHAR AS period, kpi, dimension, key, findings, est_monthly_savings::VARCHAR AS savings
       FROM read_parquet($glob) ORDER BY ALL`,
      { glob: goldGlob() },
    );

  it('rebuilds the daily KPIs idempotently', async () => {
    const first = await rebuildKpis({ dataRoot: join(root, 'finops_findings'), tenantId: 'acme' });
    expect(first.periods).toEqual(DAYS);
    const once = await gold();
    await rebuildKpis({ dataRoot: join(root, 'finops_findings'), tenantId: 'acme' });
    expect(await gold()).toEqual(once);
    const totals = once.filter((r) => r.kpi === 'open_savings' && r.dimension === 'total');
    expect(totals.map((r) => [r.period, Number(r.findings), r.savings])).toEqual([
      // logs, data, vol-us ($10) and vol-eu ($5.50); the S3 findings carry no price.
      ['2026-11-01', 4, '15.500000'],
      ['2026-11-02', 3, '5.500000'],
      ['2026-11-03', 2, '5.500000'],
      ['2026-11-04', 3, '5.500000'],
    ]);
  });

  it('rebuilds only the requested days and rejects a bad date', async () => {
    const result = await rebuildKpis({
      dataRoot: join(root, 'finops_findings'),
      tenantId: 'acme',
      from: '2026-11-03',
      to: '2026-11-03',
    });
    expect(result.periods).toEqual(['2026-11-03']);
    await expect(
      rebuildKpis({ dataRoot: join(root, 'finops_findings'), tenantId: 'acme', from: '2026-13-01' }),
    ).rejects.toThrow('--from 2026-13-01 is not a date');
  });

  it('feeds trends.json from the gold tables when they exist, with the same numbers', async () => {
    const fed = await (await exportOn('2026-11-04', 'gold-fed')).read('trends.json');
    expect(fed.source).toBe('kpi_gold');
    // Nothing stored to read from and nothing saved: computed from the findings, the same days.
    const elsewhere = join(root, 'nothing-stored');
    const computed = await (
      await exportOn('2026-11-04', 'computed', {
        stateRoot: elsewhere,
        goldRoot: elsewhere,
        saveState: false,
      })
    ).read('trends.json');
    expect(computed.source).toBe('findings');
    expect(computed.days).toHaveLength(4);
    expect(fed.days).toEqual(computed.days);
  });

  it('reads only the gold days of the trend window: an older day is not read at all', async () => {
    // A gold day long before the 90-day window, whose file is not even Parquet.
    const old = join(root, 'finops_kpi_gold', 'tenant_id=acme', 'period=2025-01-01');
    await mkdir(old, { recursive: true });
    await writeFile(join(old, 'part-old.parquet'), 'not parquet');
    try {
      const trends = await (await exportOn('2026-11-04', 'gold-window')).read('trends.json');
      expect(trends.source).toBe('kpi_gold');
      expect(trends.days.map((d: { date: string }) => d.date)).toEqual(DAYS);
    } finally {
      await rm(old, { recursive: true });
    }
  });

  it('rebuilds the gold tables with the state when they were removed', async () => {
    await rm(join(root, 'finops_kpi_gold'), { recursive: true });
    const rebuilt = await (await exportOn('2026-11-04', 'gold-again')).read('trends.json');
    expect(rebuilt.source).toBe('kpi_gold');
    expect(rebuilt.days).toHaveLength(4);
  });
});

describe('suppression file location', () => {
  it('falls back to a file at the dataset root', async () => {
    const tenantFile = join(root, 'finops_findings', 'tenant_id=acme', 'suppressions.yaml');
    const rootFile = join(root, 'finops_findings', 'suppressions.json');
    await rm(tenantFile);
    await writeFile(
      rootFile,
      JSON.stringify({ rules: [{ resource_id: 'vol-eu', reason: 'dr copy', owner: 'ops' }] }),
    );
    try {
      const rows: Row[] = await (await exportOn('2026-11-04', 'root-file')).read('findings.json');
      expect(rows.find((r) => r.resource_id === 'vol-eu')).toMatchObject({ lifecycle_status: 'ignored' });
    } finally {
      await rm(rootFile);
      await writeFile(tenantFile, SUPPRESSIONS);
    }
  });
});
