/** Storage rows → an Arrow RecordBatch of the finding schema. */
import {
  DataType,
  RecordBatch,
  Struct,
  makeBuilder,
  makeData,
  type Builder,
  type Schema,
} from 'apache-arrow';
import type { StorageRow, StorageValue } from '../contracts/storage_cast.ts';

type ToArrow = (value: StorageValue) => unknown;

const identity: ToArrow = (v) => v;

/** Two's-complement little-endian 32-bit words, the layout of an Arrow Decimal128 value. */
function decimalWords(value: bigint): Uint32Array {
  const words = new Uint32Array(4);
  let rest = BigInt.asUintN(128, value);
  for (let i = 0; i < 4; i++) {
    words[i] = Number(rest & 0xffffffffn);
    rest >>= 32n;
  }
  return words;
}

// Arrow's builders take most storage values as they are; decimals need their word layout.
function converter(type: DataType): ToArrow {
  if (DataType.isDecimal(type)) return (v) => (v === null ? null : decimalWords(v as bigint));
  if (DataType.isStruct(type)) {
    const fields = type.children.map((f) => [f.name, converter(f.type)] as const);
    if (fields.every(([, c]) => c === identity)) return identity;
    return (v) => {
      if (v === null) return null;
      const source = v as Record<string, StorageValue>;
      return Object.fromEntries(fields.map(([name, c]) => [name, c(source[name] ?? null)]));
    };
  }
  if (DataType.isList(type)) {
    const item = converter(type.children[0]!.type);
    return item === identity ? identity : (v) => (v === null ? null : (v as StorageValue[]).map(item));
  }
  if (DataType.isMap(type)) {
    const value = converter(type.children[0]!.type.children[1]!.type);
    if (value === identity) return identity;
    return (v) =>
      v === null ? null : new Map([...(v as Map<string, StorageValue>)].map(([k, x]) => [k, value(x)]));
  }
  return identity;
}

export class BatchBuilder {
  private readonly schema: Schema;
  private readonly columns: { name: string; convert: ToArrow; builder: Builder }[];
  private rows = 0;

  constructor(schema: Schema) {
    this.schema = schema;
    this.columns = schema.fields.map((f) => ({
      name: f.name,
      convert: converter(f.type),
      builder: makeBuilder({ type: f.type, nullValues: [null, undefined] }),
    }));
  }

  get length(): number {
    return this.rows;
  }

  append(row: StorageRow): void {
    for (const column of this.columns) column.builder.append(column.convert(row[column.name] ?? null));
    this.rows += 1;
  }

  /** Returns the rows appended so far as one batch and starts a new one. */
  flush(): RecordBatch {
    const children = this.columns.map((c) => c.builder.flush());
    const data = makeData({
      type: new Struct(this.schema.fields),
      length: this.rows,
      nullCount: 0,
      children,
    });
    this.rows = 0;
    return new RecordBatch(this.schema, data);
  }
}
