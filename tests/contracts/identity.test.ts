import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  byCodePoint,
  canonicalJson,
  computeFindingId,
  computeFingerprint,
  findingIdSalt,
  fingerprintCanonicalJson,
  pyStrip,
  type IssueKey,
} from '../../contracts/identity.ts';

interface VectorCase {
  name: string;
  input: {
    tenant_id: string;
    check_id: string;
    scope: Record<string, string | null>;
    issue_key: IssueKey | null;
  };
  canonical_json: string;
  fingerprint: string;
  finding_ids: Record<'stable' | 'per_run' | 'per_day', { salt: string | null; finding_id: string }>;
}

// The reference engine's vectors, copied from the shared fixtures into the repository (see their README).
const load = (file: string): VectorCase[] =>
  JSON.parse(readFileSync(new URL(`../fixtures/reference_engine/${file}`, import.meta.url), 'utf8')).cases;
const vectors = load('identity_vectors.json');
const valueVectors = load('identity_vectors_values.json');

describe('identity contract (reference vectors)', () => {
  it('has the reference vectors to check against', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    expect(valueVectors.length).toBe(25);
  });

  describe.each([...vectors, ...valueVectors])('$name', (c) => {
    const input = {
      tenantId: c.input.tenant_id,
      checkId: c.input.check_id,
      scope: c.input.scope,
      issueKey: c.input.issue_key,
    };

    it('builds the canonical JSON byte for byte', () => {
      expect(Buffer.from(fingerprintCanonicalJson(input), 'utf8')).toEqual(
        Buffer.from(c.canonical_json, 'utf8'),
      );
    });

    it('derives the reference fingerprint', () => {
      expect(computeFingerprint(input)).toBe(c.fingerprint);
    });

    it.each(Object.entries(c.finding_ids))('derives the %s finding id', (_mode, { salt, finding_id }) => {
      expect(computeFindingId({ tenantId: c.input.tenant_id, fingerprint: c.fingerprint, salt })).toBe(
        finding_id,
      );
    });
  });
});

describe('identity helpers', () => {
  it('sorts keys by code point, not by UTF-16 code unit', () => {
    // U+1F600 (a surrogate pair in UTF-16) sorts after U+FF5E by code point, before it by code unit.
    expect(canonicalJson({ '\u{1F600}': 'a', '\uFF5E': 'b' })).toBe('{"\uFF5E":"b","\u{1F600}":"a"}');
  });

  it("strips Python's whitespace set, not JavaScript's", () => {
    expect(pyStrip('\x1c\x85 x \u3000')).toBe('x');
    expect(pyStrip('\uFEFFx')).toBe('\uFEFFx');
  });

  it('escapes control characters as JSON requires and keeps non-ASCII as is', () => {
    expect(canonicalJson({ k: 'é\n\u0001' })).toBe('{"k":"é\\n\\u0001"}');
  });

  it('picks the salt of each finding-id mode', () => {
    const runTs = new Date('2026-11-22T23:59:59.999Z');
    expect(findingIdSalt('stable', 'run-1', runTs)).toBe('');
    expect(findingIdSalt('per_run', 'run-1', runTs)).toBe('run-1');
    expect(findingIdSalt('per_day', 'run-1', runTs)).toBe('2026-11-22');
  });
});

describe('byCodePoint', () => {
  it('sorts as Python sorts str: by code point, not by UTF-16 code unit', () => {
    // U+FFFF is below U+1F600, but its single code unit (0xFFFF) is above the emoji's first (0xD83D).
    expect(['😀', '\uffff', 'a', '\ue000', 'ab', ''].sort(byCodePoint)).toEqual([
      '',
      'a',
      'ab',
      '\ue000',
      '\uffff',
      '😀',
    ]);
    expect(['😀', '😁', '\ud7ff'].sort(byCodePoint)).toEqual(['\ud7ff', '😀', '😁']);
  });
});
