/** Loads the exported JSON files from the folder the page is served from. */
import type { CoverageFile, FindingRow, RunsFile, Summary, Trends } from './model.ts';

export class DataError extends Error {
  override name = 'DataError';
}

export interface DashboardData {
  readonly findings: readonly FindingRow[];
  readonly summary: Summary;
  readonly topSavings: readonly FindingRow[];
  readonly trends: Trends | undefined;
  readonly runs: RunsFile | undefined;
  readonly coverage: CoverageFile | undefined;
}

const EXPORT_HINT =
  'Export a tenant into this folder: npx tsx runner.ts export --tenant <tenant> --out-dir <this folder>.';

export async function loadData(base: URL): Promise<DashboardData> {
  const [findings, summary, topSavings, trends, runs, coverage] = await Promise.all([
    required<FindingRow[]>(base, 'findings.json', Array.isArray),
    required<Summary>(base, 'summary.json', (value) => isObject(value) && 'totals' in value),
    required<FindingRow[]>(base, 'top_savings.json', Array.isArray),
    optional<Trends>(base, 'trends.json', (value) => isObject(value) && Array.isArray(value['days'])),
    optional<RunsFile>(base, 'runs.json', (value) => isObject(value) && Array.isArray(value['runs'])),
    optional<CoverageFile>(base, 'coverage.json', (value) => isObject(value) && 'run_id' in value),
  ]);
  return { findings, summary, topSavings, trends, runs, coverage };
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
