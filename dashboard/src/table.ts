/**
 * Every finding of the export as columns (from findings_index.json): filtering compares integer codes,
 * sorting reuses one permutation per column and direction, and the search scans one lower-cased text of all
 * findings. So a re-filter over 500,000 findings costs a few passes over typed arrays, not 500,000 objects.
 */
import {
  DICTIONARY_COLUMNS,
  IndexBuilder,
  tagsText,
  type DictionaryColumn,
  type FindingIndexFile,
  type IndexRow,
} from './findings_index.ts';
import { MoneySum, parseMoney, smallMicros } from './money.ts';
import { isOpenFailing, type FindingRow, type Group } from './model.ts';

/** What the table shows of a finding (the full row is fetched when it is opened). */
export type TableRow = IndexRow;

/** Between two findings' texts in a search text: never typed into a search box. */
const SEPARATOR = '\u0000';

export class FindingTable {
  readonly length: number;
  private readonly codes = new Map<DictionaryColumn, Int32Array>();
  private readonly permutations = new Map<string, Int32Array>();
  private haystack: { texts: SearchText[]; tags: string[] } | undefined;
  private open: Uint8Array | undefined;
  /** `smallMicros` of each saving (NaN: needs BigInt). */
  private micros: Float64Array | undefined;

  constructor(readonly index: FindingIndexFile) {
    this.length = index.findings;
    for (const column of DICTIONARY_COLUMNS)
      this.codes.set(column, Int32Array.from(index.columns[column].codes));
  }

  /** The same table from full rows (an export without findings_index.json, and tests). */
  static fromRows(rows: readonly FindingRow[]): FindingTable {
    const builder = new IndexBuilder();
    for (const row of rows) builder.push(indexRow(row));
    return new FindingTable(builder.build(''));
  }

  value(column: DictionaryColumn, i: number): string | null {
    return this.index.columns[column].values[this.codes.get(column)![i]!] ?? null;
  }

  row(i: number): TableRow {
    const { columns } = this.index;
    return {
      fingerprint: columns.fingerprint[i]!,
      check_id: this.value('check_id', i),
      check_name: this.value('check_name', i),
      status: this.value('status', i),
      severity_level: this.value('severity_level', i),
      lifecycle_status: this.value('lifecycle_status', i),
      account_id: this.value('account_id', i),
      region: this.value('region', i),
      service: this.value('service', i),
      tags: this.value('tags', i),
      resource_id: columns.resource_id[i] ?? null,
      title: columns.title[i] ?? null,
      est_monthly_savings: columns.est_monthly_savings[i] ?? null,
      days_open: columns.days_open[i] ?? null,
      actual_cost_30d: columns.actual_cost_30d?.[i] ?? null,
    };
  }

  /** The position of a finding, or -1. */
  indexOf(fingerprint: string): number {
    return this.index.columns.fingerprint.indexOf(fingerprint);
  }

  /** The distinct non-empty values of a column, sorted (a filter's options). */
  distinct(column: DictionaryColumn): string[] {
    return this.index.columns[column].values.filter((value): value is string => !!value).sort();
  }

  /**
   * Positions (in the export's order) of the findings whose columns equal the given values (an absent
   * value matches the empty string) and whose resource id, title or tags contain every word.
   */
  filter(
    equals: readonly { column: DictionaryColumn; value: string }[],
    words: readonly string[],
  ): Int32Array {
    const tests = equals.map(({ column, value }) => {
      const wanted = new Uint8Array(this.index.columns[column].values.length);
      this.index.columns[column].values.forEach((v, code) => {
        if ((v ?? '') === value) wanted[code] = 1;
      });
      return { codes: this.codes.get(column)!, wanted };
    });
    let positions: Int32Array = new Int32Array(this.length);
    let n = 0;
    rows: for (let i = 0; i < this.length; i += 1) {
      for (const { codes, wanted } of tests) if (!wanted[codes[i]!]) continue rows;
      positions[n++] = i;
    }
    positions = positions.slice(0, n);
    for (const word of words) positions = this.containing(word.toLowerCase(), positions);
    return positions;
  }

  /** The same positions ordered by a column (stable: ties keep the export's order). */
  sort(positions: Int32Array, key: SortColumn | '', dir: 'asc' | 'desc'): Int32Array {
    if (!key) return positions;
    const order = this.permutation(key, dir);
    const included = new Uint8Array(this.length);
    for (const i of positions) included[i] = 1;
    const sorted = new Int32Array(positions.length);
    let j = 0;
    for (const i of order) if (included[i]) sorted[j++] = i;
    return sorted;
  }

  /** Open failing savings grouped by a column, largest first (exact: summed as micro-dollars). */
  savingsBy(column: DictionaryColumn): Group[] {
    const codes = this.codes.get(column)!;
    const open = this.openFailing();
    const savings = this.index.columns.est_monthly_savings;
    this.micros ??= Float64Array.from(savings, (text) => smallMicros(text) ?? Number.NaN);
    const micros = this.micros;
    const groups = new Map<number, { savings: MoneySum; findings: number }>();
    for (let i = 0; i < this.length; i += 1) {
      if (!open[i]) continue;
      let group = groups.get(codes[i]!);
      if (!group) groups.set(codes[i]!, (group = { savings: new MoneySum(), findings: 0 }));
      const small = micros[i]!;
      group.savings.add(savings[i], Number.isNaN(small) ? undefined : small);
      group.findings += 1;
    }
    const merged = new Map<string, { savings: bigint; findings: number }>();
    for (const [code, group] of groups) {
      const key = this.index.columns[column].values[code] || '(none)';
      const total = merged.get(key) ?? { savings: 0n, findings: 0 };
      merged.set(key, {
        savings: total.savings + group.savings.total,
        findings: total.findings + group.findings,
      });
    }
    return [...merged]
      .map(([key, group]) => ({ key, ...group }))
      .sort((a, b) => (b.savings > a.savings ? 1 : b.savings < a.savings ? -1 : a.key.localeCompare(b.key)));
  }

  /** 1 for the open failing findings (whose savings count). */
  private openFailing(): Uint8Array {
    if (!this.open) {
      const [status, lifecycle] = [this.codes.get('status')!, this.codes.get('lifecycle_status')!];
      const { values: statuses } = this.index.columns.status;
      const { values: lifecycles } = this.index.columns.lifecycle_status;
      this.open = Uint8Array.from({ length: this.length }, (_, i) =>
        isOpenFailing({ status: statuses[status[i]!]!, lifecycle_status: lifecycles[lifecycle[i]!]! })
          ? 1
          : 0,
      );
    }
    return this.open;
  }

  /** Builds the search texts now rather than at the first search (called when the page is idle). */
  prepareSearch(): void {
    if (this.haystack) return;
    const { columns } = this.index;
    this.haystack = {
      texts: [searchText(columns.resource_id), searchText(columns.title)],
      tags: columns.tags.values.map((value) => (value ?? '').toLowerCase()),
    };
  }

  /** The positions whose resource id, title or tags contain `word` (already lower-cased). */
  private containing(word: string, positions: Int32Array): Int32Array {
    this.prepareSearch();
    const { texts, tags } = this.haystack!;
    const needle = word.replaceAll(SEPARATOR, '');
    if (!needle) return positions;
    const tagCodes = this.codes.get('tags')!;
    const tagged = Uint8Array.from(tags, (text) => (text.includes(needle) ? 1 : 0));
    // Few rows left: look in each. Many: one scan of each whole text, then keep the rows asked about.
    if (positions.length < this.length / 8)
      return positions.filter(
        (i) =>
          tagged[tagCodes[i]!] === 1 ||
          texts.some(({ text, starts }) => text.slice(starts[i]!, starts[i + 1]!).includes(needle)),
      );
    const found = new Uint8Array(this.length);
    for (const { text, starts } of texts) {
      let at = text.indexOf(needle);
      while (at !== -1) {
        const i = rowAt(starts, at);
        found[i] = 1;
        at = text.indexOf(needle, Math.max(starts[i + 1]!, at + 1));
      }
    }
    return positions.filter((i) => found[i] === 1 || tagged[tagCodes[i]!] === 1);
  }

  private permutation(key: SortColumn, dir: 'asc' | 'desc'): Int32Array {
    const name = `${key}:${dir}`;
    let order = this.permutations.get(name);
    if (order) return order;
    const compare = this.comparator(key);
    const sign = dir === 'asc' ? 1 : -1;
    const positions = Array.from({ length: this.length }, (_, i) => i);
    positions.sort((a, b) => sign * compare(a, b) || a - b);
    order = Int32Array.from(positions);
    this.permutations.set(name, order);
    return order;
  }

  private comparator(key: SortColumn): (a: number, b: number) => number {
    const byNumber = (values: ArrayLike<number>) => (a: number, b: number) => values[a]! - values[b]!;
    if (key === 'savings' || key === 'billed') {
      // Findings without a figure sort below every figure; equal numbers compare exactly.
      const texts =
        key === 'savings'
          ? this.index.columns.est_monthly_savings
          : (this.index.columns.actual_cost_30d ?? new Array<null>(this.length).fill(null));
      const values = Float64Array.from(texts, (text) => (text === null ? -Infinity : Number(text)));
      return (a, b) => {
        const order = values[a]! - values[b]!;
        if (order !== 0 && !Number.isNaN(order)) return order;
        const [x, y] = [parseMoney(texts[a]) ?? -1n, parseMoney(texts[b]) ?? -1n];
        return x < y ? -1 : x > y ? 1 : 0;
      };
    }
    if (key === 'days_open') {
      const days = this.index.columns.days_open;
      return byNumber(Float64Array.from(days, (d) => d ?? -1));
    }
    if (key === 'resource') {
      const ids = this.index.columns.resource_id;
      const collator = new Intl.Collator();
      return (a, b) => collator.compare(ids[a] ?? '', ids[b] ?? '');
    }
    if (key === 'severity') {
      const values = this.index.columns.severity_level.values;
      const ranks = values.map((value) => SEVERITY_RANK[value ?? ''] ?? -1);
      const codes = this.codes.get('severity_level')!;
      return (a, b) => ranks[codes[a]!]! - ranks[codes[b]!]!;
    }
    // A dictionary column: rank its distinct values once, then compare ranks.
    const column = SORT_COLUMNS[key];
    const values = this.index.columns[column].values;
    const sorted = values.map((value, code) => ({ value: value ?? '', code }));
    sorted.sort((a, b) => a.value.localeCompare(b.value));
    const ranks = new Int32Array(values.length);
    sorted.forEach(({ code }, rank) => {
      ranks[code] =
        rank > 0 && sorted[rank - 1]!.value === sorted[rank]!.value ? ranks[sorted[rank - 1]!.code]! : rank;
    });
    const codes = this.codes.get(column)!;
    return (a, b) => ranks[codes[a]!]! - ranks[codes[b]!]!;
  }
}

export const SEVERITY_RANK: Readonly<Record<string, number>> = {
  info: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

/** Sort keys read from a dictionary column. */
const SORT_COLUMNS = {
  status: 'status',
  lifecycle: 'lifecycle_status',
  check: 'check_id',
  account: 'account_id',
  region: 'region',
  service: 'service',
} as const satisfies Record<string, DictionaryColumn>;

export type SortColumn =
  keyof typeof SORT_COLUMNS | 'severity' | 'resource' | 'savings' | 'billed' | 'days_open';

/** One column's values, lower-cased, as one text: value i is `text.slice(starts[i], starts[i + 1])`. */
interface SearchText {
  readonly text: string;
  readonly starts: Int32Array;
}

function searchText(values: readonly (string | null)[]): SearchText {
  const joined = values.join(SEPARATOR) + SEPARATOR; // null joins as ''
  let text = joined.toLowerCase();
  // A few characters lower-case into two ('İ'): then the offsets come from each value lower-cased on its own.
  const lower = text.length === joined.length ? values : values.map((value) => (value ?? '').toLowerCase());
  if (lower !== values) text = lower.join(SEPARATOR) + SEPARATOR;
  const starts = new Int32Array(values.length + 1);
  for (let i = 0, offset = 0; i <= values.length; i += 1) {
    starts[i] = offset;
    offset += (lower[i]?.length ?? 0) + 1;
  }
  return { text, starts };
}

/** The finding whose text holds character `at` (binary search over the start offsets). */
function rowAt(starts: Int32Array, at: number): number {
  let low = 0;
  let high = starts.length - 2;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= at) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** A full row as the index stores it. */
export function indexRow(row: FindingRow): IndexRow {
  return {
    fingerprint: row.fingerprint,
    check_id: row.check_id,
    check_name: row.check_name,
    status: row.status,
    severity_level: row.severity_level,
    lifecycle_status: row.lifecycle_status,
    account_id: row.account_id,
    region: row.region,
    service: row.service,
    tags: tagsText(row.tags),
    resource_id: row.resource_id,
    title: row.title,
    est_monthly_savings: row.est_monthly_savings,
    days_open: row.days_open,
    actual_cost_30d: row.actual_cost_30d ?? null,
  };
}
