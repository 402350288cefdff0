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

export function createLogger(level: string, stream: NodeJS.WriteStream = process.stderr): Logger {
  if (stream.isTTY) {
    return pino(
      { level, base: null, redact: REDACT },
      pretty({ destination: stream, sync: true, ignore: 'pid,hostname,run_id', translateTime: 'HH:MM:ss' }),
    );
  }
  return pino(
    { level, base: null, redact: REDACT, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}
