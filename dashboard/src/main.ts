/** The dashboard's entry point: load the export, draw the overview, then keep the table in step with the URL. */
import { actionsSection, fixMarks } from './actions.ts';
import { loadData, type DashboardData } from './data.ts';
import { showDetail } from './detail.ts';
import { byId, h, replaceChildren } from './dom.ts';
import { findingsView } from './findings_view.ts';
import type { FindingRow } from './model.ts';
import { charts, headline, runsSection, topSavings } from './overview.ts';
import { stateFromQuery, stateToQuery, type ViewState } from './view_state.ts';

async function start(): Promise<void> {
  let data: DashboardData;
  try {
    data = await loadData(new URL('.', window.location.href));
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    return;
  }
  const { table } = data;
  const topRows = new Map(data.topSavings.map((row) => [row.fingerprint, row]));

  document.title = `FinOps findings · ${data.summary.tenant_id}`;
  byId('tenant').textContent = data.summary.tenant_id;
  replaceChildren(byId('overview'), headline(data));
  replaceChildren(
    byId('top'),
    h('h2', {}, 'Top savings'),
    topSavings(data.topSavings, (fingerprint) => update({ finding: fingerprint })),
  );
  const runs = runsSection(data);
  if (runs) byId('top').after(runs);
  const actions = actionsSection(data.actions);
  if (actions) (runs ?? byId('top')).after(actions);
  const marks = fixMarks(data.actions);
  if (table.length === 0)
    byId('overview').append(
      h('p', { class: 'notice' }, 'This export has no findings yet: run the checkers, then export again.'),
    );

  let state: ViewState = stateFromQuery(window.location.search);
  const dialog = byId<HTMLDialogElement>('detail');
  dialog.addEventListener('close', () => {
    if (state.finding) update({ finding: '' });
  });
  const view = findingsView(byId('findings'), {
    table,
    rows: data.rows,
    tenant: data.summary.tenant_id,
    update,
    open: (fingerprint) => update({ finding: fingerprint }),
    marks,
  });

  function update(patch: Partial<ViewState>): void {
    state = { ...state, ...patch };
    const url = `${window.location.pathname}${stateToQuery(state)}${window.location.hash}`;
    window.history.replaceState(null, '', url);
    render();
  }

  function render(): void {
    view.render(state);
    void renderDetail(state.finding);
  }

  /** The open finding's full row: from the top savings, or fetched from its page of the export. */
  async function renderDetail(fingerprint: string): Promise<void> {
    let row: FindingRow | undefined = topRows.get(fingerprint);
    if (!row && fingerprint) {
      const position = table.indexOf(fingerprint);
      row =
        position < 0
          ? undefined
          : await data.rows.get(position).catch((error: unknown) => {
              showError(error instanceof Error ? error.message : String(error));
              return undefined;
            });
    }
    if (state.finding !== fingerprint) return; // another finding was opened meanwhile
    if (row) showDetail(dialog, row, () => dialog.close(), marks.get(row.fingerprint));
    else if (dialog.open) dialog.close();
  }

  window.addEventListener('popstate', () => {
    state = stateFromQuery(window.location.search);
    render();
  });
  render();
  // Charts last: the table is usable while Chart.js lays out.
  byId('charts').append(charts(data));
  document.body.dataset['ready'] = 'true';
  // The search text of every finding, built while the reader looks at the page rather than at the first search.
  setTimeout(() => table.prepareSearch(), 0);
}

function showError(message: string): void {
  const box = byId('error');
  box.hidden = false;
  replaceChildren(box, h('strong', {}, 'The dashboard cannot show this export. '), message);
  document.body.dataset['ready'] = 'error';
}

start().catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
