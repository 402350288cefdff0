/**
 * The common case of validation in one pass. A run's records are nearly all valid and spelled the way
 * `assemble.ts` spells them; walking the zod schema for each costs more than the rest of the contract. This
 * check recognises such records: it returns true only when every field has the type and range the schema
 * demands, in the plain spelling (money as decimal text, integers as numbers, timestamps as ISO text).
 * Anything else — an error, or a valid but unusual spelling such as a score given as text — returns false,
 * and the zod schema in `record.ts`, the authority, decides and names every problem. So this may be
 * stricter than the schema, never looser: a test feeds both the same altered records to hold it to that.
 */
import { crossFieldProblems } from './record_rules.ts';
import { parseDate, parseTimestamp } from './time.ts';
import { ATTRIBUTION_METHODS, COST_MODELS, LIFECYCLE_STATUSES, SEVERITIES, STATUSES } from './vocabulary.ts';

/** A check of one value; object and list checks also carry what they look inside (see `checkedFields`). */
type Check = ((value: unknown) => boolean) & {
  readonly fields?: Readonly<Record<string, Check>>;
  readonly item?: Check;
};

const absent = (v: unknown): boolean => v === undefined || v === null;
const blank = (v: unknown): boolean => absent(v) || v === '';
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

const text: Check = (v) => absent(v) || typeof v === 'string';
const requiredText: Check = (v) => typeof v === 'string' && v.trim() !== '';
// Up to 12 integer digits and 6 decimals always fits DECIMAL(18,6); other spellings go to the schema.
const PLAIN_MONEY = /^-?\d{1,12}(?:\.\d{1,6})?$/;
const money: Check = (v) => blank(v) || (typeof v === 'string' && PLAIN_MONEY.test(v));
const timestamp: Check = (v) => blank(v) || (typeof v === 'string' && parseTimestamp(v) !== undefined);
const requiredTimestamp: Check = (v) => !blank(v) && timestamp(v);
const date: Check = (v) => blank(v) || (typeof v === 'string' && parseDate(v) !== undefined);
const integerIn =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const optionalIntegerIn = (min: number, max: number): Check => {
  const integer = integerIn(min, max);
  return (v) => blank(v) || integer(v);
};
const requiredOneOf = (values: readonly string[]): Check => {
  const known = new Set<unknown>(values);
  return (v) => known.has(v);
};
const oneOf = (values: readonly string[]): Check => {
  const known = requiredOneOf(values);
  return (v) => blank(v) || known(v);
};

function object(fields: Readonly<Record<string, Check>>): Check {
  const checks = Object.entries(fields);
  const check = (v: unknown) => {
    if (!isPlainObject(v)) return false;
    for (const [name, field] of checks) if (!field(v[name])) return false;
    return true;
  };
  return Object.assign(check, { fields });
}
const nullish = (inner: Check): Check => Object.assign((v: unknown) => absent(v) || inner(v), inner);
const listOf = (item: Check): Check =>
  Object.assign(
    (v: unknown) => {
      if (absent(v)) return true;
      if (!Array.isArray(v)) return false;
      // By index, not every(): a hole in a sparse array is an undefined item, as the schema sees it.
      for (let i = 0; i < v.length; i += 1) if (!item(v[i])) return false;
      return true;
    },
    { item },
  );
const mapOf =
  (value: Check): Check =>
  (v) => {
    if (absent(v)) return true;
    if (!isPlainObject(v)) return false;
    for (const key in v) if (!value(v[key])) return false;
    return true;
  };

const scope = object({
  cloud: requiredText,
  provider_partition: text,
  organization_id: text,
  billing_account_id: text,
  account_id: requiredText,
  region: text,
  availability_zone: text,
  service: requiredText,
  resource_type: text,
  resource_id: text,
  resource_arn: text,
});

const fields = object({
  tenant_id: requiredText,
  workspace_id: text,
  finding_id: requiredText,
  fingerprint: requiredText,
  run_id: requiredText,
  run_ts: requiredTimestamp,
  ingested_ts: timestamp,
  engine_name: text,
  engine_version: text,
  rulepack_version: text,
  scope,
  check_id: requiredText,
  check_name: text,
  category: text,
  sub_category: text,
  frameworks: listOf((v) => typeof v === 'string'),
  status: requiredOneOf(STATUSES),
  severity: object({ level: requiredOneOf(SEVERITIES), score: optionalIntegerIn(0, 1000) }),
  priority: optionalIntegerIn(0, 1000),
  title: text,
  message: text,
  advice: text,
  recommendation: text,
  remediation: text,
  links: listOf(object({ label: text, url: text })),
  estimated: nullish(
    object({
      monthly_savings: money,
      monthly_cost: money,
      one_time_savings: money,
      confidence: optionalIntegerIn(0, 100),
      notes: text,
    }),
  ),
  actual: nullish(
    object({
      cost_7d: money,
      cost_30d: money,
      cost_mtd: money,
      cost_prev_month: money,
      savings_7d: money,
      savings_30d: money,
      model: nullish(
        object({
          currency: text,
          cost_model: oneOf(COST_MODELS),
          granularity: text,
          period_start: date,
          period_end: date,
        }),
      ),
      attribution: nullish(
        object({
          method: oneOf(ATTRIBUTION_METHODS),
          confidence: optionalIntegerIn(0, 100),
          matched_keys: listOf((v) => typeof v === 'string'),
        }),
      ),
    }),
  ),
  lifecycle: nullish(
    object({
      status: oneOf(LIFECYCLE_STATUSES),
      first_seen_ts: timestamp,
      last_seen_ts: timestamp,
      resolved_ts: timestamp,
      snooze_until_ts: timestamp,
    }),
  ),
  tags: mapOf((v) => v === null || typeof v === 'string'),
  labels: mapOf((v) => v === null || typeof v === 'string'),
  dimensions: mapOf((v) => v === null || typeof v === 'string'),
  metrics: mapOf(money),
  metadata_json: text,
  source: object({ source_type: text, source_ref: text, schema_version: integerIn(1, 65535) }),
});

/** Field names nested as in the record: `true` for a value, an object for a struct, `[item]` for a list. */
export type FieldTree = true | readonly [FieldTree] | { readonly [name: string]: FieldTree };

/** The fields this check looks at, so a test can hold them to the schema's: a field it skipped would pass. */
export function checkedFields(check: Check = fields): FieldTree {
  if (check.fields) {
    return Object.fromEntries(
      Object.entries(check.fields).map(([name, field]) => [name, checkedFields(field)]),
    );
  }
  return check.item ? [checkedFields(check.item)] : true;
}

/** True only for a record the schema certainly accepts; false means "ask the schema". */
export function isCommonValidRecord(record: unknown): boolean {
  return fields(record) && crossFieldProblems(record as never).length === 0;
}
