/** Remediation actions (actions.json): the recent ones as a table, and each finding's latest as a mark. */
import { formatTs, h } from './dom.ts';
import { formatMoneyText } from './money.ts';
import type { ActionRow } from './model.ts';

export interface FixMark {
  /** What the badge says: fix applied, fix planned (a dry run went through), fix failed, fix skipped. */
  readonly label: string;
  readonly kind: 'applied' | 'planned' | 'failed' | 'skipped';
  /** The whole story, for a tooltip and the detail. */
  readonly text: string;
}

const KINDS: Readonly<Record<ActionRow['status'], FixMark['kind']>> = {
  succeeded: 'applied',
  dry_run_ok: 'planned',
  failed: 'failed',
  dry_run_denied: 'failed',
  skipped_drift: 'skipped',
};

/** Each finding's latest action (actions.json is newest first), by fingerprint. */
export function fixMarks(actions: readonly ActionRow[] | undefined): Map<string, FixMark> {
  const marks = new Map<string, FixMark>();
  for (const action of actions ?? []) {
    if (marks.has(action.fingerprint)) continue;
    const kind = KINDS[action.status] ?? 'skipped';
    const why = action.error ?? action.note;
    marks.set(action.fingerprint, {
      kind,
      label: `fix ${kind}`,
      text: `${action.action} ${action.mode === 'dry_run' ? '(dry run) ' : ''}${action.status.replaceAll('_', ' ')} on ${formatTs(action.started_ts)}${why ? `: ${why}` : ''}`,
    });
  }
  return marks;
}

export const fixBadge = (mark: FixMark | undefined): HTMLElement | null =>
  mark ? h('span', { class: `badge fix-${mark.kind}`, title: mark.text }, mark.label) : null;

const SHOWN = 20;

export function actionsSection(actions: readonly ActionRow[] | undefined): HTMLElement | null {
  if (!actions || actions.length === 0) return null;
  return h(
    'section',
    { id: 'actions', 'aria-labelledby': 'actions-title' },
    h('h2', { id: 'actions-title' }, 'Recent remediation'),
    h(
      'div',
      { class: 'scroll-x' },
      h(
        'table',
        { class: 'grid', id: 'actions-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Time', 'Action', 'Resource', 'Mode', 'Status', 'Monthly savings', 'Why'].map((label) =>
              h('th', { scope: 'col' }, label),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...actions
            .slice(0, SHOWN)
            .map((action) =>
              h(
                'tr',
                { 'data-fingerprint': action.fingerprint },
                h('td', {}, formatTs(action.started_ts)),
                h('td', {}, action.action),
                h('td', { class: 'mono' }, action.resource_id),
                h('td', {}, action.mode === 'dry_run' ? 'dry run' : 'executed'),
                h(
                  'td',
                  {},
                  h('span', { class: `badge fix-${KINDS[action.status] ?? 'skipped'}` }, action.status),
                ),
                h('td', { class: 'num' }, formatMoneyText(action.monthly_savings)),
                h('td', {}, action.error ?? action.note ?? ''),
              ),
            ),
        ),
      ),
    ),
    actions.length > SHOWN
      ? h('p', { class: 'muted' }, `The ${SHOWN} latest of ${actions.length} in actions.json.`)
      : null,
  );
}
