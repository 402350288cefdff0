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
