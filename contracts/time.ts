/** ISO timestamps and dates from the wire, read as UTC. */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Milliseconds since the epoch, or undefined when the value is not an ISO 8601 timestamp.
 * A value without an offset is taken as UTC; digits past milliseconds are truncated.
 */
export function parseTimestamp(value: string | Date): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  // Every finding of a run carries the same run_ts and ingested_ts: the last answers are remembered.
  if (recent.has(value)) return recent.get(value);
  const parsed = parseIso(value);
  if (recent.size >= RECENT_TIMESTAMPS) recent.delete(recent.keys().next().value!);
  recent.set(value, parsed);
  return parsed;
}

const RECENT_TIMESTAMPS = 32;
const recent = new Map<string, number | undefined>();

function parseIso(value: string): number | undefined {
  const m = ISO_TIMESTAMP.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  if (!validDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return undefined;
  }
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(frac.padEnd(3, '0').slice(0, 3)),
  );
  return ms - offsetMinutes(zone) * 60_000;
}

/** Days since the epoch, or undefined when the value is not YYYY-MM-DD. */
export function parseDate(value: string): number | undefined {
  const m = ISO_DATE.exec(value.trim());
  if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
}

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function offsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return zone.startsWith('-') ? -minutes : minutes;
}

/** The UTC calendar date of an instant, YYYY-MM-DD: the run_date partition value. */
export const utcDate = (instant: Date): string => instant.toISOString().slice(0, 10);
