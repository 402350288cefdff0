/** The runner as a process of its own (`node --import tsx runner.ts …`): what users and schedulers start. */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader by absolute URL, in node itself (not the tsx wrapper): a signal reaches the runner. */
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const nodeArgs = (args: readonly string[]) => ['--import', TSX_LOADER, join(ROOT, 'runner.ts'), ...args];

export interface Ended {
  /** The exit code; -1 when a signal ended it. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ProcessOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs the runner to its end. */
export async function runRunner(args: readonly string[], options: ProcessOptions): Promise<Ended> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, nodeArgs(args), {
      ...options,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number | null; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Starts the runner; `onStderr` sees its stderr so far after each chunk (to signal it at the right moment). */
export function startRunner(
  args: readonly string[],
  options: ProcessOptions,
  onStderr?: (stderr: string, child: ChildProcessWithoutNullStreams) => void,
): { child: ChildProcessWithoutNullStreams; ended: Promise<Ended> } {
  const child = spawn(process.execPath, nodeArgs(args), options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    onStderr?.(stderr, child);
  });
  const ended = new Promise<Ended>((resolve) =>
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return { child, ended };
}
