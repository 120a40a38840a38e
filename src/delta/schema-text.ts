/**
 * A table schema as a user types it: the Delta schema JSON (`{"type":"struct","fields":[…]}`), or
 * column definitions `id long not null, name string, amount decimal(10,2)` with Delta's type names
 * (and the SQL spellings bigint, int, smallint, tinyint, varchar, text, bool, real). Nested types
 * need the JSON form.
 */
import { UsageError } from '../errors.js';
import { parseDataType, parseSchema, type StructField, type StructType } from './schema.js';

const ALIASES: Readonly<Record<string, string>> = {
  bigint: 'long',
  int: 'integer',
  int4: 'integer',
  int8: 'long',
  smallint: 'short',
  tinyint: 'byte',
  varchar: 'string',
  text: 'string',
  bool: 'boolean',
  real: 'float',
  bytes: 'binary',
  blob: 'binary',
};

export function parseSchemaText(text: string): StructType {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return parseSchema(trimmed);
    } catch (error) {
      throw new UsageError(`--schema is not a Delta schema: ${(error as Error).message}`, { cause: error });
    }
  }
  const fields: StructField[] = splitTopLevel(trimmed).map((definition) => {
    const m = /^\s*(`[^`]+`|[^\s`]+)\s+(.+?)(\s+not\s+null)?\s*$/i.exec(definition);
    if (m === null) throw new UsageError(`--schema: "${definition.trim()}" is not "column type"`);
    const name = m[1]!.replace(/^`|`$/g, '');
    const spelled = m[2]!.trim().toLowerCase().replace(/\s+/g, '');
    const typeName = ALIASES[spelled] ?? spelled;
    let type;
    try {
      type = parseDataType(typeName, name);
    } catch (error) {
      throw new UsageError(`--schema: column ${name} has type ${m[2]!.trim()}, which is not a Delta type (long, integer, string, double, decimal(p,s), date, timestamp, …)`, { cause: error });
    }
    return { name, type, nullable: m[3] === undefined, metadata: {} };
  });
  if (fields.length === 0) throw new UsageError('--schema has no columns');
  return { type: 'struct', fields };
}

/** Splits at commas outside parentheses (decimal(10,2)). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim() !== '');
}
