/**
 * The tenant's state and KPI gold tables where the dataset lives: beside it (`finops_state`, `finops_kpi_gold`),
 * or where `--state-data` / `--gold-data` say, local or s3://. For an S3 dataset, work happens on a local
 * copy that holds the run manifests, the stored state, the gold days that are read (an export's trend window
 * and the newest day), and only the parts that are read: the runs folded into the state, or everything when it
 * is rebuilt. What changed goes back afterwards (the state's Parquet first, its `state.json` last: the commit
 * point); what the copy never held stays as it is.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import pLimit from 'p-limit';
import { ACTIONS_DIR } from '../pipeline/actions.ts';
import { makeDirectory } from '../pipeline/dirs.ts';
import { isDirectory } from '../pipeline/history.ts';
import { normaliseTenant } from '../pipeline/layout.ts';
import { knownManifest, readStateMeta, type RefreshOptions } from '../pipeline/state.ts';
import { parseLocation, type Location, type ObjectStore } from '../pipeline/store.ts';
import { CliError, EXIT } from './errors.ts';

const TRANSFERS = 8;

/** Where a dataset's sibling folder `name` is: beside a local folder, beside an S3 prefix; none at a bucket root. */
export function besideDataset(data: string, name: string): string | undefined {
  const location = parseLocation(data);
  if (location.kind === 'local') return join(location.path, '..', name);
  if (!location.prefix) return undefined;
  const parent = location.prefix.split('/').slice(0, -1).join('/');
  return `s3://${location.bucket}/${parent ? `${parent}/` : ''}${name}`;
}

/** A --data/--state-data… value as a location; a malformed one is a usage error naming the flag. */
export function locate(value: string, flag: string): Location {
  try {
    return parseLocation(value);
  } catch (error) {
    throw new CliError(`${flag}: ${(error as Error).message}`, EXIT.usage, { cause: error });
  }
}

/** Copies every key under `prefix` of a store into `local` (same relative paths); returns the keys. */
export async function downloadPrefix(
  store: ObjectStore,
  prefix: string,
  local: string,
  keep: (key: string) => boolean = () => true,
): Promise<string[]> {
  const keys = (await store.list(prefix)).filter(keep);
  await onDemand(store, local)(keys);
  return keys;
}

/**
 * Downloads the run manifests the stored state does not know unchanged (and the newest day's); returns them
 * all with their stamps, or undefined when the store cannot stamp keys (then every manifest is downloaded).
 */
async function remoteManifests(
  store: ObjectStore,
  prefix: string,
  local: string,
  stateRoot: string,
  tenant: string,
): Promise<RefreshOptions['remoteManifests'] | undefined> {
  if (!store.listStamped) {
    await downloadPrefix(store, prefix, local);
    return undefined;
  }
  const files = (await store.listStamped(prefix)).filter((f) => !f.key.split('/').pop()!.startsWith('.'));
  const runs = (await readStateMeta(stateRoot, tenant))?.runs ?? [];
  const newestDay = files.at(-1)?.key.split('/')[2];
  const fetch = onDemand(store, local);
  await fetch(files.filter((f) => !knownManifest(runs, f, newestDay)).map((f) => f.key));
  return { files, fetchAll: () => fetch(files.map((f) => f.key)) };
}

/** Downloads keys of a store into `local` (same relative paths), each at most once, some at a time. */
function onDemand(store: ObjectStore, local: string): (keys: readonly string[]) => Promise<void> {
  const fetched = new Set<string>();
  const limit = pLimit(TRANSFERS);
  return async (keys) => {
    await Promise.all(
      keys
        .filter((key) => !fetched.has(key))
        .map((key) =>
          limit(async () => {
            await store.download(key, join(local, ...key.split('/')));
            fetched.add(key);
          }),
        ),
    );
  };
}

/** Files under a local folder, as keys relative to `root`. */
async function localKeys(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/**
 * Makes the store under `prefix` hold what the local folder holds under it: uploads what is new, then removes
 * what is gone from the folders the copy holds. `last` names keys to upload after all others (a commit point).
 */
async function mirrorUp(
  store: ObjectStore,
  local: string,
  prefix: string,
  before: readonly string[],
  last: readonly string[] = [],
): Promise<void> {
  const now = await localKeys(local, join(local, ...prefix.split('/')));
  const had = new Set(before);
  const limit = pLimit(TRANSFERS);
  const upload = (key: string) =>
    store.putFile(key, join(local, ...key.split('/')), {
      contentType: key.endsWith('.json') ? 'application/json' : 'application/vnd.apache.parquet',
    });
  // Parquet parts are never rewritten under the same name; JSON documents are, so they always go up.
  await Promise.all(
    now
      .filter((key) => !last.includes(key) && (!had.has(key) || key.endsWith('.json')))
      .map((key) => limit(() => upload(key))),
  );
  for (const key of now.filter((k) => last.includes(k))) await upload(key);
  const kept = new Set(now);
  // Gone from a folder the copy holds: a key of a folder that was never fetched (a gold day outside the window)
  // is not gone, only not here.
  const gone = before.filter((key) => !kept.has(key));
  const held = await Promise.all(gone.map((key) => isDirectory(join(local, ...key.split('/').slice(0, -1)))));
  await store.delete(gone.filter((_, i) => held[i]));
}

/** The gold keys to fetch: every day from `from` on, and the newest day (all of them without `from`). */
export function goldDays(from: string | undefined): (keys: readonly string[]) => readonly string[] {
  if (from === undefined) return (keys) => keys;
  return (keys) => {
    const day = (key: string) => /\/period=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1] ?? '';
    const newest = keys.map(day).reduce((a, b) => (b > a ? b : a), '');
    return keys.filter((key) => day(key) >= from || day(key) === newest);
  };
}

export interface TenantCopy {
  readonly dataRoot: string;
  readonly stateRoot: string;
  readonly goldRoot: string;
  /** The cost facts (read only) and where the cost attribution is kept. */
  readonly costRoot: string;
  readonly attributionRoot: string;
  /** The remediation audit (read only). */
  readonly actionsRoot: string;
  /** Present when the dataset is remote: its parts, fetched on demand. */
  readonly remoteParts?: RefreshOptions['remoteParts'];
  /** Present when the dataset is remote: its manifests, those the state knows unchanged left where they are. */
  readonly remoteManifests?: RefreshOptions['remoteManifests'];
  /** Whether the state and gold can be kept (false at a bucket root without --state-data/--gold-data). */
  readonly save: boolean;
  /** Sends a changed state and gold tables back to where they live; a no-op for local ones. */
  publish(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A working copy of one tenant: local folders used as they are, S3 ones fetched into a temporary folder.
 * `storeFor` builds the store of an S3 location.
 */
export async function tenantCopy(options: {
  readonly data: string;
  readonly tenant: string;
  readonly stateData?: string | undefined;
  readonly goldData?: string | undefined;
  /** Also the cost facts (from --cost-data, default finops_cost_facts beside the dataset) and the attribution. */
  readonly costs?: boolean;
  readonly costData?: string | undefined;
  /** Also the remediation audit (finops_actions beside the dataset), for actions.json. */
  readonly actions?: boolean;
  readonly storeFor: (location: Extract<Location, { kind: 's3' }>) => ObjectStore;
  /** Also fetch these keys (relative to the dataset root) of a remote dataset, if present (suppression files). */
  readonly extraKeys?: readonly string[];
  /**
   * Of remote gold tables, fetch only the days from this one on (YYYY-MM-DD), and the newest day whatever its
   * date (it tells kept gold tables from none): what an export's trends and a run's maintenance read, so that
   * what they fetch does not grow with the days kept. Default: every day.
   */
  readonly goldFrom?: string;
}): Promise<TenantCopy> {
  const tenant = normaliseTenant(options.tenant);
  const data = locate(options.data, '--data');
  const stateValue = options.stateData ?? besideDataset(options.data, 'finops_state');
  const goldValue = options.goldData ?? besideDataset(options.data, 'finops_kpi_gold');
  const temp = await mkdtemp(join(tmpdir(), 'finops-tenant-'));
  const cleanup = () => rm(temp, { recursive: true, force: true });
  try {
    const tenantPrefix = `tenant_id=${tenant}/`;
    const publishers: (() => Promise<void>)[] = [];

    const folder = async (
      value: string | undefined,
      flag: string,
      name: string,
      sendBack = true,
      /** Of the listed keys, those to fetch (default: all). */
      pick: (keys: readonly string[]) => readonly string[] = (keys) => keys,
    ): Promise<string> => {
      if (value === undefined) return join(temp, name);
      const location = locate(value, flag);
      if (location.kind === 'local') return location.path;
      const store = options.storeFor(location);
      const local = join(temp, name);
      const before = await store.list(tenantPrefix);
      await onDemand(store, local)(pick(before));
      if (sendBack)
        publishers.push(() =>
          mirrorUp(store, local, tenantPrefix, before, name === 'state' ? [`${tenantPrefix}state.json`] : []),
        );
      return local;
    };
    const stateRoot = await folder(stateValue, '--state-data', 'state');
    const goldRoot = await folder(goldValue, '--gold-data', 'gold', true, goldDays(options.goldFrom));
    const costRoot = await folder(
      options.costs ? (options.costData ?? besideDataset(options.data, 'finops_cost_facts')) : undefined,
      '--cost-data',
      'cost',
      false,
    );
    const attributionRoot = await folder(
      options.costs ? besideDataset(options.data, 'finops_cost_attribution') : undefined,
      '--data',
      'attribution',
    );
    const actionsRoot = await folder(
      options.actions ? besideDataset(options.data, ACTIONS_DIR) : undefined,
      '--data',
      'actions',
      false,
    );
    const save = stateValue !== undefined && goldValue !== undefined;
    const publish = async () => {
      for (const send of publishers) await send();
    };

    const roots = {
      stateRoot,
      goldRoot,
      costRoot,
      attributionRoot,
      actionsRoot,
      save,
      publish,
      close: cleanup,
    };
    if (data.kind === 'local') return { dataRoot: data.path, ...roots };
    const store = options.storeFor(data);
    const dataRoot = join(temp, 'data');
    const manifests = await remoteManifests(store, `_runs/${tenantPrefix}`, dataRoot, stateRoot, tenant);
    for (const key of options.extraKeys ?? []) {
      const text = await store.getText(key);
      if (text !== undefined) {
        const { writeFileAtomic } = await import('../pipeline/atomic.ts');
        await writeFileAtomic(join(dataRoot, ...key.split('/')), text);
      }
    }
    const keys = (await store.list(tenantPrefix)).filter((key) => key.endsWith('.parquet'));
    // The tenant's folder exists locally as it does remotely, even before any part is fetched.
    if (keys.length > 0) await makeDirectory(join(dataRoot, ...tenantPrefix.split('/')));
    const fetch = onDemand(store, dataRoot);
    return {
      dataRoot,
      ...roots,
      ...(manifests ? { remoteManifests: manifests } : {}),
      remoteParts: {
        paths: keys.map((key) => key.split('/').join(sep)),
        fetch: (paths) => fetch(paths.map((path) => path.split(sep).join('/'))),
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
