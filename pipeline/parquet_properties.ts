/** The writer properties of every Parquet part this project encodes with parquet-wasm (on any thread). */
import * as parquet from 'parquet-wasm/node';
import type { PartOptions } from './parquet_part.ts';

export function writerProperties(options: PartOptions): parquet.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setStatisticsEnabled(parquet.EnabledStatistics.Page)
    .setMaxRowGroupSize(options.rowGroupRows)
    .setCreatedBy(options.createdBy);
  for (const column of options.withoutDictionary ?? [])
    builder = builder.setColumnDictionaryEnabled(column, false);
  return builder.build();
}
