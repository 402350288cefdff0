/**
 * The remediation plan file: what `remediate plan` writes for review and `remediate apply` acts on. Its digest
 * (sha256 of the plan's canonical JSON without the digest) makes an edited plan detectable.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const PLAN_FORMAT = 'finops-findings/remediation-plan@1';

const text = z.string();
const textMap = z.record(z.string(), z.string());

export const planEntrySchema = z.strictObject({
  action_id: text.min(1),
  finding_id: text.min(1),
  fingerprint: text.min(1),
  check_id: text.min(1),
  account_id: z.string().regex(/^\d{12}$/),
  region: text,
  resource_id: text.min(1),
  resource_arn: text.nullable(),
  title: text,
  tags: textMap,
  metrics: textMap,
  dimensions: textMap,
  action: text.min(1),
  summary: text,
  parameters: z.record(z.string(), z.union([z.string(), z.number()])),
  destructive: z.boolean(),
  /** Exact decimal text, or null when the finding has no estimate. */
  monthly_savings: text.nullable(),
});

export const planSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  tenant: text.min(1),
  data: text.min(1),
  created_at: z.iso.datetime(),
  engine_version: text,
  options: z.strictObject({ retention_days: z.number().int() }),
  entries: z.array(planEntrySchema),
  total_monthly_savings: text,
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

export type PlanEntry = z.infer<typeof planEntrySchema>;
export type Plan = z.infer<typeof planSchema>;

/** JSON with object keys sorted at every level: the same plan is the same text, whoever wrote it. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The digest of a plan: of everything in it but the digest. */
export function planDigest(plan: Omit<Plan, 'digest'> | Plan): string {
  const { digest: _ignored, ...content } = plan as Plan;
  return `sha256:${createHash('sha256').update(canonical(content)).digest('hex')}`;
}
