/**
 * DuckDB's SQL type for an Arrow type: what a computed column is cast to so that it keeps the
 * table's type (an UPDATE's `SET x = x + 1` on an INTEGER column stays INTEGER, not BIGINT).
 */
import { Type, type DataType, type Field } from 'apache-arrow';
import { LakeError } from '../errors.js';
import { sqlIdentifier } from './duckdb-session.js';

export function duckdbType(type: DataType): string {
  switch (type.typeId) {
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Int: {
      const { bitWidth, isSigned } = type as DataType & { bitWidth: number; isSigned: boolean };
      const name = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[bitWidth]!;
      return isSigned ? name : `U${name}`;
    }
    case Type.Float:
      return (type as DataType & { precision: number }).precision === 1 ? 'FLOAT' : 'DOUBLE';
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'VARCHAR';
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return 'BLOB';
    case Type.Decimal: {
      const { precision, scale } = type as DataType & { precision: number; scale: number };
      return `DECIMAL(${precision},${scale})`;
    }
    case Type.Date:
      return 'DATE';
    case Type.Timestamp: {
      const { timezone } = type as DataType & { timezone: string | null };
      return timezone === null || timezone === '' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
    }
    case Type.Struct:
      return `STRUCT(${(type.children as Field[]).map((f) => `${sqlIdentifier(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
    case Type.List:
    case Type.LargeList:
      return `${duckdbType((type.children as Field[])[0]!.type)}[]`;
    case Type.Map: {
      const [key, value] = ((type.children as Field[])[0]!.type.children as Field[]);
      return `MAP(${duckdbType(key!.type)}, ${duckdbType(value!.type)})`;
    }
    default:
      throw new LakeError('UNSUPPORTED_TYPE', `the Arrow type ${String(type)} has no DuckDB counterpart here`);
  }
}
