/**
 * One run: every selected checker in turn, each draft assembled, validated, cast and appended to the
 * tenant's partition. A checker that throws is recorded and the others go on; invalid drafts are never
 * written and are reported with their problems.
 */
import type { Bootstrap, RunContext } from '../checks/_lib/context.ts';
import type { RegisteredChecker } from '../checks/_lib/registry.ts';
import { assembleFinding, type Assembled, type RunFacts } from '../contracts/assemble.ts';
import type { ValidationIssue } from '../contracts/issues.ts';
import { CastError, storageCast, type StorageRow } from '../contracts/storage_cast.ts';
import { utcDate } from '../contracts/time.ts';
import { STATUSES, type Status } from '../contracts/vocabulary.ts';
import { relative } from 'node:path';
import { DatasetWriter, type WrittenPart } from '../pipeline/dataset_writer.ts';
import { MANIFEST_SCHEMA_VERSION, writeRunManifest, type Coverage } from '../pipeline/manifest.ts';
import type { Logger } from './log.ts';

/** Invalid drafts kept per checker as examples in the report; the count is always exact. */
const INVALID_EXAMPLES = 5;

export interface InvalidDraft {
  readonly resource_id: string;
  readonly issues: readonly ValidationIssue[];
}

export interface CheckerOutcome {
  readonly id: string;
  readonly counts: Record<Status, number>;
  invalid: number;
  readonly invalidExamples: InvalidDraft[];
  error?: string;
  durationMs: number;
  /** Regions where the checker could not look (access denied, region not enabled). */
  readonly unreadableRegions: Set<string>;
}

export interface RunReport {
  readonly manifest: string;
  readonly runId: string;
  readonly runDate: string;
  readonly checkers: readonly CheckerOutcome[];
  readonly parts: readonly WrittenPart[];
  readonly rowsWritten: number;
  readonly durationMs: number;
}

export interface RunInput {
  readonly facts: RunFacts;
  readonly context: RunContext;
  readonly bootstrap: Bootstrap;
  readonly checkers: readonly RegisteredChecker[];
  readonly out: string;
  readonly log: Logger;
  readonly now: () => Date;
  readonly newId?: () => string;
  /** The command-line arguments, recorded in the run manifest. */
  readonly args?: Readonly<Record<string, unknown>>;
}

export async function runCheckers(input: RunInput): Promise<RunReport> {
  const started = input.now().getTime();
  const runDate = utcDate(input.facts.runTs);
  const writer = new DatasetWriter({
    root: input.out,
    tenantId: input.facts.tenantId,
    runDate,
    createdBy: `${input.facts.engineName} ${input.facts.engineVersion}`,
    ...(input.newId ? { newId: input.newId } : {}),
  });
  const outcomes: CheckerOutcome[] = [];
  try {
    for (const [index, checker] of input.checkers.entries()) {
      const log = input.log.child({ checker: checker.meta.id });
      log.info(`checker ${index + 1}/${input.checkers.length} ${checker.meta.id} started`);
      const outcome = await runOne(checker, input, writer, log);
      outcomes.push(outcome);
      if (outcome.error)
        log.error({ err: outcome.error }, `checker ${checker.meta.id} failed: ${outcome.error}`);
      log.info(
        { counts: outcome.counts, invalid: outcome.invalid, ms: outcome.durationMs },
        `checker ${checker.meta.id} done`,
      );
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const parts = await writer.close();
  const finished = input.now();
  const manifest = await writeRunManifest(input.out, {
    schema_version: MANIFEST_SCHEMA_VERSION,
    tenant_id: input.facts.tenantId,
    workspace_id: input.facts.workspaceId,
    run_id: input.facts.runId,
    run_ts: input.facts.runTs.toISOString(),
    run_date: runDate,
    engine_name: input.facts.engineName,
    engine_version: input.facts.engineVersion,
    rulepack_version: input.facts.rulepackVersion,
    status: outcomes.some((o) => o.error) ? 'completed_with_errors' : 'completed',
    arguments: input.args ?? {},
    accounts: [input.bootstrap.aws_account_id],
    regions: input.context.regions,
    started_ts: new Date(started).toISOString(),
    finished_ts: finished.toISOString(),
    duration_ms: finished.getTime() - started,
    checkers: outcomes.map((o, i) => ({
      check_id: o.id,
      counts: o.counts,
      invalid: o.invalid,
      error: o.error ?? null,
      duration_ms: o.durationMs,
      coverage: coverageOf(o, input.checkers[i]!, input),
    })),
    files: parts.map((p) => ({ path: relative(input.out, p.path), rows: p.rows })),
  });
  return {
    manifest,
    runId: input.facts.runId,
    runDate,
    checkers: outcomes,
    parts,
    rowsWritten: parts.reduce((n, p) => n + p.rows, 0),
    durationMs: input.now().getTime() - started,
  };
}

async function runOne(
  checker: RegisteredChecker,
  input: RunInput,
  writer: DatasetWriter,
  log: Logger,
): Promise<CheckerOutcome> {
  const started = input.now().getTime();
  const outcome: CheckerOutcome = {
    id: checker.meta.id,
    counts: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>,
    invalid: 0,
    invalidExamples: [],
    durationMs: 0,
    unreadableRegions: new Set(),
  };
  try {
    for await (const draft of checker.create(input.context, input.bootstrap)) {
      const stored = toStorageRow(assembleFinding(draft, checker.meta, input.facts));
      if ('issues' in stored) {
        outcome.invalid += 1;
        const example = { resource_id: String(draft.scope?.resource_id ?? ''), issues: stored.issues };
        if (outcome.invalidExamples.length < INVALID_EXAMPLES) outcome.invalidExamples.push(example);
        log.warn(example, 'invalid finding draft was not written');
        continue;
      }
      await writer.append(stored.row);
      outcome.counts[draft.status] += 1;
      if (draft.status === 'unknown' && draft.scope.resource_type === 'aws_region' && draft.scope.region) {
        outcome.unreadableRegions.add(draft.scope.region);
      }
    }
  } catch (error) {
    outcome.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  outcome.durationMs = input.now().getTime() - started;
  return outcome;
}

/** What a checker looked at: nothing when it failed, every region for a global check, else the readable regions. */
function coverageOf(outcome: CheckerOutcome, checker: RegisteredChecker, input: RunInput): Coverage[] {
  if (outcome.error) return [];
  const account_id = input.bootstrap.aws_account_id;
  if (!checker.meta.regional) return [{ account_id, region: '*' }];
  return input.context.regions
    .filter((r) => !outcome.unreadableRegions.has(r))
    .map((region) => ({ account_id, region }));
}

/** A record that passed validation can still fail the cast; both are reported the same way. */
function toStorageRow(assembled: Assembled): { row: StorageRow } | { issues: readonly ValidationIssue[] } {
  if (!assembled.ok) return { issues: assembled.issues };
  try {
    return { row: storageCast(assembled.record) };
  } catch (error) {
    if (!(error instanceof CastError)) throw error;
    return {
      issues: error.problems.map((p) => ({
        path: p.path,
        code: 'cast',
        message: `${JSON.stringify(p.value)} ${p.message}`,
      })),
    };
  }
}
