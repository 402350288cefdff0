/**
 * The full finding record in wire form, and its strict validation.
 * Wire form is what checkers and the reference engine exchange: money as decimal strings (or numbers),
 * timestamps as ISO strings, "" for an absent optional value.
 */
import { z } from 'zod';
import { isPlainDecimal, parseDecimal } from './decimal.ts';
import { issuesFromZod, type ValidationIssue } from './issues.ts';
import { compileCommonCase, withCommonCase } from './record_precheck.ts';
import { crossFieldProblems, isBlank } from './record_rules.ts';
import { parseDate, parseTimestamp } from './time.ts';
import { ATTRIBUTION_METHODS, COST_MODELS, LIFECYCLE_STATUSES, SEVERITIES, STATUSES } from './vocabulary.ts';

const required = (what: string) => ({
  error: (issue: { input: unknown }) => (isBlank(issue.input) ? 'is required' : `must be ${what}`),
});

// Each refined leaf also declares the check that recognises its plain spelling in one pass (record_precheck.ts).
const requiredText = withCommonCase(
  z.string(required('a string')).refine((s) => s.trim() !== '', 'is required'),
  (v) => typeof v === 'string' && v.trim() !== '',
);
const text = z.string().nullish();

const money = withCommonCase(
  z
    .union([z.string(), z.number()], { error: 'must be a decimal string or number' })
    .nullish()
    .superRefine((value, ctx) => {
      if (isBlank(value)) return;
      const parsed = parseDecimal(value!);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${parsed.reason}` });
    }),
  (v) => isBlank(v) || (typeof v === 'string' && isPlainDecimal(v)),
);

const isTimestampText = (v: unknown): boolean => typeof v === 'string' && parseTimestamp(v) !== undefined;
const timestamp = withCommonCase(
  z
    .union([z.string(), z.date()], { error: 'must be an ISO timestamp' })
    .nullish()
    .superRefine((value, ctx) => {
      if (!isBlank(value) && parseTimestamp(value!) === undefined) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an ISO timestamp` });
      }
    }),
  (v) => isBlank(v) || isTimestampText(v),
);
const requiredTimestamp = withCommonCase(
  timestamp.refine((v) => !isBlank(v), 'is required'),
  (v) => !isBlank(v) && isTimestampText(v),
);

const date = withCommonCase(
  z
    .string({ error: 'must be a date (YYYY-MM-DD)' })
    .nullish()
    .superRefine((value, ctx) => {
      if (!isBlank(value) && parseDate(value!) === undefined) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a date (YYYY-MM-DD)` });
      }
    }),
  (v) => isBlank(v) || (typeof v === 'string' && parseDate(v) !== undefined),
);

/** An integer in a range (a number or numeric text); "" and null mean absent. */
const integerIn = (min: number, max: number) => (value: unknown, ctx: z.RefinementCtx) => {
  if (isBlank(value)) return;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not an integer from ${min} to ${max}`,
    });
  }
};
/** The plain spelling of an integer in a range: a number. */
const isIntegerIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const intIn = (min: number, max: number) =>
  withCommonCase(
    z
      .union([z.number(), z.string()], { error: `must be an integer from ${min} to ${max}` })
      .nullish()
      .superRefine(integerIn(min, max)),
    (v) => isBlank(v) || isIntegerIn(v, min, max),
  );
const requiredIntIn = (min: number, max: number) =>
  withCommonCase(
    z
      .union([z.number(), z.string()], required(`an integer from ${min} to ${max}`))
      .superRefine((value, ctx) =>
        value === ''
          ? ctx.addIssue({ code: 'custom', message: 'is required' })
          : integerIn(min, max)(value, ctx),
      ),
    (v) => isIntegerIn(v, min, max),
  );

/** An enum value; "" and null mean absent unless the field is required. */
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => {
  const known = new Set<unknown>(values);
  return withCommonCase(
    z.union([z.enum(values), z.literal('')], { error: `must be one of ${values.join(', ')}` }).nullish(),
    (v) => isBlank(v) || known.has(v),
  );
};
const requiredOneOf = <T extends readonly [string, ...string[]]>(values: T) => {
  const known = new Set<unknown>(values);
  return withCommonCase(
    z.enum(values, {
      error: (issue) => (isBlank(issue.input) ? 'is required' : `must be one of ${values.join(', ')}`),
    }),
    (v) => known.has(v),
  );
};

const stringMap = z.record(z.string(), z.string().nullable()).nullish();
const moneyMap = z.record(z.string(), money).nullish();

export const scopeSchema = z.object({
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

/** The record's fields; the full schema adds the rules that span them. */
const recordFields = z.object({
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
  scope: scopeSchema,
  check_id: requiredText,
  check_name: text,
  category: text,
  sub_category: text,
  frameworks: z.array(z.string()).nullish(),
  status: requiredOneOf(STATUSES),
  severity: z.object({ level: requiredOneOf(SEVERITIES), score: intIn(0, 1000) }),
  priority: intIn(0, 1000),
  title: text,
  message: text,
  advice: text,
  recommendation: text,
  remediation: text,
  links: z.array(z.object({ label: text, url: text })).nullish(),
  estimated: z
    .object({
      monthly_savings: money,
      monthly_cost: money,
      one_time_savings: money,
      confidence: intIn(0, 100),
      notes: text,
    })
    .nullish(),
  actual: z
    .object({
      cost_7d: money,
      cost_30d: money,
      cost_mtd: money,
      cost_prev_month: money,
      savings_7d: money,
      savings_30d: money,
      model: z
        .object({
          currency: text,
          cost_model: oneOf(COST_MODELS),
          granularity: text,
          period_start: date,
          period_end: date,
        })
        .nullish(),
      attribution: z
        .object({
          method: oneOf(ATTRIBUTION_METHODS),
          confidence: intIn(0, 100),
          matched_keys: z.array(z.string()).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  lifecycle: z
    .object({
      status: oneOf(LIFECYCLE_STATUSES),
      first_seen_ts: timestamp,
      last_seen_ts: timestamp,
      resolved_ts: timestamp,
      snooze_until_ts: timestamp,
    })
    .nullish(),
  tags: stringMap,
  labels: stringMap,
  dimensions: stringMap,
  metrics: moneyMap,
  metadata_json: text,
  source: z.object({ source_type: text, source_ref: text, schema_version: requiredIntIn(1, 65535) }),
});

export const findingRecordSchema = recordFields.superRefine((record, ctx) => {
  for (const { path, message } of crossFieldProblems(record))
    ctx.addIssue({ code: 'custom', path: [...path], message });
});

export type FindingRecord = z.input<typeof findingRecordSchema>;

const commonCaseFields = compileCommonCase(recordFields);

/** True only for a record the schema certainly accepts; false means "ask the schema". */
export function isCommonValidRecord(record: unknown): boolean {
  return commonCaseFields(record) && crossFieldProblems(record as FindingRecord).length === 0;
}

/** Validates a record completely and returns every problem found (an empty list when it is valid). */
export function validateRecord(record: unknown): ValidationIssue[] {
  // The schema is the authority; most records of a run are plainly valid and are recognised in one pass.
  if (isCommonValidRecord(record)) return [];
  const result = findingRecordSchema.safeParse(record);
  return result.success ? [] : issuesFromZod(result.error);
}
