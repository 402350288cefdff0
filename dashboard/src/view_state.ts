/**
 * What the findings table shows — filters, search, sort, page, the open finding — and its round trip
 * through the URL's query string, so a filtered view can be shared as a link.
 */
import type { Row } from './model.ts';

/** Filterable columns and the short query-string names they travel under. */
export const FILTERS = [
  { param: 'status', column: 'status', label: 'Status' },
  { param: 'lifecycle', column: 'lifecycle_status', label: 'Lifecycle' },
  { param: 'severity', column: 'severity_level', label: 'Severity' },
  { param: 'check', column: 'check_id', label: 'Check' },
  { param: 'account', column: 'account_id', label: 'Account' },
  { param: 'region', column: 'region', label: 'Region' },
  { param: 'service', column: 'service', label: 'Service' },
] as const satisfies readonly { param: string; column: keyof Row; label: string }[];

export type FilterParam = (typeof FILTERS)[number]['param'];

export const COLUMNS = [
  { key: 'severity', label: 'Severity' },
  { key: 'status', label: 'Status' },
  { key: 'lifecycle', label: 'Lifecycle' },
  { key: 'check', label: 'Check' },
  { key: 'resource', label: 'Resource' },
  { key: 'account', label: 'Account' },
  { key: 'region', label: 'Region' },
  { key: 'service', label: 'Service' },
  { key: 'savings', label: 'Monthly savings' },
  { key: 'days_open', label: 'Days open' },
] as const;

export type SortKey = (typeof COLUMNS)[number]['key'];
export const PAGE_SIZES = [25, 50, 100, 250] as const;
const DEFAULT_PAGE_SIZE = 50;

export interface ViewState {
  readonly filters: Readonly<Partial<Record<FilterParam, string>>>;
  readonly q: string;
  /** Empty: the export's own order (open failing findings by savings first). */
  readonly sort: SortKey | '';
  readonly dir: 'asc' | 'desc';
  readonly page: number;
  readonly size: number;
  /** Fingerprint of the finding whose detail is open. */
  readonly finding: string;
}

export const EMPTY_STATE: ViewState = {
  filters: {},
  q: '',
  sort: '',
  dir: 'desc',
  page: 1,
  size: DEFAULT_PAGE_SIZE,
  finding: '',
};

export function stateFromQuery(search: string): ViewState {
  const params = new URLSearchParams(search);
  const filters: Partial<Record<FilterParam, string>> = {};
  for (const { param } of FILTERS) {
    const value = params.get(param);
    if (value) filters[param] = value;
  }
  const sort = params.get('sort') ?? '';
  const size = Number(params.get('size'));
  const page = Number(params.get('page'));
  return {
    filters,
    q: params.get('q') ?? '',
    sort: COLUMNS.some((column) => column.key === sort) ? (sort as SortKey) : '',
    dir: params.get('dir') === 'asc' ? 'asc' : 'desc',
    page: Number.isInteger(page) && page > 0 ? page : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
    finding: params.get('finding') ?? '',
  };
}

/** The query string for a state; defaults are left out so links stay short. */
export function stateToQuery(state: ViewState): string {
  const params = new URLSearchParams();
  for (const { param } of FILTERS) {
    const value = state.filters[param];
    if (value) params.set(param, value);
  }
  if (state.q) params.set('q', state.q);
  if (state.sort) {
    params.set('sort', state.sort);
    params.set('dir', state.dir);
  }
  if (state.page > 1) params.set('page', String(state.page));
  if (state.size !== DEFAULT_PAGE_SIZE) params.set('size', String(state.size));
  if (state.finding) params.set('finding', state.finding);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** Rows matching every filter and every word of the search (in resource id, ARN, title or tags). */
export function applyFilters(rows: readonly Row[], state: ViewState): Row[] {
  const active = FILTERS.flatMap(({ param, column }) => {
    const value = state.filters[param];
    return value ? [{ column, value }] : [];
  });
  const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter(
    (row) =>
      active.every(({ column, value }) => (row[column] ?? '') === value) &&
      words.every((word) => row.haystack.includes(word)),
  );
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

const sortValue: Record<SortKey, (row: Row) => string | number | bigint> = {
  severity: (row) => SEVERITY_RANK[row.severity_level] ?? -1,
  status: (row) => row.status,
  lifecycle: (row) => row.lifecycle_status ?? '',
  check: (row) => row.check_id,
  resource: (row) => row.resource_id ?? '',
  account: (row) => row.account_id,
  region: (row) => row.region ?? '',
  service: (row) => row.service,
  savings: (row) => row.savings ?? -1n,
  days_open: (row) => row.days_open ?? -1,
};

/** A stable sort by one column; ties keep the export's order. */
export function sortRows(rows: readonly Row[], sort: SortKey | '', dir: 'asc' | 'desc'): readonly Row[] {
  if (!sort) return rows;
  const value = sortValue[sort];
  const sign = dir === 'asc' ? 1 : -1;
  const keyed = rows.map((row, index) => ({ row, index, key: value(row) }));
  keyed.sort((a, b) => {
    const order =
      typeof a.key === 'string' && typeof b.key === 'string'
        ? a.key.localeCompare(b.key)
        : a.key < b.key
          ? -1
          : a.key > b.key
            ? 1
            : 0;
    return order * sign || a.index - b.index;
  });
  return keyed.map(({ row }) => row);
}

/** The distinct values of a column, for a filter's options. */
export function distinctValues(rows: readonly Row[], column: keyof Row): string[] {
  const values = new Set<string>();
  for (const row of rows) {
    const value = row[column];
    if (typeof value === 'string' && value) values.add(value);
  }
  return [...values].sort();
}
