/**
 * One Parquet part written as a stream of row groups: each Arrow batch is handed to parquet-wasm
 * as it comes, and the bytes go to a temporary file that is renamed into place only when complete.
 */
import { createWriteStream } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';

export interface PartOptions {
  readonly rowGroupRows: number;
  readonly createdBy: string;
  /** Column paths (`scope.resource_id`) written without a dictionary: their values hardly repeat. */
  readonly withoutDictionary?: readonly string[];
}

function writerProperties(options: PartOptions): parquet.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setStatisticsEnabled(parquet.EnabledStatistics.Page)
    .setMaxRowGroupSize(options.rowGroupRows)
    .setCreatedBy(options.createdBy);
  for (const column of options.withoutDictionary ?? [])
    builder = builder.setColumnDictionaryEnabled(column, false);
  return builder.build();
}

function enqueue(controller: ReadableStreamDefaultController<parquet.RecordBatch>, batch: RecordBatch): void {
  const table = parquet.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  for (const wasmBatch of table.recordBatches()) controller.enqueue(wasmBatch);
  table.free();
}

/** Lets the writer wait until the encoder pulls the next batch. */
interface Flow {
  wake: () => void;
}

export class ParquetPart {
  rows = 0;

  private constructor(
    private readonly finalPath: string,
    private readonly tempPath: string,
    private readonly controller: ReadableStreamDefaultController<parquet.RecordBatch>,
    private readonly flow: Flow,
    private readonly written: Promise<void>,
  ) {}

  /** Opens a part with its first batch (the encoder reads the schema from it before it starts). */
  static async open(
    finalPath: string,
    tempPath: string,
    first: RecordBatch,
    options: PartOptions,
  ): Promise<ParquetPart> {
    await mkdir(dirname(finalPath), { recursive: true });
    const flow: Flow = { wake: () => undefined };
    let controller!: ReadableStreamDefaultController<parquet.RecordBatch>;
    const batches = new ReadableStream<parquet.RecordBatch>(
      { start: (c) => void (controller = c), pull: () => flow.wake() },
      { highWaterMark: 1 },
    );
    enqueue(controller, first);
    const bytes = await parquet.transformParquetStream(batches, writerProperties(options));
    const written = pipeline(
      Readable.fromWeb(bytes as NodeReadableStream<Uint8Array>),
      createWriteStream(tempPath, { flags: 'wx' }),
    );
    // A failed write surfaces from write() or close(), not as an unhandled rejection in between.
    written.catch(() => undefined);
    const part = new ParquetPart(finalPath, tempPath, controller, flow, written);
    part.rows = first.numRows;
    await part.drained();
    return part;
  }

  /** Hands one batch to the encoder and waits until it asks for more, so memory stays bounded. */
  async write(batch: RecordBatch): Promise<void> {
    enqueue(this.controller, batch);
    this.rows += batch.numRows;
    await this.drained();
  }

  private async drained(): Promise<void> {
    while ((this.controller.desiredSize ?? 1) <= 0) {
      await Promise.race([new Promise<void>((resolve) => (this.flow.wake = resolve)), this.written]);
    }
  }

  /**
   * Finishes the file and publishes it under its final name; returns that path. A hard link, unlike
   * rename, fails when the name exists, so a part is never replaced (the dataset is append-only).
   */
  async close(): Promise<string> {
    this.controller.close();
    try {
      await this.written;
      await link(this.tempPath, this.finalPath);
    } finally {
      await rm(this.tempPath, { force: true });
    }
    return this.finalPath;
  }

  /** Drops the part: nothing of it stays on disk. */
  async abort(): Promise<void> {
    try {
      this.controller.error(new Error('part aborted'));
    } catch {
      // already closed or errored
    }
    await this.written.catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}
