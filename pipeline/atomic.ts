/** Atomic file writes: write under a temporary name beside the target, then rename over it. */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeDirectory } from './dirs.ts';

export async function writeFileAtomic(
  target: string,
  content: string | Uint8Array | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  await makeDirectory(dirname(target));
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    const source = typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
    await pipeline(Readable.from(source), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Replaces the folder `target` whole: `fill` writes the new content into a hidden staging folder beside it, which
 * then takes the target's place (the old one moved aside, then removed). A reader sees the old folder or the new
 * one; a failure in `fill` leaves the old one as it was.
 */
export async function replaceDirectory(
  target: string,
  fill: (staging: string) => Promise<void>,
): Promise<void> {
  const id = randomUUID();
  const staging = join(dirname(target), `.staging-${id}`);
  const old = join(dirname(target), `.old-${id}`);
  await makeDirectory(staging);
  try {
    await fill(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const hadOld = await rename(target, old).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  await rename(staging, target);
  if (hadOld) await rm(old, { recursive: true, force: true });
}
