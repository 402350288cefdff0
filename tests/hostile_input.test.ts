/**
 * The hostile-input suite: one test per way a user, a file or a second run once hung the engine, poisoned a
 * tenant's history or lost data (issue 14's table, in its order). Each goes through the CLI as a user would and
 * asserts the exit code, the message, and what the dataset holds afterwards (read back with DuckDB).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineChecker, registerChecker, registry } from '../checks/_lib/registry.ts';
import { toCsv } from '../dashboard/src/csv.ts';
import type { FindingRow } from '../dashboard/src/model.ts';
import { main } from '../runner.ts';
import { damagePages } from './helpers/damage.ts';
import { query } from './helpers/duckdb.ts';
import { fakeEffects } from './helpers/fake_aws.ts';
import { META } from './helpers/records.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUCKETS = [
  { name: 'logs', location: null, tags: { team: 'platform' } },
  { name: 'eu-data', location: 'EU', rules: 2 },
];
const S3_CHECK = 'aws.s3.governance.lifecycle.missing';
const LONG_IDS = 'test.hostile.long.ids';
const NOTHING = 'test.hostile.nothing';

if (!registry.has(LONG_IDS)) {
  registerChecker(
    defineChecker({
      meta: { ...META, id: LONG_IDS, regional: false },
      create: async function* (_ctx, bootstrap) {
        for (let i = 0; i < 50; i += 1) {
          const id = `${'a'.repeat(5_000)}${i}`;
          yield {
            status: 'fail',
            scope: { account_id: bootstrap.aws_account_id, resource_id: id },
            issue_key: { i },
          };
        }
      },
    }),
    'tests/hostile_input.test.ts',
  );
  registerChecker(
    defineChecker({
      meta: { ...META, id: NOTHING, regional: false },
      // eslint-disable-next-line require-yield
      create: async function* () {
        return;
      },
    }),
    'tests/hostile_input.test.ts',
  );
}

let dir: string;
let stderr: string[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostile-'));
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in this process, against fake AWS and a clock pinned at 2026-11-22T10:00:00Z. */
async function cli(argv: string[]): Promise<{ code: number; printed: string; errors: string }> {
  const { effects, printed } = fakeEffects(BUCKETS);
  const before = stderr.length;
  // Ids unique across the runs of one test (fakeEffects pins them per call).
  const code = await main(argv, { ...effects, newId: randomUUID });
  return { code, printed: printed.join('\n'), errors: stderr.slice(before).join('') };
}

const out = () => join(dir, 'data');
const site = () => join(dir, 'site');
const scan = (...more: string[]) => cli(['--tenant', 'acme', '--checker', S3_CHECK, '--out', out(), ...more]);
const exportSite = (...more: string[]) =>
  cli(['export', '--tenant', 'acme', '--data', out(), '--out-dir', site(), '--no-dashboard', ...more]);
const json = async (name: string) => JSON.parse(await readFile(join(site(), name), 'utf8'));
/** Rows of every part under a root (listed here, so that a path with `[1]` is a name, not a glob). */
const rows = async (root = out()) => {
  const files = (await readdir(root, { recursive: true }))
    .filter((f) => f.endsWith('.parquet') && !f.split('/').pop()!.startsWith('.'))
    .map((f) => join(root, f));
  if (files.length === 0) return 0;
  const [counted] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet($files)`, { files });
  return counted!.n as number;
};
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const day = () => join(out(), 'tenant_id=acme', 'run_date=2026-11-22');
/** No error message carries a stack trace or a raw errno. */
const plain = (text: string) => {
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/\bE[A-Z]{3,}:/);
};

describe('issue 14, row by row', () => {
  it('suppression `*a*a*a*a*a*a*a*b` against ids of 5,000 characters: the export finishes at once', async () => {
    expect((await cli(['--tenant', 'acme', '--checker', LONG_IDS, '--out', out()])).code).toBe(0);
    await writeFile(
      join(out(), 'tenant_id=acme', 'suppressions.yaml'),
      'rules:\n  - resource_id: "*a*a*a*a*a*a*a*b"\n    reason: hostile\n    owner: test\n',
    );
    const started = Date.now();
    const result = await exportSite();
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    const findings = await json('findings.json');
    expect(findings).toHaveLength(50);
    expect(findings.every((f: { lifecycle_status: string }) => f.lifecycle_status === 'open')).toBe(true);

    // A pattern over the length limit is refused with the file and the rule, not run.
    await writeFile(
      join(out(), 'tenant_id=acme', 'suppressions.yaml'),
      `rules:\n  - resource_id: "${'*a'.repeat(600)}"\n    reason: hostile\n    owner: test\n`,
    );
    const refused = await exportSite();
    expect(refused.code).toBe(1);
    expect(refused.errors).toMatch(/suppressions\.yaml.*resource_id.*at most 1024 characters/s);
    plain(refused.errors);
  });

  it('--run-ts 9999-12-31T23:59:59Z or before 2006: exit 2, nothing written; a backfill is fine', async () => {
    for (const [ts, message] of [
      ['9999-12-31T23:59:59Z', "more than a day after this machine's clock (2026-11-22T10:00:00.000Z)"],
      ['2026-11-23T10:00:01Z', 'more than a day after'],
      ['1999-12-31T00:00:00Z', 'before 2006, when AWS opened'],
    ] as const) {
      const result = await scan('--run-ts', ts);
      expect(result.code).toBe(2);
      expect(result.errors).toContain(`--run-ts ${ts}: ${message}`);
      expect(await exists(out())).toBe(false);
    }
    expect((await scan('--run-ts', '2026-01-15T06:00:00Z')).code).toBe(0);
    expect(
      await query(
        `SELECT DISTINCT run_date::VARCHAR AS d FROM read_parquet($glob, hive_partitioning = true)`,
        {
          glob: join(out(), '**', '*.parquet'),
        },
      ),
    ).toEqual([{ d: '2026-01-15' }]);
  });

  it('a corrupt, truncated or zero-byte part: export, kpi rebuild and the next --export run all succeed', async () => {
    expect((await scan()).code).toBe(0);
    const [good] = (await readdir(day())).filter((f) => f.endsWith('.parquet'));
    const bytes = await readFile(join(day(), good!));
    await writeFile(join(day(), 'part-zero.parquet'), '');
    await writeFile(join(day(), 'part-truncated.parquet'), bytes.subarray(0, bytes.length >> 1));
    await writeFile(join(day(), 'part-corrupt.parquet'), damagePages(bytes));
    const exported = await exportSite();
    expect(exported.code).toBe(0);
    expect(exported.printed).toContain('Skipped 3 file(s) that are not readable findings');
    const skipped = (await json('summary.json')).skipped_files.map((f: { path: string }) => f.path).sort();
    expect(skipped).toEqual(
      ['part-corrupt.parquet', 'part-truncated.parquet', 'part-zero.parquet'].map((f) =>
        join('tenant_id=acme', 'run_date=2026-11-22', f),
      ),
    );
    expect(await json('findings.json')).toHaveLength(2);
    expect((await cli(['kpi', 'rebuild', '--tenant', 'acme', '--data', out()])).code).toBe(0);
    const next = await scan('--export', '--export-dir', site(), '--no-dashboard');
    expect(next.code).toBe(0);
    expect(await json('findings.json')).toHaveLength(2);
  });

  it('a valid Parquet file of another schema in a partition: skipped, no null ids, no status `x`', async () => {
    expect((await scan()).code).toBe(0);
    await query(
      `COPY (SELECT 'x' AS status, NULL::VARCHAR AS finding_id, 'acme' AS tenant_id) TO '${join(day(), 'part-foreign.parquet')}' (FORMAT parquet)`,
    );
    const result = await exportSite();
    expect(result.code).toBe(0);
    const findings = await json('findings.json');
    expect(findings).toHaveLength(2);
    expect(
      findings.every((f: { finding_id: string | null; status: string }) => f.finding_id && f.status !== 'x'),
    ).toBe(true);
    expect((await json('summary.json')).skipped_files).toEqual([
      {
        path: join('tenant_id=acme', 'run_date=2026-11-22', 'part-foreign.parquet'),
        reason: expect.stringMatching(/^not a findings file: it lacks/),
      },
    ]);
  });

  it('a truncated or `{}` run manifest: skipped and named, and no half-written export', async () => {
    expect((await scan('--run-id', 'good')).code).toBe(0);
    const runs = join(out(), '_runs', 'tenant_id=acme', 'run_date=2026-11-22');
    const manifest = await readFile(join(runs, 'good.json'), 'utf8');
    await writeFile(join(runs, 'truncated.json'), manifest.slice(0, manifest.length >> 1));
    await writeFile(join(runs, 'empty.json'), '{}');
    const result = await exportSite();
    expect(result.code).toBe(0);
    expect((await json('summary.json')).skipped_files.map((f: { path: string }) => f.path).sort()).toEqual([
      join('_runs', 'tenant_id=acme', 'run_date=2026-11-22', 'empty.json'),
      join('_runs', 'tenant_id=acme', 'run_date=2026-11-22', 'truncated.json'),
    ]);
    expect((await json('runs.json')).runs.map((r: { run_id: string }) => r.run_id)).toEqual(['good']);
    expect((await readdir(site())).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('two runs with the same --run-id at once: one runs, the other exits 1; every part is in the manifest', async () => {
    const both = await Promise.all([scan('--run-id', 'nightly'), scan('--run-id', 'nightly')]);
    expect(both.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(both.find((r) => r.code === 1)!.errors).toContain('run nightly is already running (process');
    const manifest = JSON.parse(
      await readFile(join(out(), '_runs', 'tenant_id=acme', 'run_date=2026-11-22', 'nightly.json'), 'utf8'),
    );
    const parts = (await readdir(day())).filter((f) => f.endsWith('.parquet'));
    expect(parts).toHaveLength(1);
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      parts.map((f) => `tenant_id=acme/run_date=2026-11-22/${f}`),
    );
    expect(await rows()).toBe(2);
    // A retry replaces the run: still exactly one run's rows.
    expect((await scan('--run-id', 'nightly')).code).toBe(0);
    expect(await rows()).toBe(2);
  });

  it('a run that finds nothing, with --export: exit 0 and an empty, valid site', async () => {
    const result = await cli([
      ...['--tenant', 'acme', '--checker', NOTHING, '--out', out()],
      ...['--export', '--export-dir', site(), '--no-dashboard'],
    ]);
    expect(result.code, result.errors).toBe(0);
    expect(await json('findings.json')).toEqual([]);
    expect((await json('summary.json')).findings).toBe(0);
    expect((await json('runs.json')).runs).toHaveLength(1);
  });

  it("an export into a folder that holds another tenant's export: nothing of the other tenant survives", async () => {
    expect(
      (await cli(['--tenant', 'globex', '--checker', S3_CHECK, '--out', out(), '--run-id', 'g1'])).code,
    ).toBe(0);
    expect(
      (await cli(['export', '--tenant', 'globex', '--data', out(), '--out-dir', site(), '--no-dashboard']))
        .code,
    ).toBe(0);
    expect(
      (await cli(['--tenant', 'acme', '--checker', NOTHING, '--out', out(), '--run-id', 'a1'])).code,
    ).toBe(0);
    expect((await exportSite()).code).toBe(0);
    expect((await json('summary.json')).tenant_id).toBe('acme');
    expect(await json('runs.json')).toMatchObject({ tenant_id: 'acme', runs: [{ run_id: 'a1' }] });
    expect((await json('runs.json')).runs).toHaveLength(1);
    const coverage = JSON.stringify(await json('coverage.json'));
    expect(coverage).toContain('a1');
    expect(coverage).not.toContain('g1');
    expect(await json('findings.json')).toEqual([]);
  });

  it('CSV download: cells starting with =, +, -, @, tab or carriage return are neutralised', () => {
    const hostile = ['=HYPERLINK("x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'];
    const csv = toCsv(
      hostile.map(
        (title, i) =>
          ({
            finding_id: `f${i}`,
            title,
            est_monthly_savings: '-12.500000',
            tags: {},
          }) as unknown as FindingRow,
      ),
    );
    const titles = csv
      .trim()
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(',')[13]);
    expect(titles).toHaveLength(hostile.length);
    for (const title of titles) expect(title).toMatch(/^"?'/);
    // A plain negative amount stays a number.
    expect(csv).toContain(',-12.500000,');
  });

  it('out-of-range input: --set below a minimum, --regions "", an unknown region, --page-size 0 (exit 2, nothing written)', async () => {
    for (const [args, message] of [
      [['--set', 'aws.ec2.ebs.old.snapshot.min_age_days=-5'], 'aws.ec2.ebs.old.snapshot.min_age_days'],
      [['--regions', ''], '--regions is empty'],
      [
        ['--regions', 'us-east-1,us-foo-1'],
        '--regions: us-foo-1 is not a region of this AWS partition; known:',
      ],
      [['--page-size', '0'], '--page-size 0: a whole number from 1 to 1000'],
    ] as const) {
      const result = await scan(...args);
      expect(result.code).toBe(2);
      expect(result.errors).toContain(message);
      plain(result.errors);
      expect(await exists(out())).toBe(false);
    }
  });

  it('--out under /proc fails at once with a sentence; `[1]` in the paths is a name, not a glob', async () => {
    const started = Date.now();
    const proc = await cli(['--tenant', 'acme', '--checker', S3_CHECK, '--out', '/proc/finops-hostile']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proc.code).toBe(1);
    expect(proc.errors).toContain(
      'error: cannot create the folder /proc/finops-hostile: no such file or folder',
    );
    plain(proc.errors);

    // A sibling that the glob `lake[1]` would match instead, holding other findings: it must not be read.
    expect(
      (await cli(['--tenant', 'acme', '--checker', LONG_IDS, '--out', join(dir, 'lake1', 'data')])).code,
    ).toBe(0);
    const data = join(dir, 'lake[1]', 'data');
    const web = join(dir, 'web[1]');
    const run = await cli([
      ...['--tenant', 'acme', '--checker', S3_CHECK, '--out', data],
      ...['--export', '--export-dir', web, '--no-dashboard'],
    ]);
    expect(run.code).toBe(0);
    expect(await rows(data)).toBe(2);
    expect(JSON.parse(await readFile(join(web, 'findings.json'), 'utf8'))).toHaveLength(2);
  });

  it('a 300-character tenant id: exit 2, a clear message, no folder left behind', async () => {
    const result = await cli(['--tenant', 'a'.repeat(300), '--checker', S3_CHECK, '--out', out()]);
    expect(result.code).toBe(2);
    expect(result.errors).toContain('cannot name a directory: use at most 128 letters');
    plain(result.errors);
    expect(await exists(out())).toBe(false);
  });

  it('SIGKILL mid-write: the hidden part is removed by a later run, and the killed run shows as abandoned', async () => {
    // node itself, not the tsx wrapper: SIGKILL must hit the process that writes.
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'tests', 'helpers', 'crash_writer.ts'), out()],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let said = '';
    await new Promise<void>((resolve) => {
      writer.stdout.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        // Mid-part: rows were written since the last completed part.
        if (/part \d+\nrows \d+\nrows \d+\n$/.test(said)) resolve();
      });
    });
    // The open part exists under its hidden temporary name once its first row group is encoded.
    for (let i = 0; i < 500; i += 1) {
      if ((await readdir(day()).catch(() => [])).some((f) => f.endsWith('.tmp'))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    writer.kill('SIGKILL');
    await new Promise((r) => writer.once('exit', r));
    const temps = (await readdir(day())).filter((f) => f.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    // The killed run's manifest still says running; both are two days old.
    const runs = join(out(), '_runs', 'tenant_id=acme', 'run_date=2026-11-20');
    await mkdir(runs, { recursive: true });
    await writeFile(
      join(runs, 'killed.json'),
      JSON.stringify({
        schema_version: 1,
        tenant_id: 'acme',
        run_id: 'killed',
        run_ts: '2026-11-20T06:00:00.000Z',
        run_date: '2026-11-20',
        status: 'running',
        started_ts: '2026-11-20T06:00:00.000Z',
        finished_ts: '2026-11-20T06:00:00.000Z',
        duration_ms: 0,
        accounts: [],
        regions: [],
        checkers: [],
        files: [],
      }),
    );
    const twoDaysAgo = new Date('2026-11-20T06:00:00Z');
    await utimes(join(day(), temps[0]!), twoDaysAgo, twoDaysAgo);
    const before = await rows();

    const list = await cli(['runs', 'list', '--tenant', 'acme', '--data', out()]);
    expect(list.printed).toMatch(/killed\s+2026-11-20T06:00:00.000Z\s+abandoned/);
    expect((await scan()).code).toBe(0);
    expect((await readdir(day())).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await rows()).toBe(before + 2);
  }, 60_000);
});
