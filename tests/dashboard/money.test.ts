import { describe, expect, it } from 'vitest';
import { random } from '../../bench/findings.ts';
import { formatMoney, formatMoneyText, MoneySum, parseMoney, sumMoney } from '../../dashboard/src/money.ts';

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

  it('keeps a running total exact, as numbers while they are exact and as BigInt beyond (200 seeds)', () => {
    let beyond = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const next = random(seed);
      const texts = Array.from({ length: 1 + Math.floor(next() * 400) }, () => {
        const whole = String(Math.floor(next() * 10 ** Math.floor(next() * 14)));
        const fraction = String(Math.floor(next() * 1e6))
          .padStart(6, '0')
          .slice(0, Math.floor(next() * 7));
        const roll = next();
        if (roll < 0.05) return null;
        if (roll < 0.08) return pickOdd(next);
        return `${next() < 0.1 ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
      });
      const sum = new MoneySum();
      for (const text of texts) sum.add(text);
      const expected = sumMoney(texts.map((text) => parseMoney(text)));
      if (expected > BigInt(Number.MAX_SAFE_INTEGER)) beyond += 1;
      expect(sum.total, JSON.stringify({ seed })).toBe(expected);
    }
    expect(beyond).toBeGreaterThan(10);
  });
});

function pickOdd(next: () => number): string {
  const odd = ['', 'abc', '1e3', '1.0000001', ' 12.5 ', '0.1', '999999999.999999', '1000000000.000001'];
  return odd[Math.floor(next() * odd.length)]!;
}
