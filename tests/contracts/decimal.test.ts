import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from '../../contracts/decimal.ts';

const ok = (input: string | number) => {
  const r = parseDecimal(input);
  if (!r.ok) throw new Error(r.reason);
  return formatDecimal(r.value);
};

describe('parseDecimal', () => {
  it.each([
    ['0.1', '0.100000'],
    [0.1, '0.100000'],
    ['10', '10.000000'],
    ['-1.5', '-1.500000'],
    ['1e3', '1000.000000'],
    ['1.2345670', '1.234567'],
    ['1e-6', '0.000001'],
    ['999999999999.999999', '999999999999.999999'],
    ['.5', '0.500000'],
    [' 12.34 ', '12.340000'],
  ])('stores %j exactly as %s', (input, expected) => {
    expect(ok(input)).toBe(expected);
  });

  it('reads plain decimal text the same way as the general path', () => {
    // An exponent ("e0") sends the same number through the general path.
    const samples = ['0', '-0', '007', '-12', '1.5', '-0.000001', '123456789012', '999999999999.999999'];
    for (let i = 0; i < 500; i += 1) {
      const whole = String(Math.floor(Math.random() * 10 ** (1 + (i % 12))));
      const fraction = String(Math.floor(Math.random() * 10 ** 6)).slice(0, 1 + (i % 6));
      samples.push(`${i % 3 === 0 ? '-' : ''}${whole}${i % 4 === 0 ? '' : `.${fraction}`}`);
    }
    for (const text of samples) {
      expect(parseDecimal(text), text).toEqual(parseDecimal(`${text}e0`));
      expect(parseDecimal(text).ok, text).toBe(true);
    }
  });

  it.each([
    ['1.2345678', 'more than 6 decimals'],
    ['1e-7', 'more than 6 decimals'],
    ['1000000000000', 'out of range'],
    [1e21, 'out of range'],
    ['abc', 'not a decimal'],
    ['', 'not a decimal'],
    [Number.NaN, 'not a finite number'],
  ])('rejects %j (%s) instead of rounding', (input, reason) => {
    const r = parseDecimal(input);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });
});
