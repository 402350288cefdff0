/**
 * Storage rows → an Arrow RecordBatch of the finding schema, column by column into plain typed arrays.
 * Apache Arrow's generic builders resize and re-encode value by value; here each column keeps its values
 * in a JS array and lays out Arrow's buffers (validity bitmap, offsets, data) once per batch: strings are
 * encoded in one call, numbers copied into one typed array. One builder per Arrow type, composed for
 * structs, lists and maps.
 */
import {
  DataType,
  makeData,
  RecordBatch,
  Struct,
  type Data,
  type Field,
  type Int,
  type Schema,
} from 'apache-arrow';
import type { StorageRow, StorageValue } from '../contracts/storage_cast.ts';

interface ColumnBuilder {
  append(value: StorageValue | undefined): void;
  /** The values appended since the last finish, as Arrow data; the builder starts empty again. */
  finish(): Data;
}

const TWO_32 = 4294967296;

/**
 * Which values of a column are present. Its array is kept from batch to batch and overwritten in place: arrays
 * regrown for every batch cost more in garbage collection than their values.
 */
class Validity {
  private readonly flags: boolean[] = [];
  private nulls = 0;
  length = 0;

  push(present: boolean): void {
    this.flags[this.length] = present;
    this.length += 1;
    if (!present) this.nulls += 1;
  }

  /** Arrow's length, null count and validity bitmap (none when nothing is null) for the batch; starts over. */
  take(type: DataType) {
    const { length, nulls } = this;
    let nullBitmap: Uint8Array | undefined;
    if (nulls > 0) {
      nullBitmap = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i += 1) if (this.flags[i]) nullBitmap[i >> 3]! |= 1 << (i & 7);
    }
    this.length = 0;
    this.nulls = 0;
    return { type, length, nullCount: nulls, ...(nullBitmap ? { nullBitmap } : {}) };
  }
}

/** Where each list's items end in its child column: kept from batch to batch like `Validity`. */
class Offsets {
  private readonly ends: number[] = [0];
  private count = 0;

  /** Items so far in this batch. */
  get last(): number {
    return this.ends[this.count]!;
  }

  push(items: number): void {
    this.ends[this.count + 1] = this.last + items;
    this.count += 1;
  }

  /** Arrow's value offsets for the batch; starts over. */
  take(): Int32Array {
    const offsets = Int32Array.from({ length: this.count + 1 }, (_, i) => this.ends[i]!);
    this.count = 0;
    return offsets;
  }
}

/**
 * How one primitive Arrow type is laid out: the `typeof` of a present value (anything else is null), the
 * placeholder stored where a value is null, and Arrow's data buffers built from a batch of values.
 */
interface Layout<T extends StorageValue> {
  readonly jsType: 'string' | 'number' | 'bigint';
  readonly placeholder: T;
  buffers(values: readonly T[]): Record<string, ArrayBufferView>;
}

const utf8: Layout<string> = {
  jsType: 'string',
  placeholder: '',
  buffers(values) {
    const text = values.join('');
    // One encoding call for the whole column.
    const data = Buffer.from(text, 'utf8');
    // As many bytes as characters means every character is ASCII: then each value's bytes are its characters.
    const ascii = data.length === text.length;
    const valueOffsets = new Int32Array(values.length + 1);
    let end = 0;
    for (let i = 0; i < values.length; i += 1) {
      end += ascii ? values[i]!.length : Buffer.byteLength(values[i]!, 'utf8');
      valueOffsets[i + 1] = end;
    }
    return { valueOffsets, data };
  },
};

/** Integers up to 32 bits, signed or not: copied into the type's own typed array (Uint16Array, Int32Array, ...). */
function integer(type: Int): Layout<number> {
  if (type.bitWidth > 32) throw new Error(`no Arrow column builder for ${String(type)}`);
  const ArrayType = type.ArrayType as Int32ArrayConstructor;
  return { jsType: 'number', placeholder: 0, buffers: (values) => ({ data: ArrayType.from(values) }) };
}

/** DateDay: epoch milliseconds → days. */
const dateDay: Layout<number> = {
  jsType: 'number',
  placeholder: 0,
  buffers: (values) => ({ data: Int32Array.from(values, (ms) => Math.floor(ms / 86_400_000)) }),
};

/** Millisecond timestamps: Int64, written as two 32-bit words. */
const timestampMs: Layout<number> = {
  jsType: 'number',
  placeholder: 0,
  buffers(values) {
    const words = new Int32Array(values.length * 2);
    for (let i = 0; i < values.length; i += 1) {
      const ms = values[i]!;
      const hi = Math.floor(ms / TWO_32);
      words[2 * i] = ms - hi * TWO_32;
      words[2 * i + 1] = hi;
    }
    return { data: new BigInt64Array(words.buffer) };
  },
};

/** Decimal128: scaled bigints as four little-endian two's-complement 32-bit words. */
const decimal128: Layout<bigint> = {
  jsType: 'bigint',
  placeholder: 0n,
  buffers(values) {
    const words = new Uint32Array(values.length * 4);
    for (let i = 0; i < values.length; i += 1) {
      const value = values[i]!;
      if (value >= 0n && value <= 9007199254740991n) {
        // The common case (below $9 billion at 6 decimals) in plain number arithmetic.
        const n = Number(value);
        const hi = Math.floor(n / TWO_32);
        words[4 * i] = n - hi * TWO_32;
        words[4 * i + 1] = hi;
      } else {
        let rest = BigInt.asUintN(128, value);
        for (let w = 0; w < 4; w += 1) {
          words[4 * i + w] = Number(rest & 0xffffffffn);
          rest >>= 32n;
        }
      }
    }
    return { data: words };
  },
};

/**
 * A column of one primitive type: values (the placeholder where null) and their validity are gathered, and
 * the type's layout turns them into Arrow's buffers once per batch. One class for every primitive type, so
 * the per-value calls of the struct and batch builders meet few shapes and V8 can inline them.
 */
class ValueBuilder<T extends StorageValue> implements ColumnBuilder {
  // Kept from batch to batch and overwritten in place, like the validity.
  private readonly values: T[] = [];
  private readonly valid = new Validity();
  constructor(
    private readonly type: DataType,
    private readonly layout: Layout<T>,
  ) {}

  append(value: StorageValue | undefined): void {
    const present = typeof value === this.layout.jsType;
    this.values[this.valid.length] = present ? (value as T) : this.layout.placeholder;
    this.valid.push(present);
  }

  finish(): Data {
    this.values.length = this.valid.length;
    const buffers = this.layout.buffers(this.values);
    return makeData({ ...this.valid.take(this.type), ...buffers } as never);
  }
}

class StructBuilder implements ColumnBuilder {
  private readonly valid = new Validity();
  private readonly children: { name: string; builder: ColumnBuilder }[];
  constructor(private readonly type: DataType) {
    this.children = (type.children as Field[]).map((f) => ({ name: f.name, builder: builderFor(f.type) }));
  }

  append(value: StorageValue | undefined): void {
    const present = value !== null && value !== undefined && typeof value === 'object';
    this.valid.push(present);
    const source = present ? (value as Record<string, StorageValue>) : undefined;
    for (const child of this.children) child.builder.append(source ? source[child.name] : undefined);
  }

  finish(): Data {
    return makeData({
      ...this.valid.take(this.type),
      children: this.children.map((c) => c.builder.finish()),
    } as never);
  }
}

/** Lists: arrays of one item type. */
class ListBuilder implements ColumnBuilder {
  private readonly valid = new Validity();
  private readonly offsets = new Offsets();
  private readonly items: ColumnBuilder;
  constructor(private readonly type: DataType) {
    this.items = builderFor((type.children[0] as Field).type);
  }

  append(value: StorageValue | undefined): void {
    const present = Array.isArray(value);
    if (present) for (const item of value) this.items.append(item);
    this.valid.push(present);
    this.offsets.push(present ? value.length : 0);
  }

  finish(): Data {
    return makeData({
      ...this.valid.take(this.type),
      valueOffsets: this.offsets.take(),
      child: this.items.finish(),
    } as never);
  }
}

/** Maps (`Map`s): a list of key/value entries, the keys and values appended straight to their columns. */
class MapBuilder implements ColumnBuilder {
  private readonly valid = new Validity();
  private readonly offsets = new Offsets();
  private readonly entries: Field;
  private readonly keys: ColumnBuilder;
  private readonly values: ColumnBuilder;
  constructor(private readonly type: DataType) {
    this.entries = type.children[0] as Field;
    const [key, value] = this.entries.type.children as Field[];
    this.keys = builderFor(key!.type);
    this.values = builderFor(value!.type);
  }

  append(value: StorageValue | undefined): void {
    const present = value instanceof Map;
    if (present) {
      value.forEach((item, key) => {
        this.keys.append(key);
        this.values.append(item);
      });
    }
    this.valid.push(present);
    this.offsets.push(present ? value.size : 0);
  }

  finish(): Data {
    const entries = makeData({
      type: this.entries.type,
      length: this.offsets.last,
      nullCount: 0,
      children: [this.keys.finish(), this.values.finish()],
    } as never);
    return makeData({
      ...this.valid.take(this.type),
      valueOffsets: this.offsets.take(),
      child: entries,
    } as never);
  }
}

function builderFor(type: DataType): ColumnBuilder {
  if (DataType.isUtf8(type)) return new ValueBuilder(type, utf8);
  if (DataType.isInt(type)) return new ValueBuilder(type, integer(type));
  if (DataType.isDate(type)) return new ValueBuilder(type, dateDay);
  if (DataType.isTimestamp(type)) return new ValueBuilder(type, timestampMs);
  if (DataType.isDecimal(type)) return new ValueBuilder(type, decimal128);
  if (DataType.isStruct(type)) return new StructBuilder(type);
  if (DataType.isMap(type)) return new MapBuilder(type);
  if (DataType.isList(type)) return new ListBuilder(type);
  throw new Error(`no Arrow column builder for ${String(type)}`);
}

export class BatchBuilder {
  private readonly schema: Schema;
  private readonly columns: { name: string; builder: ColumnBuilder }[];
  private rows = 0;

  constructor(schema: Schema) {
    this.schema = schema;
    this.columns = schema.fields.map((f) => ({ name: f.name, builder: builderFor(f.type) }));
  }

  get length(): number {
    return this.rows;
  }

  append(row: StorageRow): void {
    for (const column of this.columns) column.builder.append(row[column.name]);
    this.rows += 1;
  }

  /** Returns the rows appended so far as one batch and starts a new one. */
  flush(): RecordBatch {
    const children = this.columns.map((c) => c.builder.finish());
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
