/**
 * Where a dataset lives: a local folder or an object store (S3). The pipeline writes Parquet parts to local
 * disk (atomically) and hands finished files and JSON documents to a store; the S3 store is built by the
 * runner (it owns SDK clients), so this module stays free of the AWS SDK.
 */
import { link, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { makeDirectory } from './dirs.ts';

export interface PutOptions {
  readonly contentType?: string;
  readonly cacheControl?: string;
}

export interface ObjectStore {
  /** For messages: the folder, or s3://bucket/prefix. */
  readonly location: string;
  /** Publishes a complete local file under a key; readers never see it half written. */
  putFile(key: string, localPath: string, options?: PutOptions): Promise<void>;
  putText(key: string, text: string, options?: PutOptions): Promise<void>;
  /** The text of a key, or undefined when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** Copies a key into a local file. */
  download(key: string, localPath: string): Promise<void>;
  /** Every key under a prefix ("" for all), relative to the store's root. */
  list(prefix: string): Promise<string[]>;
  /** The immediate "folders" under a prefix, without the trailing "/". */
  listDirs(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  /** Keys under a prefix with a stamp that changes when an object is rewritten (an object store's own). */
  listStamped?(prefix: string): Promise<{ key: string; stamp: string }[]>;
}

export type Location = { kind: 'local'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** "s3://bucket/some/prefix" or a local path. */
export function parseLocation(value: string): Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  if (!match) return { kind: 'local', path: value };
  const [, bucket = '', prefix = ''] = match;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new Error(`${value}: "${bucket}" is not an S3 bucket name`);
  return { kind: 's3', bucket, prefix: prefix.replace(/\/+$/, '') };
}

export const isS3 = (value: string): boolean => parseLocation(value).kind === 's3';

/** A local folder as a store (keys are relative paths with "/"). */
export class LocalStore implements ObjectStore {
  constructor(readonly location: string) {}

  private path(key: string): string {
    return join(this.location, ...key.split('/'));
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.path(key);
    if (localPath === target) return;
    await makeDirectory(dirname(target));
    // A hard link publishes the complete file at once and never replaces an existing key.
    await link(localPath, target);
  }

  async putText(key: string, text: string): Promise<void> {
    await writeFileAtomic(this.path(key), text);
  }

  async getText(key: string): Promise<string | undefined> {
    return readFile(this.path(key), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
  }

  async download(key: string, localPath: string): Promise<void> {
    await writeFileAtomic(localPath, await readFile(this.path(key)));
  }

  async list(prefix: string): Promise<string[]> {
    const root = this.path(prefix);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => relative(this.location, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort();
  }

  async listDirs(prefix: string): Promise<string[]> {
    const entries = await readdir(this.path(prefix), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.path(key), { force: true });
  }
}
