/**
 * What the findings table shows — filters, search, sort, page, the open finding — and its round trip
 * through the URL's query string, so a filtered view can be shared as a link.
 */
import type { DictionaryColumn } from './findings_index.ts';
import type { FindingTable, SortColumn } from './table.ts';

/** Filterable columns and the short query-string names they travel under. */
export const FILTERS = [
  { param: 'status', column: 'status', label: 'Status' },
  { param: 'lifecycle', column: 'lifecycle_status', label: 'Lifecycle' },
  { param: 'severity', column: 'severity_level', label: 'Severity' },
  { param: 'check', column: 'check_id', label: 'Check' },
  { param: 'account', column: 'account_id', label: 'Account' },
  { param: 'region', column: 'region', label: 'Region' },
  { param: 'service', column: 'service', label: 'Service' },
] as const satisfies readonly { param: string; column: DictionaryColumn; label: string }[];

export type FilterParam = (typeof FILTERS)[number]['param'];

/**
 * What the table starts with: `action`, the findings that need action (failing and open, as the headline counts
 * them), or `all`, passing and resolved ones too, where the status and lifecycle filters apply.
 */
export type TableView = 'action' | 'all';
/** The filters the `action` view stands for (and replaces: a link's status or lifecycle means the `all` view). */
export const ACTION_FILTERS = [
  { column: 'status', value: 'fail' },
  { column: 'lifecycle_status', value: 'open' },
] as const satisfies readonly { column: DictionaryColumn; value: string }[];
/** The filters the `action` view decides. */
export const VIEW_PARAMS: readonly FilterParam[] = ['status', 'lifecycle'];

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
  { key: 'billed', label: 'Billed, 30 days' },
  { key: 'days_open', label: 'Days open' },
] as const satisfies readonly { key: SortColumn; label: string }[];

export type SortKey = (typeof COLUMNS)[number]['key'];
export const PAGE_SIZES = [25, 50, 100, 250] as const;
const DEFAULT_PAGE_SIZE = 50;

export interface ViewState {
  readonly view: TableView;
  /** Chosen in the filter bar (in the `action` view, status and lifecycle do not apply: the view decides them). */
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
  view: 'action',
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
  // A link that filters on status or lifecycle (passing findings, resolved ones) is about every finding.
  const view: TableView =
    params.get('view') === 'all' || VIEW_PARAMS.some((param) => filters[param]) ? 'all' : 'action';
  const sort = params.get('sort') ?? '';
  const size = Number(params.get('size'));
  const page = Number(params.get('page'));
  return {
    view,
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
  if (state.view === 'all') params.set('view', 'all');
  const chosen = appliedFilters(state);
  for (const { param } of FILTERS) {
    const value = chosen[param];
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

/**
 * Positions of the findings of the state's view matching every filter and every word of the search (in resource id, title or
 * tags; a pasted ARN searches for its resource id), ordered by the state's sort column (ties, and no sort,
 * keep the export's order).
 */
export function visibleRows(table: FindingTable, state: ViewState): Int32Array {
  const chosen = appliedFilters(state);
  const equals = [
    ...(state.view === 'action' ? ACTION_FILTERS : []),
    ...FILTERS.flatMap(({ param, column }) => {
      const value = chosen[param];
      return value ? [{ column, value }] : [];
    }),
  ];
  const words = state.q.toLowerCase().split(/\s+/).filter(Boolean).map(arnResource);
  return table.sort(table.filter(equals, words), state.sort, state.dir);
}

/** The filters the user chose that apply in the state's view (in the `action` view, not status or lifecycle). */
export function appliedFilters(state: ViewState): Partial<Record<FilterParam, string>> {
  return Object.fromEntries(
    Object.entries(state.filters).filter(
      ([param, value]) => value && !(state.view === 'action' && VIEW_PARAMS.includes(param as FilterParam)),
    ),
  );
}

/** "arn:aws:ec2:us-east-1:123456789012:volume/vol-1" → "vol-1": the index keeps resource ids, not ARNs. */
function arnResource(word: string): string {
  if (!/^arn:[^:]*:[^:]*:[^:]*:[^:]*:./.test(word)) return word;
  const resource = word.split(':').slice(5).join(':');
  return resource.slice(Math.max(resource.lastIndexOf('/'), resource.lastIndexOf(':')) + 1) || word;
}
