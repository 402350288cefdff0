/**
 * One Parquet part written as a stream of row groups. Encoding (parquet-wasm, zstd) runs on a thread of its
 * own, so the main thread builds the next batch while the last one is encoded: each Arrow batch crosses as IPC
 * bytes (moved, not copied), the encoder thread writes them to a temporary file, and the part is renamed into
 * place here only when complete.
 */
import { link, rm, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { makeDirectory } from './dirs.ts';

export interface PartOptions {
  readonly rowGroupRows: number;
  readonly createdBy: string;
  /**
   * Top-level column names written without a dictionary, their values hardly repeating (parquet-wasm sets
   * column properties by top-level name only; a nested path would be ignored).
   */
  readonly withoutDictionary?: readonly string[];
}

/** What a part asks of the encoder thread (see parquet_encoder_worker.ts). */
export type EncoderJob = { readonly part: number } & (
  | {
      readonly kind: 'open';
      readonly tempPath: string;
      readonly options: PartOptions;
      readonly ipc: Uint8Array;
    }
  | { readonly kind: 'batch'; readonly ipc: Uint8Array }
  | { readonly kind: 'close' }
  | { readonly kind: 'abort' }
);
/** A job with the id its one reply carries. */
export type EncoderRequest = EncoderJob & { readonly id: number };
export interface EncoderReply {
  readonly id: number;
  readonly error?: string;
}

const HERE = fileURLToPath(import.meta.url);
/** The thread's module lies beside this one: `.ts` when run from source, `.js` when compiled. */
const WORKER_FILE = new URL(`./parquet_encoder_worker${extname(HERE)}`, import.meta.url);

/**
 * The thread starts from a line of code that imports its module, not from the file itself: text is the one
 * kind of entry every inherited Node option accepts (`--input-type` refuses a file, and V8 options such as
 * `--max-old-space-size` may not be passed to a worker explicitly). From source the module is TypeScript, and
 * Node 20 does not hand a worker its parent's module loader: it is imported through tsx's API.
 */
function startWorker(): Worker {
  const module = JSON.stringify(WORKER_FILE.href);
  const load =
    extname(HERE) === '.ts'
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ tsImport }) =>
          tsImport(${module}, ${JSON.stringify(import.meta.url)}))`
      : `import(${module})`;
  return new Worker(load, { eval: true });
}

/** The encoder thread, started on first use and shared by every part the process writes. */
class EncoderThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextRequest = 1;
  private nextPart = 1;

  newPart(): number {
    return this.nextPart++;
  }

  request(job: EncoderJob): Promise<void> {
    const worker = this.worker ?? this.start();
    const id = this.nextRequest++;
    const ipc = 'ipc' in job ? job.ipc : undefined;
    // Move the bytes when the array owns its buffer; a view into a larger buffer is copied.
    const transfer =
      ipc && ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? [ipc.buffer] : [];
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // The thread keeps the process alive only while something waits for it.
      worker.ref();
      worker.postMessage({ ...job, id } satisfies EncoderRequest, transfer as ArrayBuffer[]);
    });
  }

  private start(): Worker {
    const worker = startWorker();
    worker.on('message', (reply: EncoderReply) => this.settle(reply));
    worker.on('error', (error: Error) => this.fail(worker, error));
    worker.on('exit', (code) =>
      this.fail(worker, new Error(`the Parquet encoder thread stopped (exit code ${code})`)),
    );
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle({ id, error }: EncoderReply): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (error === undefined) waiter?.resolve();
    else waiter?.reject(new Error(error));
  }

  /** A dead thread fails whatever waits on it; the next part starts a new one. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

const encoder = new EncoderThread();

const ipcOf = (batch: RecordBatch): Uint8Array => tableToIPC(new Table([batch]), 'stream');

export class ParquetPart {
  rows = 0;

  private constructor(
    private readonly finalPath: string,
    private readonly tempPath: string,
    private readonly id: number,
  ) {}

  /** Opens a part with its first batch (the encoder reads the schema from it before it starts). */
  static async open(
    finalPath: string,
    tempPath: string,
    first: RecordBatch,
    options: PartOptions,
  ): Promise<ParquetPart> {
    await makeDirectory(dirname(finalPath));
    const part = new ParquetPart(finalPath, tempPath, encoder.newPart());
    part.rows = first.numRows;
    await encoder.request({ kind: 'open', part: part.id, tempPath, options, ipc: ipcOf(first) });
    return part;
  }

  /**
   * Hands one batch to the encoder; resolves as soon as the encoder has room for it (one batch waits while
   * another is encoded), so the next batch is built meanwhile and memory stays bounded.
   */
  async write(batch: RecordBatch): Promise<void> {
    this.rows += batch.numRows;
    await encoder.request({ kind: 'batch', part: this.id, ipc: ipcOf(batch) });
  }

  /**
   * Finishes the file and publishes it under its final name; returns that path. A hard link, unlike
   * rename, fails when the name exists, so a part is never replaced (the dataset is append-only).
   */
  async close(): Promise<string> {
    try {
      await encoder.request({ kind: 'close', part: this.id });
      await link(this.tempPath, this.finalPath);
    } finally {
      await rm(this.tempPath, { force: true });
    }
    return this.finalPath;
  }

  /** Drops the part: nothing of it stays on disk. */
  async abort(): Promise<void> {
    await encoder.request({ kind: 'abort', part: this.id }).catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

/**
 * A small part (one batch: a gold period's few hundred rows) encoded on this thread: starting the encoder
 * thread costs more than encoding it. Published like a part: complete under a temporary name, then linked.
 */
export async function writeSmallPart(
  finalPath: string,
  tempPath: string,
  batch: RecordBatch,
  options: PartOptions,
): Promise<string> {
  await makeDirectory(dirname(finalPath));
  const parquet = await import('parquet-wasm/node');
  const { writerProperties } = await import('./parquet_properties.ts');
  const table = parquet.Table.fromIPCStream(ipcOf(batch));
  try {
    await writeFile(tempPath, parquet.writeParquet(table, writerProperties(options)), { flag: 'wx' });
    await link(tempPath, finalPath);
  } finally {
    await rm(tempPath, { force: true });
  }
  return finalPath;
}
