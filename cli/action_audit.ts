/**
 * The audit of one `remediate apply`, beside its dataset (local or S3): each attempt is written as a part of its
 * own the moment it completes, so a process killed halfway loses no record of what it did; when the apply ends,
 * its attempts are gathered into one part and the small ones removed (readers drop the duplicates of the moment
 * in between: see `recentActions`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ACTIONS_DIR, actionsRoot, writeActions, type ActionRecord } from '../pipeline/actions.ts';
import type { ObjectStore } from '../pipeline/store.ts';
import type { AwsAccess } from './aws.ts';
import { CliError, EXIT } from './errors.ts';
import { besideDataset, locate } from './remote_state.ts';
import { S3Store } from './s3_store.ts';

const PARQUET = { contentType: 'application/vnd.apache.parquet' };

export class ActionAudit {
  private readonly records: ActionRecord[] = [];
  /** The one-attempt parts written so far: local paths, or keys of the store. */
  private readonly parts: string[] = [];

  private constructor(
    private readonly tenant: string,
    /** Where parts are written: the audit root itself, or a temporary folder they are uploaded from. */
    private readonly root: string,
    private readonly remote?: { readonly store: ObjectStore; readonly location: string },
  ) {}

  /** The audit beside `data`; a place it cannot be (a bucket root) fails here, before any action. */
  static async open(
    data: string,
    tenant: string,
    access: () => AwsAccess,
    home: string,
  ): Promise<ActionAudit> {
    const location = locate(data, '--data');
    if (location.kind === 'local') return new ActionAudit(tenant, actionsRoot(location.path));
    const beside = besideDataset(data, ACTIONS_DIR);
    if (!beside)
      throw new CliError(
        `${data} is a bucket root: there is no place beside it for ${ACTIONS_DIR}`,
        EXIT.usage,
      );
    const target = locate(beside, '--data');
    if (target.kind !== 's3') throw new Error(`${beside} is not in S3`);
    const temp = await mkdtemp(join(tmpdir(), 'finops-actions-'));
    return new ActionAudit(tenant, temp, { store: S3Store.at(access(), home, target), location: beside });
  }

  /** Records one attempt, durably, before the next action starts. */
  async add(record: ActionRecord): Promise<void> {
    this.records.push(record);
    this.parts.push(await this.write([record]));
  }

  /** Gathers the apply's attempts into one part; returns where it is (undefined: nothing was attempted). */
  async close(): Promise<string | undefined> {
    try {
      if (this.records.length === 0) return undefined;
      if (this.records.length === 1) return this.where(this.parts[0]!);
      const gathered = await this.write(this.records);
      if (this.remote) await this.remote.store.delete(this.parts);
      else await Promise.all(this.parts.map((part) => rm(part, { force: true })));
      return this.where(gathered);
    } finally {
      if (this.remote) await rm(this.root, { recursive: true, force: true });
    }
  }

  /** Writes a part; an S3 audit's goes up at once. Returns its path, or its key. */
  private async write(records: readonly ActionRecord[]): Promise<string> {
    const file = (await writeActions(this.root, this.tenant, records))!;
    if (!this.remote) return file;
    const key = relative(this.root, file).split(sep).join('/');
    await this.remote.store.putFile(key, file, PARQUET);
    await rm(file, { force: true });
    return key;
  }

  private where(part: string): string {
    return this.remote ? `${this.remote.location}/${part}` : part;
  }
}
