/**
 * DuckDB work that a signal stops. `interrupt()` stops only the query running at that moment, so a query that
 * starts after the signal would run to its end: every query first checks the signal, and the running one is
 * interrupted again every 100 ms until it gives up (it may not quite have started when the signal came).
 */
import type { DuckDBConnection } from '@duckdb/node-api';

const QUERY_METHODS = new Set([
  'run',
  'runAndRead',
  'runAndReadAll',
  'runAndReadUntil',
  'stream',
  'streamAndRead',
  'streamAndReadAll',
  'streamAndReadUntil',
  'prepare',
  'extractStatements',
  'start',
  'startStream',
]);

export function interruptible(
  connection: DuckDBConnection,
  signal: AbortSignal | undefined,
): { connection: DuckDBConnection; dispose(): void } {
  if (!signal) return { connection, dispose: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    connection.interrupt();
    timer = setInterval(() => connection.interrupt(), 100);
    timer.unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const guarded = new Proxy(connection, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (typeof property === 'string' && QUERY_METHODS.has(property)) {
        return (...args: unknown[]) => {
          signal.throwIfAborted();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return {
    connection: guarded,
    dispose() {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearInterval(timer);
    },
  };
}
