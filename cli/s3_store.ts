/**
 * S3 as a dataset store. Files go up with lib-storage's Upload (multipart above 8 MiB, streamed from disk):
 * S3 makes an object visible only when its upload completes, and an upload that fails is aborted, so a
 * reader never lists half a part.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { LeaseStore } from '../pipeline/run_lock.ts';
import type { AwsAccess } from './aws.ts';
import type { ObjectStore, PutOptions } from '../pipeline/store.ts';
import { makeDirectory } from '../pipeline/dirs.ts';

/** Files above this go up as multipart uploads, in parts of this size (S3's minimum part is 5 MiB). */
export const PART_SIZE = 8 * 1024 * 1024;
const DELETE_BATCH = 1000;

export class S3Store implements ObjectStore, LeaseStore {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly partSize = PART_SIZE,
  ) {
    this.location = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  }

  /** The store at an S3 location, through the S3 client `access` gives in `region`. */
  static at(
    access: Pick<AwsAccess, 'services'>,
    region: string,
    location: { readonly bucket: string; readonly prefix: string },
  ): S3Store {
    return new S3Store(access.services.s3(region), location.bucket, location.prefix);
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async putFile(key: string, localPath: string, options: PutOptions = {}): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.key(key),
        Body: createReadStream(localPath),
        ...headers(options),
      },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async putText(key: string, text: string, options: PutOptions = {}): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: text, ...headers(options) }),
    );
  }

  async createIfAbsent(key: string, text: string): Promise<string | undefined> {
    return this.conditionalPut(key, text, { IfNoneMatch: '*' });
  }

  async replaceIf(key: string, text: string, tag: string): Promise<string | undefined> {
    return this.conditionalPut(key, text, { IfMatch: tag });
  }

  /** A put that S3 refuses (412, or 409 for a concurrent conditional write) when its condition fails. */
  private async conditionalPut(
    key: string,
    text: string,
    condition: { IfNoneMatch: string } | { IfMatch: string },
  ): Promise<string | undefined> {
    try {
      const put = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          Body: text,
          ContentType: 'application/json',
          ...condition,
        }),
      );
      return put.ETag ?? '';
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409 || (error as { name?: string }).name === 'PreconditionFailed')
        return undefined;
      // If-Match on a key that is gone: the condition failed too.
      if (status === 404 && 'IfMatch' in condition) return undefined;
      throw error;
    }
  }

  async readWithTag(key: string): Promise<{ text: string; tag: string } | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
      return { text: (await object.Body?.transformToString('utf8')) ?? '', tag: object.ETag ?? '' };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
      return await object.Body?.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async download(key: string, localPath: string): Promise<void> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
    if (!object.Body) throw new Error(`s3://${this.bucket}/${this.key(key)} has no body`);
    await makeDirectory(dirname(localPath));
    await pipeline(object.Body as Readable, createWriteStream(localPath));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: this.key(prefix) },
    )) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(strip));
    }
    return keys.sort();
  }

  /** Every key under a prefix with a stamp that changes when the object is rewritten (size and ETag). */
  async listStamped(prefix: string): Promise<{ key: string; stamp: string }[]> {
    const found: { key: string; stamp: string }[] = [];
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: this.key(prefix) },
    )) {
      for (const object of page.Contents ?? []) {
        if (object.Key)
          found.push({ key: object.Key.slice(strip), stamp: `${object.Size ?? 0}:${object.ETag ?? ''}` });
      }
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async listDirs(prefix: string): Promise<string[]> {
    const dirs: string[] = [];
    const base = this.key(prefix);
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: base, Delimiter: '/' },
    )) {
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix) dirs.push(common.Prefix.slice(base.length).replace(/\/$/, ''));
      }
    }
    return dirs.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.key(key) })), Quiet: true },
        }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(`could not delete ${failed.map((e) => `${e.Key} (${e.Code})`).join(', ')}`);
      }
    }
  }
}

function headers(options: PutOptions): { ContentType?: string; CacheControl?: string } {
  return {
    ...(options.contentType ? { ContentType: options.contentType } : {}),
    ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
  };
}
