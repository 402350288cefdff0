/**
 * One run per run id at a time on a local dataset: a second process with the same `--run-id` would publish parts
 * that the first one's manifest never lists, so a retry could never remove them. The lock is a file created
 * exclusively under the tenant's run manifests; a lock whose process is gone (on this host) or that is older
 * than a day is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_GIVEN_UP_MS } from './layout.ts';
import { manifestDir } from './manifest.ts';

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

interface LockBody {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Whether a lock still belongs to a run in progress. */
function held(body: LockBody | undefined, now: Date): body is LockBody {
  if (!body) return false;
  if (now.getTime() - Date.parse(body.started) > RUN_GIVEN_UP_MS) return false;
  return body.host !== hostname() || alive(body.pid);
}

/** Takes the run id's lock or throws a RunLockedError naming who holds it; the result releases it. */
export async function acquireRunLock(
  root: string,
  tenant: string,
  runId: string,
  now: Date,
): Promise<{ release(): Promise<void> }> {
  const dir = manifestDir(root, tenant);
  const path = join(dir, `.lock-${runId}.json`);
  const body: LockBody = { pid: process.pid, host: hostname(), started: now.toISOString() };
  await mkdir(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(path, JSON.stringify(body), { flag: 'wx' });
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = await readFile(path, 'utf8')
      .then((text) => JSON.parse(text) as LockBody)
      .catch(() => undefined);
    if (held(current, now)) {
      throw new RunLockedError(
        `run ${runId} is already running (process ${current.pid} on ${current.host}, since ${current.started}): wait for it to finish, or use another --run-id`,
      );
    }
    // Left by a run that was killed: take it over.
    await rm(path, { force: true });
  }
  throw new RunLockedError(`run ${runId}: another process took its lock at the same moment; try again`);
}
