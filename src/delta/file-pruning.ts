/**
 * Delta file pruning: which files of a snapshot may hold rows matching a `where` predicate, from
 * their partition values and per-file statistics (PROTOCOL.md "Per-file Statistics"). The predicate
 * logic is engine/predicate-prune.ts; this module turns an `add` action into the facts it needs.
 *
 * - Partition columns: the file's single value (typed by partition-values.ts; null partitions are
 *   all-null columns).
 * - `stats` JSON (or `stats_parsed` from a checkpoint when `stats` is absent): numRecords,
 *   minValues, maxValues, nullCount, nested like the schema and keyed by physical names (column
 *   mapping). Numbers are read exactly (64-bit integers and decimals do not go through doubles).
 * - Bounds are used as bounds only ("wide bounds" are enough): minValues ≤ every value ≤ maxValues.
 *   Deletion vectors only remove rows, so bounds stay valid; numRecords minus the vector's
 *   cardinality is the file's live row count.
 * - nullCount counts only when it is 0 (no nulls) or numRecords (all null): with wide bounds
 *   (tightBounds false) other values carry no information.
 * - Timestamps in statistics are truncated to milliseconds: bounds are widened by 1 ms each way.
 * - Strings are cut to a prefix (32 characters by default): a minimum stays a lower bound; a
 *   maximum of that length or more is used as "at most a string starting with it" (its UTF-8
 *   bytes followed by 0xFF), which is an upper bound whether the writer appended a tie-breaker
 *   character (Delta Spark does) or not.
 * - Floats: JSON numbers of float columns are rounded to 32 bits (Java writes the shortest text
 *   that reads back as the float); NaN is assumed possible above the maximum. A double column
 *   widened from float (type widening) gets no bounds: its old statistics are float text.
 * Anything unreadable (malformed JSON, a value that does not parse) is simply not used.
 */
import { bindPredicate, type BoundColumn, type BoundPredicate, type ScalarValue } from '../engine/predicate-bind.js';
import { isJsonObject, JsonNumber, jsonField, parseExactJson, type ExactJson } from '../engine/predicate-json.js';
import { mayMatch, type ColumnStats, type FileStats } from '../engine/predicate-prune.js';
import { parsePredicate } from '../engine/predicate.js';
import { parseDateText, parseDecimalText, parseDoubleText, parseTimestampText, rescale } from '../engine/predicate-values.js';
import type { AddFile, Metadata, Protocol } from './actions.js';
import { parsePartitionValue } from './partition-values.js';
import {
  columnMappingMode,
  decimalParams,
  isDecimalType,
  isPrimitiveType,
  parseSchema,
  physicalName,
  toArrowSchema,
  typeChanges,
  type ColumnMappingMode,
  type DeltaType,
  type StructField,
  type StructType,
} from './schema.js';
import type { DeltaSnapshot } from './snapshot.js';

/** Delta's default string statistics prefix length (`delta.dataSkippingStringPrefixLength`). */
export const DEFAULT_STRING_PREFIX_LENGTH = 32;

/** Parses `where` and binds it to the snapshot's logical schema (see engine/predicate.ts). */
export async function bindWhere(snapshot: DeltaSnapshot, where: string): Promise<BoundPredicate> {
  return bindPredicate(await parsePredicate(where), toArrowSchema(snapshot.schema));
}

/** The live files of the snapshot that may hold rows matching `where`, in the snapshot's order. */
export async function filesMatching(snapshot: DeltaSnapshot, where: string): Promise<AddFile[]> {
  const keep = filePruner(snapshot, await bindWhere(snapshot, where));
  return snapshot.files.filter(keep);
}

/**
 * `where` as a test of partition values alone, for pushing it into log replay (the checkpoint
 * reader's partition filter): given the table's protocol and metadata, a function that is false
 * for partition values no matching row can have. Columns other than partition columns are
 * unconstrained here (statistics are not looked at), so it only ever drops what pruning would.
 */
export function partitionFilterFromWhere(
  where: string,
): (table: { readonly protocol: Protocol; readonly metadata: Metadata }) => Promise<(partitionValues: Readonly<Record<string, string | null>>) => boolean> {
  return async (table) => {
    const context = pruningContext(table);
    const predicate = bindPredicate(await parsePredicate(where), toArrowSchema(context.schema));
    return (partitionValues) =>
      mayMatch(predicate, deltaFileStats({ path: '', partitionValues, size: 0, modificationTime: 0, dataChange: false, stats: null }, context, { partitionsOnly: true }));
  };
}

/** A test of files against a bound predicate: false means no row of the file can match. */
export function filePruner(snapshot: DeltaSnapshot, predicate: BoundPredicate): (file: AddFile) => boolean {
  return filePrunerFor(snapshot, predicate);
}

/** filePruner for any table state with a protocol and metadata (a snapshot, a transaction's read). */
export function filePrunerFor(
  table: { readonly metadata: Metadata; readonly protocol: Protocol; readonly schema?: StructType },
  predicate: BoundPredicate,
): (file: AddFile) => boolean {
  const context = pruningContext(table);
  return (file) => mayMatch(predicate, deltaFileStats(file, context));
}

export interface PruningContext {
  readonly schema: StructType;
  readonly mode: ColumnMappingMode;
  readonly partitionColumns: ReadonlySet<string>;
  /** Strings in statistics this long (UTF-16 units, as Java counts) may have been truncated. */
  readonly stringPrefixLength: number;
}

/** What pruning needs of a table: its schema, column mapping, partition columns, prefix length. */
export function pruningContext(table: { readonly metadata: Metadata; readonly protocol: Protocol; readonly schema?: StructType }): PruningContext {
  const configured = Number(table.metadata.configuration['delta.dataSkippingStringPrefixLength']);
  return {
    schema: table.schema ?? parseSchema(table.metadata.schemaString),
    mode: columnMappingMode(table.metadata, table.protocol),
    partitionColumns: new Set(table.metadata.partitionColumns),
    stringPrefixLength: Number.isInteger(configured) && configured > 0 ? Math.min(configured, DEFAULT_STRING_PREFIX_LENGTH) : DEFAULT_STRING_PREFIX_LENGTH,
  };
}

/** Where a statistics value comes from: exact JSON (`stats`) or a checkpoint's `stats_parsed`. */
interface Stats {
  readonly parsed: boolean;
  readonly root: ExactJson | Record<string, unknown>;
}

/** The facts engine/predicate-prune.ts uses, for one file (`partitionsOnly`: its partition values only). */
export function deltaFileStats(file: AddFile, context: PruningContext, options: { partitionsOnly?: boolean } = {}): FileStats {
  let stats: Stats | undefined | null = options.partitionsOnly === true ? undefined : null; // null: not read yet
  const readStats = (): Stats | undefined => {
    if (stats === null) stats = parseStats(file);
    return stats;
  };
  const numRecords = (): number | undefined => {
    const s = readStats();
    if (s === undefined) return undefined;
    const n = toInteger(field(s, s.root, 'numRecords'));
    return n !== undefined && n >= 0 ? n : undefined;
  };
  const records = numRecords();
  const deleted = file.deletionVector?.cardinality ?? 0;
  return {
    ...(records === undefined ? {} : { rowCount: Math.max(0, records - deleted) }),
    column: (column) => columnStats(file, column, context, readStats(), records),
  };
}

function parseStats(file: AddFile): Stats | undefined {
  if (typeof file.stats === 'string' && file.stats !== '') {
    try {
      const root = parseExactJson(file.stats);
      return isJsonObject(root) ? { parsed: false, root } : undefined;
    } catch {
      return undefined;
    }
  }
  const parsed = (file as { stats_parsed?: unknown }).stats_parsed;
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return { parsed: true, root: parsed as Record<string, unknown> };
  return undefined;
}

/** An own property of a statistics object (JSON or stats_parsed). */
function field(stats: Stats, value: unknown, key: string): unknown {
  if (stats.parsed) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return jsonField(value as ExactJson, key);
}

function toInteger(value: unknown): number | undefined {
  if (value instanceof JsonNumber) {
    const n = value.toBigInt();
    return n !== undefined && n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return undefined;
}

function columnStats(
  file: AddFile,
  column: BoundColumn,
  context: PruningContext,
  stats: Stats | undefined,
  numRecords: number | undefined,
): ColumnStats | undefined {
  // The Delta fields along the path, for physical names and the leaf type.
  const fields: StructField[] = [];
  let struct: StructType | undefined = context.schema;
  for (const name of column.path) {
    const found: StructField | undefined = struct?.fields.find((f) => f.name === name);
    if (found === undefined) return undefined;
    fields.push(found);
    struct = typeof found.type === 'object' && found.type.type === 'struct' ? found.type : undefined;
  }
  const leaf = fields.at(-1)!;
  let physical: string[];
  try {
    physical = fields.map((f) => physicalName(f, context.mode));
  } catch {
    return undefined;
  }

  if (fields.length === 1 && context.partitionColumns.has(leaf.name)) {
    if (!isPrimitiveType(leaf.type)) return undefined;
    const serialized = file.partitionValues[physical[0]!] ?? file.partitionValues[leaf.name] ?? null;
    let value;
    try {
      value = parsePartitionValue(serialized, leaf.type, { column: leaf.name });
    } catch {
      return undefined; // the scan reports the corrupt value when it reads the file
    }
    return value === null ? { nulls: 'all' } : { nulls: 'none', min: value, max: value, exact: true };
  }

  if (stats === undefined) return undefined;
  const at = (kind: string): unknown => {
    let value: unknown = field(stats, stats.root, kind);
    for (const name of physical) value = field(stats, value, name);
    return value;
  };
  const nullCount = toInteger(at('nullCount'));
  const nulls = nullCount === 0 ? 'none' : nullCount !== undefined && nullCount === numRecords ? 'all' : undefined;
  const widenedFromFloat = leaf.type === 'double' && safeTypeChanges(leaf).some((change) => change.fromType === 'float');
  const min = widenedFromFloat ? undefined : statsValue(at('minValues'), leaf.type, 'min', stats.parsed, context);
  const max = widenedFromFloat ? undefined : statsValue(at('maxValues'), leaf.type, 'max', stats.parsed, context);
  return {
    ...(nulls === undefined ? {} : { nulls }),
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  };
}

function safeTypeChanges(field: StructField): ReturnType<typeof typeChanges> {
  try {
    return typeChanges(field);
  } catch {
    return [{ fromType: 'float', toType: 'double' }]; // unreadable history: assume the worst
  }
}

const MILLISECOND = 1_000n;

/** A min or max statistic as the column's ScalarValue, or undefined when it cannot be used. */
function statsValue(value: unknown, type: DeltaType, bound: 'min' | 'max', parsed: boolean, context: PruningContext): ScalarValue | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value instanceof JsonNumber ? value.text : typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      if (parsed && !(typeof value === 'number' && Number.isSafeInteger(value))) return undefined;
      if (text === undefined || typeof value === 'string') return undefined;
      const exact = parseDecimalText(text);
      if (exact === undefined) return undefined;
      return rescale(exact.unscaled, exact.scale, 0, bound === 'min' ? 'floor' : 'ceil');
    }
    case 'float':
    case 'double': {
      if (text === undefined) return undefined;
      const n = parseDoubleText(text);
      if (n === undefined) return undefined;
      return type === 'float' ? Math.fround(n) : n;
    }
    case 'string': {
      if (typeof value !== 'string') return undefined;
      if (bound === 'min' || value.length < context.stringPrefixLength) return value;
      const bytes = new TextEncoder().encode(value);
      const extended = new Uint8Array(bytes.length + 1);
      extended.set(bytes);
      extended[bytes.length] = 0xff;
      return extended;
    }
    case 'date':
      return typeof value === 'string' ? parseDateText(value) : undefined;
    case 'timestamp':
    case 'timestamp_ntz': {
      if (typeof value !== 'string') return undefined;
      const micros = parseTimestampText(value, type === 'timestamp');
      if (micros === undefined) return undefined;
      return bound === 'min' ? micros - MILLISECOND : micros + MILLISECOND;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    default: {
      if (!isDecimalType(type) || parsed || text === undefined) return undefined;
      const exact = parseDecimalText(text);
      if (exact === undefined) return undefined;
      return rescale(exact.unscaled, exact.scale, decimalParams(type).scale, bound === 'min' ? 'floor' : 'ceil');
    }
  }
}
