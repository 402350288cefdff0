/** Loads the exported JSON files from the folder the page is served from. */
import { isFindingIndex, pageName, type FindingIndexFile } from './findings_index.ts';
import type { ActionRow, CoverageFile, FindingRow, RunsFile, Summary, Trends } from './model.ts';
import { FindingTable } from './table.ts';

export class DataError extends Error {
  override name = 'DataError';
}

export interface DashboardData {
  /** Every finding, as the columns the table needs. */
  readonly table: FindingTable;
  /** The full rows, by position in the table. */
  readonly rows: FullRows;
  readonly summary: Summary;
  readonly topSavings: readonly FindingRow[];
  readonly trends: Trends | undefined;
  readonly runs: RunsFile | undefined;
  readonly coverage: CoverageFile | undefined;
  /** Recent remediation actions, newest first (absent: the tenant has none). */
  readonly actions: readonly ActionRow[] | undefined;
}

const EXPORT_HINT =
  'Export a tenant into this folder: npx tsx runner.ts export --tenant <tenant> --out-dir <this folder>.';

export async function loadData(base: URL): Promise<DashboardData> {
  const loads = [
    loadFindings(base),
    required<Summary>(base, 'summary.json', (value) => isObject(value) && 'totals' in value),
    required<FindingRow[]>(base, 'top_savings.json', Array.isArray),
    optional<Trends>(base, 'trends.json', (value) => isObject(value) && Array.isArray(value['days'])),
    optional<RunsFile>(base, 'runs.json', (value) => isObject(value) && Array.isArray(value['runs'])),
    optional<CoverageFile>(base, 'coverage.json', (value) => isObject(value) && 'run_id' in value),
    optional<ActionRow[]>(base, 'actions.json', Array.isArray),
  ] as const;
  // All at once, but the error shown is the first file's in this order, whichever failed first.
  const settled = await Promise.allSettled(loads);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [findings, summary, topSavings, trends, runs, coverage, actions] = await Promise.all(loads);
  return { ...findings, summary, topSavings, trends, runs, coverage, actions };
}

/** Full rows by position: fetched a page at a time from the export, or held in memory. */
export interface FullRows {
  get(position: number): Promise<FindingRow>;
  /** The rows at these positions, in this order; told the share of pages fetched as it goes. */
  many(positions: Int32Array, onProgress?: (done: number) => void): Promise<FindingRow[]>;
}

/** findings_index.json and its pages; an export from before the index gives findings.json whole. */
async function loadFindings(base: URL): Promise<{ table: FindingTable; rows: FullRows }> {
  const index = await optional<FindingIndexFile>(base, 'findings_index.json', isFindingIndex);
  if (index) return { table: new FindingTable(index), rows: pagedRows(base, index) };
  const rows = await required<FindingRow[]>(base, 'findings.json', Array.isArray);
  const inMemory = async (position: number) => rows[position]!;
  return {
    table: FindingTable.fromRows(rows),
    rows: {
      get: inMemory,
      many: async (positions) => Array.from(positions, (position) => rows[position]!),
    },
  };
}

const CACHED_PAGES = 8;

function pagedRows(base: URL, index: FindingIndexFile): FullRows {
  const { dir, rows: perPage } = index.pages;
  const cache = new Map<number, Promise<FindingRow[]>>();
  const page = (n: number): Promise<FindingRow[]> => {
    let rows = cache.get(n);
    if (!rows) {
      const name = pageName(dir, n);
      rows = required<FindingRow[]>(base, name, (value) => Array.isArray(value));
      cache.set(n, rows);
      rows.catch(() => cache.delete(n));
      // The pages a user opened last stay; a CSV of everything does not keep everything.
      if (cache.size > CACHED_PAGES) cache.delete(cache.keys().next().value!);
    }
    return rows;
  };
  const get = async (position: number) => {
    const row = (await page(Math.floor(position / perPage)))[position % perPage];
    if (!row)
      throw new DataError(
        `${pageName(dir, Math.floor(position / perPage))} is shorter than findings_index.json says. ${EXPORT_HINT}`,
      );
    return row;
  };
  return {
    get,
    async many(positions, onProgress) {
      // Page by page (each fetched once), then back into the order asked for.
      const byPage = new Map<number, number[]>();
      for (const position of positions) {
        const n = Math.floor(position / perPage);
        const list = byPage.get(n) ?? [];
        list.push(position);
        byPage.set(n, list);
      }
      const found = new Map<number, FindingRow>();
      let done = 0;
      for (const [, list] of [...byPage].sort(([a], [b]) => a - b)) {
        for (const position of list) found.set(position, await get(position));
        done += 1;
        onProgress?.(done / byPage.size);
      }
      return Array.from(positions, (position) => found.get(position)!);
    },
  };
}

async function required<T>(base: URL, name: string, valid: (value: unknown) => boolean): Promise<T> {
  const value = await fetchJson(base, name);
  if (value === undefined) throw new DataError(`${name} was not found next to this page. ${EXPORT_HINT}`);
  if (!valid(value)) throw new DataError(`${name} does not have the shape of an export. ${EXPORT_HINT}`);
  return value as T;
}

/** An optional file: absent is fine; present but broken is still an error worth showing. */
async function optional<T>(
  base: URL,
  name: string,
  valid: (value: unknown) => boolean,
): Promise<T | undefined> {
  const value = await fetchJson(base, name);
  if (value === undefined) return undefined;
  if (!valid(value)) throw new DataError(`${name} does not have the shape of an export. ${EXPORT_HINT}`);
  return value as T;
}

async function fetchJson(base: URL, name: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(name, base), { cache: 'no-store' });
  } catch (error) {
    throw new DataError(
      `${name} could not be loaded (${(error as Error).message}). Serve this folder over HTTP, e.g. npm run dashboard.`,
    );
  }
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new DataError(`${name} could not be loaded: HTTP ${response.status} ${response.statusText}.`);
  const text = await response.text();
  if (text.trim() === '') throw new DataError(`${name} is empty. ${EXPORT_HINT}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(`${name} is not valid JSON (${(error as Error).message}). ${EXPORT_HINT}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
