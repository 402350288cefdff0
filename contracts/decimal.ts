/**
 * Exact decimal money: wire values (strings or numbers) to scaled integers for DECIMAL(18,6).
 * Nothing is ever rounded: a value that does not fit is an error.
 */
export const MONEY_PRECISION = 18;
export const MONEY_SCALE = 6;
const LIMIT = 10n ** BigInt(MONEY_PRECISION);
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export type DecimalResult = { ok: true; value: bigint } | { ok: false; reason: string };

const PLAIN_DECIMAL = /^-?\d{1,12}(?:\.\d{1,6})?$/;

/**
 * Plain digits, at most twelve before and six after the point: always in range, the common spelling of money,
 * read without the general path.
 */
export const isPlainDecimal = (text: string): boolean => PLAIN_DECIMAL.test(text);

/** Parses a decimal string or finite number into an integer scaled by 10^6. */
export function parseDecimal(input: string | number): DecimalResult {
  const source = typeof input === 'number' ? numberText(input) : input.trim();
  if (source === undefined) return { ok: false, reason: 'is not a finite number' };
  if (isPlainDecimal(source)) {
    const point = source.indexOf('.');
    const digits =
      point < 0 ? `${source}000000` : source.slice(0, point) + source.slice(point + 1).padEnd(6, '0');
    return { ok: true, value: BigInt(digits) };
  }
  const match = DECIMAL_TEXT.exec(source);
  const [, sign = '', whole = '', fractionText = '', exponentText = '0'] = match ?? [];
  if (!match || (whole === '' && fractionText === ''))
    return { ok: false, reason: 'is not a decimal number' };
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 64) {
    return { ok: false, reason: 'has an exponent out of range' };
  }
  // Shift the decimal point by the exponent, on the digits, never through a float.
  let digits = (whole + fractionText).replace(/^0+(?=\d)/, '');
  let scale = fractionText.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const trimmed =
    digits.slice(0, digits.length - scale) + digits.slice(digits.length - scale).replace(/0+$/, '');
  const kept = trimmed.length - (digits.length - scale);
  if (kept > MONEY_SCALE) return { ok: false, reason: `has more than ${MONEY_SCALE} decimals` };
  const scaled = BigInt(trimmed || '0') * 10n ** BigInt(MONEY_SCALE - kept);
  if (scaled >= LIMIT) {
    return { ok: false, reason: `is out of range for DECIMAL(${MONEY_PRECISION},${MONEY_SCALE})` };
  }
  return { ok: true, value: sign === '-' ? -scaled : scaled };
}

// The shortest text that round-trips the double, which is what a person wrote (0.1 stays "0.1").
function numberText(value: number): string | undefined {
  return Number.isFinite(value) ? String(value) : undefined;
}

/** Formats a scaled integer back to its exact text with six decimals ("10.000000"). */
export function formatDecimal(scaled: bigint): string {
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(MONEY_SCALE + 1, '0');
  const text = `${digits.slice(0, -MONEY_SCALE)}.${digits.slice(-MONEY_SCALE)}`;
  return negative ? `-${text}` : text;
}
