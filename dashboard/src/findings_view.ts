/** All findings: the filter bar, the sortable paged table and the CSV download. */
import { fixBadge, type FixMark } from './actions.ts';
import { toCsv } from './csv.ts';
import { byId, h, replaceChildren, severityBadge } from './dom.ts';
import { formatMoneyText } from './money.ts';
import type { FullRows } from './data.ts';
import type { FindingTable, TableRow } from './table.ts';
import {
  appliedFilters,
  COLUMNS,
  EMPTY_STATE,
  FILTERS,
  PAGE_SIZES,
  VIEW_PARAMS,
  visibleRows,
  type FilterParam,
  type SortKey,
  type TableView,
  type ViewState,
} from './view_state.ts';

export interface FindingsView {
  /** Shows the rows of a state; returns their positions in the table. */
  render(state: ViewState): Int32Array;
}

export interface FindingsViewOptions {
  readonly table: FindingTable;
  readonly rows: FullRows;
  readonly tenant: string;
  readonly update: (patch: Partial<ViewState>) => void;
  readonly open: (fingerprint: string) => void;
  /** Each finding's latest remediation action, by fingerprint. */
  readonly marks: ReadonlyMap<string, FixMark>;
}

const SEARCH_DELAY_MS = 150;

export function findingsView(root: HTMLElement, options: FindingsViewOptions): FindingsView {
  const { table, update } = options;
  const selects = new Map<FilterParam, HTMLSelectElement>();
  // The values each filter can take in this export: its options, and what a link's filter is checked against.
  const values = new Map(FILTERS.map((filter) => [filter.param, table.distinct(filter.column)]));
  const known = new Map<FilterParam, ReadonlySet<string>>(
    [...values].map(([param, list]) => [param, new Set(list)]),
  );
  for (const filter of FILTERS) {
    const select = h(
      'select',
      {
        id: `filter-${filter.param}`,
        name: filter.param,
        onchange: () => update({ filters: currentFilters(), page: 1 }),
      },
      h('option', { value: '' }, 'All'),
      ...values.get(filter.param)!.map((value) => h('option', { value }, value)),
    );
    selects.set(filter.param, select);
  }
  const currentFilters = () =>
    Object.fromEntries(
      [...selects].filter(([, select]) => select.value).map(([param, select]) => [param, select.value]),
    );

  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const search = h('input', {
    id: 'filter-q',
    type: 'search',
    placeholder: 'resource id, title or tag',
    autocomplete: 'off',
    oninput: () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => update({ q: search.value, page: 1 }), SEARCH_DELAY_MS);
    },
  });
  let filtered: Int32Array = new Int32Array(0);
  const download = h(
    'button',
    {
      type: 'button',
      id: 'download-csv',
      onclick: () => downloadCsv(download, options.rows, filtered, options.tenant),
    },
    'Download CSV',
  );
  const clear = h(
    'button',
    { type: 'button', id: 'clear-filters', onclick: () => update({ filters: {}, q: '', page: 1 }) },
    'Clear filters',
  );
  const pageSize = h(
    'select',
    { id: 'page-size', onchange: () => update({ size: Number(pageSize.value), page: 1 }) },
    ...PAGE_SIZES.map((size) => h('option', { value: size }, `${size} per page`)),
  );

  // Two views: what needs action (the default), and every finding, where status and lifecycle can be chosen.
  const needingAction = visibleRows(table, { ...EMPTY_STATE, view: 'action' }).length;
  const viewButton = (view: TableView, label: string) =>
    h(
      'button',
      {
        type: 'button',
        id: `view-${view}`,
        onclick: () => update({ view, filters: currentFilters(), page: 1 }),
      },
      label,
    );
  const views = {
    action: viewButton('action', `Needs action (${needingAction})`),
    all: viewButton('all', `All findings (${table.length})`),
  };

  replaceChildren(
    root,
    h('h2', { id: 'findings-title' }, 'Findings'),
    h(
      'div',
      { class: 'views no-print', role: 'group', 'aria-label': 'Which findings' },
      views.action,
      views.all,
    ),
    h(
      'form',
      {
        class: 'filters no-print',
        role: 'search',
        'aria-label': 'Filter findings',
        onsubmit: (event: Event) => event.preventDefault(),
      },
      ...FILTERS.map((filter) =>
        h('label', { id: `label-${filter.param}` }, filter.label, selects.get(filter.param)),
      ),
      h('label', { class: 'search' }, 'Search', search),
      h('div', { class: 'actions' }, clear, download),
    ),
    h('p', { id: 'findings-count', 'aria-live': 'polite' }),
    h('p', { id: 'filter-unknown', class: 'notice', hidden: true }),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid', id: 'findings-table' },
        h('thead', {}, h('tr', { id: 'findings-head' })),
        h('tbody', { id: 'findings-body' }),
      ),
    ),
    h(
      'nav',
      { class: 'pager no-print', 'aria-label': 'Pages' },
      h('button', { type: 'button', id: 'page-prev' }, '‹ Previous'),
      h('span', { id: 'page-info' }),
      h('button', { type: 'button', id: 'page-next' }, 'Next ›'),
      pageSize,
    ),
  );

  return {
    render(state) {
      for (const [param, select] of selects) {
        const decidedByView = state.view === 'action' && VIEW_PARAMS.includes(param);
        select.value = decidedByView ? '' : (state.filters[param] ?? '');
        byId(`label-${param}`).hidden = decidedByView;
      }
      for (const [view, button] of Object.entries(views))
        button.setAttribute('aria-pressed', String(view === state.view));
      if (document.activeElement !== search) search.value = state.q;
      pageSize.value = String(state.size);
      filtered = visibleRows(table, state);
      const pages = Math.max(1, Math.ceil(filtered.length / state.size));
      const page = Math.min(state.page, pages);
      const start = (page - 1) * state.size;
      const visible = Array.from(filtered.subarray(start, start + state.size), (i) => table.row(i));
      byId('findings-count').textContent = countText(state, filtered.length);
      renderUnknownFilters(state);
      renderHead(state);
      replaceChildren(byId('findings-body'), ...visible.map((row) => renderRow(row)));
      if (visible.length === 0) byId('findings-body').append(emptyRow(state));
      byId('page-info').textContent = `Page ${page} of ${pages}`;
      const prev = byId<HTMLButtonElement>('page-prev');
      const next = byId<HTMLButtonElement>('page-next');
      prev.disabled = page <= 1;
      next.disabled = page >= pages;
      prev.onclick = () => update({ page: page - 1 });
      next.onclick = () => update({ page: page + 1 });
      return filtered;
    },
  };

  function countText(state: ViewState, shown: number): string {
    const narrowed = state.q !== '' || Object.keys(appliedFilters(state)).length > 0;
    if (state.view === 'action')
      return narrowed
        ? `${shown} of ${needingAction} findings needing action match`
        : `${shown} of ${table.length} findings need action (failing, open)`;
    return shown === table.length ? `${table.length} findings` : `${shown} of ${table.length} findings match`;
  }

  /** The table's one row when it shows nothing: why, and the way to the rest when nothing needs action. */
  function emptyRow(state: ViewState): HTMLTableRowElement {
    const nothingToDo = state.view === 'action' && needingAction === 0 && table.length > 0;
    return h(
      'tr',
      {},
      h(
        'td',
        { colspan: COLUMNS.length, class: 'muted' },
        nothingToDo
          ? 'Nothing needs action: no finding is failing and open. '
          : 'No finding matches these filters.',
        nothingToDo
          ? h(
              'button',
              { type: 'button', class: 'link', onclick: () => update({ view: 'all', page: 1 }) },
              `Show all ${table.length} findings`,
            )
          : null,
      ),
    );
  }

  /**
   * A link's filter that no finding of this export has (a check id from another export, a typo) would silently
   * show nothing: say so, and offer to drop it.
   */
  function renderUnknownFilters(state: ViewState): void {
    const notice = byId('filter-unknown');
    const chosen = appliedFilters(state);
    const unknown = FILTERS.filter(
      (f) => chosen[f.param] !== undefined && !known.get(f.param)!.has(chosen[f.param]!),
    );
    notice.hidden = unknown.length === 0;
    if (unknown.length === 0) return replaceChildren(notice);
    const kept = Object.fromEntries(
      Object.entries(chosen).filter(([param]) => !unknown.some((f) => f.param === param)),
    );
    replaceChildren(
      notice,
      `This link’s filter ${unknown.map((f) => `${f.label.toLowerCase()} “${chosen[f.param]}”`).join(' and ')} matches no finding in this export. `,
      h(
        'button',
        { type: 'button', id: 'clear-unknown', onclick: () => update({ filters: kept, page: 1 }) },
        unknown.length === 1 ? 'Remove that filter' : 'Remove those filters',
      ),
    );
  }

  function renderHead(state: ViewState): void {
    replaceChildren(
      byId('findings-head'),
      ...COLUMNS.map((column) => {
        const active = state.sort === column.key;
        const next: { sort: SortKey; dir: 'asc' | 'desc' } = {
          sort: column.key,
          dir: active && state.dir === 'desc' ? 'asc' : 'desc',
        };
        return h(
          'th',
          {
            scope: 'col',
            'aria-sort': active ? (state.dir === 'asc' ? 'ascending' : 'descending') : undefined,
          },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              'data-sort': column.key,
              onclick: () => update({ ...next, page: 1 }),
            },
            column.label,
            active ? (state.dir === 'asc' ? ' ▲' : ' ▼') : '',
          ),
        );
      }),
    );
  }

  function renderRow(row: TableRow): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-fingerprint': row.fingerprint, class: row.status === 'pass' ? 'passing' : undefined },
      h('td', {}, severityBadge(row.severity_level, row.status)),
      h('td', {}, h('span', { class: `badge status-${row.status}` }, row.status ?? '')),
      h('td', {}, row.lifecycle_status ?? '', ' ', fixBadge(options.marks.get(row.fingerprint))),
      h('td', { title: row.check_id ?? undefined }, row.check_name ?? row.check_id),
      h(
        'td',
        {},
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => options.open(row.fingerprint) },
          row.resource_id || row.title || row.fingerprint.slice(0, 12),
        ),
      ),
      h('td', {}, row.account_id ?? ''),
      h('td', {}, row.region ?? ''),
      h('td', {}, row.service ?? ''),
      h('td', { class: 'num' }, formatMoneyText(row.est_monthly_savings)),
      h('td', { class: 'num' }, row.actual_cost_30d === null ? '' : formatMoneyText(row.actual_cost_30d)),
      h('td', { class: 'num' }, row.days_open ?? ''),
    );
  }
}

/** Fetches the full rows of the filtered findings (page by page, the button showing how far), then saves them. */
async function downloadCsv(
  button: HTMLButtonElement,
  source: FullRows,
  positions: Int32Array,
  tenant: string,
): Promise<void> {
  if (button.disabled) return;
  const label = button.textContent;
  button.disabled = true;
  let rows;
  try {
    rows = await source.many(positions, (done) => {
      button.textContent = `Preparing CSV… ${Math.round(done * 100)}%`;
    });
  } catch (error) {
    button.textContent = 'CSV failed: reload';
    button.title = error instanceof Error ? error.message : String(error);
    return;
  } finally {
    button.disabled = false;
  }
  button.textContent = label;
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' }));
  const link = h('a', { href: url, download: `findings-${tenant}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
