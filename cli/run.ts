/**
 * One run: every selected checker in every scanned account (and, for regional checkers, every region), as
 * units of work under a concurrency limit. Each draft is assembled, validated, cast and appended to the
 * tenant's partition. A unit that throws is recorded and the others go on; invalid drafts are never written
 * and are reported with their problems. A stop signal lets running units finish their current draft, writes
 * what is valid, and records the run as interrupted.
 */
import { rm } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import pLimit from 'p-limit';
import type { Bootstrap, RunContext } from '../checks/_lib/context.ts';
import type { RegisteredChecker } from '../checks/_lib/registry.ts';
import { assembleFinding, type Assembled, type RunFacts } from '../contracts/assemble.ts';
import type { FindingDraft } from '../contracts/draft.ts';
import type { ValidationIssue } from '../contracts/issues.ts';
import { CastError, storageCast, type StorageRow } from '../contracts/storage_cast.ts';
import { utcDate } from '../contracts/time.ts';
import { STATUSES, type Status } from '../contracts/vocabulary.ts';
import { DatasetWriter, type WrittenPart } from '../pipeline/dataset_writer.ts';
import {
  MANIFEST_SCHEMA_VERSION,
  manifestKey,
  previousAttempts,
  type AccountError,
  type Coverage,
  type RunManifest,
  type RunStatus,
} from '../pipeline/manifest.ts';
import { shardFolderKey, shardManifestName, type Shard, type ShardManifest } from '../pipeline/shards.ts';
import type { ObjectStore } from '../pipeline/store.ts';
import type { ConfigRecord, EffectiveCheck } from './config.ts';
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
  /** Every failed unit: where (account, or account/region) and the error. */
  readonly failures: { readonly where: string; readonly message: string }[];
  durationMs: number;
  readonly coverage: Coverage[];
}

export interface RunReport {
  readonly manifest: string;
  readonly runId: string;
  readonly runDate: string;
  readonly status: RunStatus;
  readonly checkers: readonly CheckerOutcome[];
  readonly accountErrors: readonly AccountError[];
  readonly parts: readonly WrittenPart[];
  /** Where each part was published (a path, or s3://...). */
  readonly published: readonly string[];
  readonly replaced: readonly string[];
  readonly rowsWritten: number;
  readonly durationMs: number;
}

/** One account to scan: its context (clients with that account's credentials) and facts. */
export interface ScanTarget {
  readonly accountId: string;
  readonly context: RunContext;
  readonly bootstrap: Bootstrap;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly accountId: string;
  readonly region: string;
  readonly checkerId: string;
  /** Findings written so far (every checker). */
  readonly findings: number;
}

export interface RunInput {
  readonly facts: RunFacts;
  readonly targets: readonly ScanTarget[];
  /** Accounts that could not be scanned (the role could not be assumed, ...). */
  readonly accountErrors?: readonly AccountError[];
  readonly checkers: readonly RegisteredChecker[];
  /** Where the dataset is published, and the local folder the Parquet parts are written in first. */
  readonly store: ObjectStore;
  readonly staging: string;
  readonly log: Logger;
  readonly now: () => Date;
  readonly newId?: () => string;
  /** Units running at once (the runner's --concurrency). */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  /** The run id's lease on an object store: checked before each part is published. */
  readonly lease?: { check(): void };
  readonly onProgress?: (progress: Progress) => void;
  /**
   * Log each checker's completion at debug rather than info: on a terminal the progress line and the summary
   * table say it, and a multi-line log object per checker would only repeat them.
   */
  readonly quietCheckers?: boolean | undefined;
  /** The command-line arguments, recorded in the run manifest. */
  readonly args?: Readonly<Record<string, unknown>>;
  /** This run is one shard of a run (`run finalize` makes the run's manifest from its shards'). */
  readonly shard?: Shard | undefined;
  /** The configuration in force (policy file and flags): each check's scope and severity, recorded in the manifest. */
  readonly config?: ConfigRecord | undefined;
}

interface Unit {
  readonly target: ScanTarget;
  readonly checker: RegisteredChecker;
  readonly regions: readonly string[];
}

interface UnitResult {
  readonly error?: string;
  readonly interrupted: boolean;
  /** Regions where the checker could not look (access denied, region not enabled). */
  readonly unreadable: ReadonlySet<string>;
}

export async function runCheckers(input: RunInput): Promise<RunReport> {
  const started = input.now().getTime();
  const runDate = utcDate(input.facts.runTs);
  const { store } = input;
  const { shard } = input;
  // A shard's manifest sits in the run's folder: readers of run manifests see the run once it is finalized.
  const key = shard
    ? `${shardFolderKey(input.facts.tenantId, runDate, input.facts.runId)}/${shardManifestName(shard)}`
    : manifestKey(input.facts.tenantId, runDate, input.facts.runId);
  const earlier = await previousAttempts(
    store,
    input.facts.tenantId,
    input.facts.runId,
    shard ? `${input.facts.runId}/${shardManifestName(shard)}` : undefined,
  );
  const published: string[] = [];
  const outcomes = new Map(input.checkers.map((checker) => [checker.meta.id, emptyOutcome(checker.meta.id)]));
  const accountErrors = [...(input.accountErrors ?? [])];
  const regions = [...new Set(input.targets.flatMap((t) => t.context.regions))].sort();

  const manifest = (status: RunStatus): RunManifest | ShardManifest => {
    const finished = input.now();
    return {
      ...(shard ? { shard } : {}),
      schema_version: MANIFEST_SCHEMA_VERSION,
      tenant_id: input.facts.tenantId,
      workspace_id: input.facts.workspaceId,
      run_id: input.facts.runId,
      run_ts: input.facts.runTs.toISOString(),
      run_date: runDate,
      engine_name: input.facts.engineName,
      engine_version: input.facts.engineVersion,
      rulepack_version: input.facts.rulepackVersion,
      status,
      arguments: input.args ?? {},
      accounts: [...input.targets.map((t) => t.accountId), ...accountErrors.map((a) => a.account_id)].sort(),
      account_errors: accountErrors,
      regions,
      started_ts: new Date(started).toISOString(),
      finished_ts: finished.toISOString(),
      duration_ms: finished.getTime() - started,
      // While running, nothing counts as covered: a crashed run must not resolve anything.
      checkers:
        status === 'running'
          ? []
          : [...outcomes.values()].map((o) => ({
              check_id: o.id,
              counts: o.counts,
              invalid: o.invalid,
              error: failureText(o),
              duration_ms: o.durationMs,
              coverage: [...o.coverage].sort(
                (a, b) => a.account_id.localeCompare(b.account_id) || a.region.localeCompare(b.region),
              ),
            })),
      files: announced.map((p) => ({ path: keyOf(input.staging, p.path), rows: p.rows })),
      ...(input.config ? { config: input.config } : {}),
    };
  };
  const saveManifest = (status: RunStatus) =>
    store.putText(key, `${JSON.stringify(manifest(status), null, 2)}\n`, { contentType: 'application/json' });

  // Every part the run publishes, listed in the manifest before it becomes visible (see beforePublish).
  const announced: WrittenPart[] = [];
  const writer: DatasetWriter = new DatasetWriter({
    root: input.staging,
    tenantId: input.facts.tenantId,
    runDate,
    createdBy: `${input.facts.engineName} ${input.facts.engineVersion}`,
    ...(input.newId ? { newId: input.newId } : {}),
    beforePublish: async (part) => {
      // A run whose lease another process took over must not publish beside it.
      input.lease?.check();
      announced.push(part);
      await saveManifest('running');
    },
    onPart: async (part) => {
      const partKey = keyOf(input.staging, part.path);
      await store.putFile(partKey, part.path, { contentType: 'application/vnd.apache.parquet' });
      if (store.location !== input.staging) {
        await rm(part.path, { force: true });
        published.push(`${store.location}/${partKey}`);
      } else {
        published.push(part.path);
      }
    },
  });

  await saveManifest('running');
  // A check scoped to some accounts or regions (the policy file) looks only there: it covers nothing else.
  const scopeOf = (checker: RegisteredChecker) => input.config?.effective.checks[checker.meta.id];
  const units = input.targets.flatMap((target) =>
    input.checkers
      .filter((checker) => scopeOf(checker)?.accounts?.includes(target.accountId) ?? true)
      .flatMap((checker) => {
        if (!checker.meta.regional) return [{ target, checker, regions: target.context.regions }];
        const scoped = scopeOf(checker)?.regions;
        return target.context.regions
          .filter((region) => scoped?.includes(region) ?? true)
          .map((region) => ({ target, checker, regions: [region] }));
      }),
  );
  const limit = pLimit(Math.max(1, input.concurrency));
  let done = 0;
  let interrupted = false;
  // Each checker is done when its last unit is: then it is logged, its time the wall time since its first unit.
  const remaining = new Map<string, number>();
  for (const unit of units)
    remaining.set(unit.checker.meta.id, (remaining.get(unit.checker.meta.id) ?? 0) + 1);
  const firstStarted = new Map<string, number>();
  const findings = () =>
    [...outcomes.values()].reduce((n, o) => n + Object.values(o.counts).reduce((a, b) => a + b, 0), 0);
  try {
    await Promise.all(
      units.map((unit) =>
        limit(async () => {
          if (input.signal?.aborted) {
            interrupted = true;
            return;
          }
          const id = unit.checker.meta.id;
          const outcome = outcomes.get(id)!;
          if (!firstStarted.has(id)) firstStarted.set(id, input.now().getTime());
          const result = await runUnit(unit, input, writer, outcome);
          outcome.durationMs = input.now().getTime() - firstStarted.get(id)!;
          interrupted ||= result.interrupted;
          record(outcome, unit, result, input.log);
          done += 1;
          const left = remaining.get(id)! - 1;
          remaining.set(id, left);
          if (left === 0) logDone(outcome, input);
          input.onProgress?.({
            done,
            total: units.length,
            accountId: unit.target.accountId,
            region: unit.regions.length === 1 ? unit.regions[0]! : 'global',
            checkerId: id,
            findings: findings(),
          });
        }),
      ),
    );
  } catch (error) {
    await writer.abort();
    await saveManifest('failed').catch(() => undefined);
    throw error;
  }
  // On an interrupt too: what was validated is written, in complete parts.
  const parts = await writer.close();
  const checkerErrors = [...outcomes.values()].some((o) => o.failures.length > 0);
  const status: RunStatus = interrupted
    ? 'interrupted'
    : checkerErrors || accountErrors.length > 0
      ? 'completed_with_errors'
      : 'completed';
  await saveManifest(status);
  const replaced = await removeEarlierAttempts(
    store,
    earlier,
    key,
    new Set(parts.map((p) => keyOf(input.staging, p.path))),
  );
  if (replaced.length > 0)
    input.log.info({ replaced }, `replaced ${replaced.length} file(s) of an earlier attempt of this run`);
  // A checker with no unit (its scope left it nothing to look at) is done too.
  for (const outcome of outcomes.values()) if (!remaining.has(outcome.id)) logDone(outcome, input);
  return {
    manifest: `${store.location}/${key}`,
    runId: input.facts.runId,
    runDate,
    status,
    checkers: [...outcomes.values()],
    accountErrors,
    parts,
    published,
    replaced,
    rowsWritten: parts.reduce((n, p) => n + p.rows, 0),
    durationMs: input.now().getTime() - started,
  };
}

function logDone(outcome: CheckerOutcome, input: RunInput): void {
  input.log[input.quietCheckers ? 'debug' : 'info'](
    { checker: outcome.id, counts: outcome.counts, invalid: outcome.invalid, ms: outcome.durationMs },
    `checker ${outcome.id} done${outcome.failures.length > 0 ? ' with errors' : ''}`,
  );
}

function emptyOutcome(id: string): CheckerOutcome {
  return {
    id,
    counts: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>,
    invalid: 0,
    invalidExamples: [],
    durationMs: 0,
    coverage: [],
    failures: [],
  };
}

async function runUnit(
  unit: Unit,
  input: RunInput,
  writer: DatasetWriter,
  outcome: CheckerOutcome,
): Promise<UnitResult> {
  const { target, checker } = unit;
  const log = input.log.child({ checker: checker.meta.id, account: target.accountId });
  log.debug({ regions: unit.regions }, 'unit started');
  const context: RunContext = Object.freeze({ ...target.context, regions: Object.freeze([...unit.regions]) });
  const unreadable = new Set<string>();
  try {
    const scope = input.config?.effective.checks[checker.meta.id];
    for await (const produced of checker.create(context, target.bootstrap)) {
      const draft = scope ? withinScope(produced, scope) : produced;
      const stored = toStorageRow(assembleFinding(draft, checker.meta, input.facts));
      if ('issues' in stored) {
        outcome.invalid += 1;
        const example = { resource_id: String(draft.scope?.resource_id ?? ''), issues: stored.issues };
        if (outcome.invalidExamples.length < INVALID_EXAMPLES) outcome.invalidExamples.push(example);
        log.warn(example, 'invalid finding draft was not written');
      } else {
        await writer.append(stored.row);
        outcome.counts[draft.status] += 1;
        if (draft.status === 'unknown' && draft.scope.resource_type === 'aws_region' && draft.scope.region) {
          unreadable.add(draft.scope.region);
        }
      }
      if (input.signal?.aborted) return { interrupted: true, unreadable };
    }
  } catch (error) {
    return {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      interrupted: false,
      unreadable,
    };
  }
  return { interrupted: false, unreadable };
}

/**
 * A draft as the policy file has it: its severity, and outside the scope's tags an `info` finding with no
 * estimate (neither open nor resolved: what leaves the scope is not counted as saved).
 */
function withinScope(draft: FindingDraft, scope: EffectiveCheck): FindingDraft {
  const scoped = scope.severity ? { ...draft, severity: { level: scope.severity } } : draft;
  const tags = scope.tags;
  // A draft that says where the checker could not look stays as it is: it is about no resource.
  if (
    !tags ||
    draft.status === 'unknown' ||
    Object.entries(tags).every(([key, value]) => draft.tags?.[key] === value)
  )
    return scoped;
  const wanted = Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const { estimated: _estimated, ...rest } = scoped;
  return {
    ...rest,
    status: 'info',
    message: `Outside the policy's scope (tags ${wanted}). ${draft.message ?? ''}`.trim(),
  };
}

/** A checker's failures as the manifest says them: "account/region: error; …", or null when none. */
export const failureText = (outcome: CheckerOutcome): string | null =>
  outcome.failures.length === 0 ? null : outcome.failures.map((f) => `${f.where}: ${f.message}`).join('; ');

/** Folds a unit into its checker's outcome: errors by account and region, and what it covered. */
function record(outcome: CheckerOutcome, unit: Unit, result: UnitResult, log: Logger): void {
  const account_id = unit.target.accountId;
  const where = unit.checker.meta.regional ? `${account_id}/${unit.regions.join(',')}` : account_id;
  if (result.error) {
    outcome.failures.push({ where, message: result.error });
    log.error(
      { checker: outcome.id, account: account_id, regions: unit.regions, err: result.error },
      `checker ${outcome.id} failed in ${where}`,
    );
    return;
  }
  // An interrupted unit looked at only part of its scope: it covers nothing.
  if (result.interrupted) return;
  if (!unit.checker.meta.regional) {
    outcome.coverage.push({ account_id, region: '*' });
    return;
  }
  for (const region of unit.regions)
    if (!result.unreadable.has(region)) outcome.coverage.push({ account_id, region });
}

/** Deletes what an earlier attempt of the same run id published and this attempt did not write again. */
async function removeEarlierAttempts(
  store: ObjectStore,
  earlier: readonly { key: string; files: readonly string[] }[],
  currentManifest: string,
  currentFiles: ReadonlySet<string>,
): Promise<string[]> {
  const stale = earlier.flatMap((attempt) => [
    ...attempt.files.filter((file) => !currentFiles.has(file)),
    ...(attempt.key === currentManifest ? [] : [attempt.key]),
  ]);
  await store.delete(stale);
  return stale;
}

const keyOf = (root: string, path: string): string => relative(root, path).split(sep).join('/');

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
