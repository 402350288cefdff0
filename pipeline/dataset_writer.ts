/**
 * Append-only writer for one tenant and run date: rows are batched into row groups, row groups
 * stream into parts, and a part is closed (renamed into place) once it holds `rowsPerFile` rows.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { findingSchema, UNIQUE_VALUE_COLUMNS } from '../contracts/schema.ts';
import type { StorageRow } from '../contracts/storage_cast.ts';
import { BatchBuilder } from './arrow_batch.ts';
import { partFileName, partitionDir, tempPartFileName } from './layout.ts';
import { ParquetPart } from './parquet_part.ts';

export interface DatasetWriterOptions {
  readonly root: string;
  readonly tenantId: string;
  readonly runDate: string;
  readonly rowGroupRows?: number;
  readonly rowsPerFile?: number;
  readonly createdBy?: string;
  readonly schema?: Schema;
  readonly newId?: () => string;
  /**
   * Called with each part, under its final name, before it becomes visible there: a run records it in its
   * manifest first, so a retry of a run killed at any moment finds every part the run published.
   */
  readonly beforePublish?: (part: WrittenPart) => Promise<void>;
  /** Called with each part once it is complete and published (e.g. to upload it, or to record it). */
  readonly onPart?: (part: WrittenPart) => Promise<void>;
}

export interface WrittenPart {
  readonly path: string;
  readonly rows: number;
}

export const DEFAULT_ROW_GROUP_ROWS = 10_000;
export const DEFAULT_ROWS_PER_FILE = 500_000;

export class DatasetWriter {
  readonly parts: WrittenPart[] = [];
  private readonly dir: string;
  private readonly rowGroupRows: number;
  private readonly rowsPerFile: number;
  private readonly createdBy: string;
  private readonly withoutDictionary: readonly string[];
  private readonly newId: () => string;
  private readonly batch: BatchBuilder;
  private part: ParquetPart | undefined;
  private partPath = '';
  private readonly beforePublish: ((part: WrittenPart) => Promise<void>) | undefined;
  private readonly onPart: ((part: WrittenPart) => Promise<void>) | undefined;
  /** Writes run one after another, so concurrent appends (checkers run in parallel) never race a part. */
  private writing: Promise<void> = Promise.resolve();

  constructor(options: DatasetWriterOptions) {
    this.dir = partitionDir(options.root, options.tenantId, options.runDate);
    this.rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    this.rowsPerFile = Math.max(options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE, this.rowGroupRows);
    this.createdBy = options.createdBy ?? 'finops-findings';
    this.newId = options.newId ?? randomUUID;
    const schema = options.schema ?? findingSchema;
    this.batch = new BatchBuilder(schema);
    this.withoutDictionary = schema === findingSchema ? UNIQUE_VALUE_COLUMNS : [];
    this.onPart = options.onPart;
    this.beforePublish = options.beforePublish;
  }

  get rowsWritten(): number {
    return this.parts.reduce((sum, p) => sum + p.rows, 0) + (this.part?.rows ?? 0) + this.batch.length;
  }

  async append(row: StorageRow): Promise<void> {
    this.batch.append(row);
    if (this.batch.length >= this.rowGroupRows) await this.serially(() => this.writeBatch());
  }

  /** Writes what is buffered and closes the open part; returns every part this writer completed. */
  async close(): Promise<readonly WrittenPart[]> {
    await this.serially(async () => {
      await this.writeBatch();
      await this.closePart();
    });
    return this.parts;
  }

  /** Drops the buffered rows and the open part; completed parts stay. */
  async abort(): Promise<void> {
    await this.serially(async () => {
      this.batch.flush();
      await this.part?.abort();
      this.part = undefined;
    });
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const next = this.writing.then(work);
    // A failed write fails its caller; the chain itself goes on for the next one.
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch.flush();
    if (this.part) await this.part.write(batch);
    else this.part = await this.openPart(batch);
    if (this.part.rows >= this.rowsPerFile) await this.closePart();
  }

  private async openPart(first: RecordBatch): Promise<ParquetPart> {
    const id = this.newId();
    this.partPath = join(this.dir, partFileName(id));
    return ParquetPart.open(this.partPath, join(this.dir, tempPartFileName(id)), first, {
      rowGroupRows: this.rowGroupRows,
      createdBy: this.createdBy,
      withoutDictionary: this.withoutDictionary,
    });
  }

  private async closePart(): Promise<void> {
    const part = this.part;
    if (!part) return;
    this.part = undefined;
    await this.beforePublish?.({ path: this.partPath, rows: part.rows });
    const written = { path: await part.close(), rows: part.rows };
    this.parts.push(written);
    await this.onPart?.(written);
  }
}
