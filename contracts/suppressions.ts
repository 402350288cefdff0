/**
 * Tenant suppressions: rules that mark matching findings as ignored (or snoozed until a date), with a
 * reason and an owner. JSON or YAML; every match field is optional and all given ones must match.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issuesFromZod, type ValidationIssue } from './issues.ts';

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
    resource_id: text.optional(),
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
