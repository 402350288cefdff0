/** Validation failures are data: a list of issues, each with a path, a code and a message. */
import type { z } from 'zod';

export interface ValidationIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

export function issuesFromZod(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: pathText(issue.path) || '(record)',
    code: issue.code,
    message: issue.message,
  }));
}

/** The one place issues become text: `path: message (code)`, one per line. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message} (${i.code})`).join('\n');
}
