/** On a terminal: one progress line (units done / total, and the account, region and checker last finished). */
import { SingleBar } from 'cli-progress';
import type { Progress } from './run.ts';

export interface ProgressDisplay {
  readonly update: (progress: Progress) => void;
  stop(): void;
}

export function createProgress(enabled: boolean): ProgressDisplay {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
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
