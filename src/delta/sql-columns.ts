/**
 * SQL expressions between a table's logical columns and its data files' physical ones: with
 * column mapping, struct fields at any depth have other names in the files. A value is renamed
 * by rebuilding its structs (inside lists and maps too); where no name differs the expression is
 * returned as it is.
 */
import { sqlIdentifier } from '../engine/duckdb-session.js';
import type { DeltaType } from './schema.js';

/**
 * `expression`, a value of type `from`, as a value of `to`: the same type with other struct field
 * names (field i of a struct in `from` is field i in `to`).
 */
export function renameColumns(expression: string, from: DeltaType, to: DeltaType, depth = 0): string {
  if (!namesDiffer(from, to)) return expression;
  if (typeof from === 'string' || typeof to === 'string') return expression;
  if (from.type === 'struct' && to.type === 'struct') {
    const fields = from.fields.map((field, i) => {
      const target = to.fields[i]!;
      return `${sqlIdentifier(target.name)} := ${renameColumns(`(${expression}).${sqlIdentifier(field.name)}`, field.type, target.type, depth)}`;
    });
    // struct_pack of a NULL struct's fields would be a struct of nulls, not NULL.
    return `CASE WHEN (${expression}) IS NULL THEN NULL ELSE struct_pack(${fields.join(', ')}) END`;
  }
  const x = `__lake_x${depth}`;
  if (from.type === 'array' && to.type === 'array') {
    return `list_transform(${expression}, ${x} -> ${renameColumns(x, from.elementType, to.elementType, depth + 1)})`;
  }
  if (from.type === 'map' && to.type === 'map') {
    const key = renameColumns(`${x}.key`, from.keyType, to.keyType, depth + 1);
    const value = renameColumns(`${x}.value`, from.valueType, to.valueType, depth + 1);
    return `map_from_entries(list_transform(map_entries(${expression}), ${x} -> struct_pack(key := ${key}, value := ${value})))`;
  }
  return expression;
}

function namesDiffer(a: DeltaType, b: DeltaType): boolean {
  if (typeof a === 'string' || typeof b === 'string') return false;
  if (a.type === 'struct' && b.type === 'struct') return a.fields.some((f, i) => f.name !== b.fields[i]?.name || namesDiffer(f.type, b.fields[i]!.type));
  if (a.type === 'array' && b.type === 'array') return namesDiffer(a.elementType, b.elementType);
  if (a.type === 'map' && b.type === 'map') return namesDiffer(a.keyType, b.keyType) || namesDiffer(a.valueType, b.valueType);
  return false;
}
