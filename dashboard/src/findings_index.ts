/**
 * findings_index.json: what the page needs to list, filter, sort and search every finding, without the
 * ~1.4 KB of each full row. Repeated values (check, status, account, region, tags …) are dictionary-encoded;
 * the full rows are in pages of `rows` findings (`<dir>/00000.json`, …, in the index's order), fetched when a
 * finding is opened or a CSV is built. The export builds it with `IndexBuilder`; a page over an older export
 * builds the same index from findings.json.
 */

/** Columns stored as a list of distinct values and one code (position in that list) per finding. */
export const DICTIONARY_COLUMNS = [
  'check_id',
  'check_name',
  'status',
  'severity_level',
  'lifecycle_status',
  'account_id',
  'region',
  'service',
  'tags',
] as const;
/** Columns stored as one value per finding. */
export const PLAIN_COLUMNS = [
  'fingerprint',
  'resource_id',
  'title',
  'est_monthly_savings',
  'days_open',
] as const;

export type DictionaryColumn = (typeof DICTIONARY_COLUMNS)[number];
export type PlainColumn = (typeof PLAIN_COLUMNS)[number];

export interface Dictionary {
  readonly values: readonly (string | null)[];
  readonly codes: readonly number[];
}

export interface FindingIndexFile {
  readonly version: 1;
  readonly findings: number;
  /** Where the full rows are: `<dir>/<5-digit page>.json`, `rows` findings per page. */
  readonly pages: { readonly dir: string; readonly rows: number; readonly count: number };
  readonly columns: Readonly<Record<DictionaryColumn, Dictionary>> & {
    readonly fingerprint: readonly string[];
    readonly resource_id: readonly (string | null)[];
    readonly title: readonly (string | null)[];
    readonly est_monthly_savings: readonly (string | null)[];
    readonly days_open: readonly (number | null)[];
    /** Billed over 30 days (cost facts); absent from exports made before it. */
    readonly actual_cost_30d?: readonly (string | null)[];
  };
}

/** One finding as the index sees it; `tags` is "key=value" lines (see `tagsText`). */
export type IndexRow = Readonly<Record<DictionaryColumn, string | null>> & {
  readonly fingerprint: string;
  readonly resource_id: string | null;
  readonly title: string | null;
  readonly est_monthly_savings: string | null;
  readonly days_open: number | null;
  readonly actual_cost_30d: string | null;
};

export const PAGE_ROWS = 1000;

/** A finding's tags as the index stores them (and the search reads them): "key=value" lines. */
export function tagsText(tags: Readonly<Record<string, string>> | null | undefined): string | null {
  const entries = Object.entries(tags ?? {});
  return entries.length === 0 ? null : entries.map(([key, value]) => `${key}=${value}`).join('\n');
}

/** The file name of page `n` in the pages folder, and its path from the export folder. */
export const pageFile = (n: number): string => `${String(n).padStart(5, '0')}.json`;
export const pageName = (dir: string, n: number): string => `${dir}/${pageFile(n)}`;

export class IndexBuilder {
  private readonly dictionaries = new Map<
    DictionaryColumn,
    { values: (string | null)[]; codes: number[]; seen: Map<string | null, number> }
  >(DICTIONARY_COLUMNS.map((column) => [column, { values: [], codes: [], seen: new Map() }]));
  private readonly plain = {
    fingerprint: [] as string[],
    resource_id: [] as (string | null)[],
    title: [] as (string | null)[],
    est_monthly_savings: [] as (string | null)[],
    days_open: [] as (number | null)[],
    actual_cost_30d: [] as (string | null)[],
  };

  get length(): number {
    return this.plain.fingerprint.length;
  }

  push(row: IndexRow): void {
    for (const [column, dictionary] of this.dictionaries) {
      const value = row[column];
      let code = dictionary.seen.get(value);
      if (code === undefined) {
        code = dictionary.values.length;
        dictionary.values.push(value);
        dictionary.seen.set(value, code);
      }
      dictionary.codes.push(code);
    }
    this.plain.fingerprint.push(row.fingerprint);
    this.plain.resource_id.push(row.resource_id);
    this.plain.title.push(row.title);
    this.plain.est_monthly_savings.push(row.est_monthly_savings);
    this.plain.days_open.push(row.days_open);
    this.plain.actual_cost_30d.push(row.actual_cost_30d);
  }

  build(pagesDir: string, rowsPerPage = PAGE_ROWS): FindingIndexFile {
    const dictionaries = Object.fromEntries(
      [...this.dictionaries].map(([column, { values, codes }]) => [column, { values, codes }]),
    ) as unknown as Record<DictionaryColumn, Dictionary>;
    return {
      version: 1,
      findings: this.length,
      pages: { dir: pagesDir, rows: rowsPerPage, count: Math.ceil(this.length / rowsPerPage) },
      columns: { ...dictionaries, ...this.plain },
    };
  }
}

/** Whether a parsed JSON value has the index's shape (every column as long as `findings`). */
export function isFindingIndex(value: unknown): value is FindingIndexFile {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Partial<FindingIndexFile>;
  const n = file.findings;
  const columns = file.columns as Record<string, unknown> | undefined;
  if (file.version !== 1 || typeof n !== 'number' || !columns || typeof file.pages?.dir !== 'string')
    return false;
  const length = (list: unknown) => Array.isArray(list) && list.length === n;
  return (
    PLAIN_COLUMNS.every((column) => length(columns[column])) &&
    (columns['actual_cost_30d'] === undefined || length(columns['actual_cost_30d'])) &&
    DICTIONARY_COLUMNS.every((column) => {
      const dictionary = columns[column] as Partial<Dictionary> | undefined;
      return Array.isArray(dictionary?.values) && length(dictionary?.codes);
    })
  );
}
