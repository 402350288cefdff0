/** Opens the dataset destination of a run: a local folder, or S3 with a local staging folder for the parts. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseStore } from '../pipeline/run_lock.ts';
import { LocalStore, parseLocation, type ObjectStore } from '../pipeline/store.ts';
import type { AwsAccess } from './aws.ts';
import { CliError, EXIT } from './errors.ts';
import { S3Store } from './s3_store.ts';

export interface Destination {
  readonly store: ObjectStore;
  /** Where parts are written before they are published (the dataset itself when it is local). */
  readonly staging: string;
  /** The store's conditional writes, for the run's lease (an object store; a local dataset has a lock file). */
  readonly leases?: LeaseStore;
  close(): Promise<void>;
}

export async function openDestination(
  out: string,
  access: AwsAccess,
  homeRegion: string,
): Promise<Destination> {
  let location;
  try {
    location = parseLocation(out);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage, { cause: error });
  }
  if (location.kind === 'local')
    return { store: new LocalStore(out), staging: out, close: async () => undefined };
  const staging = await mkdtemp(join(tmpdir(), 'finops-staging-'));
  const store = S3Store.at(access, homeRegion, location);
  return {
    store,
    leases: store,
    staging,
    close: () => rm(staging, { recursive: true, force: true }),
  };
}
