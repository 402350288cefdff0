/**
 * Ctrl-C for work that publishes nothing until it is done (an export, a KPI rebuild): the first SIGINT or
 * SIGTERM aborts it (DuckDB queries are interrupted, nothing is published, what was there stays), the second
 * quits at once. Without a listener of our own, tsx would call process.exit() on a signal, and that waits
 * for a running DuckDB query to finish: a Ctrl-C that seemed ignored.
 */
import { CliError, EXIT } from './errors.ts';

/** A signal this soon after the first is the same one, relayed; a person pressing Ctrl-C again takes longer. */
export const SECOND_SIGNAL_MS = 250;

/**
 * Listens for SIGINT/SIGTERM on `signals`: the first calls `onFirst` and aborts the returned signal; a second
 * one (not the first relayed again: tsx re-sends it after 30 ms when its child is slow to answer) stops
 * listening and calls `onSecond`. `off` stops listening.
 */
export function listenForStop(
  signals: NodeJS.EventEmitter | undefined,
  onFirst: (name: NodeJS.Signals) => void,
  onSecond: (name: NodeJS.Signals) => void,
): { signal: AbortSignal; off(): void } {
  const stop = new AbortController();
  let first = 0;
  const onSignal = (name: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      onFirst(name);
      first = Date.now();
      stop.abort();
      return;
    }
    if (Date.now() - first < SECOND_SIGNAL_MS) return;
    off();
    onSecond(name);
  };
  const off = () => {
    signals?.off('SIGINT', onSignal);
    signals?.off('SIGTERM', onSignal);
  };
  signals?.on('SIGINT', onSignal);
  signals?.on('SIGTERM', onSignal);
  return { signal: stop.signal, off };
}

export async function stoppable<T>(
  signals: NodeJS.EventEmitter | undefined,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  left = 'nothing was published; what was there before is unchanged',
): Promise<T> {
  const stop = listenForStop(
    signals,
    (name) => process.stderr.write(`${name}: stopping the ${what} (again to quit now)\n`),
    () => {
      // A DuckDB query may still be winding down, and a normal exit would wait for it.
      if (signals === process) process.kill(process.pid, 'SIGKILL');
    },
  );
  try {
    // Work that finished as the signal came is complete and consistent: its result stands.
    return await work(stop.signal);
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    throw new CliError(`the ${what} was interrupted: ${left}`, EXIT.failure, { cause: error });
  } finally {
    stop.off();
  }
}
