/**
 * Issue-key values of every JSON shape: their identity is the reference engine's, compared with what Python
 * itself writes (tests/helpers/reference_identity.py), and values neither engine can hash are refused.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { random } from '../../bench/findings.ts';
import { assembleFinding } from '../../contracts/assemble.ts';
import {
  computeFingerprint,
  fingerprintCanonicalJson,
  IdentityError,
  type IssueKey,
  type IssueKeyValue,
} from '../../contracts/identity.ts';
import { DRAFT, META, RUN } from '../helpers/records.ts';

interface Case {
  tenant_id: string;
  check_id: string;
  scope: Record<string, string>;
  issue_key: IssueKey;
}
interface Reference {
  canonical_json: string;
  fingerprint: string;
  issue: string;
}

const SCOPE = { cloud: 'aws', account_id: '123456789012', region: 'eu-west-3', service: 'AmazonEC2' };

/** The reference algorithm run by Python 3 on the same cases, sent as JSON. */
function reference(cases: readonly Case[]): Reference[] {
  const script = fileURLToPath(new URL('../helpers/reference_identity.py', import.meta.url));
  const run = spawnSync('python3', [script], { input: JSON.stringify(cases), maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString('utf8'));
}

const ours = (c: Case) => ({
  tenantId: c.tenant_id,
  checkId: c.check_id,
  scope: c.scope,
  issueKey: c.issue_key,
});

// Pieces that exercise Python's repr: both quotes, backslashes, control and format characters, separators,
// non-ASCII letters, astral characters, and text that looks like another value's rendering.
const PIECES = [
  'a',
  'B',
  ' ',
  '\t',
  '\n',
  '\r',
  "'",
  '"',
  '\\',
  '\x00',
  '\x1b',
  '\x7f',
  '\x85',
  '\xa0',
  '\xad',
  'é',
  'ß',
  'İ',
  '\u200b',
  '\u2028',
  '\u3000',
  '\ue000',
  '\uffff',
  '😀',
  '\u{10ffff}',
  '1',
  '.',
  'True',
  'None',
  '[]',
  "{'a': 1}",
  '1.5',
  'nan',
];
const NAMES = ['v', 'V', ' v ', 'rule', 'x', 'Rule', '1', 'é'];
const FRACTIONS = [0.1, 1.5, 1e-7, 1e-5, 1e-4, 5e-324, 2.5e-10, 1234.5678, -0.5, 0.30000000000000004, 1e-300];

function generator(seed: number) {
  const next = random(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const string = () => Array.from({ length: int(5) }, () => pick(PIECES)).join('');
  const anyNumber = (): number => {
    switch (int(5)) {
      case 0:
        return int(2001) - 1000;
      case 1:
        return (next() < 0.5 ? -1 : 1) * int(Number.MAX_SAFE_INTEGER);
      case 2:
        return pick(FRACTIONS);
      case 3:
        return Number((next() * 10 ** (int(40) - 20)).toPrecision(1 + int(17)));
      default:
        return Math.round(next() * 1e6) / 1e3;
    }
  };
  /** A number with an identity: integers beyond 2^53 are refused (tested below), so none is generated here. */
  const number = (): number => {
    for (;;) {
      const n = anyNumber();
      if (!Number.isInteger(n) || Number.isSafeInteger(n)) return n;
    }
  };
  const value = (depth: number): IssueKeyValue => {
    switch (int(depth > 2 ? 5 : 7)) {
      case 0:
        return string();
      case 1:
        return number();
      case 2:
        return next() < 0.5;
      case 3:
        return null;
      case 4:
        return pick(['', 'x', ' x ', 'True', '[]']);
      case 5:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: int(4) }, () => [string(), value(depth + 1)]));
    }
  };
  return (): Case => ({
    tenant_id: 'acme',
    check_id: 'aws.test.values',
    scope: SCOPE,
    issue_key: Object.fromEntries(Array.from({ length: 1 + int(3) }, () => [pick(NAMES), value(0)])),
  });
}

describe('issue-key values of every shape', () => {
  const next = generator(20261128);
  const cases = Array.from({ length: 2000 }, next);
  const expected = reference(cases);

  it('hash to the canonical JSON and fingerprint Python computes, case for case', () => {
    expect(expected).toHaveLength(cases.length);
    const differing = cases.filter(
      (c, i) => fingerprintCanonicalJson(ours(c)) !== expected[i]!.canonical_json,
    );
    expect(differing).toEqual([]);
    expect(cases.map((c) => computeFingerprint(ours(c)))).toEqual(expected.map((r) => r.fingerprint));
  });

  it('never collide unless the reference renders them the same', () => {
    const renderingOf = new Map<string, string>();
    let collisions = 0;
    cases.forEach((c, i) => {
      const fingerprint = computeFingerprint(ours(c));
      const rendering = expected[i]!.issue;
      const seen = renderingOf.get(fingerprint);
      if (seen === undefined) renderingOf.set(fingerprint, rendering);
      else {
        collisions += 1;
        expect(rendering).toBe(seen);
      }
    });
    // The cases include equal renderings (null and "", true and "True"), so collisions must have been checked.
    expect(collisions).toBeGreaterThan(0);
    expect(renderingOf.size).toBeGreaterThan(cases.length / 2);
  });

  it('tells nested values apart that plain text rendering merged', () => {
    const fingerprint = (v: IssueKeyValue) => computeFingerprint({ ...ours(next()), issueKey: { v } });
    const distinct = [{ a: 1 }, { b: 2 }, {}, [], '', [1, 2], '1,2', [[1], 2], { a: { b: [1, 2] } }];
    expect(new Set(distinct.map(fingerprint)).size).toBe(distinct.length);
    // As in the reference engine, "" and null are one value.
    expect(fingerprint(null)).toBe(fingerprint(''));
  });
});

describe('values with no identity', () => {
  const refused: [string, IssueKey, string][] = [
    ['an integer beyond 2^53', { n: 2 ** 53 + 2 }, 'issue_key.n'],
    ['a negative integer beyond 2^53', { n: -(2 ** 60) }, 'issue_key.n'],
    ['such an integer nested in a list', { sizes: [1, 2 ** 64] }, 'issue_key.sizes[1]'],
    ['such an integer nested in an object', { v: { deep: { n: 1e300 } } }, 'issue_key.v.deep.n'],
    ['a lone surrogate in a value', { note: 'caf\ud800' }, 'issue_key.note'],
    ['a lone surrogate in a name', { ['na\udc00me']: 'x' }, 'issue_key.na\udc00me'],
    ['a lone surrogate in a nested string', { v: ['ok', { k: '\udfff' }] }, 'issue_key.v[1].k'],
    ['a value that is not JSON', { when: new Date(0) as never }, 'issue_key.when'],
  ];

  it.each(refused)('refuses %s, naming the field', (_what, issueKey, path) => {
    const thrown = (() => {
      try {
        computeFingerprint({ ...ours(generator(1)()), issueKey });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(IdentityError);
    expect((thrown as IdentityError).path).toBe(path);
  });

  it('makes such a draft invalid with a contract issue, not a thrown error', () => {
    const result = assembleFinding({ ...DRAFT, issue_key: { size: 2 ** 53 + 2 } }, META, RUN);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: 'issue_key.size',
        code: 'identity',
        message: '9007199254740994 is an integer beyond 2^53, which a JavaScript number cannot hold exactly',
      },
    ]);
  });

  it('refuses a lone surrogate in an identity field of the scope', () => {
    const draft = { ...DRAFT, scope: { ...DRAFT.scope, resource_id: 'vol-\ud800' } };
    const result = assembleFinding(draft, META, RUN);
    expect(result.ok ? [] : result.issues.map((i) => [i.path, i.code])).toEqual([
      ['scope.resource_id', 'identity'],
    ]);
  });

  it('accepts the largest integers a JavaScript number holds exactly', () => {
    const issueKey = { n: Number.MAX_SAFE_INTEGER, m: -Number.MAX_SAFE_INTEGER };
    expect(fingerprintCanonicalJson({ ...ours(generator(1)()), issueKey })).toContain(
      '"m":"-9007199254740991","n":"9007199254740991"',
    );
  });
});
