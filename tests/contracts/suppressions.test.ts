/**
 * Suppression globs become RE2 regular expressions: they match exactly what SQL GLOB matches, on random
 * patterns and ids, and a pattern that makes a backtracking matcher take minutes is answered at once.
 */
import { describe, expect, it } from 'vitest';
import { random } from '../../bench/findings.ts';
import { globToRegex, parseSuppressions } from '../../contracts/suppressions.ts';
import { query } from '../helpers/duckdb.ts';

const PATTERN_PIECES = [
  'a',
  'b',
  '*',
  '?',
  '[ab]',
  '[!a]',
  '[a-c]',
  '-',
  '.',
  '(',
  '+',
  '$',
  '^',
  '|',
  '{',
  'é',
  '[',
  ']',
];
const TEXT_PIECES = ['a', 'b', 'c', '-', '.', '(', '+', '$', '^', '|', '{', 'é', '[', ']', '!'];

describe('suppression globs', () => {
  it('match exactly what SQL GLOB matches (4,000 random patterns and ids)', async () => {
    const next = random(14);
    const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)]!;
    const word = (list: readonly string[], max: number) =>
      Array.from({ length: Math.floor(next() * max) }, () => pick(list)).join('');
    const cases = Array.from({ length: 4_000 }, () => ({
      pattern: word(PATTERN_PIECES, 6),
      text: word(TEXT_PIECES, 8),
    }));
    const rows = await query(
      `SELECT c.pattern, c.text, c.text GLOB c.pattern AS glob, regexp_full_match(c.text, c.re) AS re
       FROM (SELECT unnest($cases::STRUCT(pattern VARCHAR, text VARCHAR, re VARCHAR)[]) AS c)`,
      { cases: JSON.stringify(cases.map((c) => ({ ...c, re: globToRegex(c.pattern) }))) } as never,
    );
    expect(rows).toHaveLength(cases.length);
    expect(rows.filter((r) => r.glob).length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.glob !== r.re)).toEqual([]);
  });

  it('answers at once where a backtracking matcher would take minutes', async () => {
    const started = performance.now();
    const rows = await query(
      `SELECT regexp_full_match(repeat('a', 20000), $re) AS hit, regexp_full_match(repeat('a', 20000) || 'b', $re) AS hit_b`,
      { re: globToRegex('*a*a*a*a*a*a*a*a*b') },
    );
    expect(rows).toEqual([{ hit: false, hit_b: true }]);
    // Linear time: far below the seconds SQL GLOB needs for four stars on ids this long.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a pattern longer than 1,024 characters, naming the rule', () => {
    const long = JSON.stringify({ rules: [{ resource_id: 'a*'.repeat(600), reason: 'r', owner: 'o' }] });
    expect(() => parseSuppressions('s.json', long)).toThrow(
      'rule 1 (resource_id): must be at most 1024 characters',
    );
  });
});
