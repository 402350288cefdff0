/**
 * End to end, as a user runs it: a moto server seeded through the SDK, runner.ts in its own process,
 * the Parquet read back with DuckDB and the exported JSON checked.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoBill } from '../scripts/demo_billing.ts';
import { DEMO_BUCKETS, seedDemoEstate, type DemoIds } from '../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../scripts/moto_server.ts';
import { computeFingerprint } from '../contracts/identity.ts';
import { query } from './helpers/duckdb.ts';
import { runRunner } from './helpers/runner_process.ts';

let moto: MotoServer;
let dir: string;
let estate: DemoIds;

const runner = (args: string[]) => runRunner(args, { cwd: dir, env: { ...process.env, ...moto.env } });

beforeAll(async () => {
  moto = await startMoto();
  estate = await seedDemoEstate(moto);
  dir = await mkdtemp(join(tmpdir(), 'e2e-'));
});
afterAll(async () => {
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a run against the AWS emulator', () => {
  it('runs every checker, writes typed Parquet and exports the JSON', async () => {
    const run = await runner(['--tenant', 'acme', '--export', '--run-ts', estate.runTs.toISOString()]);
    expect(run.stderr).not.toContain('"level":50');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Wrote \d+ finding\(s\) in 1 file\(s\)/);

    const rows = await query(
      `SELECT tenant_id, run_date::VARCHAR AS run_date, scope.account_id AS account, scope.region AS region,
              scope.resource_id AS bucket, scope.resource_arn AS arn, status, fingerprint, tags['team'] AS team,
              typeof(run_ts) AS ts_type, typeof(estimated.monthly_savings) AS money_type
       FROM read_parquet($glob, hive_partitioning = true)
       WHERE check_id = 'aws.s3.governance.lifecycle.missing' ORDER BY bucket`,
      { glob: join(dir, 'data', 'finops_findings', '**', '*.parquet') },
    );
    const today = estate.runTs.toISOString().slice(0, 10);
    const expected = DEMO_BUCKETS.map((b) => b.name).sort();
    expect(rows.map((r) => r.bucket)).toEqual(expected);
    for (const row of rows) {
      const bucket = DEMO_BUCKETS.find((b) => b.name === row.bucket)!;
      expect(row).toEqual({
        tenant_id: 'acme',
        run_date: today,
        account: '123456789012',
        region: bucket.region,
        bucket: bucket.name,
        arn: `arn:aws:s3:::${bucket.name}`,
        status: bucket.lifecycle ? 'pass' : 'fail',
        fingerprint: computeFingerprint({
          tenantId: 'acme',
          checkId: 'aws.s3.governance.lifecycle.missing',
          scope: {
            cloud: 'aws',
            account_id: '123456789012',
            region: bucket.region,
            service: 'AmazonS3',
            resource_type: 's3_bucket',
            resource_id: bucket.name,
            resource_arn: `arn:aws:s3:::${bucket.name}`,
          },
          issueKey: { rule: 'lifecycle_missing' },
        }),
        team: bucket.tags?.team ?? null,
        ts_type: 'TIMESTAMP WITH TIME ZONE',
        money_type: 'DECIMAL(18,6)',
      });
    }

    // One row per finding, except that AWS's recommendation for a resource a native check reports is shown
    // beside that finding rather than listed (the demo has one).
    const [{ n, fails }] = (await query(
      `WITH f AS (SELECT * FROM read_parquet($glob)),
            beside AS (SELECT DISTINCT a.fingerprint FROM f a JOIN f n
              ON a.scope.resource_id = n.scope.resource_id AND n.status = 'fail'
             AND n.dimensions['savings_source'] IS DISTINCT FROM 'aws_cost_optimization_hub'
             WHERE a.dimensions['savings_source'] = 'aws_cost_optimization_hub' AND a.status = 'fail')
       SELECT count(*)::INTEGER AS n, (count(*) FILTER (WHERE status = 'fail'))::INTEGER AS fails
       FROM f WHERE fingerprint NOT IN (SELECT fingerprint FROM beside)`,
      { glob: join(dir, 'data', 'finops_findings', '**', '*.parquet') },
    )) as [{ n: number; fails: number }];
    expect(n).toBeGreaterThan(40);
    const summary = JSON.parse(await readFile(join(dir, 'webapp_data', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ tenant_id: 'acme', findings: n, by_status: { fail: fails } });
    // Every checker finds something in the demo estate.
    const failing = await query(
      `SELECT DISTINCT check_id FROM read_parquet($glob) WHERE status = 'fail' ORDER BY 1`,
      {
        glob: join(dir, 'data', 'finops_findings', '**', '*.parquet'),
      },
    );
    const listed = JSON.parse((await runner(['--list-checkers', '--json'])).stdout) as { id: string }[];
    expect(failing.map((r) => r.check_id)).toEqual(listed.map((c) => c.id));
  });

  it('a second run appends a part, and the export still has one row per finding', async () => {
    const glob = { glob: join(dir, 'data', 'finops_findings', '**', '*.parquet') };
    const count = async () =>
      ((await query(`SELECT count(*)::INTEGER AS n FROM read_parquet($glob)`, glob)) as [{ n: number }])[0].n;
    const before = await count();
    const shown = JSON.parse(await readFile(join(dir, 'webapp_data', 'findings.json'), 'utf8')).length;
    const run = await runner(['--tenant', 'acme', '--export', '--run-ts', estate.runTs.toISOString()]);
    expect(run.code).toBe(0);
    expect(await count()).toBe(2 * before);
    const findings = JSON.parse(await readFile(join(dir, 'webapp_data', 'findings.json'), 'utf8'));
    // The same findings as after the first run (one AWS recommendation is shown beside a native finding).
    expect(findings).toHaveLength(shown);
    expect(shown).toBe(before - 1);
    expect(new Set(findings.map((f: { fingerprint: string }) => f.fingerprint)).size).toBe(shown);

    // runs.json lists both runs, newest first, with what each found; coverage.json describes the latest.
    const runs = JSON.parse(await readFile(join(dir, 'webapp_data', 'runs.json'), 'utf8'));
    expect(runs.runs).toHaveLength(2);
    const [latest] = runs.runs;
    expect(latest).toMatchObject({ status: 'completed', accounts: ['123456789012'], errors: 0, invalid: 0 });
    expect(latest.findings.fail + latest.findings.pass + (latest.findings.unknown ?? 0)).toBe(before);
    expect(latest.rows).toBe(before);
    const coverage = JSON.parse(await readFile(join(dir, 'webapp_data', 'coverage.json'), 'utf8'));
    expect(coverage.run_id).toBe(latest.run_id);
    expect(coverage.errors).toEqual([]);
    const listed = JSON.parse((await runner(['--list-checkers', '--json'])).stdout) as { id: string }[];
    expect(coverage.checkers.map((c: { check_id: string }) => c.check_id).sort()).toEqual(
      listed.map((c) => c.id).sort(),
    );
    expect(
      coverage.checkers.find((c: { check_id: string }) => c.check_id === 'aws.s3.multipart.abort.missing')
        .regions,
    ).toEqual(['*']);
  });

  it('export copies the dashboard next to the JSON unless --no-dashboard', async () => {
    const withPage = await runner(['export', '--tenant', 'acme', '--out-dir', 'with_page']);
    expect(withPage.code).toBe(0);
    expect(withPage.stdout).toContain(join('with_page', 'index.html'));
    expect(await readFile(join(dir, 'with_page', 'index.html'), 'utf8')).toContain(
      '<script type="module" src="app.js">',
    );
    const bare = await runner(['export', '--tenant', 'acme', '--out-dir', 'bare', '--no-dashboard']);
    expect(bare.code).toBe(0);
    await expect(readFile(join(dir, 'bare', 'index.html'))).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(dir, 'bare', 'findings.json'), 'utf8')).resolves.toMatch(/^\[/);
  });

  it('export lists the available tenants when asked for an unknown one', async () => {
    const run = await runner(['export', '--tenant', 'globex']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'tenant globex has no findings under data/finops_findings; available tenants: acme',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("imports the demo estate's bill and shows its billed cost beside the findings (what npm run demo does)", async () => {
    const bill = await writeDemoBill(join(dir, 'billing'), estate, estate.runTs);
    const imported = await runner(['cost', 'import', '--tenant', 'billed', '--source', bill]);
    expect(imported.code, imported.stderr).toBe(0);
    // One negation a day, in whichever billing periods the 14 days fall.
    const negations = [...imported.stdout.matchAll(/left out: (\d+) SavingsPlanNegation line\(s\)/g)];
    expect(negations.length).toBeGreaterThan(0);
    expect(negations.reduce((n, match) => n + Number(match[1]), 0)).toBe(14);
    const run = await runner([
      '--tenant',
      'billed',
      '--export',
      '--export-dir',
      'billed-site',
      '--run-ts',
      estate.runTs.toISOString(),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const findings = JSON.parse(await readFile(join(dir, 'billed-site', 'findings.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const billed = (check: string, resource: string) =>
      findings.find((f) => f['check_id'] === check && f['resource_id'] === resource);
    // 13 complete days (today is still being billed) of each resource's daily cost.
    expect(billed('aws.ec2.ebs.unattached.volume', estate.volumes.unattached)).toMatchObject({
      actual_cost_30d: '4.332900',
      actual_savings_30d: '4.332900',
      attribution_method: 'exact_resource_id',
    });
    // Billed under its ARN, which the finding carries.
    expect(billed('aws.ec2.nat.gateways.idle', estate.natGateway)).toMatchObject({
      actual_cost_30d: '14.040000',
    });
    expect(billed('aws.rds.instances.idle', estate.db.idle)).toMatchObject({ actual_cost_30d: '10.608000' });
    const summary = JSON.parse(await readFile(join(dir, 'billed-site', 'summary.json'), 'utf8'));
    expect(summary.cost_coverage.findings_with_actual_cost).toBeGreaterThanOrEqual(5);
  });

  it('shows its progress without a terminal: JSON lines during the run, each checker when it is done', async () => {
    const run = await runner(['--tenant', 'progress', '--out', 'progress-data', '--regions', 'us-east-1']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map(
        (line) =>
          JSON.parse(line) as { msg: string; time: number; units_done?: number; units_total?: number },
      );
    const progress = lines.filter((l) => l.msg === 'progress');
    const done = lines.filter((l) => /^checker \S+ done/.test(l.msg));
    expect(progress.length).toBeGreaterThan(0);
    expect(done.length).toBeGreaterThan(10);
    // The first line comes with the first unit done, long before the last one.
    expect(progress[0]).toMatchObject({ units_done: 1, findings: expect.any(Number) });
    expect(progress[0]!.units_done).toBeLessThan(progress[0]!.units_total!);
    expect(progress.at(-1)!.units_done).toBe(progress.at(-1)!.units_total);
    // Checkers are logged as they finish, between progress lines, not all at the end.
    const firstDone = lines.indexOf(done[0]!);
    const lastProgress = lines.indexOf(progress.at(-1)!);
    expect(firstDone).toBeLessThan(lastProgress);
    expect(new Set(done.map((l) => l.time)).size).toBeGreaterThan(1);
  });

  it('a bad flag is a usage error with exit 2, not a stack trace', async () => {
    const run = await runner(['--tenant', 'acme', '--finding-id-mode', 'sometimes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: Invalid values/);
  });
});
