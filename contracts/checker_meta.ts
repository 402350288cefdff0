/** Checker metadata is validated data that lives beside each checker's logic. */
import { z } from 'zod';
import { SEVERITIES } from './vocabulary.ts';

/** Checker ids are dotted lower-case words: `aws.s3.governance.lifecycle.missing`. */
export const CHECKER_ID = /^[a-z0-9]+(?:\.[a-z0-9_]+)+$/;

export const checkerMetaSchema = z.object({
  id: z
    .string()
    .regex(CHECKER_ID, 'must be dotted lower-case words, e.g. aws.s3.governance.lifecycle.missing'),
  title: z.string().min(1),
  cloud: z.literal('aws'),
  /** The service as the reference engine names it (AmazonS3, AmazonEC2, ...). */
  service: z.string().min(1),
  resource_type: z.string().min(1),
  category: z.string().min(1),
  severity: z.enum(SEVERITIES),
  /** IAM actions the checker calls, e.g. `s3:ListAllMyBuckets`. */
  iam_actions: z
    .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, 'must look like service:Action'))
    .min(1),
  rule: z.string().min(1),
  remediation: z.string().min(1),
  docs_url: z.url(),
  /** Regional checks cover the run's regions; a global one (S3) covers every region of the account. */
  regional: z.boolean().default(true),
  /** How the dollar estimate is computed, for docs/checks.md ("none" when the check prices nothing). */
  pricing: z.string().min(1),
  /**
   * A worked example for docs/checks.md: a resource (`given`), the arithmetic (`dollars`) and the monthly saving it
   * comes to (null when the check prices nothing). `demo` names the resource of the demo estate
   * (scripts/demo_estate.ts: a path in its ids, or `bucket:<name>`) on which a test runs the checker and gets
   * exactly that saving.
   */
  example: z
    .object({
      given: z.string().min(1),
      dollars: z.string().min(1),
      monthly_savings: z
        .string()
        .regex(/^\d+\.\d{6}$/, 'must be a money string with six decimals')
        .nullable(),
      demo: z.string().min(1),
    })
    .optional(),
  /** Tunable thresholds with their defaults and ranges, settable per run with --set <id>.<name>=<value>. */
  params: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case'),
      z
        .object({ default: z.number(), min: z.number(), max: z.number(), description: z.string().min(1) })
        .refine((p) => p.min <= p.default && p.default <= p.max, 'default must lie between min and max'),
    )
    .default({}),
});

export type CheckerMeta = Readonly<z.output<typeof checkerMetaSchema>>;
export type CheckerMetaInput = z.input<typeof checkerMetaSchema>;
