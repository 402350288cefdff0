import { describe, expect, it } from 'vitest';
import { formatMoney, formatMoneyText, parseMoney, sumMoney } from '../../dashboard/src/money.ts';

describe('dashboard money', () => {
  it.each([
    ['12.250000', 12_250_000n],
    ['0.1', 100_000n],
    ['7', 7_000_000n],
    ['-3.5', -3_500_000n],
    ['999999999999.999999', 999_999_999_999_999_999n],
  ])('parses %s exactly', (text, micros) => {
    expect(parseMoney(text)).toBe(micros);
  });

  it.each([[null], [undefined], [''], ['abc'], ['1.0000001'], ['1e3']])('has no figure for %j', (text) => {
    expect(parseMoney(text)).toBeNull();
  });

  it('sums without float drift', () => {
    // 0.1 added ten times is 0.9999999999999999 in floats.
    const total = sumMoney(Array.from({ length: 10 }, () => parseMoney('0.1')));
    expect(total).toBe(1_000_000n);
    expect(formatMoney(total)).toBe('$1.00');
  });

  it.each([
    [1_234_567_891n, '$1,234.57'],
    [5_000n, '$0.01'],
    [4_999n, '$0.00'],
    [0n, '$0.00'],
    [-2_505_000n, '-$2.51'],
    [-4_000n, '$0.00'],
    [1_000_000_000_000_000n, '$1,000,000,000.00'],
  ])('formats %s micro-dollars as %s', (micros, text) => {
    expect(formatMoney(micros)).toBe(text);
  });

  it('shows a dash where there is no estimate', () => {
    expect(formatMoneyText(null)).toBe('—');
    expect(formatMoneyText('285.000000')).toBe('$285.00');
  });
});
