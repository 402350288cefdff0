/**
 * What each finding's resource really cost, from the tenant's cost facts (`cost import`): the temp table
 * `attribution`, one row per matched fingerprint of `latest_rows`, and the dataset `finops_cost_attribution` beside
 * the findings (tenant, fingerprint, `actual` with the findings schema's own types) for DuckDB/Athena users.
 *
 * - A fact matches a finding of the same account whose resource id is the fact's resource id, or whose ARN is,
 *   or whose resource id is the last segment of the fact's ARN. Costs are never spread from an account or a
 *   service total; a resource no finding names is counted as unmatched cost.
 * - Windows end at the last complete usage day in the facts (the day before the newest one, which an export
 *   refreshed during the day holds only part of): 7 and 30 days ending there, the month to date, and the
 *   previous calendar month. A history shorter than a window gives the partial sum, and says so.
 * - Savings are the cost times what the estimate saves of it (estimated savings ÷ estimated cost, both from the
 *   price table): all of it when the fix removes the resource, 1 − new price ÷ old price when it changes it.
 * - One currency per sum: a resource billed in several is matched but not summed.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { CostModel } from '../contracts/vocabulary.ts';
import { replaceDirectory } from './atomic.ts';
import { costTenantDir } from './cost_facts.ts';
import { listParts } from './parts.ts';

export const ATTRIBUTION_DIR = 'finops_cost_attribution';

/** How a fact was matched (the contract's attribution methods), and how sure that is. */
const METHODS = {
  1: { method: 'exact_resource_id', confidence: 100 }, // the finding's resource id
  2: { method: 'exact_resource_id', confidence: 100 }, // the finding's ARN
  3: { method: 'heuristic', confidence: 80 }, // the last segment of the fact's ARN
} as const;

const sqlCase = (rank: string, field: 'method' | 'confidence') =>
  `CASE ${rank} ${Object.entries(METHODS)
    .map(
      ([key, value]) =>
        `WHEN ${key} THEN ${typeof value[field] === 'string' ? `'${value[field]}'` : value[field]}`,
    )
    .join(' ')} END`;

/**
 * Creates the temp table `attribution` for the fingerprints of `latest_rows` (empty without facts); returns whether
 * the tenant has cost facts.
 */
export async function attributeCosts(
  connection: DuckDBConnection,
  options: { readonly costRoot: string; readonly tenant: string; readonly model: CostModel },
): Promise<boolean> {
  const files = await listParts(costTenantDir(options.costRoot, options.tenant));
  const source = files.length
    ? `SELECT usage_date, account_id, resource_id, currency, ${options.model} AS cost FROM read_parquet($files, hive_partitioning = false)`
    : `SELECT NULL::DATE AS usage_date, NULL::VARCHAR AS account_id, NULL::VARCHAR AS resource_id, NULL::VARCHAR AS currency, NULL::DECIMAL(18,6) AS cost WHERE false`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE facts AS ${source}`,
    files.length ? { files: listValue(files) } : undefined,
  );
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE cost_window AS
    SELECT CASE WHEN count(DISTINCT usage_date) > 1 THEN max(usage_date) - 1 ELSE max(usage_date) END AS period_end,
           min(usage_date) AS first_day
    FROM facts`);
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE attribution AS
     WITH w AS (SELECT period_end, first_day, period_end - 29 AS start_30, period_end - 6 AS start_7,
                       date_trunc('month', period_end)::DATE AS start_mtd,
                       (date_trunc('month', period_end) - INTERVAL 1 MONTH)::DATE AS start_prev
                FROM cost_window),
     resources AS (SELECT DISTINCT account_id, resource_id FROM facts),
     fact_keys AS (
       SELECT account_id, resource_id, resource_id AS key, 'id' AS kind FROM resources
       UNION ALL
       SELECT account_id, resource_id, regexp_extract(resource_id, '[^/:]+$') AS key, 'suffix' FROM resources
       WHERE regexp_extract(resource_id, '[^/:]+$') <> resource_id),
     finding_keys AS (
       SELECT fingerprint, scope.account_id AS account_id, scope.resource_id AS key, 'id' AS kind FROM latest_rows
       WHERE coalesce(scope.resource_id, '') <> ''
       UNION ALL
       SELECT fingerprint, scope.account_id, scope.resource_arn, 'arn' FROM latest_rows WHERE coalesce(scope.resource_arn, '') <> ''),
     matched AS (
       SELECT n.fingerprint, f.account_id, f.resource_id,
              min(CASE WHEN f.kind = 'id' AND n.kind = 'id' THEN 1 WHEN f.kind = 'id' THEN 2 ELSE 3 END) AS rank
       FROM finding_keys n JOIN fact_keys f ON f.account_id = n.account_id AND f.key = n.key
       WHERE NOT (f.kind = 'suffix' AND n.kind = 'arn')
       GROUP BY ALL),
     sums AS (
       SELECT m.fingerprint,
              count(DISTINCT x.currency) AS currencies, any_value(x.currency) AS currency,
              sum(x.cost) FILTER (WHERE x.usage_date BETWEEN w.start_7 AND w.period_end) AS cost_7d,
              sum(x.cost) FILTER (WHERE x.usage_date BETWEEN w.start_30 AND w.period_end) AS cost_30d,
              sum(x.cost) FILTER (WHERE x.usage_date BETWEEN w.start_mtd AND w.period_end) AS cost_mtd,
              sum(x.cost) FILTER (WHERE x.usage_date >= w.start_prev AND x.usage_date < w.start_mtd) AS cost_prev_month
       FROM matched m JOIN facts x ON x.account_id = m.account_id AND x.resource_id = m.resource_id CROSS JOIN w
       GROUP BY m.fingerprint),
     methods AS (
       SELECT fingerprint, min(rank) AS rank, list(DISTINCT resource_id ORDER BY resource_id) AS matched_keys
       FROM matched GROUP BY fingerprint)
     SELECT l.fingerprint,
            CASE WHEN s.currencies = 1 THEN CAST(coalesce(s.cost_7d, 0) AS DECIMAL(18,6)) END AS cost_7d,
            CASE WHEN s.currencies = 1 THEN CAST(coalesce(s.cost_30d, 0) AS DECIMAL(18,6)) END AS cost_30d,
            CASE WHEN s.currencies = 1 THEN CAST(coalesce(s.cost_mtd, 0) AS DECIMAL(18,6)) END AS cost_mtd,
            CASE WHEN s.currencies = 1 AND w.first_day <= w.start_prev THEN CAST(coalesce(s.cost_prev_month, 0) AS DECIMAL(18,6)) END AS cost_prev_month,
            CASE WHEN s.currencies = 1 THEN s.currency END AS currency,
            $model AS cost_model,
            CASE WHEN s.currencies > 1 THEN 'daily; billed in ' || s.currencies || ' currencies, not summed'
                 WHEN w.first_day > w.start_30
                   THEN 'daily; partial: ' || (w.period_end - w.first_day + 1) || ' of 30 days of facts'
                 ELSE 'daily' END AS granularity,
            greatest(w.start_30, w.first_day) AS period_start, w.period_end,
            ${sqlCase('m.rank', 'method')} AS method, ${sqlCase('m.rank', 'confidence')}::UTINYINT AS confidence,
            m.matched_keys,
            l.status = 'fail' AND l.estimated.monthly_cost > 0 AND l.estimated.monthly_savings IS NOT NULL AS saves,
            l.estimated.monthly_savings = l.estimated.monthly_cost AS removes,
            l.estimated.monthly_savings::DOUBLE / nullif(l.estimated.monthly_cost::DOUBLE, 0) AS ratio
     FROM latest_rows l JOIN methods m USING (fingerprint) JOIN sums s USING (fingerprint) CROSS JOIN w`,
    { model: options.model },
  );
  // Savings: the whole cost when the fix removes the resource (exact), else the cost times the price ratio.
  await connection.run(`
    CREATE OR REPLACE TEMP TABLE attribution AS
    SELECT * EXCLUDE (saves, removes, ratio),
           CASE WHEN NOT coalesce(saves, false) THEN NULL WHEN removes THEN cost_7d
                ELSE CAST(round(cost_7d::DOUBLE * ratio, 6) AS DECIMAL(18,6)) END AS savings_7d,
           CASE WHEN NOT coalesce(saves, false) THEN NULL WHEN removes THEN cost_30d
                ELSE CAST(round(cost_30d::DOUBLE * ratio, 6) AS DECIMAL(18,6)) END AS savings_30d
    FROM attribution`);
  return files.length > 0;
}

/**
 * Cost in the 30-day window of resources no finding names (by currency): `{currency: amount}`. A resource is
 * its account and id: the same id in another account is another resource (a finding matches its own account).
 */
export async function unmatchedCost(connection: DuckDBConnection): Promise<Record<string, string>> {
  const reader = await connection.runAndReadAll(`
    WITH named AS (
      SELECT DISTINCT l.scope.account_id AS account_id, unnest(a.matched_keys) AS resource_id
      FROM attribution a JOIN latest_rows l USING (fingerprint)),
    window_facts AS (
      SELECT f.* FROM facts f CROSS JOIN cost_window w WHERE f.usage_date BETWEEN w.period_end - 29 AND w.period_end)
    SELECT coalesce(f.currency, '') AS currency, CAST(sum(f.cost) AS DECIMAL(18,6))::VARCHAR AS cost
    FROM window_facts f ANTI JOIN named n ON n.account_id = f.account_id AND n.resource_id = f.resource_id
    GROUP BY ALL ORDER BY ALL`);
  return Object.fromEntries(
    (reader.getRowObjectsJson() as { currency: string; cost: string }[]).map((r) => [r.currency, r.cost]),
  );
}

/** Writes the temp table `attribution` as the tenant's attribution dataset, replaced whole. */
export async function writeAttribution(
  connection: DuckDBConnection,
  root: string,
  tenant: string,
): Promise<void> {
  await replaceDirectory(join(root, `tenant_id=${tenant}`), async (staging) => {
    // A new name each time: a copy kept in S3 sends the new file and removes the old one.
    const file = join(staging, `attribution-${randomUUID()}.parquet`);
    await connection.run(
      `COPY (
         SELECT $tenant AS tenant_id, fingerprint,
                {cost_7d: cost_7d, cost_30d: cost_30d, cost_mtd: cost_mtd, cost_prev_month: cost_prev_month,
                 savings_7d: savings_7d, savings_30d: savings_30d,
                 model: {currency: currency, cost_model: cost_model, granularity: granularity,
                         period_start: period_start, period_end: period_end},
                 attribution: {method: method, confidence: confidence, matched_keys: matched_keys}} AS actual
         FROM attribution ORDER BY fingerprint)
       TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
      { tenant },
    );
  });
}
