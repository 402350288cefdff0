/** One finding's detail in a modal dialog: scope, tags, message, remediation, the estimate and links. */
import { fixBadge, type FixMark } from './actions.ts';
import { formatTs, h, replaceChildren, severityBadge } from './dom.ts';
import { formatMoneyText } from './money.ts';
import type { FindingRow } from './model.ts';

export function showDetail(
  dialog: HTMLDialogElement,
  row: FindingRow,
  close: () => void,
  fix?: FixMark,
): void {
  const field = (label: string, value: Node | string | number | null | undefined) =>
    value === null || value === undefined || value === '' ? null : [h('dt', {}, label), h('dd', {}, value)];
  const list = (...fields: ReturnType<typeof field>[]) => h('dl', { class: 'fields' }, ...fields.flat());
  const tags = Object.entries(row.tags ?? {});
  const labels = Object.entries(row.labels ?? {});
  replaceChildren(
    dialog,
    h(
      'header',
      {},
      h('h2', { id: 'detail-title' }, row.title || row.check_name || row.check_id),
      h('button', { type: 'button', class: 'close', 'aria-label': 'Close', onclick: close }, '×'),
    ),
    h(
      'p',
      {},
      severityBadge(row.severity_level, row.status),
      ' ',
      h('span', { class: `badge status-${row.status}` }, row.status),
      ' ',
      row.lifecycle_status ?? '',
    ),
    row.message ? h('p', { id: 'detail-message' }, row.message) : null,
    h('h3', {}, 'Estimate'),
    list(
      field('Monthly savings', formatMoneyText(row.est_monthly_savings)),
      field('Monthly cost', formatMoneyText(row.est_monthly_cost)),
      field('Confidence', row.est_confidence === null ? null : `${row.est_confidence} / 100`),
      field('How it was computed', row.est_notes),
      field('Source', row.savings_source),
      field(
        "AWS's recommendation",
        row.aws_monthly_savings
          ? `${row.aws_action_type ?? 'Recommendation'}: ${formatMoneyText(row.aws_monthly_savings)} a month (Cost Optimization Hub, discounts included; not added to the totals)`
          : null,
      ),
    ),
    ...billed(row, field, list),
    h('h3', {}, 'Remediation'),
    h('p', { id: 'detail-remediation' }, row.recommendation || row.remediation || '—'),
    row.recommendation && row.remediation && !sameAdvice(row.recommendation, row.remediation)
      ? h('p', { id: 'detail-remediation-general' }, row.remediation)
      : null,
    fix ? h('p', { id: 'detail-fix' }, fixBadge(fix), ' ', fix.text) : null,
    h('h3', {}, 'Scope'),
    list(
      field('Check', `${row.check_name ?? ''} (${row.check_id})`),
      field('Account', row.account_id),
      field('Region', row.region),
      field('Availability zone', row.availability_zone),
      field('Service', row.service),
      field('Resource type', row.resource_type),
      field('Resource id', row.resource_id),
      field('ARN', row.resource_arn ? h('code', {}, row.resource_arn) : null),
    ),
    h('h3', {}, 'History'),
    list(
      field('First seen', formatTs(row.first_seen)),
      field('Last seen', formatTs(row.last_seen)),
      field('Times seen', row.times_seen),
      field('Days open', row.days_open),
      field('Resolved', row.resolved_ts ? formatTs(row.resolved_ts) : null),
      field('Suppressed because', row.suppression_reason),
      field('Suppression owner', row.suppression_owner),
      field('Snoozed until', row.snooze_until),
      field('Finding id', h('code', {}, row.finding_id)),
      field('Fingerprint', h('code', {}, row.fingerprint)),
      field('Run', `${row.run_id} (${formatTs(row.run_ts)})`),
    ),
    tags.length ? h('h3', {}, 'Tags') : null,
    tags.length
      ? h(
          'dl',
          { class: 'fields', id: 'detail-tags' },
          ...tags.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]),
        )
      : null,
    labels.length ? h('h3', {}, 'Labels') : null,
    labels.length
      ? h(
          'dl',
          { class: 'fields' },
          ...labels.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]),
        )
      : null,
    row.links?.length ? h('h3', {}, 'Links') : null,
    row.links?.length
      ? h(
          'ul',
          {},
          ...row.links
            .filter((link) => /^https?:\/\//.test(link.url))
            .map((link) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { href: link.url, rel: 'noopener noreferrer', target: '_blank' },
                  link.label || link.url,
                ),
              ),
            ),
        )
      : null,
  );
  dialog.setAttribute('aria-labelledby', 'detail-title');
  if (!dialog.open) dialog.showModal();
}

const METHODS: Readonly<Record<string, string>> = {
  exact_resource_id: 'its resource id or ARN, exactly',
  heuristic: "the last segment of the bill's ARN",
};

/** What the bill says the resource cost (from the cost facts), when it was matched. */
function billed(
  row: FindingRow,
  field: (label: string, value: string | null | undefined) => HTMLElement[] | null,
  list: (...fields: (HTMLElement[] | null)[]) => HTMLElement,
): HTMLElement[] {
  if (row.actual_cost_30d === null || row.actual_cost_30d === undefined) return [];
  const currency = row.actual_currency ?? 'USD';
  return [
    h('h3', {}, 'Billed cost'),
    list(
      field('Last 30 days', formatMoneyText(row.actual_cost_30d, currency)),
      field('Last 7 days', formatMoneyText(row.actual_cost_7d, currency)),
      field(
        'Fixing it saves',
        row.actual_savings_30d
          ? `${formatMoneyText(row.actual_savings_30d, currency)} over those 30 days`
          : null,
      ),
      field('Cost model', row.actual_cost_model),
      field(
        'Through',
        row.actual_period_end ? `${row.actual_period_end} (the last complete day billed)` : null,
      ),
      field(
        'Matched by',
        row.attribution_method
          ? `${METHODS[row.attribution_method] ?? row.attribution_method} (confidence ${row.attribution_confidence ?? '—'} / 100)`
          : null,
      ),
    ),
  ];
}

/** Words that carry no advice of their own. */
const FILLER = new Set(
  'the and then its it if for with that this may can are was has have been not any one from into onto when what which who will would should could'.split(
    ' ',
  ),
);

/** The content words of a text, lower-case, a plural's trailing s dropped. */
function adviceWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return new Set(
    words
      .filter((word) => word.length > 2 && !FILLER.has(word))
      .map((word) => (word.length > 4 && word.endsWith('s') ? word.slice(0, -1) : word)),
  );
}

/**
 * Whether a check's general remediation says what the finding's own recommendation already says (a check
 * often words both alike: "Snapshot it…, then delete the volume" and "Snapshot the volume…, then delete it"):
 * most of the recommendation's words are in it, and it adds at most three of its own.
 */
export function sameAdvice(recommendation: string, remediation: string): boolean {
  const specific = adviceWords(recommendation);
  const general = adviceWords(remediation);
  if (specific.size === 0 || general.size === 0) return recommendation.trim() === remediation.trim();
  const shared = [...specific].filter((word) => general.has(word)).length;
  const added = general.size - shared;
  return shared / specific.size >= 0.6 && added <= 3;
}
