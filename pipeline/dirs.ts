/**
 * `mkdir -p` that cannot hang. Node's recursive mkdir loops for ever when a parent refuses new folders in an
 * unusual way (anywhere under /proc: `--out /proc/finops` ran at 80% CPU until killed). This one walks up to
 * the nearest folder that exists and creates the missing ones below it, one at a time, so every failure is an
 * ordinary error naming the folder.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const missingCode = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    const found = await stat(current).catch((error: unknown) => {
      if (missingCode(error)) return undefined;
      throw error;
    });
    if (found) {
      if (!found.isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
          code: 'ENOTDIR',
          syscall: 'mkdir',
          path: current,
        });
      }
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing.reverse()) {
    await mkdir(dir).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
}
