/**
 * `npm run bench -- --cost [--cost-rows 10000000]`: a month of hourly CUR 2.0 lines (about 14,000 resources × 720
 * hours for 10 million rows, with the real columns and types, a tenth of them Savings Plan covered and some tax,
 * negation and split-cost lines) imported as `cost import` does and attributed to one finding a resource as an
 * export does, in a process of its own (its peak RSS is its own), beside plain DuckDB GROUP BYs of the same
 * files: one cost by day, account and resource, what the import computes summed as doubles, and the same summed
 * exactly (the floor of any import that sums as the issue requires).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { factsQuery } from '../pipeline/cost_facts.ts';
import type { Measurement } from './stages.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOURS = 720;

/** Writes `rows` CUR 2.0 lines for October 2026 as an export folder's data files; returns the folder. */
export async function writeCurMonth(dir: string, rows: number): Promise<string> {
  const folder = join(dir, 'bench-cur2');
  const data = join(folder, 'data', 'BILLING_PERIOD=2026-10');
  await mkdir(data, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // Files of about a million lines, as exports split them.
    const perFile = 1_000_000;
    for (let start = 0, part = 1; start < rows; start += perFile, part += 1) {
      const file = join(data, `bench-cur2-${String(part).padStart(5, '0')}.snappy.parquet`);
      await connection.run(
        `COPY (
           SELECT 'li-' || i AS identity_line_item_id,
                  '999999999999' AS bill_payer_account_id,
                  TIMESTAMP '2026-10-01' AS bill_billing_period_start_date,
                  lpad(CAST(111111111111 + (r % 20) AS VARCHAR), 12, '0') AS line_item_usage_account_id,
                  CASE WHEN i % 97 = 0 THEN 'Tax' WHEN i % 10 = 1 THEN 'SavingsPlanCoveredUsage'
                       WHEN i % 10 = 2 THEN 'SavingsPlanNegation' ELSE 'Usage' END AS line_item_line_item_type,
                  TIMESTAMP '2026-10-01' + INTERVAL (h) HOUR AS line_item_usage_start_date,
                  TIMESTAMP '2026-10-01' + INTERVAL (h + 1) HOUR AS line_item_usage_end_date,
                  CASE WHEN r % 3 = 0 THEN 'AmazonEC2' WHEN r % 3 = 1 THEN 'AmazonRDS' ELSE 'AmazonS3' END AS line_item_product_code,
                  'USE1-BoxUsage:m5.large' AS line_item_usage_type,
                  CASE WHEN i % 53 = 0 THEN 'EKSPod-EC2' ELSE 'RunInstances' END AS line_item_operation,
                  'us-east-1a' AS line_item_availability_zone,
                  CASE WHEN i % 97 = 0 THEN '' ELSE 'i-' || lpad(CAST(r AS VARCHAR), 16, '0') END AS line_item_resource_id,
                  1.0::DOUBLE AS line_item_usage_amount,
                  ((r % 1000) / 10000.0 + 0.0001)::DOUBLE AS line_item_unblended_cost,
                  ((r % 1000) / 11000.0 + 0.0001)::DOUBLE AS line_item_net_unblended_cost,
                  ((r % 1000) / 10000.0 + 0.0001)::DOUBLE AS line_item_blended_cost,
                  'USD' AS line_item_currency_code,
                  ((r % 1000) / 9000.0 + 0.0001)::DOUBLE AS pricing_public_on_demand_cost,
                  'OnDemand' AS pricing_term,
                  CASE WHEN r % 2 = 0 THEN 'us-east-1' ELSE 'eu-west-1' END AS product_region_code,
                  MAP {'product_name': 'Amazon Elastic Compute Cloud'} AS product,
                  0.0::DOUBLE AS reservation_effective_cost,
                  ((r % 1000) / 16000.0)::DOUBLE AS savings_plan_savings_plan_effective_cost,
                  MAP {'user_team': 'team-' || (r % 7)} AS resource_tags
           FROM (SELECT i, i // ${HOURS} AS r, i % ${HOURS} AS h FROM range(${start}, ${Math.min(rows, start + perFile)}) t(i)))
         TO '${file}' (FORMAT parquet, COMPRESSION snappy)`,
      );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return folder;
}

export async function costImportBench(rows: number, note: (text: string) => void): Promise<Measurement[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cost-'));
  try {
    note(`  writing ${rows} CUR 2.0 lines…`);
    const source = await writeCurMonth(dir, rows);
    note('  cost import, in a process of its own…');
    const child = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench', 'child.ts'), 'cost-import', source, join(dir, 'facts')],
      { cwd: ROOT, maxBuffer: 1 << 20 },
    );
    const imported = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      seconds: number;
      max_rss_mb: number;
      facts: number;
      import_seconds: number;
      attribution_seconds: number;
      attributed: number;
    };
    note('  DuckDB alone: daily per-resource GROUP BYs of the same files…');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const files = join(source, 'data', '*', '*.parquet');
    const timed = async (sql: string) => {
      const started = performance.now();
      await connection.run(sql);
      return (performance.now() - started) / 1000;
    };
    let duck: number;
    let same: number;
    let exact: number;
    try {
      await connection.run("SET TimeZone = 'UTC'");
      // One cost column by day, account and resource.
      duck = await timed(
        `CREATE OR REPLACE TEMP TABLE daily AS
         SELECT CAST(line_item_usage_start_date AS DATE) AS usage_date, line_item_usage_account_id, line_item_resource_id,
                sum(line_item_unblended_cost) AS cost
         FROM read_parquet('${files}')
         WHERE line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage') AND line_item_resource_id <> ''
         GROUP BY ALL`,
      );
      // What the import computes (its keys, its four costs, its filter), summed as doubles, kept in memory.
      const columns = new Set(
        (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${files}')`))
          .getRowObjectsJson()
          .map((row) => String(row['column_name'])),
      );
      const sameQuery = (sum?: (cost: string) => string) =>
        `CREATE OR REPLACE TEMP TABLE daily AS ${factsQuery('cur2', columns, '2026-10', sum)
          .replace('$files', `'${files}'`)
          .replace(', union_by_name = true', '')}`;
      same = await timed(sameQuery((cost) => `sum(${cost})`));
      // The same, with the exact sums the issue requires (the import's own): the least any import that sums
      // exactly costs, without counting what was left out and without writing.
      exact = await timed(sameQuery());
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    return [
      {
        measure: 'cost_import',
        rows,
        facts: imported.facts,
        // Imported, then attributed to one finding a resource, as an export does.
        seconds: imported.seconds,
        import_seconds: imported.import_seconds,
        attribution_seconds: imported.attribution_seconds,
        findings_attributed: imported.attributed,
        rows_per_s: Math.round(rows / imported.seconds),
        max_rss_mb: Math.round(imported.max_rss_mb),
        ratio_vs_duckdb: Number((imported.seconds / duck).toFixed(3)),
        ratio_vs_same_in_doubles: Number((imported.seconds / same).toFixed(3)),
        // The floor beside the same baseline: the exact aggregation alone, plus the attribution.
        floor_ratio_vs_same_in_doubles: Number(((exact + imported.attribution_seconds) / same).toFixed(3)),
      },
      { measure: 'cost_duckdb_group_by', rows, seconds: duck, rows_per_s: Math.round(rows / duck) },
      { measure: 'cost_duckdb_same_in_doubles', rows, seconds: same, rows_per_s: Math.round(rows / same) },
      { measure: 'cost_duckdb_same_exact', rows, seconds: exact, rows_per_s: Math.round(rows / exact) },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
