/** Draft + checker metadata + run facts → a full wire record with its identity, then validation. */
import type { CheckerMeta } from './checker_meta.ts';
import type { FindingDraft } from './draft.ts';
import {
  computeFindingId,
  computeFingerprint,
  findingIdSalt,
  IdentityError,
  type FindingIdMode,
} from './identity.ts';
import type { ValidationIssue } from './issues.ts';
import { validateRecord, type FindingRecord } from './record.ts';
import { SEVERITY_SCORES } from './vocabulary.ts';

export const SCHEMA_VERSION = 1;

export interface RunFacts {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly runId: string;
  readonly runTs: Date;
  readonly ingestedTs: Date;
  readonly engineName: string;
  readonly engineVersion: string;
  readonly rulepackVersion: string;
  readonly findingIdMode: FindingIdMode;
}

export type Assembled =
  | { readonly ok: true; readonly record: FindingRecord }
  | { readonly ok: false; readonly record: FindingRecord; readonly issues: readonly ValidationIssue[] };

/** What every finding of a run repeats: its instants as text and its finding-id salt, worked out once a run. */
interface RunText {
  readonly runTs: string;
  readonly ingestedTs: string;
  readonly salt: string;
}
const runTexts = new WeakMap<RunFacts, RunText>();

function runText(run: RunFacts): RunText {
  let text = runTexts.get(run);
  if (!text) {
    text = {
      runTs: run.runTs.toISOString(),
      ingestedTs: run.ingestedTs.toISOString(),
      salt: findingIdSalt(run.findingIdMode, run.runId, run.runTs),
    };
    runTexts.set(run, text);
  }
  return text;
}

export function assembleFinding(draft: FindingDraft, meta: CheckerMeta, run: RunFacts): Assembled {
  const scope = {
    cloud: meta.cloud,
    service: meta.service,
    resource_type: meta.resource_type,
    ...draft.scope,
  };
  const { runTs, ingestedTs, salt } = runText(run);
  const identity = identify(draft, meta, run, scope, salt);
  const failing = draft.status === 'fail' || draft.status === 'unknown';
  const level = draft.severity?.level ?? meta.severity;
  const record: FindingRecord = {
    tenant_id: run.tenantId,
    workspace_id: run.workspaceId,
    finding_id: identity.findingId,
    fingerprint: identity.fingerprint,
    run_id: run.runId,
    run_ts: runTs,
    ingested_ts: ingestedTs,
    engine_name: run.engineName,
    engine_version: run.engineVersion,
    rulepack_version: run.rulepackVersion,
    scope,
    check_id: meta.id,
    check_name: meta.title,
    category: meta.category,
    sub_category: draft.sub_category ?? '',
    frameworks: draft.frameworks ? [...draft.frameworks] : [],
    status: draft.status,
    severity: {
      level,
      score: draft.severity?.score ?? SEVERITY_SCORES[level as keyof typeof SEVERITY_SCORES],
    },
    priority: draft.priority ?? '',
    title: draft.title ?? meta.title,
    message: draft.message ?? '',
    advice: draft.advice ?? '',
    recommendation: draft.recommendation ?? '',
    remediation: draft.remediation ?? meta.remediation,
    links: draft.links
      ? draft.links.map((l) => ({ ...l }))
      : [{ label: 'Documentation', url: meta.docs_url }],
    estimated: draft.estimated ?? null,
    actual: draft.actual ?? null,
    // Lifecycle across runs is derived from history; a single run knows only that it saw the finding.
    lifecycle: {
      status: failing ? 'open' : '',
      first_seen_ts: runTs,
      last_seen_ts: runTs,
      resolved_ts: '',
      snooze_until_ts: '',
    },
    tags: { ...draft.tags },
    labels: { ...draft.labels },
    dimensions: { ...draft.dimensions },
    metrics: { ...draft.metrics },
    metadata_json: draft.metadata ? JSON.stringify(draft.metadata) : '',
    source: {
      source_type: 'checker',
      source_ref: draft.source_ref ?? meta.id,
      schema_version: SCHEMA_VERSION,
    },
  };
  if (identity.problem) {
    // The record has no ids to check: report why, with whatever else is wrong with it.
    const others = validateRecord(record).filter((i) => i.path !== 'fingerprint' && i.path !== 'finding_id');
    return { ok: false, record, issues: [identity.problem, ...others] };
  }
  const issues = validateRecord(record);
  return issues.length === 0 ? { ok: true, record } : { ok: false, record, issues };
}

interface Identity {
  readonly fingerprint: string;
  readonly findingId: string;
  readonly problem?: ValidationIssue;
}

function identify(
  draft: FindingDraft,
  meta: CheckerMeta,
  run: RunFacts,
  scope: FindingDraft['scope'],
  salt: string,
): Identity {
  try {
    const fingerprint = computeFingerprint({
      tenantId: run.tenantId,
      checkId: meta.id,
      scope,
      issueKey: draft.issue_key,
    });
    return { fingerprint, findingId: computeFindingId({ tenantId: run.tenantId, fingerprint, salt }) };
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    return {
      fingerprint: '',
      findingId: '',
      problem: { path: error.path, code: 'identity', message: error.problem },
    };
  }
}
