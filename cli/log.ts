/**
 * Logging for the runner: JSON lines on stderr when not on a terminal (for schedulers and log
 * pipelines), readable lines on a terminal. Every line carries the run id once it is known.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

export function createLogger(level: string, stream: NodeJS.WriteStream = process.stderr): Logger {
  if (stream.isTTY) {
    return pino(
      { level, base: null },
      pretty({ destination: stream, sync: true, ignore: 'pid,hostname,run_id', translateTime: 'HH:MM:ss' }),
    );
  }
  return pino(
    { level, base: null, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}
