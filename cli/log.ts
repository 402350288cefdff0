/**
 * Logging for the runner: JSON lines on stderr when not on a terminal (for schedulers and log
 * pipelines), readable lines on a terminal. Every line carries the run id once it is known.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

/** Credentials never reach a log line, whatever object is logged. */
export const REDACT = {
  paths: [
    'credentials',
    '*.credentials',
    '*.accessKeyId',
    '*.secretAccessKey',
    '*.sessionToken',
    '*.AccessKeyId',
    '*.SecretAccessKey',
    '*.SessionToken',
    '*.Credentials',
    'externalId',
    '*.externalId',
  ],
  censor: '[redacted]',
};

/** Loggers writing for a person at a terminal (their children inherit from them: pino's child is Object.create). */
const terminalLoggers = new WeakSet<object>();

export function createLogger(level: string, stream: NodeJS.WriteStream = process.stderr): Logger {
  if (stream.isTTY) {
    const logger = pino(
      { level, base: null, redact: REDACT },
      pretty({
        destination: stream,
        sync: true,
        ignore: 'pid,hostname,run_id',
        translateTime: 'HH:MM:ss',
        singleLine: true,
      }),
    );
    terminalLoggers.add(logger);
    return logger;
  }
  return pino(
    { level, base: null, redact: REDACT, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * A step the command's printed summary reports too (run started, files written): an info line for a log pipeline,
 * which has no summary, and a debug line on a terminal, where it would only repeat what the summary says.
 */
export function logStep(logger: Logger, detail: object, message: string): void {
  logger[onTerminal(logger) ? 'debug' : 'info'](detail, message);
}

function onTerminal(logger: object): boolean {
  for (let at: object | null = logger; at; at = Object.getPrototypeOf(at) as object | null)
    if (terminalLoggers.has(at)) return true;
  return false;
}

/**
 * `report` at most once every `ms` (the first call and the last, `done === total`, always): progress on long work
 * that a log or a terminal can follow without a line per step.
 */
export function everyFewSeconds<T extends { readonly done: number; readonly total: number }>(
  report: (progress: T) => void,
  ms = 5_000,
): (progress: T) => void {
  let last = -Infinity;
  return (progress) => {
    const now = Date.now();
    if (now - last < ms && progress.done < progress.total) return;
    last = now;
    report(progress);
  };
}

/** Progress of the tenant state's runs being folded in (a rebuild folds the whole history): a log line every few seconds. */
export const foldProgress = (logger: Logger) =>
  everyFewSeconds<{ readonly done: number; readonly total: number }>(({ done, total }) =>
    logger.info({ runs_folded: done, runs: total }, 'bringing the tenant state up to date'),
  );
