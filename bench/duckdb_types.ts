/** The finding schema as DuckDB column types, so DuckDB alone writes the same Parquet types. */
import { DataType, type Field, type Schema } from 'apache-arrow';

export function duckdbType(type: DataType): string {
  if (DataType.isUtf8(type)) return 'VARCHAR';
  if (DataType.isInt(type)) return 'INTEGER';
  if (DataType.isDecimal(type)) return `DECIMAL(${type.precision},${type.scale})`;
  if (DataType.isTimestamp(type)) return 'TIMESTAMPTZ';
  if (DataType.isDate(type)) return 'DATE';
  if (DataType.isStruct(type))
    return `STRUCT(${type.children.map((f: Field) => `"${f.name}" ${duckdbType(f.type)}`).join(', ')})`;
  if (DataType.isList(type)) return `${duckdbType(type.children[0]!.type)}[]`;
  if (DataType.isMap(type)) {
    const [key, value] = type.children[0]!.type.children as Field[];
    return `MAP(${duckdbType(key!.type)}, ${duckdbType(value!.type)})`;
  }
  throw new Error(`no DuckDB type for ${String(type)}`);
}

/** `{name: 'TYPE', ...}` for read_ndjson's columns parameter. */
export function duckdbColumns(schema: Schema): string {
  return `{${schema.fields.map((f) => `'${f.name}': '${duckdbType(f.type).replaceAll("'", "''")}'`).join(', ')}}`;
}
