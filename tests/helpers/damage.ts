/** Ways to damage a Parquet file, for tests of what readers do with it. */

/**
 * Overwrites bytes between the leading magic and the footer (page headers and data) and keeps the footer:
 * the file still describes itself, and only reading its values fails.
 */
export function damagePages(bytes: Uint8Array, every = 53): Buffer {
  const copy = Buffer.from(bytes);
  const footer = copy.readUInt32LE(copy.length - 8);
  const end = copy.length - 8 - footer;
  for (let i = 4; i < end; i += every) copy[i] = (copy[i]! * 31 + 7) & 0xff;
  return copy;
}

/**
 * Overwrites the bytes of one column's chunks only (`column` as parquet_metadata's `path_in_schema` names it):
 * every other column still reads.
 */
export async function damageColumn(file: string, column: string): Promise<void> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const { query } = await import('./duckdb.ts');
  const chunks = (await query(
    `SELECT coalesce(dictionary_page_offset, data_page_offset)::BIGINT AS start, total_compressed_size::BIGINT AS size
     FROM parquet_metadata($file) WHERE path_in_schema = $column`,
    { file, column },
  )) as { start: bigint | number; size: bigint | number }[];
  if (chunks.length === 0) throw new Error(`${file} has no column ${column}`);
  const bytes = Buffer.from(await readFile(file));
  for (const { start, size } of chunks) {
    for (let i = Number(start); i < Number(start) + Number(size); i += 1)
      bytes[i] = (bytes[i]! * 31 + 7) & 0xff;
  }
  await writeFile(file, bytes);
}
