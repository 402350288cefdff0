/**
 * AWS Lambda handler for an EventBridge scheduled rule: the rule's constant input names the run, the
 * handler turns it into runner arguments and runs it. The run id defaults to the invocation's request id,
 * so Lambda's own retries of a failed invocation replace that run's files instead of duplicating them.
 * Exit code 1 or 2 throws (Lambda records a failure and retries); 3 (finished with checker or account
 * errors) returns normally with the code in the result.
 */
import { z } from 'zod';
import { EXIT } from '../cli/errors.ts';
import { main } from '../runner.ts';

export const ScheduledRunSchema = z.strictObject({
  tenant: z.string().min(1),
  workspace: z.string().min(1).optional(),
  /** Where the dataset goes: s3://bucket/prefix (the only writable disk in Lambda is /tmp). */
  out: z.string().startsWith('s3://', 'out must be s3://bucket/prefix in Lambda'),
  checkers: z.array(z.string()).optional(),
  exclude_checkers: z.array(z.string()).optional(),
  accounts: z.array(z.string().regex(/^\d{12}$/)).optional(),
  org: z.boolean().optional(),
  role_name: z.string().optional(),
  external_id: z.string().optional(),
  regions: z.array(z.string()).optional(),
  concurrency: z.number().int().positive().optional(),
  run_id: z.string().optional(),
  /** Also export the dashboard JSON (and page) there: s3://bucket/prefix. */
  export_dir: z.string().startsWith('s3://').optional(),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).optional(),
});
export type ScheduledRun = z.infer<typeof ScheduledRunSchema>;

export interface LambdaContext {
  readonly awsRequestId?: string;
}

export interface RunResult {
  readonly exit_code: number;
  readonly run_id: string;
  readonly argv: readonly string[];
}

/** The runner arguments for a scheduled run. */
export function argvFor(input: ScheduledRun, runId: string): string[] {
  const argv = ['--tenant', input.tenant, '--out', input.out, '--run-id', runId, '--no-progress'];
  const add = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) argv.push(flag, String(value));
  };
  add('--workspace', input.workspace);
  for (const id of input.checkers ?? []) add('--checker', id);
  for (const id of input.exclude_checkers ?? []) add('--exclude-checker', id);
  if (input.accounts?.length) add('--accounts', input.accounts.join(','));
  if (input.org) argv.push('--org');
  add('--role-name', input.role_name);
  add('--external-id', input.external_id);
  if (input.regions?.length) add('--regions', input.regions.join(','));
  add('--concurrency', input.concurrency);
  add('--log-level', input.log_level);
  if (input.export_dir) argv.push('--export', '--export-dir', input.export_dir);
  return argv;
}

export async function handler(event: unknown, context: LambdaContext = {}): Promise<RunResult> {
  const parsed = ScheduledRunSchema.safeParse(event);
  if (!parsed.success) {
    // A bad rule input will not get better on retry, but it must be loud.
    throw new Error(`invalid scheduled run input: ${z.prettifyError(parsed.error)}`);
  }
  const runId =
    parsed.data.run_id ??
    `sched-${(context.awsRequestId ?? crypto.randomUUID()).replace(/[^A-Za-z0-9._-]/g, '')}`;
  const argv = argvFor(parsed.data, runId);
  const code = await main(argv);
  if (code === EXIT.failure || code === EXIT.usage) {
    throw new Error(`run ${runId} failed with exit code ${code} (see the log lines above)`);
  }
  return { exit_code: code, run_id: runId, argv };
}
