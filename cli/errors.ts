/**
 * What the CLI tells a user and a scheduler: the one typed CLI error (a sentence and the exit code), file-system
 * errors in plain words, and the default region (small, SDK-free: loaded at start-up).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The run finished, but a checker failed or was not allowed to run. */
  partial: 3,
} as const;

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** What a file-system error means for the user, and what to do; by errno code. */
const IO_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied; choose a location you can write to, or fix its permissions',
  EPERM: 'not permitted; choose another location',
  ENOENT:
    'no such file or folder, or its parent cannot hold new folders (as under /proc); choose another path',
  ENOTDIR: 'part of the path is a file, not a folder; choose another path',
  EISDIR: 'a folder is in the way of a file; choose another path',
  ENOSPC: 'the disk is full; free some space or choose another location',
  EDQUOT: 'the disk quota is used up; free some space or choose another location',
  EROFS: 'the file system is read-only; choose another location',
  ENAMETOOLONG: 'the path is too long; choose a shorter one',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or lower --concurrency',
  EXDEV: 'it is on another device than its staging folder; choose a path on one file system',
  EEXIST: 'it already exists; choose another name, or remove it first',
  EBUSY: 'it is busy (in use by another process); try again when it is free',
  EIO: 'the device reported an input/output error; check the disk',
};

const IO_VERBS: Readonly<Record<string, string>> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'move into place',
  link: 'publish',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'list',
  stat: 'inspect',
  lstat: 'inspect',
};

/** A plain sentence for an errno error from node:fs (naming the path), or undefined for any other error. */
export function ioErrorMessage(error: unknown): string | undefined {
  const { code, syscall, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !(code in IO_REASONS)) return undefined;
  const verb = (syscall && IO_VERBS[syscall]) ?? 'use';
  return `cannot ${verb} ${path ?? 'a file'}: ${IO_REASONS[code]}`;
}

/**
 * DuckDB's messages start with their kind ("IO Error: …") and, for a query, go on with the SQL and a caret under
 * the place ("LINE 1: SELECT …"). The kinds that say something about the data, and what the user can do.
 */
const ENGINE_DATA_KINDS: Readonly<Record<string, string>> = {
  IO: 'a file of the dataset could not be read',
  'Invalid Input': 'a file of the dataset is not what it should be',
  Conversion: 'a value in the dataset could not be converted',
  'Out of Range': 'a value in the dataset is out of range',
  HTTP: 'a remote file could not be fetched',
};
const ENGINE_ERROR = /^([A-Z][A-Za-z ]*?) Error: ?([\s\S]*)$/;

/**
 * A plain sentence for an error of the query engine (DuckDB), without its SQL; undefined for any other error.
 * Memory and data problems say what to do; anything else is the engine's fault or ours, and says to report it.
 */
export function engineErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = ENGINE_ERROR.exec(error.message);
  if (!match) return undefined;
  const [, kind, rest] = match as unknown as [string, string, string];
  // The first line is the engine's own sentence; what follows is candidates, the SQL and a caret.
  const detail = rest.split('\n')[0]!.trim();
  if (kind === 'Out of Memory')
    return 'the query engine ran out of memory; run it with more memory (a larger machine, or a Lambda with more memory)';
  if (kind === 'INTERRUPT') return 'stopped';
  const data = ENGINE_DATA_KINDS[kind];
  if (data) return `${data}: ${detail}`;
  if (['Binder', 'Parser', 'Catalog', 'Internal', 'Not implemented', 'Fatal', 'Serialization'].includes(kind))
    return `the query engine failed (${kind.toLowerCase()} error): this is a bug of finops-findings; run again with --debug and report what it prints`;
  return undefined;
}

/** The region AWS calls go to when none is given: the SDK's own variables, else us-east-1. */
export const defaultRegion = (): string =>
  process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
