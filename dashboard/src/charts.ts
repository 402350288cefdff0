/**
 * Charts with Chart.js, bundled into the page (no CDN). Bar lengths are floats; every label and tooltip
 * shows the exact figure, formatted from the BigInt sums.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { h, shortLabel } from './dom.ts';
import { formatMoney, moneyToNumber, parseMoney } from './money.ts';
import type { Group, Trends } from './model.ts';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.animation = false;

const BAR_LIMIT = 10;
const BLUE = '#2563eb';
/** As the severity badges (style.css), strong enough for a bar. */
const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  critical: '#7f1d1d',
  high: '#dc2626',
  medium: '#ea580c',
  low: '#ca8a04',
  info: '#9ca3af',
};
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/** Axis ticks in whole dollars (the exact figures are in the tooltips). */
const DOLLAR_TICKS = { callback: (value: string | number) => `$${Number(value).toLocaleString('en-US')}` };

/**
 * No legend (one series), and a tooltip with the exact figure of the point under the pointer; with `title`, the
 * point's whole name above it (when the axis shows it shortened).
 */
const exactTooltip = (label: (index: number) => string, title?: (index: number) => string) => ({
  legend: { display: false },
  tooltip: {
    callbacks: {
      label: (item: { dataIndex: number }) => label(item.dataIndex),
      ...(title ? { title: (items: { dataIndex: number }[]) => title(items[0]?.dataIndex ?? 0) } : {}),
    },
  },
});

/** A card holding a canvas, with a text alternative listing the same figures for screen readers and print. */
function chartCard(title: string, description: string): { card: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}: ${description}` });
  const card = h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, title),
    h('div', { class: 'chart-box' }, canvas),
  );
  return { card, canvas };
}

/** Horizontal bars of open savings per group: the largest ten, the rest summed as "other". */
export function savingsChart(title: string, groups: readonly Group[]): HTMLElement {
  const shown = groups.slice(0, BAR_LIMIT);
  const rest = groups.slice(BAR_LIMIT);
  const bars = rest.length
    ? [
        ...shown,
        {
          key: `${rest.length} others`,
          savings: rest.reduce((sum, group) => sum + group.savings, 0n),
          findings: rest.reduce((sum, group) => sum + group.findings, 0),
        },
      ]
    : shown;
  const description =
    bars.map((bar) => `${bar.key} ${formatMoney(bar.savings)}`).join(', ') || 'no open savings';
  const { card, canvas } = chartCard(title, description);
  if (bars.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No open failing findings.'));
    return card;
  }
  new Chart(canvas, {
    type: 'bar',
    data: {
      // Long labels (check titles) are shortened on the axis; the tooltip and the text alternative have them whole.
      labels: bars.map((bar) => shortLabel(bar.key)),
      datasets: [
        {
          label: 'Monthly savings',
          data: bars.map((bar) => moneyToNumber(bar.savings)),
          backgroundColor: BLUE,
          maxBarThickness: 28,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      plugins: exactTooltip(
        (index) => {
          const bar = bars[index];
          return bar ? `${formatMoney(bar.savings)} a month, ${bar.findings} findings` : '';
        },
        (index) => bars[index]?.key ?? '',
      ),
      scales: { x: { ticks: DOLLAR_TICKS } },
    },
  });
  return card;
}

/**
 * The findings that need action (failing, open) by severity, the colours of the severity badges. Passing and
 * resolved findings are counted beside the chart, not drawn: on a real estate they outnumber the failing ones a
 * hundred to one and would flatten every failing bar.
 */
export function needsActionChart(groups: readonly Group[], total: number, passing: number): HTMLElement {
  const counts = new Map(groups.map((group) => [group.key, group.findings]));
  const severities = SEVERITIES.filter((level) => counts.has(level));
  const needing = groups.reduce((sum, group) => sum + group.findings, 0);
  const others = total - needing - passing;
  const notDrawn = [
    passing ? `${passing} passing` : '',
    others > 0 ? `${others} resolved, suppressed or unknown` : '',
  ].filter(Boolean);
  const description = severities.map((level) => `${level} ${counts.get(level)}`).join(', ') || 'none';
  const { card, canvas } = chartCard('Findings that need action, by severity', description);
  if (notDrawn.length)
    card.append(h('p', { class: 'muted chart-note' }, `Not drawn: ${notDrawn.join(', ')}.`));
  if (severities.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No finding is failing and open.'));
    return card;
  }
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: severities,
      datasets: [
        {
          label: 'Failing, open',
          data: severities.map((level) => counts.get(level) ?? 0),
          backgroundColor: severities.map((level) => SEVERITY_COLOURS[level] ?? '#6b7280'),
          maxBarThickness: 48,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      plugins: exactTooltip((index) => {
        const level = severities[index] ?? '';
        return `${counts.get(level) ?? 0} failing, open`;
      }),
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  return card;
}

/** Open savings per day, when trends.json has days. */
export function trendChart(trends: Trends): HTMLElement {
  const days = trends.days;
  const savings = days.map((day) => parseMoney(day.open_monthly_savings) ?? 0n);
  const last = days.length - 1;
  const description =
    last >= 0
      ? `from ${days[0]!.date} (${formatMoney(savings[0]!)}) to ${days[last]!.date} (${formatMoney(savings[last]!)})`
      : 'no days';
  const { card, canvas } = chartCard('Open monthly savings over time', description);
  new Chart(canvas, {
    type: 'line',
    data: {
      labels: days.map((day) => day.date),
      datasets: [
        {
          label: 'Open monthly savings',
          data: savings.map(moneyToNumber),
          borderColor: BLUE,
          backgroundColor: BLUE,
          pointRadius: days.length > 31 ? 0 : 3,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      plugins: exactTooltip((index) => {
        const day = days[index];
        return day ? `${formatMoney(savings[index]!)}, ${day.open_findings} open findings` : '';
      }),
      scales: { y: { beginAtZero: true, ticks: DOLLAR_TICKS } },
    },
  });
  return card;
}
