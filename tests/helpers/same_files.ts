/** Two folders hold the same text in each of the named files (the file's name says which one differs). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

export async function expectSameFiles(
  dir: string,
  reference: string,
  names: readonly string[],
): Promise<void> {
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) {
    expect(await readFile(join(dir, name), 'utf8'), name).toBe(await readFile(join(reference, name), 'utf8'));
  }
}
