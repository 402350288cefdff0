/**
 * Cost facts from the bill: an AWS Data Exports folder (CUR 2.0, legacy CUR in Parquet, or FOCUS) turned into
 * daily per-resource costs, `<root>/tenant_id=<t>/billing_period=<YYYY-MM>/part-<uuid>.parquet`, each billing
 * period replaced whole at every import (AWS restates a closed month for about two weeks).
 *
 * What a resource cost is what its usage lines say: `Usage`, and usage covered by a reservation or a Savings
 * Plan at its effective (amortized) cost. Commitment fees and negations, tax, credits, refunds, discounts, lines
 * without a resource id, a type, a date or a currency and split-cost rows (an instance's cost re-attributed to
 * pods and tasks) are left out, and counted by `leftOut` so that what was not attributed stays visible. Costs are
 * doubles in the files: each is read as a decimal of 10 places, summed exactly, and rounded once to 6.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { isFile } from './history.ts';
import { replaceDirectory } from './atomic.ts';
import { normaliseTenant } from './layout.ts';

export const COST_FORMATS = ['cur2', 'cur_legacy', 'focus'] as const;
export type CostFormat = (typeof COST_FORMATS)[number];

/** The cost facts sit beside the findings dataset: data/finops_findings → data/finops_cost_facts. */
export const COST_FACTS_DIR = 'finops_cost_facts';

/** One billing period of an export: its data files (from the period's manifest, or the period's folder). */
export interface CostPeriod {
  /** YYYY-MM */
  readonly period: string;
  readonly files: readonly string[];
  /** The manifest that listed the files, when there is one. */
  readonly manifest?: string;
}

/** Why an import cannot go on: said to the user as it is (exit 1). */
export class CostImportError extends Error {}

const PERIOD = /^BILLING_PERIOD=(\d{4}-\d{2})$/;
/** The billing period of a path inside an export folder (`data/BILLING_PERIOD=YYYY-MM/…`), if it has one. */
export const periodOfPath = (relative: string): string | undefined =>
  PERIOD.exec(relative.split('/')[1] ?? '')?.[1];

const listDir = (dir: string) => readdir(dir).catch(() => [] as string[]);
/** The Parquet files of a folder (hidden ones left out), sorted, as paths. */
const parquetFiles = async (dir: string) =>
  (await listDir(dir))
    .filter((n) => n.endsWith('.parquet') && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n));

/**
 * The billing periods of an export folder (`<export>/data/BILLING_PERIOD=YYYY-MM/…` and
 * `<export>/metadata/BILLING_PERIOD=YYYY-MM/<export-name>-Manifest.json`). A period with a manifest is read from
 * the files the manifest lists (its `dataFiles`, full S3 URIs, found under the folder by their path from `data/`);
 * one without, from the Parquet files of its data folder.
 */
export async function findCostPeriods(source: string): Promise<CostPeriod[]> {
  const periods = new Map<string, CostPeriod>();
  // One manifest a period (an export that overwrites).
  for (const [period, manifest] of await periodManifests(source))
    periods.set(period, { period, files: await manifestFiles(source, manifest), manifest });
  for (const name of (await listDir(join(source, 'data'))).sort()) {
    const period = PERIOD.exec(name)?.[1];
    if (!period || periods.has(period)) continue;
    const files = await parquetFiles(join(source, 'data', name));
    if (files.length > 0) periods.set(period, { period, files });
  }
  if (periods.size === 0)
    for (const period of await legacyPeriods(source)) periods.set(period.period, period);
  if (periods.size === 0) {
    throw new CostImportError(
      `no billing data under ${source}: expected an AWS Data Exports folder, with data/BILLING_PERIOD=YYYY-MM/*.parquet (and metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json), or a legacy CUR report folder with year=YYYY/month=M/*.parquet`,
    );
  }
  return [...periods.values()].sort((a, b) => a.period.localeCompare(b.period));
}

/**
 * The periods of a legacy CUR report in Parquet: `year=YYYY/month=M/*.parquet`, at the folder given or up to two
 * levels below it (`<report>/<report>/year=…`, as the report writes under its prefix).
 */
async function legacyPeriods(folder: string, depth = 0): Promise<CostPeriod[]> {
  const names = (await listDir(folder)).sort();
  const years = names.filter((name) => /^year=\d{4}$/.test(name));
  if (years.length === 0) {
    if (depth >= 2) return [];
    const below: CostPeriod[] = [];
    for (const name of names.filter((n) => !n.startsWith('.')))
      below.push(...(await legacyPeriods(join(folder, name), depth + 1)));
    return below;
  }
  const periods: CostPeriod[] = [];
  for (const year of years) {
    for (const month of (await listDir(join(folder, year))).sort()) {
      const m = /^month=(\d{1,2})$/.exec(month)?.[1];
      if (!m || Number(m) < 1 || Number(m) > 12) continue;
      const files = await parquetFiles(join(folder, year, month));
      if (files.length > 0) periods.push({ period: `${year.slice(5)}-${m.padStart(2, '0')}`, files });
    }
  }
  return periods;
}

/**
 * The data files a Data Exports manifest lists (its `dataFiles`, full S3 URIs), as paths inside the export
 * folder (`data/BILLING_PERIOD=…/…`, '/'-separated).
 */
export async function manifestDataPaths(manifest: string): Promise<string[]> {
  let listed: unknown;
  try {
    listed = (JSON.parse(await readFile(manifest, 'utf8')) as { dataFiles?: unknown }).dataFiles;
  } catch {
    throw new CostImportError(`${manifest} is not a Data Exports manifest (not valid JSON)`);
  }
  if (!Array.isArray(listed) || !listed.every((f) => typeof f === 'string'))
    throw new CostImportError(`${manifest} is not a Data Exports manifest: it has no dataFiles list`);
  return (listed as string[]).map((uri) => {
    const at = uri.lastIndexOf('/data/BILLING_PERIOD=');
    const relative = at >= 0 ? uri.slice(at + 1) : undefined;
    if (!relative || relative.split('/').includes('..'))
      throw new CostImportError(`${manifest} lists ${uri}, which is not in the export's data folder`);
    if (!relative.endsWith('.parquet'))
      throw new CostImportError(`${uri}: only Parquet exports can be imported (this file is not .parquet)`);
    return relative;
  });
}

/** The local paths of the data files a Data Exports manifest lists. */
async function manifestFiles(source: string, manifest: string): Promise<string[]> {
  const files: string[] = [];
  for (const relative of await manifestDataPaths(manifest)) {
    const path = join(source, ...relative.split('/'));
    if (!(await isFile(path)))
      throw new CostImportError(
        `${manifest} lists ${relative}, which is not under ${source}: copy the whole export folder`,
      );
    files.push(path);
  }
  return files;
}

/**
 * Each billing period's manifest in an export folder (`metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`;
 * of several, the last by name).
 */
export async function periodManifests(source: string): Promise<Map<string, string>> {
  const manifests = new Map<string, string>();
  for (const name of (await listDir(join(source, 'metadata'))).sort()) {
    const period = PERIOD.exec(name)?.[1];
    if (!period) continue;
    const found = (await listDir(join(source, 'metadata', name)))
      .filter((n) => n.endsWith('Manifest.json'))
      .sort();
    if (found.length > 0) manifests.set(period, join(source, 'metadata', name, found.at(-1)!));
  }
  return manifests;
}

/** The columns CUR 2.0 and legacy CUR share that the facts need. */
const CUR_COLUMNS = [
  'line_item_usage_account_id',
  'line_item_resource_id',
  'line_item_line_item_type',
  'line_item_usage_start_date',
  'line_item_product_code',
  'line_item_unblended_cost',
  'pricing_public_on_demand_cost',
  'savings_plan_savings_plan_effective_cost',
  'reservation_effective_cost',
  'line_item_operation',
  'line_item_currency_code',
] as const;

/** The columns each format must have (legacy CUR may name the region product_region). */
const REQUIRED: Record<CostFormat, readonly string[]> = {
  cur2: [...CUR_COLUMNS, 'product_region_code'],
  cur_legacy: CUR_COLUMNS,
  focus: [
    'ResourceId',
    'SubAccountId',
    'RegionId',
    'ServiceName',
    'ChargePeriodStart',
    'ChargeCategory',
    'EffectiveCost',
    'BilledCost',
    'ListCost',
    'BillingCurrency',
  ],
};

/** The format a file's columns say, or undefined. */
export function detectFormat(columns: ReadonlySet<string>): CostFormat | undefined {
  if (columns.has('ChargeCategory') && columns.has('EffectiveCost')) return 'focus';
  if (!columns.has('line_item_line_item_type')) return undefined;
  // CUR 2.0 nests tags and product attributes in maps; legacy CUR has them as columns of their own.
  return columns.has('resource_tags') || columns.has('product') ? 'cur2' : 'cur_legacy';
}

/** What is missing for `format`, said the way the export's settings name it. */
export function missingColumns(format: CostFormat, columns: ReadonlySet<string>): string | undefined {
  const resourceId = format === 'focus' ? 'ResourceId' : 'line_item_resource_id';
  const required = REQUIRED[format].filter(
    (c) => c !== 'product_region_code' || !columns.has('product_region'),
  );
  const missing = required.filter((c) => !columns.has(c));
  if (missing.length === 0) return undefined;
  // Everything there but the resource ids: the export's setting, which no column list would explain.
  if (missing.length === 1 && missing[0] === resourceId && format !== 'focus')
    return `the export has no ${resourceId} column: it was created without "Include resource IDs" (INCLUDE_RESOURCES). Create an export with that setting; costs cannot be matched to resources without it`;
  return `the ${format} export lacks ${missing.length} required column(s): ${missing.join(', ')}`;
}

/**
 * The exact sum of a double cost column, rounded once to 6 places, as DECIMAL(18,6). Each value is read as a
 * whole number of 10^-10 (the smallest request charges have 10 places; rounded half away from zero, as a cast
 * to DECIMAL(18,10) rounds), the numbers are added as integers, and the sum is rounded half away from zero to
 * 10^-6 with integer arithmetic before it becomes a decimal. The same result as summing DECIMAL(18,10) casts and
 * casting the sum to DECIMAL(18,6), in a third of the time: DuckDB adds whole numbers fastest, and its cast
 * from DECIMAL(38,10) to DECIMAL(18,6) costs more than the sum. A line, or a resource's day, beyond ±$900M
 * does not fit, and fails the import in one line.
 */
export const exactMoney = (column: string) => {
  const units = `CAST(sum(CAST(round((${column}) * 1e10) AS BIGINT)) AS BIGINT)`;
  const micros = `(${units} + CASE WHEN ${units} >= 0 THEN 5000 ELSE -5000 END) // 10000`;
  return `CAST(CAST(${micros} AS DECIMAL(18,0)) * CAST(0.000001 AS DECIMAL(6,6)) AS DECIMAL(18,6))`;
};
const text = (column: string) => `NULLIF(CAST(${column} AS VARCHAR), '')`;

const KEPT_TYPES = `('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')`;
const SPLIT_COST = `('EKSPod-EC2', 'ECSTask-EC2')`;
/**
 * Usage lines that are a resource's own cost, and the lines left out (see `leftOut`): each condition the other's
 * exact complement, a line without a type or a resource id in the second, so that no line is in neither. Written
 * as plain comparisons, which DuckDB evaluates on the files' dictionaries, not as functions of every value.
 */
const CUR_KEPT = `line_item_line_item_type IN ${KEPT_TYPES} AND line_item_resource_id <> ''
  AND line_item_usage_start_date IS NOT NULL AND line_item_currency_code <> ''
  AND line_item_operation IS DISTINCT FROM 'EKSPod-EC2' AND line_item_operation IS DISTINCT FROM 'ECSTask-EC2'`;
const CUR_LEFT_OUT = `line_item_line_item_type IS NULL OR line_item_line_item_type NOT IN ${KEPT_TYPES}
  OR line_item_resource_id IS NULL OR line_item_resource_id = '' OR line_item_usage_start_date IS NULL
  OR line_item_currency_code IS NULL OR line_item_currency_code = '' OR line_item_operation IN ${SPLIT_COST}`;
const FOCUS_KEPT = `ChargeCategory = 'Usage' AND ResourceId <> '' AND ChargePeriodStart IS NOT NULL
  AND BillingCurrency <> ''`;
const FOCUS_LEFT_OUT = `ChargeCategory IS NULL OR ChargeCategory <> 'Usage' OR ResourceId IS NULL OR ResourceId = ''
  OR ChargePeriodStart IS NULL OR BillingCurrency IS NULL OR BillingCurrency = ''`;

/** The daily per-resource facts of `files`, as a query (its parameter `$files`). */
export function factsQuery(
  format: CostFormat,
  columns: ReadonlySet<string>,
  period: string,
  /** How a cost column is summed (the bench compares the exact sum with doubles). */
  sum: (column: string) => string = exactMoney,
): string {
  const from = `read_parquet($files, union_by_name = true)`;
  if (format === 'focus') {
    return `SELECT CAST(ChargePeriodStart AS DATE) AS usage_date, ${text('SubAccountId')} AS account_id,
        ${text('RegionId')} AS region, ${text('ServiceName')} AS service, CAST(ResourceId AS VARCHAR) AS resource_id,
        ${text('BillingCurrency')} AS currency,
        ${sum('BilledCost')} AS unblended,
        ${sum('EffectiveCost')} AS amortized,
        ${sum('BilledCost')} AS net,
        ${sum('ListCost')} AS list,
        'focus' AS source_format, '${period}' AS billing_period
      FROM ${from} WHERE ${FOCUS_KEPT}
      GROUP BY ALL`;
  }
  const region = columns.has('product_region_code') ? 'product_region_code' : 'product_region';
  // Without discounts the export has no net column: net is then unblended.
  const net = columns.has('line_item_net_unblended_cost')
    ? 'coalesce(line_item_net_unblended_cost, line_item_unblended_cost)'
    : 'line_item_unblended_cost';
  const amortized = `CASE line_item_line_item_type
      WHEN 'DiscountedUsage' THEN reservation_effective_cost
      WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
      ELSE line_item_unblended_cost END`;
  return `SELECT CAST(line_item_usage_start_date AS DATE) AS usage_date,
      ${text('line_item_usage_account_id')} AS account_id, ${text(region)} AS region,
      ${text('line_item_product_code')} AS service, CAST(line_item_resource_id AS VARCHAR) AS resource_id,
      ${text('line_item_currency_code')} AS currency,
      ${sum('line_item_unblended_cost')} AS unblended,
      ${sum(amortized)} AS amortized,
      ${sum(net)} AS net,
      ${sum('pricing_public_on_demand_cost')} AS list,
      '${format}' AS source_format, '${period}' AS billing_period
    FROM ${from} WHERE ${CUR_KEPT}
    GROUP BY ALL`;
}

/** What the import left out of the facts, by why, with its unblended cost: a query (its parameter `$files`). */
export function leftOutQuery(format: CostFormat): string {
  const from = `read_parquet($files, union_by_name = true)`;
  if (format === 'focus') {
    return `SELECT CASE WHEN coalesce(ChargeCategory, '') = '' THEN 'no charge category'
             WHEN ChargeCategory <> 'Usage' THEN ChargeCategory
             WHEN coalesce(ResourceId, '') = '' THEN 'no resource id'
             WHEN ChargePeriodStart IS NULL THEN 'no charge period' ELSE 'no currency' END AS reason,
        count(*)::BIGINT AS lines, ${exactMoney('BilledCost')}::VARCHAR AS cost
      FROM ${from} WHERE ${FOCUS_LEFT_OUT} GROUP BY ALL ORDER BY reason`;
  }
  return `SELECT CASE
        WHEN coalesce(line_item_line_item_type, '') = '' THEN 'no line item type'
        WHEN line_item_line_item_type NOT IN ${KEPT_TYPES} THEN line_item_line_item_type
        WHEN coalesce(line_item_resource_id, '') = '' THEN 'no resource id'
        WHEN line_item_usage_start_date IS NULL THEN 'no usage date'
        WHEN coalesce(line_item_currency_code, '') = '' THEN 'no currency'
        ELSE 'split cost (' || line_item_operation || ')' END AS reason,
      count(*)::BIGINT AS lines, ${exactMoney('line_item_unblended_cost')}::VARCHAR AS cost
    FROM ${from} WHERE ${CUR_LEFT_OUT} GROUP BY ALL ORDER BY reason`;
}

/** The columns of a period's files (all of them: exports of a month share one schema, legacy ones may not). */
async function columnsOf(connection: DuckDBConnection, files: readonly string[]): Promise<Set<string>> {
  try {
    const reader = await connection.runAndReadAll(
      'DESCRIBE SELECT * FROM read_parquet($files, union_by_name = true)',
      { files: listValue([...files]) },
    );
    return new Set((reader.getRowObjectsJson() as { column_name: string }[]).map((r) => r.column_name));
  } catch (error) {
    throw new CostImportError(
      `cannot read ${files.length === 1 ? files[0] : `the ${files.length} files`} as Parquet: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

export interface ImportedPeriod {
  readonly period: string;
  readonly format: CostFormat;
  readonly files: number;
  readonly manifest?: string;
  /** Rows of facts written (day × account × resource × currency). */
  readonly facts: number;
  readonly resources: number;
  /** The kept lines' amortized total by currency, as exact decimal strings. */
  readonly amortized: Readonly<Record<string, string>>;
  readonly leftOut: readonly {
    readonly reason: string;
    readonly lines: number;
    readonly cost: string | null;
  }[];
}

/**
 * Imports every billing period of `periods` into `root` (the facts dataset), each replacing that period whole.
 * `format` forces the format; by default each period's columns say it.
 */
export async function importCostPeriods(
  connection: DuckDBConnection,
  options: {
    readonly periods: readonly CostPeriod[];
    readonly root: string;
    readonly tenant: string;
    readonly format?: CostFormat | undefined;
    readonly onPeriod?: (imported: ImportedPeriod) => void;
  },
): Promise<ImportedPeriod[]> {
  const tenant = normaliseTenant(options.tenant);
  const imported: ImportedPeriod[] = [];
  for (const period of options.periods) {
    const columns = await columnsOf(connection, period.files);
    const detected = detectFormat(columns);
    const format = options.format ?? detected;
    if (!format)
      throw new CostImportError(
        `billing period ${period.period}: the files are neither CUR (line_item_line_item_type) nor FOCUS (ChargeCategory, EffectiveCost); pass --format if they are`,
      );
    if (options.format && detected && detected !== options.format)
      throw new CostImportError(
        `billing period ${period.period}: --format ${options.format}, but the files are a ${detected} export`,
      );
    const missing = missingColumns(format, columns);
    if (missing) throw new CostImportError(`billing period ${period.period}: ${missing}`);
    const files = { files: listValue([...period.files]) };
    const query = factsQuery(format, columns, period.period);
    // What is left out first: a period that fails either query keeps the facts it had.
    const leftOut = (
      await connection.runAndReadAll(leftOutQuery(format), files).catch((error: Error) => {
        throw importError(period.period, error);
      })
    ).getRowObjectsJson() as {
      reason: string;
      lines: string | number;
      cost: string | null;
    }[];
    const periodDir = join(root(options.root, tenant), `billing_period=${period.period}`);
    await replaceDirectory(periodDir, async (staging) => {
      const part = join(staging, `part-${randomUUID()}.parquet`);
      await connection
        .run(`COPY (${query}) TO '${part.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`, files)
        .catch((error: Error) => {
          throw importError(period.period, error);
        });
    });
    const written = await connection.runAndReadAll(
      `SELECT count(*)::BIGINT AS facts, count(DISTINCT resource_id)::BIGINT AS resources FROM read_parquet($glob)`,
      { glob: join(periodDir, '*.parquet') },
    );
    const totals = await connection.runAndReadAll(
      `SELECT coalesce(currency, '') AS currency, sum(amortized)::VARCHAR AS amortized FROM read_parquet($glob) GROUP BY ALL ORDER BY ALL`,
      { glob: join(periodDir, '*.parquet') },
    );
    const counts = written.getRowObjectsJson()[0] as { facts: string | number; resources: string | number };
    const result: ImportedPeriod = {
      period: period.period,
      format,
      files: period.files.length,
      ...(period.manifest ? { manifest: period.manifest } : {}),
      facts: Number(counts.facts),
      resources: Number(counts.resources),
      amortized: Object.fromEntries(
        (totals.getRowObjectsJson() as { currency: string; amortized: string }[]).map((t) => [
          t.currency,
          t.amortized,
        ]),
      ),
      leftOut: leftOut.map((r) => ({ reason: r.reason, lines: Number(r.lines), cost: r.cost })),
    };
    options.onPeriod?.(result);
    imported.push(result);
  }
  return imported;
}

/**
 * What a failed query of a period's files means, in one line without the query: a cost that is not a number, a
 * value that does not fit the exact sums, a file that cannot be read. Anything else is passed on as it is.
 */
function importError(period: string, error: Error): Error {
  if (/with value -?(nan|inf)\b/i.test(error.message))
    return new CostImportError(
      `billing period ${period}: a cost is not a number (NaN or infinite): the export is damaged; deliver it again`,
    );
  if (/out of range for the destination type INT64/.test(error.message))
    return new CostImportError(
      `billing period ${period}: a line costs more than ±$900,000,000, beyond what the facts' exact sums hold`,
    );
  if (/^(Conversion|Invalid Input|IO) Error/.test(error.message))
    return new CostImportError(`billing period ${period}: ${error.message.split('\n')[0]}`);
  return error;
}

/** A tenant's folder under a cost facts root. */
const root = (costRoot: string, tenant: string) => join(costRoot, `tenant_id=${tenant}`);
export const costTenantDir = root;
