/**
 * The storage schema: the Arrow (and so Parquet) types of a finding record, those of the reference engine's
 * schema (tests/fixtures/reference_engine), so one table reads both engines' partitions. Money is
 * DECIMAL(18,6), instants are millisecond UTC timestamps, calendar days are dates, scores and versions are
 * unsigned 16-bit, confidences unsigned 8-bit. Every column is nullable, as in the reference: the contract,
 * not the storage type, says which fields a finding must have. Lists name their item `element` and maps
 * their entries `key_value`, as the Parquet spec (and pyarrow) do.
 */
import {
  DateDay,
  Decimal,
  Field,
  List,
  Map_,
  Schema,
  Struct,
  TimestampMillisecond,
  Uint16,
  Uint8,
  Utf8,
  type DataType,
} from 'apache-arrow';
import { MONEY_PRECISION, MONEY_SCALE } from './decimal.ts';

const utf8 = () => new Utf8();
const uint16 = () => new Uint16();
const uint8 = () => new Uint8();
const money = () => new Decimal(MONEY_SCALE, MONEY_PRECISION, 128);
const timestamp = () => new TimestampMillisecond('UTC');
const date = () => new DateDay();

const optional = (name: string, type: DataType) => new Field(name, type, true);
const struct = (...fields: Field[]) => new Struct(fields);
const listOf = (type: DataType) => new List(new Field('element', type, true));
const mapOf = (value: DataType) => {
  const entries = () =>
    new Field('key_value', struct(new Field('key', utf8(), false), optional('value', value)), false);
  // apache-arrow's Map_ renames the field it is given to `entries`; the Parquet spec (and the reference) say key_value.
  return Object.assign(new Map_(entries()), { children: [entries()] });
};

export const findingSchema = new Schema([
  optional('tenant_id', utf8()),
  optional('workspace_id', utf8()),
  optional('finding_id', utf8()),
  optional('fingerprint', utf8()),
  optional('run_id', utf8()),
  optional('run_ts', timestamp()),
  optional('ingested_ts', timestamp()),
  optional('engine_name', utf8()),
  optional('engine_version', utf8()),
  optional('rulepack_version', utf8()),
  optional(
    'scope',
    struct(
      ...[
        'cloud',
        'provider_partition',
        'organization_id',
        'billing_account_id',
        'account_id',
        'region',
        'availability_zone',
        'service',
        'resource_type',
        'resource_id',
        'resource_arn',
      ].map((name) => optional(name, utf8())),
    ),
  ),
  optional('check_id', utf8()),
  optional('check_name', utf8()),
  optional('category', utf8()),
  optional('sub_category', utf8()),
  optional('frameworks', listOf(utf8())),
  optional('status', utf8()),
  optional('severity', struct(optional('level', utf8()), optional('score', uint16()))),
  optional('priority', uint16()),
  optional('title', utf8()),
  optional('message', utf8()),
  optional('advice', utf8()),
  optional('recommendation', utf8()),
  optional('remediation', utf8()),
  optional('links', listOf(struct(optional('label', utf8()), optional('url', utf8())))),
  optional(
    'estimated',
    struct(
      optional('monthly_savings', money()),
      optional('monthly_cost', money()),
      optional('one_time_savings', money()),
      optional('confidence', uint8()),
      optional('notes', utf8()),
    ),
  ),
  optional(
    'actual',
    struct(
      optional('cost_7d', money()),
      optional('cost_30d', money()),
      optional('cost_mtd', money()),
      optional('cost_prev_month', money()),
      optional('savings_7d', money()),
      optional('savings_30d', money()),
      optional(
        'model',
        struct(
          optional('currency', utf8()),
          optional('cost_model', utf8()),
          optional('granularity', utf8()),
          optional('period_start', date()),
          optional('period_end', date()),
        ),
      ),
      optional(
        'attribution',
        struct(
          optional('method', utf8()),
          optional('confidence', uint8()),
          optional('matched_keys', listOf(utf8())),
        ),
      ),
    ),
  ),
  optional(
    'lifecycle',
    struct(
      optional('status', utf8()),
      optional('first_seen_ts', timestamp()),
      optional('last_seen_ts', timestamp()),
      optional('resolved_ts', timestamp()),
      optional('snooze_until_ts', timestamp()),
    ),
  ),
  optional('tags', mapOf(utf8())),
  optional('labels', mapOf(utf8())),
  optional('dimensions', mapOf(utf8())),
  optional('metrics', mapOf(money())),
  optional('metadata_json', utf8()),
  optional(
    'source',
    struct(
      optional('source_type', utf8()),
      optional('source_ref', utf8()),
      optional('schema_version', uint16()),
    ),
  ),
]);

/**
 * Top-level columns whose values are unique per finding: a Parquet dictionary only adds work and bytes to
 * them, so they are written without one. (Resource ids and ARNs would qualify too, but parquet-wasm sets
 * column properties by top-level name only.)
 */
export const UNIQUE_VALUE_COLUMNS: readonly string[] = ['finding_id', 'fingerprint'];
