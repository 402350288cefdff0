import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineChecker, registerChecker, registry } from '../../checks/_lib/registry.ts';
import { main } from '../../runner.ts';
import { query } from '../helpers/duckdb.ts';
import { fakeEffects } from '../helpers/fake_aws.ts';
import { META } from '../helpers/records.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runner-'));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

// Test-only checkers, registered once into the process registry the runner reads.
if (!registry.has('test.throws.midway')) {
  registerChecker(
    defineChecker({
      meta: { ...META, id: 'test.throws.midway' },
      create: async function* (_ctx, bootstrap) {
        yield {
          status: 'fail',
          scope: { account_id: bootstrap.aws_account_id, resource_id: 'before-the-throw' },
        };
        throw new Error('boom');
      },
    }),
    'tests/cli/runner.test.ts',
  );
  registerChecker(
    defineChecker({
      meta: { ...META, id: 'test.yields.invalid' },
      create: async function* (_ctx, bootstrap) {
        yield { status: 'fail', scope: { account_id: bootstrap.aws_account_id, resource_id: 'good' } };
        yield {
          status: 'fail',
          scope: { account_id: bootstrap.aws_account_id, resource_id: 'bad' },
          estimated: { monthly_savings: '1.0000001' },
        };
      },
    }),
    'tests/cli/runner.test.ts',
  );
}

if (!registry.has('test.finds.nothing')) {
  registerChecker(
    defineChecker({
      meta: { ...META, id: 'test.finds.nothing' },
      // eslint-disable-next-line require-yield
      create: async function* () {
        return;
      },
    }),
    'tests/cli/runner.test.ts',
  );
}

const BUCKETS = [
  { name: 'logs', location: null, tags: { team: 'platform' } },
  { name: 'eu-data', location: 'EU', rules: 2 },
  { name: 'secret', location: 'eu-west-3', deny: true },
];
const S3_CHECK = 'aws.s3.governance.lifecycle.missing';
const parquet = () => join(dir, 'out', '**', '*.parquet');

describe('runner', () => {
  it('runs the S3 checker: fail without lifecycle, pass with it, unknown when denied', async () => {
    const { effects, printed } = fakeEffects(BUCKETS);
    const code = await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', join(dir, 'out')], effects);
    expect(code).toBe(0);
    const rows = await query(
      `SELECT scope.resource_id AS bucket, scope.region AS region, status, message LIKE '%AccessDenied%' AS denied_reason,
              tags['team'] AS team
       FROM read_parquet('${parquet()}') ORDER BY bucket`,
    );
    expect(rows).toEqual([
      { bucket: 'eu-data', region: 'eu-west-1', status: 'pass', denied_reason: false, team: null },
      { bucket: 'logs', region: 'us-east-1', status: 'fail', denied_reason: false, team: 'platform' },
      { bucket: 'secret', region: 'eu-west-3', status: 'unknown', denied_reason: true, team: null },
    ]);
    expect(printed.join('\n')).toMatch(/aws\.s3\.governance\.lifecycle\.missing\s+1\s+1\s+0\s+1\s+0/);
  });

  it('writes a mixed-case --tenant lower-cased, in the column and the partition, as the reference engine does', async () => {
    const { effects } = fakeEffects(BUCKETS);
    expect(await main(['--tenant', 'Acme', '--checker', S3_CHECK, '--out', join(dir, 'out')], effects)).toBe(
      0,
    );
    expect(await readdir(join(dir, 'out'))).toEqual(['_runs', 'tenant_id=acme']);
    expect(await readdir(join(dir, 'out', '_runs'))).toEqual(['tenant_id=acme']);
    expect(await query(`SELECT DISTINCT tenant_id FROM read_parquet('${parquet()}')`)).toEqual([
      { tenant_id: 'acme' },
    ]);
  });

  it.each([
    ['aws.ec2.ebs.old.snapshot.min_age_days=-5', 'min_age_days must be from 1 to 3650'],
    [
      'aws.ec2.instances.underutilized.cpu_threshold_percent=101',
      'cpu_threshold_percent must be from 1 to 100',
    ],
    ['aws.ec2.nat.gateways.idle.lookback_days=0', 'lookback_days must be from 1 to 455'],
  ])('refuses --set %s outside its declared range (exit 2), writing nothing', async (set, message) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { effects } = fakeEffects(BUCKETS);
    expect(
      await main(
        ['--tenant', 'acme', '--checker', S3_CHECK, '--set', set, '--out', join(dir, 'out')],
        effects,
      ),
    ).toBe(2);
    expect(stderr.mock.calls.join('\n')).toContain(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    [['--regions', ''], '--regions is empty'],
    [['--regions', 'us-east-1,mars-1'], '"mars-1" is not an AWS region name'],
    [['--page-size', '0'], '--page-size 0: a whole number from 1 to 1000'],
    [['--page-size', '2.5'], '--page-size 2.5: a whole number from 1 to 1000'],
    // As typed, not as parsed (1000000000, 2.5).
    [['--page-size', '1e9'], '--page-size 1e9: a whole number from 1 to 1000'],
    [['--concurrency', '2.50'], '--concurrency 2.50: a whole number of at least 1'],
    [['--tenant', 'a'.repeat(300)], 'use at most 128 letters'],
  ])('refuses %j with a clear message (exit 2), writing nothing', async (args, message) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { effects } = fakeEffects(BUCKETS);
    const tenant = args.includes('--tenant') ? [] : ['--tenant', 'acme'];
    const argv = [...tenant, '--checker', S3_CHECK, '--out', join(dir, 'out'), ...args];
    expect(await main(argv, effects)).toBe(2);
    expect(stderr.mock.calls.join('\n')).toContain(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it('exports an empty, valid site for a run that finds nothing (a clean account passes its nightly job)', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const json = join(dir, 'json');
    const argv = ['--tenant', 'acme', '--checker', 'test.finds.nothing', '--out', join(dir, 'out')];
    expect(await main([...argv, '--export', '--export-dir', json, '--no-dashboard'], effects)).toBe(0);
    expect(JSON.parse(await readFile(join(json, 'findings.json'), 'utf8'))).toEqual([]);
    const summary = JSON.parse(await readFile(join(json, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ tenant_id: 'acme', findings: 0, skipped_files: [] });
    expect(summary.totals.est_monthly_savings).toBe('0.000000');
  });

  it('lists the runs of a tenant and deletes one of them, parts and manifest, leaving the others', async () => {
    const out = join(dir, 'out');
    for (const [runId, runTs] of [
      ['run-a', '2026-11-20T06:00:00Z'],
      ['run-b', '2026-11-21T06:00:00Z'],
    ]) {
      const { effects } = fakeEffects(BUCKETS);
      const argv = [
        '--tenant',
        'acme',
        '--checker',
        S3_CHECK,
        '--out',
        out,
        '--run-id',
        runId!,
        '--run-ts',
        runTs!,
      ];
      expect(await main(argv, effects)).toBe(0);
    }
    // A run killed mid-way two days ago: its manifest still says running.
    const killed = join(out, '_runs', 'tenant_id=acme', 'run_date=2026-11-19', 'run-killed.json');
    const manifest = JSON.parse(
      await readFile(join(out, '_runs', 'tenant_id=acme', 'run_date=2026-11-20', 'run-a.json'), 'utf8'),
    );
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(killed, '..'), { recursive: true });
    await writeFile(
      killed,
      JSON.stringify({
        ...manifest,
        run_id: 'run-killed',
        run_ts: '2026-11-19T06:00:00.000Z',
        run_date: '2026-11-19',
        status: 'running',
        started_ts: '2026-11-19T06:00:00.000Z',
        files: [],
      }),
    );
    const list = fakeEffects(BUCKETS);
    expect(await main(['runs', 'list', '--tenant', 'acme', '--data', out], list.effects)).toBe(0);
    const lines = list.printed.join('\n').split('\n');
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['run-b', '2026-11-21T06:00:00.000Z', 'completed'],
      ['run-a', '2026-11-20T06:00:00.000Z', 'completed'],
      ['run-killed', '2026-11-19T06:00:00.000Z', 'abandoned'],
    ]);

    const removal = fakeEffects(BUCKETS);
    expect(
      await main(['runs', 'delete', '--tenant', 'acme', '--data', out, '--run-id', 'run-a'], removal.effects),
    ).toBe(0);
    expect(removal.printed.join('\n')).toContain(
      'Deleted run run-a of tenant acme: 1 part(s) and its manifest.',
    );
    expect(await query(`SELECT DISTINCT run_id FROM read_parquet('${parquet()}')`)).toEqual([
      { run_id: 'run-b' },
    ]);
    expect(await readdir(join(out, '_runs', 'tenant_id=acme', 'run_date=2026-11-20'))).toEqual([]);

    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const again = fakeEffects(BUCKETS);
    expect(
      await main(['runs', 'delete', '--tenant', 'acme', '--data', out, '--run-id', 'run-a'], again.effects),
    ).toBe(1);
    expect(stderr.mock.calls.join('\n')).toContain('tenant acme has no run run-a');
  });

  it('removes the temporary parts a killed run left a day ago, and keeps a fresh one', async () => {
    const { mkdir, utimes } = await import('node:fs/promises');
    const day = join(dir, 'out', 'tenant_id=acme', 'run_date=2026-11-19');
    await mkdir(day, { recursive: true });
    const old = join(day, '.part-killed.parquet.tmp');
    const fresh = join(day, '.part-writing.parquet.tmp');
    for (const [file, when] of [
      [old, '2026-11-20T09:00:00Z'],
      [fresh, '2026-11-22T09:30:00Z'],
    ] as const) {
      await writeFile(file, 'half a part');
      await utimes(file, new Date(when), new Date(when));
    }
    const { effects } = fakeEffects(BUCKETS); // its clock: 2026-11-22T10:00:00Z
    expect(await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', join(dir, 'out')], effects)).toBe(
      0,
    );
    expect(await readdir(day)).toEqual(['.part-writing.parquet.tmp']);
  });

  it("refuses a second run with the same --run-id while the first is running, and takes over a dead one's lock", async () => {
    const { mkdir } = await import('node:fs/promises');
    const { hostname } = await import('node:os');
    const out = join(dir, 'out');
    const runs = join(out, '_runs', 'tenant_id=acme');
    await mkdir(runs, { recursive: true });
    const lock = (pid: number) =>
      writeFile(
        join(runs, '.lock-nightly.json'),
        JSON.stringify({ pid, host: hostname(), started: '2026-11-22T09:59:00.000Z' }),
      );
    const argv = ['--tenant', 'acme', '--checker', S3_CHECK, '--out', out, '--run-id', 'nightly'];

    await lock(process.pid); // a live process holds it
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(argv, fakeEffects(BUCKETS).effects)).toBe(1);
    expect(stderr.mock.calls.join('\n')).toContain(`run nightly is already running (process ${process.pid}`);
    expect(await readdir(out)).toEqual(['_runs']);

    await lock(2 ** 22 + 4321); // no such process: a run that was killed
    expect(await main(argv, fakeEffects(BUCKETS).effects)).toBe(0);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${parquet()}')`)).toEqual([
      { n: 3 },
    ]);
    expect((await readdir(runs)).filter((f) => f.startsWith('.lock'))).toEqual([]);
  });

  it('keeps going when a checker throws: writes what is valid, reports it, exits 3', async () => {
    const { effects, printed } = fakeEffects(BUCKETS);
    const code = await main(
      [
        '--tenant',
        'acme',
        '--checker',
        'test.throws.midway',
        '--checker',
        S3_CHECK,
        '--out',
        join(dir, 'out'),
      ],
      effects,
    );
    expect(code).toBe(3);
    const rows = await query(
      `SELECT check_id, count(*)::INTEGER AS n FROM read_parquet('${parquet()}') GROUP BY ALL ORDER BY ALL`,
    );
    expect(rows).toEqual([
      { check_id: S3_CHECK, n: 3 },
      { check_id: 'test.throws.midway', n: 1 },
    ]);
    expect(printed.join('\n')).toContain('Error: boom');
  });

  it("groups a checker's errors: one message with the places it failed in, never a cell per region", async () => {
    const { effects, printed } = fakeEffects(BUCKETS);
    const regions = ['eu-west-1', 'eu-west-3', 'us-east-1', 'us-west-2'];
    const code = await main(
      [
        '--tenant',
        'acme',
        '--checker',
        'test.throws.midway',
        '--out',
        join(dir, 'out'),
        '--regions',
        regions.join(','),
      ],
      effects,
    );
    expect(code).toBe(3);
    const said = printed.join('\n');
    const row = said.split('\n').find((line) => line.startsWith('test.throws.midway '))!;
    expect(row).toMatch(/Error: boom \(4 places\)$/);
    expect(row.length).toBeLessThan(160);
    expect(said).toMatch(
      /test\.throws\.midway failed in 4 places:\n {2}Error: boom\n {4}in (123456789012\/[a-z0-9-]+(, )?){4}\n/,
    );
  });

  it('never writes an invalid draft, and fails the run unless --drop-invalid', async () => {
    const { effects, printed } = fakeEffects([]);
    const out = join(dir, 'out');
    expect(await main(['--tenant', 'acme', '--checker', 'test.yields.invalid', '--out', out], effects)).toBe(
      1,
    );
    expect(printed.join('\n')).toContain('estimated.monthly_savings: "1.0000001" has more than 6 decimals');
    const rows = await query(`SELECT scope.resource_id AS id FROM read_parquet('${parquet()}')`);
    expect(rows).toEqual([{ id: 'good' }]);
    expect(
      await main(
        ['--tenant', 'acme', '--checker', 'test.yields.invalid', '--out', out, '--drop-invalid'],
        effects,
      ),
    ).toBe(0);
  });

  it('rejects an unknown checker id with exit 2 and the known ids', async () => {
    const { effects } = fakeEffects([]);
    const stderr = vi.mocked(process.stderr.write);
    expect(
      await main(['--tenant', 'acme', '--checker', 'aws.nope', '--out', join(dir, 'out')], effects),
    ).toBe(2);
    const said = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(said).toContain('unknown checker id aws.nope; known checkers:\n');
    for (const id of registry.ids()) expect(said).toContain(`\n  ${id}`);
  });

  it('rejects an unsafe tenant id with exit 2 before writing anything', async () => {
    const { effects } = fakeEffects(BUCKETS);
    expect(await main(['--tenant', '../evil', '--out', join(dir, 'out')], effects)).toBe(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('excludes checkers with --exclude-checker', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const args = ['--tenant', 'acme', '--checker', S3_CHECK, '--checker', 'test.throws.midway'];
    const code = await main(
      [...args, '--exclude-checker', 'test.throws.midway', '--out', join(dir, 'out')],
      effects,
    );
    expect(code).toBe(0);
    expect(await query(`SELECT DISTINCT check_id FROM read_parquet('${parquet()}')`)).toEqual([
      { check_id: S3_CHECK },
    ]);
  });

  it('lists checkers as a table and as JSON metadata', async () => {
    const { effects, printed } = fakeEffects([]);
    expect(await main(['--list-checkers', '--json'], effects)).toBe(0);
    const listed = JSON.parse(printed[0]!) as { id: string; iam_actions: string[] }[];
    expect(listed.find((c) => c.id === S3_CHECK)?.iam_actions).toContain('s3:GetLifecycleConfiguration');
    expect(await main(['--list-checkers'], effects)).toBe(0);
    expect(printed[1]).toMatch(/^id\s+service\s+severity\s+parameters \(default, range\)\s+title/);
    // What --set accepts, with its default and range.
    expect(printed[1]).toMatch(
      /aws\.ec2\.ebs\.old\.snapshot\s+AmazonEC2\s+low\s+min_age_days=90 \(1–3650\)\s+Old EBS/,
    );
  });

  it('uses --run-ts for run_ts and the run_date partition', async () => {
    const { effects } = fakeEffects(BUCKETS);
    await main(
      [
        '--tenant',
        'acme',
        '--checker',
        S3_CHECK,
        '--out',
        join(dir, 'out'),
        '--run-ts',
        '2026-01-31T23:30:00-02:00',
      ],
      effects,
    );
    expect(await readdir(join(dir, 'out', 'tenant_id=acme'))).toEqual(['run_date=2026-02-01']);
  });

  it('writes JSON with --export', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const code = await main(
      [
        '--tenant',
        'acme',
        '--checker',
        S3_CHECK,
        '--out',
        join(dir, 'out'),
        '--export',
        '--export-dir',
        join(dir, 'json'),
      ],
      effects,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(join(dir, 'json', 'summary.json'), 'utf8'));
    expect(summary.by_status).toEqual({ fail: 1, pass: 1, unknown: 1 });
  });

  it('names the dataset --data and the JSON folder --out-dir, as export does (--out and --export-dir too)', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const args = ['--tenant', 'acme', '--checker', S3_CHECK, '--export'];
    expect(
      await main([...args, '--data', join(dir, 'same'), '--out-dir', join(dir, 'same-json')], effects),
    ).toBe(0);
    expect(await readdir(join(dir, 'same'))).toContain('tenant_id=acme');
    const summary = JSON.parse(await readFile(join(dir, 'same-json', 'summary.json'), 'utf8'));
    expect(summary.by_status).toEqual({ fail: 1, pass: 1, unknown: 1 });
  });
});

describe('runner bootstrap', () => {
  it('records --billing-account-id in every finding scope', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const out = join(dir, 'out');
    await main(
      ['--tenant', 'acme', '--checker', S3_CHECK, '--out', out, '--billing-account-id', '999999999999'],
      effects,
    );
    expect(
      await query(`SELECT DISTINCT scope.billing_account_id AS b FROM read_parquet('${parquet()}')`),
    ).toEqual([{ b: '999999999999' }]);
  });
});

describe('suppression file errors', () => {
  it('fails the export with the file, the rule and what is wrong, without a stack trace', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const out = join(dir, 'out');
    expect(await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', out], effects)).toBe(0);
    const file = join(dir, 'suppressions.yaml');
    await writeFile(
      file,
      'rules:\n  - check_id: x\n    reason: kept\n    owner: me\n  - check_id: y\n    reason: kept\n',
    );
    const stderr = vi.mocked(process.stderr.write);
    stderr.mockClear();
    const code = await main(
      ['export', '--tenant', 'acme', '--data', out, '--out-dir', join(dir, 'json'), '--suppressions', file],
      effects,
    );
    expect(code).toBe(1);
    const said = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(said).toContain(`error: invalid suppression file ${file}:\n  rule 2 (owner): is required`);
    expect(said).not.toContain('--debug');
  });
});

describe('query engine errors', () => {
  it('say what is wrong in plain words, without the SQL', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const out = join(dir, 'data', 'finops_findings');
    expect(await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', out], effects)).toBe(0);
    // A gold day damaged by hand: the export's trends read it.
    const day = join(dir, 'data', 'finops_kpi_gold', 'tenant_id=acme', 'period=2026-11-22');
    const [part] = await readdir(day);
    await writeFile(join(day, part!), 'not parquet at all');
    const stderr = vi.mocked(process.stderr.write);
    stderr.mockClear();
    const code = await main(
      ['export', '--tenant', 'acme', '--data', out, '--out-dir', join(dir, 'json')],
      effects,
    );
    const said = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(code).toBe(1);
    expect(said).toMatch(/^error: a file of the dataset is not what it should be: .*period=2026-11-22/);
    expect(said).not.toMatch(/LINE \d|SELECT|read_parquet|Invalid Input Error/);
  });
});

describe('kpi rebuild command', () => {
  it('writes the gold partitions beside the findings dataset, and says what it did', async () => {
    const { effects, printed } = fakeEffects(BUCKETS);
    const out = join(dir, 'data', 'finops_findings');
    expect(await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', out], effects)).toBe(0);
    expect(await main(['kpi', 'rebuild', '--tenant', 'acme', '--data', out], effects)).toBe(0);
    expect(printed.at(-1)).toMatch(/^Rebuilt 1 day\(s\) of KPIs \(\d+ rows\) for tenant acme/);
    expect(await readdir(join(dir, 'data', 'finops_kpi_gold', 'tenant_id=acme'))).toEqual([
      'period=2026-11-22',
    ]);
  });

  it('folds the history in run by run, logging how far it has got', async () => {
    const out = join(dir, 'data', 'finops_findings');
    for (const day of ['2026-11-20', '2026-11-21', '2026-11-22']) {
      const { effects } = fakeEffects(BUCKETS, `${day}T10:00:00.000Z`);
      expect(await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', out], effects)).toBe(0);
    }
    const { effects, printed } = fakeEffects(BUCKETS);
    const lines: Record<string, unknown>[] = [];
    const logged = {
      ...effects,
      logger: () => pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    };
    expect(await main(['kpi', 'rebuild', '--tenant', 'acme', '--data', out], logged)).toBe(0);
    expect(printed.at(-1)).toMatch(/^Rebuilt 3 day\(s\) of KPIs/);
    const progress = lines.filter((line) => line.msg === 'bringing the tenant state up to date');
    // The first and the last are always told; what is between, every few seconds.
    expect(progress.at(0)).toMatchObject({ runs_folded: 1, runs: 3 });
    expect(progress.at(-1)).toMatchObject({ runs_folded: 3, runs: 3 });
  });

  it('rejects an unknown tenant (exit 1) and a bad date (exit 2)', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const out = join(dir, 'data', 'finops_findings');
    expect(await main(['--tenant', 'acme', '--checker', S3_CHECK, '--out', out], effects)).toBe(0);
    expect(await main(['kpi', 'rebuild', '--tenant', 'globex', '--data', out], effects)).toBe(1);
    expect(
      await main(['kpi', 'rebuild', '--tenant', 'acme', '--data', out, '--from', 'yesterday'], effects),
    ).toBe(2);
  });

  it('refuses a reversed range, and says a bad number as it was typed (exit 2)', async () => {
    const { effects } = fakeEffects(BUCKETS);
    const stderr = vi.mocked(process.stderr.write);
    stderr.mockClear();
    const out = join(dir, 'data', 'finops_findings');
    expect(
      await main(
        ['kpi', 'rebuild', '--tenant', 'acme', '--data', out, '--from', '2026-11-10', '--to', '2026-11-01'],
        effects,
      ),
    ).toBe(2);
    for (const flag of ['--concurrency', '--page-size'])
      expect(await main(['--tenant', 'acme', '--out', out, flag, 'lots'], effects)).toBe(2);
    const said = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(said).toContain('--from 2026-11-10 is after --to 2026-11-01: give the earlier day first');
    expect(said).toContain('--concurrency lots: a number was expected');
    expect(said).toContain('--page-size lots: a number was expected');
    expect(said).not.toContain('NaN');
  });
});

describe('plan-shards and --shard', () => {
  const accounts = ['111111111111', '222222222222', '333333333333', '444444444444', '555555555555'];
  const plan = async (extra: string[], ids: readonly string[] = accounts) => {
    const { effects, printed } = fakeEffects(BUCKETS);
    const code = await main(
      [
        'plan-shards',
        '--tenant',
        'Acme',
        '--accounts',
        ids.join(','),
        '--regions',
        'us-east-1,eu-west-1',
        ...extra,
      ],
      effects,
    );
    return { code, printed };
  };

  it('prints the shards of one run, each the input of one worker', async () => {
    const { code, printed } = await plan([
      '--role-name',
      'FinOpsAudit',
      '--accounts-per-shard',
      '2',
      '--run-id',
      'nightly',
      '--run-ts',
      '2026-11-22T02:00:00Z',
      '--checker',
      S3_CHECK,
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(printed.at(-1)!);
    expect(result).toMatchObject({
      tenant: 'acme',
      run_id: 'nightly',
      run_ts: '2026-11-22T02:00:00.000Z',
      accounts: 5,
    });
    expect(result.shards.map((s: { shard: string; accounts: string[] }) => [s.shard, s.accounts])).toEqual([
      ['1/3', ['111111111111']],
      ['2/3', ['222222222222', '333333333333']],
      ['3/3', ['444444444444', '555555555555']],
    ]);
    expect(result.shards[0]).toMatchObject({
      tenant: 'acme',
      out: 'data/finops_findings',
      role_name: 'FinOpsAudit',
      regions: ['us-east-1', 'eu-west-1'],
      checkers: [S3_CHECK],
      run_id: 'nightly',
      run_ts: '2026-11-22T02:00:00.000Z',
    });
  });

  it('sizes the shards from the checkers, the regions and the concurrency', async () => {
    const org = Array.from({ length: 400 }, (_, i) => String(100_000_000_000 + i));
    const one = JSON.parse((await plan(['--role-name', 'R', '--concurrency', '1'], org)).printed.at(-1)!);
    const many = JSON.parse((await plan(['--role-name', 'R', '--concurrency', '16'], org)).printed.at(-1)!);
    // Every checker in two regions, one at a time: a shard of 10 minutes holds fewer accounts than at 16 at once.
    expect(one.accounts_per_shard).toBeLessThan(many.accounts_per_shard);
    expect(one.estimated_shard_seconds).toBeLessThanOrEqual(600);
    expect(one.shards.length).toBeGreaterThan(many.shards.length);
    expect(one.shards.flatMap((s: { accounts: string[] }) => s.accounts)).toEqual(org);
  });

  it('refuses what a shard cannot be (exit 2)', async () => {
    expect((await plan([])).code).toBe(2);
    const { effects } = fakeEffects(BUCKETS);
    const run = (extra: string[]) =>
      main(['--tenant', 'acme', '--accounts', accounts[0]!, '--role-name', 'R', ...extra], effects);
    expect(await run(['--shard', '1/2'])).toBe(2);
    expect(await run(['--shard', '3/2', '--run-id', 'n', '--run-ts', '2026-11-22T02:00:00Z'])).toBe(2);
    expect(await run(['--shard', '1/2', '--org', '--run-id', 'n', '--run-ts', '2026-11-22T02:00:00Z'])).toBe(
      2,
    );
    expect(await main(['run', 'finalize', '--tenant', 'acme'], effects)).toBe(2);
  });
});
