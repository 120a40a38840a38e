/**
 * Iceberg types in DuckDB, and Iceberg values as DuckDB SQL literals: partition values as
 * manifests hold them (Avro), initial defaults in the spec's JSON single-value form, and bounds in
 * the binary single-value serialization (format/spec.md "Appendix D").
 */
import { sqlString } from '../engine/duckdb-session.js';
import { JsonNumber, type ExactJson } from '../engine/predicate-json.js';
import { LakeError } from '../errors.js';
import type { IcebergType } from './metadata.js';

/** The DuckDB type of an Iceberg type. */
export function duckType(type: IcebergType): string {
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'struct':
        return `STRUCT(${type.fields.map((f) => `${quote(f.name)} ${duckType(f.type)}`).join(', ')})`;
      case 'list':
        return `${duckType(type.element)}[]`;
      case 'map':
        return `MAP(${duckType(type.key)}, ${duckType(type.value)})`;
    }
  }
  const decimal = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (decimal !== null) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
  if (/^fixed\[\d+\]$/.test(type)) return 'BLOB';
  switch (type) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int':
      return 'INTEGER';
    case 'long':
      return 'BIGINT';
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'timestamp_ns':
      return 'TIMESTAMP_NS';
    case 'timestamptz_ns':
      return 'TIMESTAMPTZ';
    case 'string':
      return 'VARCHAR';
    case 'uuid':
      return 'UUID';
    case 'binary':
      return 'BLOB';
    case 'unknown':
      return 'INTEGER'; // v3's type of a column that is always null
    default:
      throw new LakeError('UNSUPPORTED_TYPE', `Iceberg type ${type} is not one lake reads`);
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A partition value from a manifest (its Avro form) as a literal of the source column's type. */
export function avroValueSql(value: unknown, type: IcebergType): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${duckType(type)})`;
  if (typeof type !== 'string') throw new LakeError('UNSUPPORTED_TYPE', 'a nested partition value');
  const decimal = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (decimal !== null) {
    const unscaled = typeof value === 'bigint' || typeof value === 'number' ? BigInt(value) : twosComplement(value as Uint8Array);
    return `CAST(${sqlString(decimalText(unscaled, Number(decimal[2])))} AS DECIMAL(${decimal[1]}, ${decimal[2]}))`;
  }
  switch (type) {
    case 'boolean':
      return value === true ? 'TRUE' : 'FALSE';
    case 'int':
    case 'long':
      return `CAST(${String(value)} AS ${duckType(type)})`;
    case 'float':
    case 'double':
      return `CAST(${sqlString(String(value))} AS ${duckType(type)})`;
    case 'date':
      return `CAST(DATE '1970-01-01' + ${Number(value)} AS DATE)`;
    case 'time':
      return `CAST(TIME '00:00:00' + INTERVAL (${String(value)}) MICROSECOND AS TIME)`;
    case 'timestamp':
      return `make_timestamp(${String(value)}::BIGINT)`;
    case 'timestamptz':
      return `(make_timestamp(${String(value)}::BIGINT) AT TIME ZONE 'UTC')`;
    case 'timestamp_ns':
      return `make_timestamp_ns(${String(value)}::BIGINT)`;
    case 'timestamptz_ns':
      return `(make_timestamp_ns(${String(value)}::BIGINT)::TIMESTAMP AT TIME ZONE 'UTC')`;
    case 'string':
      return sqlString(String(value));
    case 'uuid':
      return `CAST(${sqlString(uuidText(value as Uint8Array))} AS UUID)`;
    default:
      if (value instanceof Uint8Array) return `from_hex(${sqlString(Buffer.from(value).toString('hex'))})`;
      return sqlString(String(value));
  }
}

/** An initial or write default (the spec's JSON single-value form) as a literal. */
export function jsonValueSql(value: ExactJson, type: IcebergType): string {
  if (value === null) return `CAST(NULL AS ${duckType(type)})`;
  const text = value instanceof JsonNumber ? value.text : typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : undefined;
  if (typeof type !== 'string' || text === undefined) {
    throw new LakeError('UNSUPPORTED_TYPE', `a default value of a nested type (${JSON.stringify(type)}) is not one lake reads yet`);
  }
  if (type === 'binary' || /^fixed\[\d+\]$/.test(type)) return `from_hex(${sqlString(text)})`;
  if (type === 'timestamptz' || type === 'timestamptz_ns') return `CAST(${sqlString(text)} AS TIMESTAMPTZ)`;
  return `CAST(${sqlString(text)} AS ${duckType(type)})`;
}

/** A big-endian two's-complement integer (decimal unscaled values, bounds and partition values). */
export function twosComplement(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
