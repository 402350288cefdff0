/**
 * runs.json and coverage.json: what the recent runs of a tenant did, read from its run manifests. A run
 * written before manifests existed simply does not appear; a dataset without any manifest gets neither file.
 */
import { readTenantManifests, type RunManifest } from './manifest.ts';

export const RECENT_RUNS_LIMIT = 100;

export interface RunsExport {
  readonly runs: unknown;
  readonly coverage: unknown;
}

/** Newest run first; of two attempts of one run time, the later one first. */
export const newestFirst = (
  a: Pick<RunManifest, 'run_ts' | 'started_ts'>,
  b: Pick<RunManifest, 'run_ts' | 'started_ts'>,
): number => b.run_ts.localeCompare(a.run_ts) || b.started_ts.localeCompare(a.started_ts);

/** Reads every valid manifest of the tenant (damaged ones are skipped); newest run first. */
export async function readManifests(dataRoot: string, tenant: string): Promise<RunManifest[]> {
  const { manifests } = await readTenantManifests(dataRoot, tenant);
  return manifests.map((m) => m.manifest).sort(newestFirst);
}

/** What runs.json says of one run (kept in the tenant state, so an export need not read old manifests). */
export function runSummary(run: RunManifest) {
  return {
    run_id: run.run_id,
    run_ts: run.run_ts,
    run_date: run.run_date,
    workspace_id: run.workspace_id,
    status: run.status,
    engine_version: run.engine_version,
    started_ts: run.started_ts,
    finished_ts: run.finished_ts,
    duration_ms: run.duration_ms,
    accounts: run.accounts,
    regions: run.regions,
    checkers: run.checkers.length,
    findings: statusTotals(run),
    invalid: run.checkers.reduce((sum, checker) => sum + checker.invalid, 0),
    errors: run.checkers.filter((checker) => checker.error !== null).length,
    account_errors: run.account_errors ?? [],
    files: run.files.length,
    rows: run.files.reduce((sum, file) => sum + file.rows, 0),
  };
}
export type RunSummary = ReturnType<typeof runSummary>;

/** Builds both documents from a tenant's manifests, or undefined when it has none. */
export function runsExport(tenant: string, all: readonly RunManifest[]): RunsExport | undefined {
  return runsExportFrom(tenant, all.map(runSummary), all);
}

/**
 * Both documents from the summaries of every run and the manifests at hand, which must include the newest
 * run's (coverage.json describes it); undefined when there is no run.
 */
export function runsExportFrom(
  tenant: string,
  summaries: readonly RunSummary[],
  manifests: readonly RunManifest[],
): RunsExport | undefined {
  const latest = [...manifests].sort(newestFirst)[0];
  if (!latest || summaries.length === 0) return undefined;
  const runs = [...summaries].sort(newestFirst).slice(0, RECENT_RUNS_LIMIT);
  const coverage = {
    tenant_id: tenant,
    run_id: latest.run_id,
    run_ts: latest.run_ts,
    status: latest.status,
    accounts: latest.accounts,
    regions: latest.regions,
    checkers: latest.checkers.map((checker) => ({
      check_id: checker.check_id,
      counts: checker.counts,
      invalid: checker.invalid,
      error: checker.error,
      duration_ms: checker.duration_ms,
      accounts: [...new Set(checker.coverage.map((cell) => cell.account_id))].sort(),
      regions: [...new Set(checker.coverage.map((cell) => cell.region))].sort(),
    })),
    errors: latest.checkers
      .filter((checker) => checker.error !== null)
      .map((checker) => ({ check_id: checker.check_id, error: checker.error })),
    account_errors: latest.account_errors ?? [],
  };
  return { runs: { tenant_id: tenant, runs }, coverage };
}

/** Findings of a run by status, over all its checkers. */
export function statusTotals(run: RunManifest): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const checker of run.checkers) {
    for (const [status, count] of Object.entries(checker.counts))
      totals[status] = (totals[status] ?? 0) + count;
  }
  return totals;
}
