/** All findings: the filter bar, the sortable paged table and the CSV download. */
import { toCsv } from './csv.ts';
import { byId, h, replaceChildren } from './dom.ts';
import { formatMoneyText } from './money.ts';
import type { Row } from './model.ts';
import {
  applyFilters,
  COLUMNS,
  distinctValues,
  FILTERS,
  PAGE_SIZES,
  sortRows,
  type FilterParam,
  type SortKey,
  type ViewState,
} from './view_state.ts';

export interface FindingsView {
  /** Shows the rows of a state; returns the filtered rows. */
  render(state: ViewState): readonly Row[];
}

export interface FindingsViewOptions {
  readonly rows: readonly Row[];
  readonly tenant: string;
  readonly update: (patch: Partial<ViewState>) => void;
  readonly open: (fingerprint: string) => void;
}

const SEARCH_DELAY_MS = 150;

export function findingsView(root: HTMLElement, options: FindingsViewOptions): FindingsView {
  const { rows, update } = options;
  const selects = new Map<FilterParam, HTMLSelectElement>();
  for (const filter of FILTERS) {
    const select = h(
      'select',
      {
        id: `filter-${filter.param}`,
        name: filter.param,
        onchange: () => update({ filters: currentFilters(), page: 1 }),
      },
      h('option', { value: '' }, 'All'),
      ...distinctValues(rows, filter.column).map((value) => h('option', { value }, value)),
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
  let filtered: readonly Row[] = [];
  const download = h(
    'button',
    { type: 'button', id: 'download-csv', onclick: () => downloadCsv(filtered, options.tenant) },
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

  replaceChildren(
    root,
    h('h2', { id: 'findings-title' }, 'All findings'),
    h(
      'form',
      {
        class: 'filters no-print',
        role: 'search',
        'aria-label': 'Filter findings',
        onsubmit: (event: Event) => event.preventDefault(),
      },
      ...FILTERS.map((filter) => h('label', {}, filter.label, selects.get(filter.param))),
      h('label', { class: 'search' }, 'Search', search),
      h('div', { class: 'actions' }, clear, download),
    ),
    h('p', { id: 'findings-count', 'aria-live': 'polite' }),
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
      for (const [param, select] of selects) select.value = state.filters[param] ?? '';
      if (document.activeElement !== search) search.value = state.q;
      pageSize.value = String(state.size);
      filtered = sortRows(applyFilters(rows, state), state.sort, state.dir);
      const pages = Math.max(1, Math.ceil(filtered.length / state.size));
      const page = Math.min(state.page, pages);
      const start = (page - 1) * state.size;
      const visible = filtered.slice(start, start + state.size);
      byId('findings-count').textContent =
        filtered.length === rows.length
          ? `${rows.length} findings`
          : `${filtered.length} of ${rows.length} findings match`;
      renderHead(state);
      replaceChildren(byId('findings-body'), ...visible.map((row) => renderRow(row)));
      if (visible.length === 0)
        byId('findings-body').append(
          h(
            'tr',
            {},
            h('td', { colspan: COLUMNS.length, class: 'muted' }, 'No finding matches these filters.'),
          ),
        );
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

  function renderRow(row: Row): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-fingerprint': row.fingerprint },
      h('td', {}, h('span', { class: `badge severity-${row.severity_level}` }, row.severity_level)),
      h('td', {}, h('span', { class: `badge status-${row.status}` }, row.status)),
      h('td', {}, row.lifecycle_status ?? ''),
      h('td', { title: row.check_id }, row.check_name ?? row.check_id),
      h(
        'td',
        {},
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => options.open(row.fingerprint) },
          row.resource_id || row.title || row.fingerprint.slice(0, 12),
        ),
      ),
      h('td', {}, row.account_id),
      h('td', {}, row.region ?? ''),
      h('td', {}, row.service),
      h('td', { class: 'num' }, formatMoneyText(row.est_monthly_savings)),
      h('td', { class: 'num' }, row.days_open ?? ''),
    );
  }
}

function downloadCsv(rows: readonly Row[], tenant: string): void {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' }));
  const link = h('a', { href: url, download: `findings-${tenant}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
