/**
 * Tenant suppressions: rules that mark matching findings as ignored (or snoozed until a date), with a
 * reason and an owner. JSON or YAML; every match field is optional and all given ones must match.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issuesFromZod, type ValidationIssue } from './issues.ts';

/** Longest resource pattern accepted: enough for any ARN with wildcards. */
export const MAX_PATTERN_LENGTH = 1_024;

const text = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, 'must not be empty');

export const suppressionRuleSchema = z
  .object({
    check_id: text.optional(),
    account_id: text.optional(),
    region: text.optional(),
    /** A glob (`*`, `?`, `[...]`) matched against the resource id or its ARN. */
    resource_id: text.max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`).optional(),
    tags: z.record(z.string(), z.string()).optional(),
    reason: text,
    owner: text,
    /** YYYY-MM-DD: the rule snoozes until then and stops applying on that day. */
    expires: z.iso.date({ error: 'must be a date (YYYY-MM-DD)' }).optional(),
  })
  .strict()
  .refine(
    (r) => r.check_id || r.account_id || r.region || r.resource_id || (r.tags && Object.keys(r.tags).length),
    {
      message: 'must match on at least one of check_id, account_id, region, resource_id, tags',
    },
  );

export const suppressionFileSchema = z.object({ rules: z.array(suppressionRuleSchema) }).strict();

export type SuppressionRule = z.infer<typeof suppressionRuleSchema>;

export class SuppressionFileError extends Error {
  override name = 'SuppressionFileError';
  readonly issues: readonly ValidationIssue[];
  constructor(file: string, issues: readonly ValidationIssue[]) {
    const lines = issues.map((i) => {
      const rule = /^rules\[(\d+)\]\.?(.*)$/.exec(i.path);
      return rule
        ? `  rule ${Number(rule[1]) + 1}${rule[2] ? ` (${rule[2]})` : ''}: ${i.message}`
        : `  ${i.path}: ${i.message}`;
    });
    super(`invalid suppression file ${file}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}

/** Parses and validates a suppression file's text; YAML is a superset of JSON, so one parser reads both. */
export function parseSuppressions(file: string, content: string): SuppressionRule[] {
  let data: unknown;
  try {
    data = parseYaml(content);
  } catch (error) {
    throw new SuppressionFileError(file, [
      { path: '(file)', code: 'parse', message: (error as Error).message.split('\n')[0]! },
    ]);
  }
  const result = suppressionFileSchema.safeParse(data ?? { rules: [] });
  if (!result.success) throw new SuppressionFileError(file, issuesFromZod(result.error));
  return result.data.rules;
}

const REGEX_SPECIAL = /[\\^$.|?*+()[\]{}]/;
const codePoint = (char: string) => `\\x{${char.codePointAt(0)!.toString(16)}}`;

/**
 * The members of a `[...]` set as an RE2 class: single characters and `a-z` ranges, each written by code point
 * (so no character needs escaping); a reversed range matches nothing, as in SQL GLOB.
 */
function characterClass(members: string[], negated: boolean): string {
  let body = '';
  for (let i = 0; i < members.length; i += 1) {
    const low = members[i]!;
    const high = members[i + 2];
    if (members[i + 1] === '-' && high !== undefined) {
      if (low.codePointAt(0)! <= high.codePointAt(0)!) body += `${codePoint(low)}-${codePoint(high)}`;
      i += 2;
    } else {
      body += codePoint(low);
    }
  }
  if (body === '') return negated ? '.' : '[^\\x{0}-\\x{10ffff}]';
  return `[${negated ? '^' : ''}${body}]`;
}

/**
 * A glob (`*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!abc]`) as an anchored RE2 regular
 * expression. Matching it runs in linear time whatever the pattern; a backtracking glob matcher (SQL GLOB)
 * takes exponential time on patterns like `*a*a*a*a*b` against long ids.
 */
export function globToRegex(glob: string): string {
  const chars = Array.from(glob);
  let out = '(?s)^';
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i]!;
    if (char === '*') {
      while (chars[i + 1] === '*') i += 1;
      out += '.*';
    } else if (char === '?') {
      out += '.';
    } else if (char === '[') {
      const negated = chars[i + 1] === '!';
      const start = i + (negated ? 2 : 1);
      // A `]` right after `[` or `[!` is a member, not the end.
      const end = chars.indexOf(']', start + 1);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      out += characterClass(chars.slice(start, end), negated);
      i = end;
    } else {
      out += REGEX_SPECIAL.test(char) ? `\\${char}` : char;
    }
  }
  return `${out}$`;
}
