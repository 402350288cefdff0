/**
 * Money in the page is exact: the export's decimal strings are parsed into integer micro-units (the
 * storage scale, 6 decimals) as BigInt, summed as BigInt, and rounded to cents only when displayed.
 * Floats appear only as chart bar lengths, never as a figure a reader sees.
 */
export const SCALE = 6;
const UNIT = 10n ** BigInt(SCALE);
const MONEY = /^(-)?(\d+)(?:\.(\d+))?$/;

/** "12.250000" → 12250000n; null, "" and malformed text → null. */
export function parseMoney(text: string | null | undefined): bigint | null {
  if (text === null || text === undefined) return null;
  const match = MONEY.exec(text.trim());
  if (!match) return null;
  const [, sign, whole = '0', fraction = ''] = match;
  if (fraction.length > SCALE) return null;
  const micros = BigInt(whole) * UNIT + BigInt(fraction.padEnd(SCALE, '0'));
  return sign ? -micros : micros;
}

/**
 * A running exact total of decimal strings, in micro-units: kept as a number while that is exact (values
 * under a billion, totals under 2^53 micro-units), as BigInt beyond; parsing BigInt for every value of a
 * 500,000-finding export costs a third of a second. Null and malformed text count as zero.
 */
export class MoneySum {
  private small = 0;
  private big = 0n;

  /** `micros`: `smallMicros(text)`, when the caller keeps it from one total to the next. */
  add(text: string | null | undefined, micros = smallMicros(text)): void {
    if (micros !== undefined && Number.isSafeInteger(this.small + micros)) this.small += micros;
    else this.big += parseMoney(text) ?? 0n;
  }

  get total(): bigint {
    return BigInt(this.small) + this.big;
  }
}

/** Under a billion with at most 6 decimals: the nearest double times 10^6, rounded, is the exact integer. */
const SMALL_MONEY = /^-?\d{1,9}(\.\d{1,6})?$/;

/** A decimal string in micro-units as a number when that is exact; undefined when it needs BigInt. */
export function smallMicros(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return 0;
  return SMALL_MONEY.test(text) ? Math.round(Number(text) * 1_000_000) : undefined;
}

export function sumMoney(values: Iterable<bigint | null>): bigint {
  let total = 0n;
  for (const value of values) if (value !== null) total += value;
  return total;
}

/** 1234567891n → "$1,234.57" (half away from zero to the cent). */
export function formatMoney(micros: bigint, currency = 'USD'): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const cents = (abs + UNIT / 200n) / (UNIT / 100n);
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = `${currencySymbol(currency)}${whole}.${(cents % 100n).toString().padStart(2, '0')}`;
  return negative && cents !== 0n ? `-${text}` : text;
}

/** A decimal string as currency, or an em dash when there is no figure. */
export function formatMoneyText(text: string | null | undefined, currency = 'USD'): string {
  const micros = parseMoney(text);
  return micros === null ? '—' : formatMoney(micros, currency);
}

/** For bar lengths only. */
export function moneyToNumber(micros: bigint): number {
  return Number(micros) / Number(UNIT);
}

function currencySymbol(currency: string): string {
  return currency === 'USD' ? '$' : `${currency} `;
}
