/**
 * Python's `repr` of JSON values, which is how the reference engine's `str()` writes issue-key values that are
 * not strings before hashing them (tests/fixtures/reference_engine/README.md): `True`/`None`, float repr, and
 * `repr` of lists, dicts and the strings inside them. What Python would write differently from what a
 * JavaScript value can say (integers beyond 2^53, strings holding a lone surrogate, values that are not JSON)
 * is refused, never approximated.
 */

/** A value identity cannot be computed for; `path` names where it sits (`issue_key.sizes[2]`). */
export class IdentityError extends Error {
  readonly path: string;
  readonly problem: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'IdentityError';
    this.path = path;
    this.problem = problem;
  }
}

/** A string UTF-8 can encode: a lone surrogate has no UTF-8 form, so neither engine can hash it. */
export function assertEncodable(value: string, path: string): string {
  if (!value.isWellFormed()) {
    throw new IdentityError(path, 'holds a lone surrogate (not valid Unicode), so it has no identity');
  }
  return value;
}

/** Python's repr (== str) of a float or int that JSON carries. A whole number is an int, as JSON cannot say 3.0. */
export function pyNumber(value: number, path: string): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) {
      throw new IdentityError(
        path,
        `${value} is an integer beyond 2^53, which a JavaScript number cannot hold exactly`,
      );
    }
    return String(value === 0 ? 0 : value);
  }
  // The shortest digits that round-trip are the same in both languages; only the notation differs. Python writes
  // plain digits while the decimal exponent is from -4 to 15 (a fraction is always below 2^53, so under 16).
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const power = Number(exponent);
  if (power >= -4) return String(value);
  return `${mantissa}e-${String(-power).padStart(2, '0')}`;
}

// Python's str.isprintable() is false for these general categories (space excepted, and it is ASCII).
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

const hex = (code: number, digits: number): string => code.toString(16).padStart(digits, '0');

/** Python's repr of a str: single quotes unless it holds a ' and no ", Python's escapes, letters as themselves. */
export function pyStringRepr(value: string, path: string): string {
  assertEncodable(value, path);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === quote) out += `\\${char}`;
    else if (SIMPLE_ESCAPES[char] !== undefined) out += SIMPLE_ESCAPES[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f || !NOT_PRINTABLE.test(char)) out += char;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Python's repr of a JSON value nested in a list or dict. Dict keys keep their order; note that a JavaScript
 * object lists integer-like keys ("1", "20") first, in numeric order, whatever order they were written in.
 */
export function pyRepr(value: unknown, path: string): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return pyNumber(value, path);
    case 'string':
      return pyStringRepr(value, path);
    case 'object':
      if (Array.isArray(value))
        return `[${value.map((item, i) => pyRepr(item, `${path}[${i}]`)).join(', ')}]`;
      if (isPlainObject(value)) {
        const members: string[] = [];
        for (const [key, item] of Object.entries(value)) {
          // JSON has no undefined: a member set to undefined is absent, as JSON.stringify leaves it out.
          if (item === undefined) continue;
          members.push(`${pyStringRepr(key, path)}: ${pyRepr(item, `${path}.${key}`)}`);
        }
        return `{${members.join(', ')}}`;
      }
  }
  throw new IdentityError(
    path,
    `is a ${describe(value)}, not a JSON value (string, number, boolean, null, list, object)`,
  );
}

const describe = (value: unknown): string =>
  typeof value === 'object' ? (value?.constructor?.name ?? 'object') : typeof value;
