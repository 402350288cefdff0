/**
 * AWS Data Exports folders, for the tests and the demo, with the real column names and the Glue/Athena types AWS's own tables
 * use: CUR 2.0 (maps for tags and product attributes), legacy CUR in Parquet (tags as columns of their own), and
 * FOCUS 1.0. Written through DuckDB as an export writes them: `data/BILLING_PERIOD=YYYY-MM/<name>-00001.snappy.parquet`
 * and, optionally, `metadata/BILLING_PERIOD=YYYY-MM/<name>-Manifest.json` listing the data files as S3 URIs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface CurLine {
  /** `line_item_line_item_type`; null for a damaged line that has none. */
  readonly type: string | null;
  readonly account?: string;
  readonly resource?: string | null;
  /** Start of the usage hour (ISO, UTC). */
  readonly start: string;
  /** A damaged line whose usage start date is empty (null in the file). */
  readonly noStartDate?: boolean;
  readonly product?: string;
  readonly region?: string;
  readonly operation?: string;
  readonly unblended: number;
  readonly net?: number;
  readonly list?: number;
  readonly spEffective?: number;
  readonly riEffective?: number;
  readonly currency?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface ExportOptions {
  /** Write the period's manifest listing the data files (default true). */
  readonly manifest?: boolean;
  /** Files written by an earlier delivery that the manifest no longer lists. */
  readonly stale?: readonly CurLine[];
  /** An export created without "include resource IDs": no line_item_resource_id column. */
  readonly withoutResourceIds?: boolean;
  /** An export whose payer has no discounts: no line_item_net_unblended_cost column. */
  readonly withoutNet?: boolean;
  /** Legacy CUR in Parquet: tags as resource_tags_user_<key> columns, product_region instead of maps. */
  readonly legacy?: boolean;
  /** Columns left out (an export whose table lacks them). */
  readonly drop?: readonly string[];
}

const hourAfter = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();

function curRow(line: CurLine, i: number, period: string, options: ExportOptions): Record<string, unknown> {
  const row: Record<string, unknown> = {
    identity_line_item_id: `li-${i}`,
    identity_time_interval: `${line.start}/${hourAfter(line.start)}`,
    bill_payer_account_id: '999999999999',
    bill_billing_period_start_date: `${period}-01 00:00:00`,
    line_item_usage_account_id: line.account ?? '111111111111',
    line_item_line_item_type: line.type,
    line_item_usage_start_date: line.noStartDate ? null : line.start.replace('T', ' ').replace('Z', ''),
    line_item_usage_end_date: hourAfter(line.start).replace('T', ' ').replace('Z', ''),
    line_item_product_code: line.product ?? 'AmazonEC2',
    line_item_usage_type: 'USE1-BoxUsage:m5.large',
    line_item_operation: line.operation ?? 'RunInstances',
    line_item_availability_zone: 'us-east-1a',
    line_item_resource_id: line.resource ?? '',
    line_item_usage_amount: 1,
    line_item_unblended_cost: line.unblended,
    line_item_net_unblended_cost: line.net ?? line.unblended,
    line_item_blended_cost: line.unblended,
    line_item_currency_code: line.currency ?? 'USD',
    pricing_public_on_demand_cost: line.list ?? line.unblended,
    pricing_term: 'OnDemand',
    pricing_unit: 'Hrs',
    product_servicecode: line.product ?? 'AmazonEC2',
    product_region_code: line.region ?? 'us-east-1',
    product_instance_type: 'm5.large',
    product: { product_name: 'Amazon Elastic Compute Cloud', region: line.region ?? 'us-east-1' },
    reservation_effective_cost: line.riEffective ?? 0,
    savings_plan_savings_plan_effective_cost: line.spEffective ?? 0,
    resource_tags: Object.fromEntries(Object.entries(line.tags ?? {}).map(([k, v]) => [`user_${k}`, v])),
    cost_category: {},
    discount: {},
  };
  if (options.legacy) {
    for (const [key, value] of Object.entries(line.tags ?? {})) row[`resource_tags_user_${key}`] = value;
    row['product_region'] = row['product_region_code'];
    delete row['product_region_code'];
    delete row['product'];
    delete row['resource_tags'];
    delete row['cost_category'];
    delete row['discount'];
  }
  if (options.withoutResourceIds) delete row['line_item_resource_id'];
  if (options.withoutNet) delete row['line_item_net_unblended_cost'];
  for (const column of options.drop ?? []) delete row[column];
  return row;
}

const CUR_TYPES: Record<string, string> = {
  bill_billing_period_start_date: 'TIMESTAMP',
  line_item_usage_start_date: 'TIMESTAMP',
  line_item_usage_end_date: 'TIMESTAMP',
  line_item_usage_amount: 'DOUBLE',
  line_item_unblended_cost: 'DOUBLE',
  line_item_net_unblended_cost: 'DOUBLE',
  line_item_blended_cost: 'DOUBLE',
  pricing_public_on_demand_cost: 'DOUBLE',
  reservation_effective_cost: 'DOUBLE',
  savings_plan_savings_plan_effective_cost: 'DOUBLE',
  product: 'MAP(VARCHAR, VARCHAR)',
  resource_tags: 'MAP(VARCHAR, VARCHAR)',
  cost_category: 'MAP(VARCHAR, VARCHAR)',
  discount: 'MAP(VARCHAR, DOUBLE)',
};

/** Writes rows as one Parquet file with the given column types (VARCHAR for the others). */
async function writeParquet(
  file: string,
  rows: readonly Record<string, unknown>[],
  types: Readonly<Record<string, string>>,
): Promise<void> {
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const json = `${file}.json`;
  // A damaged export's NaN and infinite costs: as text, which DuckDB reads into a DOUBLE as they are.
  const keepNonFinite = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
  await writeFile(json, rows.map((row) => JSON.stringify(row, keepNonFinite)).join('\n'));
  const columns = `{${names.map((n) => `'${n}': '${types[n] ?? 'VARCHAR'}'`).join(', ')}}`;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT ${names.map((n) => `"${n}"`).join(', ')} FROM read_json('${json}', columns = ${columns}, format = 'newline_delimited'))
       TO '${file}' (FORMAT parquet, COMPRESSION snappy)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(json);
  }
}

/** A CUR 2.0 (or legacy CUR) export of one billing period under `root/<name>/`; the export folder. */
export async function writeCurExport(
  root: string,
  name: string,
  period: string,
  lines: readonly CurLine[],
  options: ExportOptions = {},
): Promise<string> {
  const folder = join(root, name);
  const data = join(folder, 'data', `BILLING_PERIOD=${period}`);
  await mkdir(data, { recursive: true });
  const file = `${name}-00001.snappy.parquet`;
  await writeParquet(
    join(data, file),
    lines.map((line, i) => curRow(line, i, period, options)),
    CUR_TYPES,
  );
  if (options.stale) {
    await writeParquet(
      join(data, `${name}-00000-stale.snappy.parquet`),
      options.stale.map((line, i) => curRow(line, i, period, options)),
      CUR_TYPES,
    );
  }
  if (options.manifest !== false) {
    const metadata = join(folder, 'metadata', `BILLING_PERIOD=${period}`);
    await mkdir(metadata, { recursive: true });
    await writeFile(
      join(metadata, `${name}-Manifest.json`),
      JSON.stringify({
        executionId: `exec-${period}`,
        exportArn: `arn:aws:bcm-data-exports:us-east-1:999999999999:export/${name}-0000`,
        columns: [],
        dataFiles: [`s3://billing-bucket/exports/${name}/data/BILLING_PERIOD=${period}/${file}`],
        additionalOutputFiles: [],
      }),
    );
  }
  return folder;
}

export interface FocusRow {
  readonly category: string | null;
  readonly resource?: string | null;
  readonly account?: string;
  readonly region?: string;
  readonly service?: string;
  readonly start: string;
  /** A damaged row whose charge period start is empty (null in the file). */
  readonly noStartDate?: boolean;
  readonly billed: number;
  readonly effective: number;
  readonly list: number;
  readonly currency?: string;
}

/** A FOCUS 1.0 export of one billing period (no manifest: the data folder alone); the export folder. */
export async function writeFocusExport(
  root: string,
  name: string,
  period: string,
  rows: readonly FocusRow[],
): Promise<string> {
  const folder = join(root, name);
  const data = join(folder, 'data', `BILLING_PERIOD=${period}`);
  await mkdir(data, { recursive: true });
  await writeParquet(
    join(data, `${name}-00001.snappy.parquet`),
    rows.map((row) => ({
      BillingAccountId: '999999999999',
      BillingCurrency: row.currency ?? 'USD',
      BillingPeriodStart: `${period}-01 00:00:00`,
      ChargeCategory: row.category,
      ChargeClass: null,
      ChargePeriodStart: row.noStartDate ? null : row.start.replace('T', ' ').replace('Z', ''),
      ChargePeriodEnd: hourAfter(row.start).replace('T', ' ').replace('Z', ''),
      BilledCost: row.billed,
      EffectiveCost: row.effective,
      ListCost: row.list,
      ContractedCost: row.billed,
      ProviderName: 'AWS',
      RegionId: row.region ?? 'us-east-1',
      ResourceId: row.resource ?? null,
      ServiceName: row.service ?? 'Amazon Elastic Compute Cloud',
      SubAccountId: row.account ?? '111111111111',
      Tags: {},
    })),
    {
      BillingPeriodStart: 'TIMESTAMP',
      ChargePeriodStart: 'TIMESTAMP',
      ChargePeriodEnd: 'TIMESTAMP',
      BilledCost: 'DECIMAL(38,10)',
      EffectiveCost: 'DECIMAL(38,10)',
      ListCost: 'DECIMAL(38,10)',
      ContractedCost: 'DECIMAL(38,10)',
      Tags: 'MAP(VARCHAR, VARCHAR)',
    },
  );
  return folder;
}
