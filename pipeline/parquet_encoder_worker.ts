/**
 * The Parquet encoder thread (see parquet_part.ts): each open part is a stream of Arrow IPC batches that
 * parquet-wasm encodes into row groups, written to the part's temporary file. Requests for one part are
 * handled in order; every request gets one reply, `{ id }` or `{ id, error }`.
 *
 * Encoding runs on this thread's event loop, so a batch is handed to the encoder only after its reply is sent:
 * the main thread builds the next batch while this one is encoded. A failure of that hand-over is reported by
 * the part's next request.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parentPort } from 'node:worker_threads';
import * as parquet from 'parquet-wasm/node';
import type { EncoderReply, EncoderRequest, PartOptions } from './parquet_part.ts';
import { writerProperties } from './parquet_properties.ts';

interface OpenPart {
  readonly controller: ReadableStreamDefaultController<parquet.RecordBatch>;
  readonly written: Promise<void>;
  /** `wake` resolves the current wait for the encoder to pull the next batch. */
  readonly flow: { wake: () => void };
  failure?: unknown;
}

const parts = new Map<number, OpenPart>();
/** Per part, the request being handled: the next one waits for it. */
const queues = new Map<number, Promise<void>>();

function enqueue(controller: ReadableStreamDefaultController<parquet.RecordBatch>, ipc: Uint8Array): void {
  const table = parquet.Table.fromIPCStream(ipc);
  for (const batch of table.recordBatches()) controller.enqueue(batch);
  table.free();
}

/** Waits until the encoder asks for more, so at most one batch waits while another is encoded. */
async function drained(part: OpenPart): Promise<void> {
  while ((part.controller.desiredSize ?? 1) <= 0) {
    await Promise.race([new Promise<void>((resolve) => (part.flow.wake = resolve)), part.written]);
  }
}

/** The open part, unless it failed: then its failure, once (the part is gone). */
function find(id: number): OpenPart {
  const part = parts.get(id);
  if (!part) throw new Error(`no open Parquet part ${id}`);
  if (part.failure !== undefined) {
    parts.delete(id);
    throw part.failure;
  }
  return part;
}

async function open(id: number, tempPath: string, options: PartOptions, first: Uint8Array): Promise<void> {
  const flow = { wake: () => undefined as void };
  let controller!: ReadableStreamDefaultController<parquet.RecordBatch>;
  const batches = new ReadableStream<parquet.RecordBatch>(
    { start: (c) => void (controller = c), pull: () => flow.wake() },
    { highWaterMark: 1 },
  );
  // The encoder reads the schema from the first batch before it starts.
  enqueue(controller, first);
  const bytes = await parquet.transformParquetStream(batches, writerProperties(options));
  const written = pipeline(
    Readable.fromWeb(bytes as NodeReadableStream<Uint8Array>),
    createWriteStream(tempPath, { flags: 'wx' }),
  );
  // A failed write surfaces from the next request for the part, not as an unhandled rejection.
  written.catch(() => undefined);
  const part = { controller, written, flow };
  parts.set(id, part);
  try {
    await drained(part);
  } catch (error) {
    parts.delete(id);
    throw error;
  }
}

/** Handles one request; a function it returns runs once the reply is sent. */
async function handle(request: EncoderRequest): Promise<(() => void) | undefined> {
  switch (request.kind) {
    case 'open':
      await open(request.part, request.tempPath, request.options, request.ipc);
      return undefined;
    case 'batch': {
      const part = find(request.part);
      await drained(part);
      return () => {
        try {
          enqueue(part.controller, request.ipc);
        } catch (error) {
          // Stop the encoder; the part's next request reports why.
          part.failure = error;
          part.controller.error(error);
        }
      };
    }
    case 'close': {
      const part = find(request.part);
      parts.delete(request.part);
      part.controller.close();
      await part.written;
      return undefined;
    }
    case 'abort': {
      const part = parts.get(request.part);
      parts.delete(request.part);
      try {
        part?.controller.error(new Error('part aborted'));
      } catch {
        // already closed or errored
      }
      await part?.written.catch(() => undefined);
      return undefined;
    }
  }
}

const reply = (message: EncoderReply) => parentPort!.postMessage(message);

parentPort!.on('message', (request: EncoderRequest) => {
  const previous = queues.get(request.part) ?? Promise.resolve();
  const settled = previous
    .then(() => handle(request))
    .then(
      (afterReply) => {
        reply({ id: request.id });
        afterReply?.();
      },
      (error: unknown) =>
        reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  queues.set(request.part, settled);
  void settled.then(() => {
    if (queues.get(request.part) === settled) queues.delete(request.part);
  });
});
