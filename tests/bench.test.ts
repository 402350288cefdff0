/** The benchmark runs and reports what BENCHMARKS.md records (a smoke test at a tiny size; no timing asserted). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm run bench -- <args> --json`: its measurements, one object per line. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- measurements are free-form JSON, as JSON.parse gives them
async function bench(args: readonly string[]): Promise<any[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), ...args, '--json'],
    { cwd: ROOT },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('npm run bench', () => {
  it('prints one JSON line per measurement, with the end-to-end ratio against DuckDB', async () => {
    const lines = await bench([
      ...['--findings', '2000', '--rss', '1000,3000', '--tenants', '1,3', '--days', '1'],
      ...['--export-rows', '200', '--repeat', '2'],
    ]);
    const by = (measure: string) => lines.filter((line) => line.measure === measure);
    for (const measure of ['identity', 'validate', 'storage_cast', 'arrow', 'arrow_parquet', 'duckdb_only']) {
      expect(by(measure)[0], measure).toMatchObject({ findings: 2000, findings_per_s: expect.any(Number) });
    }
    const [e2e] = by('end_to_end');
    expect(e2e.findings_per_s).toBeGreaterThan(0);
    expect(e2e.duckdb_findings_per_s).toBe(by('duckdb_only')[0].findings_per_s);
    expect(e2e.ratio_vs_duckdb).toBeCloseTo(e2e.findings_per_s / e2e.duckdb_findings_per_s, 2);
    // The fastest of the runs is the one reported.
    expect(e2e.runs_findings_per_s).toHaveLength(2);
    expect(e2e.findings_per_s).toBe(Math.max(...e2e.runs_findings_per_s));
    expect(by('peak_rss').map((line) => line.findings)).toEqual([1000, 3000]);
    expect(by('rss_ratio')[0].ratio).toBeGreaterThan(0);
    expect(by('export_one_tenant').map((line) => line.tenants)).toEqual([1, 3]);
    expect(by('startup_list_checkers')[0].seconds).toBeGreaterThan(0);
  }, 240_000);

  it('measures the dashboard: export, open and each re-filter, in Chromium', async () => {
    const lines = await bench(['--dashboard', '--dashboard-findings', '3000']);
    const by = (measure: string) => lines.find((line) => line.measure === measure);
    expect(by('dashboard_export')).toMatchObject({ findings: 3000, pages: 3 });
    expect(by('dashboard_open')).toMatchObject({ findings: 3000, count: '3000 findings' });
    const refilters = lines.filter((line) => String(line.measure).startsWith('dashboard_refilter_'));
    expect(refilters.length).toBe(7);
    for (const line of refilters) {
      expect(line.ms, line.measure).toBeGreaterThanOrEqual(0);
      expect(line.count, line.measure).toMatch(/^\d+ (of 3000 findings match|findings)$/);
    }
    expect(by('dashboard_open_detail').seconds).toBeGreaterThan(0);
  }, 240_000);

  it('measures a cost import with its attribution beside DuckDB alone', async () => {
    const lines = await bench(['--cost', '--cost-rows', '72000']);
    const by = (measure: string) => lines.find((line) => line.measure === measure);
    // 100 resources × 720 hours: a fact for each resource and each of the 30 days.
    expect(by('cost_import')).toMatchObject({ rows: 72000, facts: 3000, findings_attributed: 100 });
    expect(by('cost_import').seconds).toBeGreaterThan(by('cost_import').import_seconds);
    for (const ratio of ['ratio_vs_duckdb', 'ratio_vs_same_in_doubles'])
      expect(by('cost_import')[ratio], ratio).toBeGreaterThan(0);
    expect(by('cost_duckdb_same_in_doubles').seconds).toBeGreaterThan(0);
  }, 240_000);

  it('measures exports over a history: after runs kept the state, and folding one more run', async () => {
    const lines = await bench(['--history', '--history-days', '4', '--history-findings', '300']);
    const by = (measure: string) => lines.filter((line) => line.measure === measure);
    // Two sizes: 2 days and --history-days, each with the export of a kept state and one that folds a run.
    expect(by('history_export').map((line) => [line.runs, line.state, line.findings])).toEqual([
      [2, 'stored', 300],
      [4, 'stored', 300],
    ]);
    expect(by('history_export_folding').map((line) => [line.runs, line.state])).toEqual([
      [3, 'folded'],
      [5, 'folded'],
    ]);
    for (const line of [...by('history_export'), ...by('history_export_folding')]) {
      expect(line.rows, line.measure).toBe(line.runs * 300);
      expect(line.ratio_vs_duckdb, line.measure).toBeGreaterThan(0);
    }
    expect(by('history_export')[1].runs_seconds).toHaveLength(3);
    // DuckDB writing the same latest rows as JSON costs its query and more.
    for (const line of by('history_export'))
      expect(line.duckdb_with_json_seconds).toBeGreaterThan(line.seconds / line.ratio_vs_duckdb - 0.001);
    expect(by('history_ratios')[0].export_rss_long_vs_short).toBeGreaterThan(0);
  }, 240_000);
});
