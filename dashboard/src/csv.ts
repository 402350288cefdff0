/** The filtered findings as CSV (RFC 4180), money as the exact decimal strings of the export. */
import type { FindingRow } from './model.ts';

export const CSV_COLUMNS = [
  'finding_id',
  'fingerprint',
  'check_id',
  'check_name',
  'status',
  'lifecycle_status',
  'severity_level',
  'account_id',
  'region',
  'service',
  'resource_type',
  'resource_id',
  'resource_arn',
  'title',
  'est_monthly_cost',
  'est_monthly_savings',
  'est_confidence',
  'actual_cost_30d',
  'actual_currency',
  'first_seen',
  'last_seen',
  'days_open',
  'tags',
] as const;

export function toCsv(rows: readonly FindingRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map((column) => cell(csvValue(row, column))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function csvValue(row: FindingRow, column: (typeof CSV_COLUMNS)[number]): string {
  if (column === 'tags') {
    return Object.entries(row.tags ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(';');
  }
  const value = row[column];
  return value === null || value === undefined ? '' : String(value);
}

function cell(value: string): string {
  // A spreadsheet would run a cell starting with = + - @ (or tab/CR) as a formula: resource names and tags
  // come from the cloud account, so such a cell is prefixed with a quote. A plain negative number stays a number.
  const formula = /^[=+@\t\r]/.test(value) || (value.startsWith('-') && !/^-\d+(\.\d+)?$/.test(value));
  const safe = formula ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
