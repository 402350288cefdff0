/**
 * Remediation: the fix of a check, in a module beside it (`<check-id>.fix.ts`), registered here when imported.
 * A fix reads a planned entry (from the finding), re-reads the resource, skips it when it drifted since the
 * finding, and otherwise acts: with DryRun where the API has it, for real with `execute`. It never builds an SDK
 * client (the runner hands it the account's) and never writes storage (the runner audits what it returns).
 */
import type { AwsServices } from './context.ts';

/** What a plan entry knows of its finding: where the resource is, what it looked like, what fixing it saves. */
export interface FixTarget {
  readonly account_id: string;
  readonly region: string;
  readonly resource_id: string;
  readonly resource_arn: string | null;
  /** The resource's tags when it was found: a change since then is drift. */
  readonly tags: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, string>>;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Parameters of an action, as the plan shows them for review (numbers and words only). */
export type FixParameters = Readonly<Record<string, string | number>>;

export interface FixEntry extends FixTarget {
  readonly action_id: string;
  readonly finding_id: string;
  readonly fingerprint: string;
  readonly check_id: string;
  readonly action: string;
  readonly parameters: FixParameters;
}

export interface FixContext {
  readonly services: AwsServices;
  /** Dry run: nothing changes; calls that take DryRun are made with it, to learn whether they are allowed. */
  readonly dryRun: boolean;
  /** Waits (for a snapshot or an image to complete); tests make it instant. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
}

export type FixStatus = 'succeeded' | 'skipped_drift' | 'dry_run_ok' | 'dry_run_denied';

export interface FixOutcome {
  readonly status: FixStatus;
  /** The resource as the fix found it (the fields it checked), and after (what it changed or created). */
  readonly before: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
  /** Why it was skipped or denied, or what a dry run could not check. */
  readonly note?: string;
}

export interface FixMeta {
  /** The check whose failing findings it fixes. */
  readonly check_id: string;
  /** Its name in plans and the audit, e.g. `release_address`. */
  readonly action: string;
  /** One line for the plan's table: what it will do. */
  readonly summary: string;
  readonly iam_actions: readonly string[];
  /** Destroys something that cannot be recreated as it was (an instance): needs --allow-destructive too. */
  readonly destructive?: boolean;
}

export interface FixDefinition {
  readonly meta: FixMeta;
  /** The action's parameters from the finding (and the plan's options), fixed in the plan. */
  readonly parameters: (target: FixTarget, options: PlanOptions) => FixParameters;
  readonly apply: (ctx: FixContext, entry: FixEntry) => Promise<FixOutcome>;
}

/** Choices a plan makes for every entry it holds. */
export interface PlanOptions {
  /** Days of retention a log group is given. */
  readonly retentionDays: number;
}

/** A plan option a fix cannot work with (the user's to change, for every entry), not a problem of one finding. */
export class PlanOptionError extends Error {
  override name = 'PlanOptionError';
}

export const defineFix = (definition: FixDefinition): FixDefinition => Object.freeze(definition);

export class FixRegistry {
  private readonly fixes = new Map<string, FixDefinition & { readonly module: string }>();

  register(definition: FixDefinition, module: string): void {
    const existing = this.fixes.get(definition.meta.check_id);
    if (existing)
      throw new Error(
        `a fix for ${definition.meta.check_id} is registered twice: by ${existing.module} and by ${module}`,
      );
    this.fixes.set(definition.meta.check_id, { ...definition, module });
  }

  /** The fix of a check, or undefined when it has none. */
  forCheck(checkId: string): FixDefinition | undefined {
    return this.fixes.get(checkId);
  }

  /** Every fix, by check id. */
  list(): FixDefinition[] {
    return [...this.fixes.values()].sort((a, b) => a.meta.check_id.localeCompare(b.meta.check_id));
  }
}

export const fixRegistry = new FixRegistry();

export function registerFix(definition: FixDefinition, module: string): void {
  fixRegistry.register(definition, module);
}

/** Whether the resource's tags are those of the finding (a change means someone has been at it since). */
export function tagsDrifted(
  found: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
): string | undefined {
  const keys = [...new Set([...Object.keys(found), ...Object.keys(now)])].sort();
  const changed = keys.filter((key) => found[key] !== now[key]);
  return changed.length ? `its tags changed since the finding (${changed.join(', ')})` : undefined;
}

/**
 * Runs an EC2 call with DryRun: AWS answers DryRunOperation when the call would have succeeded and
 * UnauthorizedOperation when it is not allowed; anything else is an error of the call.
 */
export async function ec2DryRun(call: () => Promise<unknown>): Promise<'dry_run_ok' | 'dry_run_denied'> {
  try {
    await call();
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'DryRunOperation') return 'dry_run_ok';
    if (name === 'UnauthorizedOperation') return 'dry_run_denied';
    throw error;
  }
  throw new Error('the DryRun call made a change: AWS answered without DryRunOperation');
}

/** An error the API gives when the resource is not there (any more). */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return /NotFound|NoSuch/.test(name);
}

/** The answer of a describe call, or undefined when its resource is not there (any more). */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Every named call made with DryRun: ok when each would go through, denied (saying which) otherwise. */
export async function dryRunAll(
  before: FixOutcome['before'],
  calls: Readonly<Record<string, () => Promise<unknown>>>,
): Promise<FixOutcome> {
  const answers: [string, string][] = [];
  for (const [name, call] of Object.entries(calls)) answers.push([name, await ec2DryRun(call)]);
  return answers.every(([, answer]) => answer === 'dry_run_ok')
    ? { status: 'dry_run_ok', before }
    : {
        status: 'dry_run_denied',
        before,
        note: answers.map(([name, answer]) => `${name}: ${answer}`).join(', '),
      };
}

/** The step after a backup: when it fails, the error says the backup exists (it is not undone). */
export async function afterBackup(backup: string, step: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    throw new Error(`${backup} was made, but ${step} failed: ${(error as Error).message}`, { cause: error });
  }
}
