/**
 * Finding identity, byte-compatible with the reference engine
 * (see tests/fixtures/reference_engine/README.md and ARCHITECTURE.md).
 */
import * as crypto from 'node:crypto';
import { assertEncodable, IdentityError, pyRepr } from './py_text.ts';

export { IdentityError };

/** An issue-key value: any JSON value. Strings, integers, booleans and null are the usual ones. */
export type IssueKeyValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly IssueKeyValue[]
  | { readonly [key: string]: IssueKeyValue };
export type IssueKey = Readonly<Record<string, IssueKeyValue>>;

export interface IdentityScope {
  readonly cloud?: string | null | undefined;
  readonly billing_account_id?: string | null | undefined;
  readonly account_id?: string | null | undefined;
  readonly region?: string | null | undefined;
  readonly service?: string | null | undefined;
  readonly resource_type?: string | null | undefined;
  readonly resource_id?: string | null | undefined;
  readonly resource_arn?: string | null | undefined;
}

export type FindingIdMode = 'stable' | 'per_run' | 'per_day';
export const FINDING_ID_MODES: readonly FindingIdMode[] = ['stable', 'per_run', 'per_day'];

/** Fields lower-cased after trimming; resource_id and resource_arn keep their case. */
const LOGICAL_SCOPE_FIELDS = [
  'cloud',
  'billing_account_id',
  'account_id',
  'region',
  'service',
  'resource_type',
] as const;
const CASED_SCOPE_FIELDS = ['resource_id', 'resource_arn'] as const;

// Python's str.strip() with no argument strips exactly the characters for which str.isspace() is true;
// JavaScript's trim() differs (it strips U+FEFF and keeps U+001C..U+001F and U+0085).
const PY_WHITESPACE =
  '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_WS = new RegExp(`^[${PY_WHITESPACE}]+`);
const TRAILING_WS = new RegExp(`[${PY_WHITESPACE}]+$`);

/** Printable ASCII other than space: never stripped. */
const isPlain = (code: number): boolean => code > 0x20 && code < 0x7f;

export function pyStrip(value: string): string {
  // Most values (ids, regions, names) start and end with a plain character: nothing to strip.
  if (value.length > 0 && isPlain(value.charCodeAt(0)) && isPlain(value.charCodeAt(value.length - 1)))
    return value;
  return value.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}

/** normalize(v) of the reference: "" for null, else Python's str(v), stripped. Throws an IdentityError naming `path`. */
function text(value: unknown, path: string): string {
  // Python's str() of a string is the string itself; of anything else, its repr.
  if (typeof value === 'string') return pyStrip(assertEncodable(value, path));
  if (value === null || value === undefined) return '';
  return pyStrip(pyRepr(value, path));
}

const logical = (value: unknown, path: string): string => text(value, path).toLowerCase();

/** The scope's identity fields in canonical (code point) order, each with how it is normalised. */
const SCOPE_FIELDS = [
  ...LOGICAL_SCOPE_FIELDS.map((field) => ({ field, normalise: logical })),
  ...CASED_SCOPE_FIELDS.map((field) => ({ field, normalise: text })),
]
  .sort((a, b) => byCodePoint(a.field, b.field))
  .map(({ field, normalise }) => ({
    field,
    normalise,
    path: `scope.${field}`,
    prefix: `${JSON.stringify(field)}:`,
  }));

/** The scope's canonical JSON; its keys are fixed, so they are laid out in an order worked out once. */
function scopeJson(scope: IdentityScope): string {
  let members = '';
  for (const { field, normalise, path, prefix } of SCOPE_FIELDS) {
    members += `${members ? ',' : ''}${prefix}${JSON.stringify(normalise(scope[field], path))}`;
  }
  return `{${members}}`;
}

function issueKey(issue: IssueKey | null | undefined): Record<string, string> {
  const key: Record<string, string> = {};
  // Later names win when two collide after lower-casing, as in the reference engine.
  for (const [name, value] of Object.entries(issue ?? {})) {
    try {
      key[logical(name, '')] = text(value, '');
    } catch (error) {
      // Paths inside a value are relative to it: name the field here, once, rather than for every value.
      if (error instanceof IdentityError)
        throw new IdentityError(`issue_key.${name}${error.path}`, error.problem);
      throw error;
    }
  }
  return key;
}

/**
 * Compares by Unicode code point, as Python sorts str. JavaScript's default compares UTF-16 code units, which
 * agrees except where a surrogate (part of a code point above U+FFFF) meets a BMP character at or above
 * U+E000: the surrogate's code point is the larger one.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate === ySurrogate) return x - y;
    return xSurrogate ? 1 : -1;
  }
  return a.length - b.length;
}

type Canonical = string | { readonly [key: string]: Canonical };

/** json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) for nested string maps. */
export function canonicalJson(value: Canonical): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const keys = Object.keys(value).sort(byCodePoint);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

// crypto.hash (Node 20.12+) is a one-shot digest, cheaper than a Hash object for short inputs.
const sha256Hex: (data: string) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data, 'utf8').digest('hex');

export interface FingerprintInput {
  readonly tenantId: string;
  readonly checkId: string;
  readonly scope: IdentityScope;
  readonly issueKey?: IssueKey | null | undefined;
}

/**
 * canonicalJson({ tenant_id, check_id, scope, issue }), its keys written in their sorted order. Throws an
 * IdentityError naming the field when a value has no identity the reference engine could compute too.
 */
export function fingerprintCanonicalJson(input: FingerprintInput): string {
  return (
    `{"check_id":${JSON.stringify(logical(input.checkId, 'check_id'))},` +
    `"issue":${canonicalJson(issueKey(input.issueKey))},` +
    `"scope":${scopeJson(input.scope)},` +
    `"tenant_id":${JSON.stringify(logical(input.tenantId, 'tenant_id'))}}`
  );
}

/** The fingerprint; throws an IdentityError naming the field a value cannot be hashed for. */
export function computeFingerprint(input: FingerprintInput): string {
  return sha256Hex(fingerprintCanonicalJson(input));
}

export interface FindingIdInput {
  readonly tenantId: string;
  readonly fingerprint: string;
  readonly salt?: string | null | undefined;
}

export function computeFindingId({ tenantId, fingerprint, salt }: FindingIdInput): string {
  // canonicalJson({ tenant_id, fingerprint, salt }), its keys written in their sorted order.
  return sha256Hex(
    `{"fingerprint":${JSON.stringify(text(fingerprint, 'fingerprint'))},` +
      `"salt":${JSON.stringify(text(salt, 'run_id'))},` +
      `"tenant_id":${JSON.stringify(logical(tenantId, 'tenant_id'))}}`,
  );
}

/** The salt a finding-id mode uses: nothing, the run id, or the run date (YYYY-MM-DD, UTC). */
export function findingIdSalt(mode: FindingIdMode, runId: string, runTs: Date): string {
  switch (mode) {
    case 'stable':
      return '';
    case 'per_run':
      return runId;
    case 'per_day':
      return runTs.toISOString().slice(0, 10);
  }
}
