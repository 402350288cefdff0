/**
 * storage_cast: a wire record → a storage row whose values match the Arrow schema exactly.
 * Decimals become scaled bigints, timestamps epoch milliseconds, dates epoch milliseconds at midnight,
 * maps `Map`s. "" is null for every non-string field; fields the schema does not know are ignored.
 * Nothing is rounded: a value that does not fit is a CastError naming the field path and the value.
 */
import { DataType, type Field, type Int, type Schema } from 'apache-arrow';
import { parseDecimal } from './decimal.ts';
import { isBlank } from './record_rules.ts';
import { findingSchema } from './schema.ts';
import { parseDate, parseTimestamp } from './time.ts';

export interface CastProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

export class CastError extends Error {
  readonly problems: readonly CastProblem[];
  constructor(problems: readonly CastProblem[]) {
    super(problems.map((p) => `${p.path}: ${JSON.stringify(p.value)} ${p.message}`).join('; '));
    this.name = 'CastError';
    this.problems = problems;
  }
}

export type StorageValue =
  | string
  | number
  | bigint
  | null
  | StorageValue[]
  | Map<string, StorageValue>
  | { [field: string]: StorageValue };
export type StorageRow = { [field: string]: StorageValue };

type Caster = (value: unknown, problems: CastProblem[]) => StorageValue;

const absent = (v: unknown): boolean => v === undefined || v === null;

function compile(type: DataType, path: string): Caster {
  const fail = (problems: CastProblem[], value: unknown, message: string) => {
    problems.push({ path, value, message });
    return null;
  };
  if (DataType.isUtf8(type)) {
    return (v, problems) =>
      absent(v) ? null : typeof v === 'string' ? v : fail(problems, v, 'is not a string');
  }
  if (DataType.isInt(type)) {
    const { bitWidth, isSigned } = type as Int;
    const min = isSigned ? -(2 ** (bitWidth - 1)) : 0;
    const max = isSigned ? 2 ** (bitWidth - 1) - 1 : 2 ** bitWidth - 1;
    const kind = `${isSigned ? '' : 'an unsigned '}${bitWidth}-bit integer`;
    return (v, problems) => {
      if (isBlank(v)) return null;
      const n = typeof v === 'string' ? Number(v.trim()) : v;
      return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max
        ? n
        : fail(problems, v, `is not ${isSigned ? 'a ' : ''}${kind} (${min} to ${max})`);
    };
  }
  if (DataType.isDecimal(type)) {
    return (v, problems) => {
      if (isBlank(v)) return null;
      if (typeof v !== 'string' && typeof v !== 'number') return fail(problems, v, 'is not a decimal');
      const parsed = parseDecimal(v);
      return parsed.ok ? parsed.value : fail(problems, v, parsed.reason);
    };
  }
  if (DataType.isTimestamp(type)) {
    return (v, problems) => {
      if (isBlank(v)) return null;
      const ms = typeof v === 'string' || v instanceof Date ? parseTimestamp(v) : undefined;
      return ms ?? fail(problems, v, 'is not an ISO timestamp');
    };
  }
  if (DataType.isDate(type)) {
    return (v, problems) => {
      if (isBlank(v)) return null;
      const days = typeof v === 'string' ? parseDate(v) : undefined;
      return days === undefined ? fail(problems, v, 'is not a date (YYYY-MM-DD)') : days * 86_400_000;
    };
  }
  if (DataType.isStruct(type)) return compileStruct(type.children, path);
  if (DataType.isList(type)) {
    const item = compile(type.children[0]!.type, `${path}[]`);
    return (v, problems) => {
      if (isBlank(v)) return null;
      return Array.isArray(v) ? v.map((x) => item(x, problems)) : fail(problems, v, 'is not a list');
    };
  }
  if (DataType.isMap(type)) {
    const value = compile(type.children[0]!.type.children[1]!.type, `${path}{}`);
    return (v, problems) => {
      if (isBlank(v)) return null;
      if (typeof v !== 'object' || Array.isArray(v)) return fail(problems, v, 'is not a map');
      const entries = v instanceof Map ? v.entries() : Object.entries(v as object);
      const map = new Map<string, StorageValue>();
      for (const [k, x] of entries) {
        const found = problems.length;
        map.set(String(k), value(x, problems));
        // Name the entry in the path: metrics.size_gib rather than metrics{}.
        for (let i = found; i < problems.length; i += 1) {
          problems[i] = {
            ...problems[i]!,
            path: problems[i]!.path.replace(`${path}{}`, `${path}.${String(k)}`),
          };
        }
      }
      return map;
    };
  }
  throw new Error(`storage_cast has no rule for ${String(type)} at ${path}`);
}

function compileStruct(fields: readonly Field[], prefix: string): Caster {
  const casters = fields.map(
    (f) => [f.name, compile(f.type, prefix ? `${prefix}.${f.name}` : f.name)] as const,
  );
  // A row starts as a copy of a template holding every field: V8 keeps such objects in its fast layout, where
  // fields added one by one under computed names turn an object into a hash table past sixteen of them.
  const template: StorageRow = Object.fromEntries(fields.map((f) => [f.name, null]));
  return (v, problems) => {
    if (isBlank(v)) return null;
    if (typeof v !== 'object') {
      problems.push({ path: prefix || '(record)', value: v, message: 'is not an object' });
      return null;
    }
    const source = v as Record<string, unknown>;
    const out: StorageRow = { ...template };
    for (const [name, cast] of casters) out[name] = cast(source[name], problems);
    return out;
  };
}

export type RowCaster = (record: unknown) => StorageRow;

/** Compiles a caster for a schema once, so the per-row work is only the casting itself. */
export function compileRowCaster(schema: Schema = findingSchema): RowCaster {
  const cast = compileStruct(schema.fields, '');
  return (record) => {
    const problems: CastProblem[] = [];
    const row = cast(record, problems);
    if (problems.length > 0 || row === null) throw new CastError(problems);
    return row as StorageRow;
  };
}

export const storageCast: RowCaster = compileRowCaster();
