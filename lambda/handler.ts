/**
 * AWS Lambda handler, for an EventBridge scheduled rule (one run) or for the steps of a Step Functions state
 * machine that splits a run over many invocations (`deploy/`): `action` says which.
 * - `run` (default): a run, or one shard of one (`shard`, with the `run_id` and `run_ts` every shard shares);
 * - `plan`: the shards of a run (`plan-shards`), returned as JSON for a Distributed Map;
 * - `finalize`: the run's manifest from its shards, and the tenant state (`run finalize`);
 * - `export`: the dashboard JSON to `export_dir`.
 * The run id defaults to the invocation's request id, so Lambda's own retries of a failed invocation replace that
 * run's files instead of duplicating them. Exit code 1 or 2 throws (Lambda, or the state machine, records a
 * failure and retries); 3 (finished with checker or account errors, or shards that never finished) returns
 * normally with the code in the result.
 */
import { z } from 'zod';
import { EXIT } from '../cli/errors.ts';
import { defaultEffects, main } from '../runner.ts';

const s3Location = (field: string) =>
  z.string().startsWith('s3://', `${field} must be s3://bucket/prefix in Lambda`);

export const ScheduledRunSchema = z.strictObject({
  action: z.enum(['run', 'plan', 'finalize', 'export']).optional(),
  tenant: z.string().min(1),
  workspace: z.string().min(1).optional(),
  /** Where the dataset goes: s3://bucket/prefix (the only writable disk in Lambda is /tmp). */
  out: s3Location('out'),
  checkers: z.array(z.string()).optional(),
  exclude_checkers: z.array(z.string()).optional(),
  accounts: z.array(z.string().regex(/^\d{12}$/)).optional(),
  org: z.boolean().optional(),
  role_name: z.string().optional(),
  external_id: z.string().optional(),
  regions: z.array(z.string()).optional(),
  concurrency: z.number().int().positive().optional(),
  /** The policy file (see cli/config.ts): s3://bucket/key (or a path in the function's package). */
  config: z.string().min(1).optional(),
  /** Checker packs to load besides the policy file's (installed in the function's package, or paths). */
  plugins: z.array(z.string().min(1)).optional(),
  run_id: z.string().optional(),
  /** The run's time (ISO 8601): the same for every shard of a run. */
  run_ts: z.string().optional(),
  /** `K/N`: this invocation is shard K of N (plan returns them). */
  shard: z
    .string()
    .regex(/^\d+\/\d+$/, 'shard is K/N')
    .optional(),
  /** plan: accounts in each shard (default: sized to finish in 10 minutes). */
  accounts_per_shard: z.number().int().positive().optional(),
  /** Also export the dashboard JSON (and page) there (run), or only that (export): s3://bucket/prefix. */
  export_dir: s3Location('export_dir').optional(),
  state_data: s3Location('state_data').optional(),
  gold_data: s3Location('gold_data').optional(),
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
  /** plan: the shards, each the input of one `run` invocation. */
  readonly plan?: unknown;
}

/** The runner arguments for an input. */
export function argvFor(input: ScheduledRun, runId: string): string[] {
  const action = input.action ?? 'run';
  const argv: string[] = [];
  const add = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) argv.push(flag, String(value));
  };
  const scope = () => {
    for (const id of input.checkers ?? []) add('--checker', id);
    for (const id of input.exclude_checkers ?? []) add('--exclude-checker', id);
    if (input.accounts?.length) add('--accounts', input.accounts.join(','));
    if (input.org) argv.push('--org');
    add('--role-name', input.role_name);
    add('--external-id', input.external_id);
    if (input.regions?.length) add('--regions', input.regions.join(','));
    add('--concurrency', input.concurrency);
    add('--config', input.config);
    for (const plugin of input.plugins ?? []) add('--plugin', plugin);
    add('--run-ts', input.run_ts);
  };
  const kept = () => {
    add('--state-data', input.state_data);
    add('--gold-data', input.gold_data);
  };
  if (action === 'run') {
    argv.push('--tenant', input.tenant, '--out', input.out, '--run-id', runId);
    add('--workspace', input.workspace);
    scope();
    add('--shard', input.shard);
    kept();
    if (input.export_dir) argv.push('--export', '--export-dir', input.export_dir);
  } else if (action === 'plan') {
    argv.push('plan-shards', '--tenant', input.tenant, '--out', input.out, '--run-id', runId);
    scope();
    add('--accounts-per-shard', input.accounts_per_shard);
  } else if (action === 'finalize') {
    argv.push('run', 'finalize', '--tenant', input.tenant, '--data', input.out, '--run-id', runId);
    kept();
  } else {
    if (!input.export_dir) throw new Error('invalid input: export needs export_dir (s3://bucket/prefix)');
    argv.push('export', '--tenant', input.tenant, '--data', input.out, '--out-dir', input.export_dir);
    kept();
  }
  add('--log-level', input.log_level);
  return argv;
}

export async function handler(event: unknown, context: LambdaContext = {}): Promise<RunResult> {
  const parsed = ScheduledRunSchema.safeParse(event);
  if (!parsed.success) {
    // A bad input will not get better on retry, but it must be loud.
    throw new Error(`invalid scheduled run input: ${z.prettifyError(parsed.error)}`);
  }
  const input = parsed.data;
  if (input.action === 'finalize' && !input.run_id)
    throw new Error('invalid scheduled run input: finalize needs run_id');
  const runId =
    input.run_id ?? `sched-${(context.awsRequestId ?? crypto.randomUUID()).replace(/[^A-Za-z0-9._-]/g, '')}`;
  const argv = argvFor(input, runId);
  const printed: string[] = [];
  const code = await main(
    argv,
    input.action === 'plan' ? { ...defaultEffects, print: (text) => printed.push(text) } : defaultEffects,
  );
  if (code === EXIT.failure || code === EXIT.usage) {
    throw new Error(
      `${input.action ?? 'run'} ${runId} failed with exit code ${code} (see the log lines above)`,
    );
  }
  return {
    exit_code: code,
    run_id: runId,
    argv,
    ...(input.action === 'plan' ? { plan: JSON.parse(printed.join('\n')) as unknown } : {}),
  };
}
