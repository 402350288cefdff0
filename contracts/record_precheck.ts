/**
 * The common case of validation in one pass. A run's records are nearly all valid and spelled the way
 * `assemble.ts` spells them; walking the zod schema for each costs more than the rest of the contract. The
 * check compiled here recognises such records: it returns true only when every field has the type and range
 * the schema demands, in the plain spelling (money as decimal text, integers as numbers, timestamps as ISO
 * text). Anything else — an error, or a valid but unusual spelling such as a score given as text — returns
 * false, and the zod schema, the authority, decides and names every problem. So the check may be stricter than
 * the schema, never looser: a test feeds both the same altered records to hold it to that.
 *
 * The check is compiled from the zod schema itself: its objects, lists, maps, optional and nullable values give
 * the structure, and each refined leaf declares, beside its definition in `record.ts`, the check that
 * recognises its plain spelling (`withCommonCase`). A leaf that declares none stops the compilation, so no
 * field can go unchecked.
 */
import type { z } from 'zod';

export type Check = (value: unknown) => boolean;

const declared = new WeakMap<z.ZodType, Check>();

/** Declares the check that recognises a leaf schema's plain, certainly valid spellings; returns the schema. */
export function withCommonCase<S extends z.ZodType>(schema: S, check: Check): S {
  declared.set(schema, check);
  return schema;
}

/** The parts of a zod definition the compilation reads. */
interface Definition {
  readonly type: string;
  readonly checks?: readonly unknown[];
  readonly innerType?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** The common-case check of a schema. Throws, naming the path, at a leaf that declares none. */
export function compileCommonCase(schema: z.ZodType, path = '(record)'): Check {
  const own = declared.get(schema);
  if (own) return own;
  const definition = schema._zod.def as Definition;
  if (definition.checks?.length) {
    throw new Error(`${path}: a refined schema needs its common-case check declared (withCommonCase)`);
  }
  switch (definition.type) {
    case 'string':
      return (v) => typeof v === 'string';
    case 'optional': {
      const inner = compileCommonCase(definition.innerType!, path);
      return (v) => v === undefined || inner(v);
    }
    case 'nullable': {
      const inner = compileCommonCase(definition.innerType!, path);
      return (v) => v === null || inner(v);
    }
    case 'object': {
      const fields = Object.entries(definition.shape!).map(
        ([name, field]) => [name, compileCommonCase(field, `${path}.${name}`)] as const,
      );
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const [name, field] of fields) if (!field(v[name])) return false;
        return true;
      };
    }
    case 'array': {
      const item = compileCommonCase(definition.element!, `${path}[]`);
      return (v) => {
        if (!Array.isArray(v)) return false;
        // By index, not every(): a hole in a sparse array is an undefined item, as the schema sees it.
        for (let i = 0; i < v.length; i += 1) if (!item(v[i])) return false;
        return true;
      };
    }
    case 'record': {
      const value = compileCommonCase(definition.valueType!, `${path}{}`);
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const key in v) if (!value(v[key])) return false;
        return true;
      };
    }
    default:
      throw new Error(
        `${path}: a ${definition.type} schema needs its common-case check declared (withCommonCase)`,
      );
  }
}
