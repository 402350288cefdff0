/**
 * Progress of a run. On a terminal: one live line (units done / total, and the account, region and checker last
 * finished). Without one (cron, Lambda, CI): a JSON log line at the first unit done and then every few seconds
 * (units done and total, findings so far, where the last unit was), so a scheduler's log shows the run moving;
 * each checker's completion is logged by the run when it completes.
 */
import { SingleBar } from 'cli-progress';
import type { Logger } from './log.ts';
import type { Progress } from './run.ts';

export interface ProgressDisplay {
  readonly update: (progress: Progress) => void;
  stop(): void;
}

export type ProgressMode = 'bar' | 'log' | 'off';

/** The progress a run shows: --progress / --no-progress, else a bar on a terminal and log lines without one. */
export function progressMode(flag: boolean | undefined, terminal: boolean, silent: boolean): ProgressMode {
  if (flag === false || (flag === undefined && silent)) return 'off';
  return terminal ? 'bar' : 'log';
}

export function createProgress(
  mode: ProgressMode,
  log: Logger,
  options: { readonly intervalMs?: number; readonly now?: () => number } = {},
): ProgressDisplay {
  if (mode === 'off') return { update: () => undefined, stop: () => undefined };
  if (mode === 'log') return progressLog(log, options.intervalMs ?? 5_000, options.now ?? Date.now);
  const bar = new SingleBar({
    format: '{bar} {value}/{total} checks | {account} {region} {checker}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
  });
  let started = false;
  return {
    update(progress) {
      const payload = { account: progress.accountId, region: progress.region, checker: progress.checkerId };
      if (!started) {
        bar.start(progress.total, 0, payload);
        started = true;
      }
      bar.update(progress.done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function progressLog(log: Logger, intervalMs: number, now: () => number): ProgressDisplay {
  let last: number | undefined;
  return {
    update(progress) {
      const at = now();
      if (last !== undefined && at - last < intervalMs && progress.done < progress.total) return;
      last = at;
      log.info(
        {
          units_done: progress.done,
          units_total: progress.total,
          findings: progress.findings,
          account: progress.accountId,
          region: progress.region,
          checker: progress.checkerId,
        },
        'progress',
      );
    },
    stop: () => undefined,
  };
}
