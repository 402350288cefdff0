/**
 * One run per run id at a time: a second process with the same `--run-id` would publish parts that the first
 * one's manifest never lists, so a retry could never remove them. On a local dataset the lock is a file created
 * exclusively under the tenant's run manifests; a lock whose process is gone (on this host) or that is older
 * than a day is taken over. On S3 it is a lease object (`acquireRunLease`).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { normaliseTenant, RUN_GIVEN_UP_MS } from './layout.ts';
import { manifestDir } from './manifest.ts';
import { makeDirectory } from './dirs.ts';

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
  await makeDirectory(dir);
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

/** What a lease needs from an object store: conditional writes (S3: If-None-Match / If-Match on PutObject). */
export interface LeaseStore {
  readonly location: string;
  /** Creates the key unless it exists: the new object's tag, or undefined when the key already existed. */
  createIfAbsent(key: string, text: string): Promise<string | undefined>;
  /** Replaces the key only while its tag is still `tag`: the new tag, or undefined when it changed. */
  replaceIf(key: string, text: string, tag: string): Promise<string | undefined>;
  /** The key's text and tag, or undefined when there is none. */
  readWithTag(key: string): Promise<{ text: string; tag: string } | undefined>;
  delete(keys: readonly string[]): Promise<void>;
}

interface LeaseBody extends LockBody {
  /** Who holds it: one id per acquisition, so a holder never mistakes another's lease for its own. */
  readonly holder: string;
  readonly expires: string;
}

export interface RunLease {
  /** Throws a RunLockedError if the lease was lost (another process took the run over). */
  check(): void;
  release(): Promise<void>;
}

/** A lease lasts this long unless renewed; a killed run's lease is taken over after at most this. */
export const LEASE_MS = 120_000;
const RENEW_EVERY_MS = LEASE_MS / 4;

/**
 * One run per run id at a time on an object store, where no process can be asked whether it is alive: a lease
 * object created only if absent, renewed while the run goes on, taken over (conditionally, on its tag) once it
 * has expired. A run whose lease was taken over stops publishing (`check`).
 */
export async function acquireRunLease(
  store: LeaseStore,
  tenant: string,
  runId: string,
  clock: () => Date = () => new Date(),
  renewEveryMs = RENEW_EVERY_MS,
): Promise<RunLease> {
  const key = `_runs/tenant_id=${normaliseTenant(tenant)}/.lease-${runId}.json`;
  const holder = randomUUID();
  const started = clock().toISOString();
  const body = (): string =>
    JSON.stringify({
      pid: process.pid,
      host: hostname(),
      started,
      holder,
      expires: new Date(clock().getTime() + LEASE_MS).toISOString(),
    } satisfies LeaseBody);

  let tag = await store.createIfAbsent(key, body());
  if (tag === undefined) {
    const current = await store.readWithTag(key);
    const lease = current ? parseLease(current.text) : undefined;
    if (lease && Date.parse(lease.expires) > clock().getTime()) {
      throw new RunLockedError(
        `run ${runId} is already running (process ${lease.pid} on ${lease.host}, since ${lease.started}; its lease at ${store.location}/${key} ends ${lease.expires} unless renewed): wait for it to finish, or use another --run-id`,
      );
    }
    // Left by a run that was killed (or unreadable): take it over, unless someone else just did.
    tag = current ? await store.replaceIf(key, body(), current.tag) : await store.createIfAbsent(key, body());
    if (tag === undefined) {
      throw new RunLockedError(`run ${runId}: another process took its lease at the same moment; try again`);
    }
  }

  let lost: string | undefined;
  let held = tag;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async (): Promise<void> => {
    try {
      const next = await store.replaceIf(key, body(), held);
      if (next === undefined) lost = `run ${runId}: its lease was taken over by another process`;
      else held = next;
    } catch {
      // A failed renewal is retried at the next beat; the lease holds until it expires.
    }
  };
  const timer = setInterval(() => {
    if (lost === undefined) renewing = renewing.then(renew);
  }, renewEveryMs);
  timer.unref();
  return {
    check() {
      if (lost !== undefined) throw new RunLockedError(`${lost}; this process stops publishing`);
    },
    async release() {
      clearInterval(timer);
      await renewing;
      if (lost !== undefined) return;
      const current = await store.readWithTag(key);
      if (current && parseLease(current.text)?.holder === holder) await store.delete([key]);
    },
  };
}

function parseLease(text: string): LeaseBody | undefined {
  try {
    const body = JSON.parse(text) as Partial<LeaseBody>;
    return typeof body.expires === 'string' && typeof body.holder === 'string'
      ? (body as LeaseBody)
      : undefined;
  } catch {
    return undefined;
  }
}
