/**
 * The Delta table schema (PROTOCOL.md "Schema Serialization Format"): parsing and validating the
 * `schemaString` of a metaData action, writing it back byte for byte, column mapping (physical
 * names and field ids, "Column Mapping"), the Arrow form of the schema, and the type changes that
 * "Type Widening" allows.
 *
 * The in-memory form mirrors the JSON: a primitive type is its name (`'long'`, `'decimal(10,2)'`,
 * `'timestamp_ntz'`), a complex type is an object whose `type` is `'struct'`, `'array'` or `'map'`.
 * So `typeof t === 'string'` tells leaves from nested types. Field metadata is kept as parsed; its
 * integers beyond 2^53 (identity column values) are kept exactly as bigints.
 */
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  List,
  Map_,
  Null,
  Schema,
  Struct,
  TimeUnit,
  Timestamp,
  Type,
  Utf8,
  type DataType,
} from 'apache-arrow';
import { LakeError } from '../errors.js';
import type { Metadata, Protocol } from './actions.js';
import { JsonNumber, parseExactJson, type ExactJson } from '../engine/predicate-json.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** A JSON value as field metadata holds it; integers beyond ±(2^53 - 1) are bigints. */
export type JsonValue = null | boolean | number | bigint | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Primitive type names other than decimal ("Primitive Types"; `void` is "Void Type"). */
export type SimpleTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'void';

/** `decimal(precision,scale)`, always in this canonical spelling (no spaces). */
export type DecimalTypeName = `decimal(${number},${number})`;

/** A type a partition column can have, and every leaf type but variant. */
export type PrimitiveType = SimpleTypeName | DecimalTypeName;

/** "Variant Data Type": semi-structured values, stored in Parquet as a struct of two binaries. */
export type VariantType = 'variant';

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly StructField[];
}

export interface ArrayType {
  readonly type: 'array';
  readonly elementType: DeltaType;
  readonly containsNull: boolean;
}

export interface MapType {
  readonly type: 'map';
  readonly keyType: DeltaType;
  readonly valueType: DeltaType;
  readonly valueContainsNull: boolean;
}

export type DeltaType = PrimitiveType | VariantType | StructType | ArrayType | MapType;

export interface StructField {
  readonly name: string;
  readonly type: DeltaType;
  readonly nullable: boolean;
  /** Column metadata ("Column Metadata"): column mapping, identity, invariants, type changes, … */
  readonly metadata: JsonObject;
}

const SIMPLE_TYPES: ReadonlySet<string> = new Set<SimpleTypeName>([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
  'void',
]);

export const MAX_DECIMAL_PRECISION = 38;

/** Column metadata keys the protocol defines. */
export const COLUMN_MAPPING_ID_KEY = 'delta.columnMapping.id';
export const COLUMN_MAPPING_PHYSICAL_NAME_KEY = 'delta.columnMapping.physicalName';
export const COLUMN_MAPPING_NESTED_IDS_KEY = 'delta.columnMapping.nested.ids';
export const TYPE_CHANGES_KEY = 'delta.typeChanges';
export const INVARIANTS_KEY = 'delta.invariants';
export const GENERATION_EXPRESSION_KEY = 'delta.generationExpression';
/** The Arrow field metadata key under which Parquet readers and writers carry a field id. */
export const PARQUET_FIELD_ID_KEY = 'PARQUET:field_id';
/** Arrow's canonical extension type name for Parquet variants (storage: struct of binaries). */
export const VARIANT_EXTENSION_NAME = 'arrow.parquet.variant';

export function isPrimitiveType(type: DeltaType): type is PrimitiveType {
  return typeof type === 'string' && type !== 'variant';
}

export function isDecimalType(type: DeltaType): type is DecimalTypeName {
  return typeof type === 'string' && type.startsWith('decimal(');
}

/** The precision and scale of a decimal type. */
export function decimalParams(type: DecimalTypeName): { precision: number; scale: number } {
  const match = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (match === null) throw new LakeError('CORRUPT_LOG', `'${type}' is not a decimal type`);
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

export function decimalType(precision: number, scale: number): DecimalTypeName {
  checkDecimal(precision, scale, `decimal(${precision},${scale})`);
  return `decimal(${precision},${scale})`;
}

function checkDecimal(precision: number, scale: number, spelled: string, where?: string): void {
  if (
    !Number.isInteger(precision) ||
    !Number.isInteger(scale) ||
    precision < 1 ||
    precision > MAX_DECIMAL_PRECISION ||
    scale < 0 ||
    scale > precision
  ) {
    throw corrupt(
      `'${spelled}' is not a valid decimal type: precision must be 1 to ${MAX_DECIMAL_PRECISION} and scale 0 to the precision`,
      where,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses and validates a metaData action's `schemaString`. Anything malformed is a LakeError
 * 'CORRUPT_LOG' that names the column and what is wrong with it.
 *
 * Accepted beyond what Spark writes, because the protocol's own examples use it: `"decimal"`
 * (= decimal(10,0)) and spaces inside `decimal( p , s )`, `{"type": "variant"}` for variant,
 * `"null"` for void, and missing `metadata` (empty), `nullable`, `containsNull` and
 * `valueContainsNull` (true). Keys the protocol does not define are ignored.
 */
export function parseSchema(schemaString: string): StructType {
  if (typeof schemaString !== 'string') {
    throw new LakeError('CORRUPT_LOG', `the table's metaData action has no schemaString (found ${String(schemaString)})`);
  }
  let json: JsonValue;
  try {
    json = parseJson(schemaString);
  } catch (error) {
    throw new LakeError('CORRUPT_LOG', `the table schema (metaData.schemaString) is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const type = parseType(json, undefined);
  if (typeof type === 'string' || type.type !== 'struct') {
    throw corrupt(`the top level must be a struct, found ${describeJson(json)}`, undefined);
  }
  return type;
}

/** Parses one type from its JSON form (as found in a schema, or in `delta.typeChanges`). */
export function parseDataType(json: JsonValue, where?: string): DeltaType {
  return parseType(json, where);
}

function parseType(json: JsonValue, where: string | undefined): DeltaType {
  if (typeof json === 'string') return parseTypeName(json, where);
  if (!isObject(json)) throw corrupt(`expected a type name or a type object, found ${describeJson(json)}`, where);
  const kind = json['type'];
  switch (kind) {
    case 'struct':
      return parseStruct(json, where);
    case 'array': {
      const elementType = required(json, 'elementType', where);
      return {
        type: 'array',
        elementType: parseType(elementType, join(where, 'element')),
        containsNull: optionalBoolean(json, 'containsNull', where),
      };
    }
    case 'map': {
      const keyType = required(json, 'keyType', where);
      const valueType = required(json, 'valueType', where);
      return {
        type: 'map',
        keyType: parseType(keyType, join(where, 'key')),
        valueType: parseType(valueType, join(where, 'value')),
        valueContainsNull: optionalBoolean(json, 'valueContainsNull', where),
      };
    }
    case 'variant':
      return 'variant';
    default:
      throw corrupt(
        typeof kind === 'string'
          ? `unknown type '${kind}' (expected struct, array, map or a primitive type name)`
          : `a type object needs a "type" of struct, array or map, found ${describeJson(json)}`,
        where,
      );
  }
}

function parseTypeName(name: string, where: string | undefined): PrimitiveType | VariantType {
  if (SIMPLE_TYPES.has(name)) return name as SimpleTypeName;
  if (name === 'variant') return 'variant';
  if (name === 'null') return 'void';
  if (name === 'decimal') return 'decimal(10,0)';
  const decimal = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/.exec(name);
  if (decimal !== null) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    checkDecimal(precision, scale, name, where);
    return `decimal(${precision},${scale})`;
  }
  throw corrupt(`unknown type '${name}'`, where);
}

function parseStruct(json: JsonObject, where: string | undefined): StructType {
  const fields = required(json, 'fields', where);
  if (!Array.isArray(fields)) throw corrupt(`"fields" of a struct must be an array, found ${describeJson(fields)}`, where);
  const parsed: StructField[] = [];
  const seen = new Map<string, string>();
  (fields as readonly JsonValue[]).forEach((field, index) => {
    if (!isObject(field)) {
      throw corrupt(`field ${index} of the struct must be an object, found ${describeJson(field)}`, where);
    }
    const name = field['name'];
    if (typeof name !== 'string') {
      throw corrupt(`field ${index} of the struct needs a string "name", found ${describeJson(name ?? null)}`, where);
    }
    const path = join(where, name);
    const folded = name.toLowerCase();
    const clash = seen.get(folded);
    if (clash !== undefined) {
      throw corrupt(
        clash === name
          ? `column name '${name}' appears twice`
          : `column names '${clash}' and '${name}' differ only in case, which Delta does not allow`,
        where,
      );
    }
    seen.set(folded, name);
    if (!('type' in field)) throw corrupt('the field has no "type"', path);
    const metadata = field['metadata'];
    if (metadata !== undefined && !isObject(metadata)) {
      throw corrupt(`"metadata" must be an object, found ${describeJson(metadata)}`, path);
    }
    parsed.push({
      name,
      type: parseType(field['type'] as JsonValue, path),
      nullable: optionalBoolean(field, 'nullable', path),
      metadata: metadata ?? {},
    });
  });
  return { type: 'struct', fields: parsed };
}

function required(json: JsonObject, key: string, where: string | undefined): JsonValue {
  const value = json[key];
  if (value === undefined) throw corrupt(`the ${String(json['type'])} type has no "${key}"`, where);
  return value;
}

function optionalBoolean(json: JsonObject, key: string, where: string | undefined): boolean {
  const value = json[key];
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw corrupt(`"${key}" must be true or false, found ${describeJson(value)}`, where);
  return value;
}

function corrupt(message: string, where: string | undefined): LakeError {
  return new LakeError(
    'CORRUPT_LOG',
    `the table schema (metaData.schemaString) is invalid${where === undefined ? '' : ` at column ${where}`}: ${message}`,
  );
}

function join(where: string | undefined, name: string): string {
  return where === undefined ? name : `${where}.${name}`;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: JsonValue): string {
  const text = stringifyJson(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------------------------

/**
 * The schema as a schemaString: compact JSON with Spark's key order, so a schema Spark wrote comes
 * back byte for byte (numbers in metadata keep their value; `1.0` is written `1`).
 */
export function schemaToString(schema: StructType): string {
  return stringifyJson(typeToJson(schema));
}

/**
 * The schema as a plain JSON-ready object (`JSON.stringify` of it equals `schemaToString`, except
 * that metadata integers beyond 2^53 become ordinary, rounded, numbers here).
 */
export function schemaToJson(schema: StructType): Record<string, unknown> {
  return toPlainJson(typeToJson(schema)) as Record<string, unknown>;
}

/** The JSON form of a type, with Spark's key order. */
export function typeToJson(type: DeltaType): JsonValue {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: type.fields.map((field) => ({
          name: field.name,
          type: typeToJson(field.type),
          nullable: field.nullable,
          metadata: field.metadata,
        })),
      };
    case 'array':
      return { type: 'array', elementType: typeToJson(type.elementType), containsNull: type.containsNull };
    case 'map':
      return {
        type: 'map',
        keyType: typeToJson(type.keyType),
        valueType: typeToJson(type.valueType),
        valueContainsNull: type.valueContainsNull,
      };
  }
}

function toPlainJson(value: JsonValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = toPlainJson(item);
    return out;
  }
  return value;
}

/** A readable one-line form of a type, e.g. `array<struct<a: long>>`. */
export function typeToString(type: DeltaType): string {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(', ')}>`;
    case 'array':
      return `array<${typeToString(type.elementType)}>`;
    case 'map':
      return `map<${typeToString(type.keyType)}, ${typeToString(type.valueType)}>`;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON with exact big integers
// ---------------------------------------------------------------------------------------------

/**
 * JSON.parse, except that integers outside ±(2^53 - 1) become bigints instead of being rounded
 * (Spark writes identity column bounds as 64-bit JSON numbers). Duplicate keys: the last wins.
 * The text is read by the engine's exact parser; only numbers are converted here.
 */
export function parseJson(text: string): JsonValue {
  return fromExact(parseExactJson(text));
}

function fromExact(value: ExactJson): JsonValue {
  if (value instanceof JsonNumber) {
    const n = Number(value.text);
    return value.isInteger && !Number.isSafeInteger(n) ? BigInt(value.text) : n;
  }
  if (Array.isArray(value)) return value.map(fromExact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    // defineProperty: a key named __proto__ is an ordinary key here.
    for (const [key, item] of Object.entries(value)) Object.defineProperty(out, key, { value: fromExact(item), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value as JsonValue;
}

/** JSON.stringify for JsonValue, writing bigints as exact JSON numbers. */
export function stringifyJson(value: JsonValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(stringifyJson).join(',')}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value as JsonObject)) parts.push(`${JSON.stringify(key)}:${stringifyJson(item)}`);
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------------------------------------
// Column mapping
// ---------------------------------------------------------------------------------------------

export type ColumnMappingMode = 'none' | 'name' | 'id';

/** Whether the protocol lets readers honor `delta.columnMapping.mode` ("Column Mapping"). */
export function protocolSupportsColumnMapping(protocol: Protocol): boolean {
  if (protocol.minReaderVersion === 2) return true;
  return protocol.minReaderVersion >= 3 && (protocol.readerFeatures ?? []).includes('columnMapping');
}

/**
 * The table's column mapping mode, from `delta.columnMapping.mode` (case-insensitive; absent:
 * none). With `protocol`, the property counts only if the protocol supports column mapping (reader
 * version 2, or 3 with the `columnMapping` feature), as the protocol requires.
 */
export function columnMappingMode(metadata: Pick<Metadata, 'configuration'>, protocol?: Protocol): ColumnMappingMode {
  const value = metadata.configuration['delta.columnMapping.mode'];
  if (value === undefined) return 'none';
  if (protocol !== undefined && !protocolSupportsColumnMapping(protocol)) return 'none';
  const mode = value.toLowerCase();
  if (mode === 'none' || mode === 'name' || mode === 'id') return mode;
  throw new LakeError(
    'UNSUPPORTED_FEATURE',
    `the table's column mapping mode '${value}' (delta.columnMapping.mode) is unknown; lake reads none, name and id`,
  );
}

/** The field's column mapping id (`delta.columnMapping.id`), if it has one. */
export function fieldId(field: StructField): number | undefined {
  return fieldIdAt(field, field.name);
}

function fieldIdAt(field: StructField, where: string): number | undefined {
  const id = field.metadata[COLUMN_MAPPING_ID_KEY];
  if (id === undefined || id === null) return undefined;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < -(2 ** 31) || id >= 2 ** 31) {
    throw corrupt(`${COLUMN_MAPPING_ID_KEY} must be a 32-bit integer, found ${describeJson(id)}`, where);
  }
  return id;
}

/**
 * The name the field has in data files and in `partitionValues`/statistics: its logical name in
 * 'none' mode, else `delta.columnMapping.physicalName` (which every field must have then).
 */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  return physicalNameAt(field, mode, field.name);
}

function physicalNameAt(field: StructField, mode: ColumnMappingMode, where: string): string {
  if (mode === 'none') return field.name;
  const name = field.metadata[COLUMN_MAPPING_PHYSICAL_NAME_KEY];
  if (typeof name === 'string' && name !== '') return name;
  throw corrupt(
    name === undefined
      ? `the table uses column mapping (mode ${mode}) but the column has no ${COLUMN_MAPPING_PHYSICAL_NAME_KEY}`
      : `${COLUMN_MAPPING_PHYSICAL_NAME_KEY} must be a non-empty string, found ${describeJson(name)}`,
    where,
  );
}

/**
 * The physical schema: every struct field, at any depth, renamed to its physical name, its
 * metadata kept (so `fieldId` still works on it). Checks that every field has what the mode needs
 * (a physical name; in 'id' mode also an id). In 'none' mode the schema itself is returned.
 * Fields keep the logical schema's order at every level, so position i of the physical schema is
 * position i of the logical one: that is how a scan maps file columns back to logical names.
 * Partition columns are in it too; they are not stored in data files (see partition-values.ts).
 */
export function physicalSchema(schema: StructType, mode: ColumnMappingMode): StructType {
  if (mode === 'none') return schema;
  return physicalStruct(schema, mode, undefined);
}

function physicalStruct(struct: StructType, mode: ColumnMappingMode, where: string | undefined): StructType {
  return {
    type: 'struct',
    fields: struct.fields.map((field) => {
      const path = join(where, field.name);
      const name = physicalNameAt(field, mode, path);
      if (mode === 'id' && fieldIdAt(field, path) === undefined) {
        throw corrupt(`the table uses column mapping mode id but the column has no ${COLUMN_MAPPING_ID_KEY}`, path);
      }
      return { ...field, name, type: physicalType(field.type, mode, path) };
    }),
  };
}

function physicalType(type: DeltaType, mode: ColumnMappingMode, where: string): DeltaType {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return physicalStruct(type, mode, where);
    case 'array':
      return { ...type, elementType: physicalType(type.elementType, mode, `${where}.element`) };
    case 'map':
      return {
        ...type,
        keyType: physicalType(type.keyType, mode, `${where}.key`),
        valueType: physicalType(type.valueType, mode, `${where}.value`),
      };
  }
}

/** The top-level field with this logical name (exact match first, then case-insensitive). */
export function fieldByName(struct: StructType, name: string): StructField | undefined {
  return struct.fields.find((f) => f.name === name) ?? struct.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
}

/**
 * The Arrow field of a data file that holds `field` (a field of the *logical* schema): in 'id'
 * mode the one whose `PARQUET:field_id` is the field's id, in 'name' mode the one named by its
 * physical name, in 'none' mode by its name; names match exactly, else case-insensitively when
 * that is unambiguous (Spark's default). -1 when the file does not have the column (read it as
 * nulls). In 'id' mode a file without any field ids is refused ('SCHEMA_MISMATCH'), as the
 * protocol allows ("refuse to read that file or return nulls for each column").
 * `fileFields` are the children of one level (top level, or a struct's children).
 */
export function findFileField(fileFields: readonly Field[], field: StructField, mode: ColumnMappingMode): number {
  if (mode === 'id') {
    const id = fieldId(field);
    if (id === undefined) {
      throw corrupt(`the table uses column mapping mode id but the column has no ${COLUMN_MAPPING_ID_KEY}`, field.name);
    }
    if (!fileFields.some((f) => f.metadata.has(PARQUET_FIELD_ID_KEY))) {
      throw new LakeError(
        'SCHEMA_MISMATCH',
        `the data file has no Parquet field ids, which the table's column mapping mode id needs to find column ${field.name}`,
      );
    }
    return fileFields.findIndex((f) => f.metadata.get(PARQUET_FIELD_ID_KEY) === String(id));
  }
  const name = physicalName(field, mode);
  const exact = fileFields.findIndex((f) => f.name === name);
  if (exact !== -1) return exact;
  const folded = name.toLowerCase();
  const matches = fileFields.flatMap((f, i) => (f.name.toLowerCase() === folded ? [i] : []));
  return matches.length === 1 ? matches[0]! : -1;
}

// ---------------------------------------------------------------------------------------------
// Arrow
// ---------------------------------------------------------------------------------------------

export interface ArrowSchemaOptions {
  /**
   * Put each field's column mapping id (and the `delta.columnMapping.nested.ids` of array
   * elements and map keys/values) into Arrow field metadata as `PARQUET:field_id`, the way
   * Parquet readers and writers carry field ids. Use on a physical schema.
   */
  readonly fieldIds?: boolean;
}

/**
 * The Arrow schema of a Delta struct ("Delta Data Type to Parquet Type Mappings" read as Arrow):
 * string→Utf8, long→Int64, integer→Int32, short→Int16, byte→Int8, float→Float32, double→Float64,
 * boolean→Bool, binary→Binary, date→DateDay, timestamp→Timestamp(µs, 'UTC'),
 * timestamp_ntz→Timestamp(µs, no zone), decimal(p,s)→Decimal128(p, s), void→Null,
 * struct→Struct, array→List (child 'element'), map→Map (keys not sorted; entries struct 'entries'
 * with 'key' (non-null) and 'value' — arrow-js forces the name 'entries', arrow-rs and so
 * parquet-wasm use it too; Parquet's own name is 'key_value'), variant→Struct<metadata: Binary,
 * value: Binary> (both non-null, the field tagged with Arrow's `arrow.parquet.variant` extension
 * name). Nullability is carried over.
 */
export function toArrowSchema(struct: StructType, options: ArrowSchemaOptions = {}): Schema {
  return new Schema(struct.fields.map((field) => toArrowField(field, options)));
}

/** One struct field as an Arrow field (see toArrowSchema). */
export function toArrowField(field: StructField, options: ArrowSchemaOptions = {}): Field {
  const ids = options.fieldIds === true ? nestedIds(field) : undefined;
  const metadata = new Map<string, string>();
  if (options.fieldIds === true) {
    const id = fieldId(field);
    if (id !== undefined) metadata.set(PARQUET_FIELD_ID_KEY, String(id));
  }
  if (field.type === 'variant') metadata.set('ARROW:extension:name', VARIANT_EXTENSION_NAME).set('ARROW:extension:metadata', '');
  return new Field(field.name, arrowType(field.type, options, ids, field.name, field.name), field.nullable, metadata);
}

/** The Arrow type of a Delta type (see toArrowSchema). */
export function toArrowType(type: DeltaType, options: ArrowSchemaOptions = {}): DataType {
  return arrowType(type, options, undefined, '', '');
}

/** The Arrow storage type of an unshredded variant. */
export function variantArrowType(): Struct {
  return new Struct([new Field('metadata', new Binary(), false), new Field('value', new Binary(), false)]);
}

function arrowType(
  type: DeltaType,
  options: ArrowSchemaOptions,
  ids: ReadonlyMap<string, number> | undefined,
  idPath: string,
  where: string,
): DataType {
  if (typeof type === 'string') return primitiveArrowType(type, where);
  const child = (name: string, childType: DeltaType, nullable: boolean): Field => {
    const path = `${idPath}.${name}`;
    const metadata = new Map<string, string>();
    const id = ids?.get(path);
    if (id !== undefined) metadata.set(PARQUET_FIELD_ID_KEY, String(id));
    if (childType === 'variant') metadata.set('ARROW:extension:name', VARIANT_EXTENSION_NAME).set('ARROW:extension:metadata', '');
    return new Field(name, arrowType(childType, options, ids, path, `${where}.${name}`), nullable, metadata);
  };
  switch (type.type) {
    case 'struct':
      return new Struct(type.fields.map((field) => toArrowField(field, options)));
    case 'array':
      return new List(child('element', type.elementType, type.containsNull));
    case 'map': {
      const entries = new Struct<{ key: DataType; value: DataType }>([
        child('key', type.keyType, false),
        child('value', type.valueType, type.valueContainsNull),
      ]);
      return new Map_(new Field('entries', entries, false), false);
    }
  }
}

function primitiveArrowType(type: PrimitiveType | VariantType, where: string): DataType {
  switch (type) {
    case 'string':
      return new Utf8();
    case 'long':
      return new Int64();
    case 'integer':
      return new Int32();
    case 'short':
      return new Int16();
    case 'byte':
      return new Int8();
    case 'float':
      return new Float32();
    case 'double':
      return new Float64();
    case 'boolean':
      return new Bool();
    case 'binary':
      return new Binary();
    case 'date':
      return new DateDay();
    case 'timestamp':
      return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
    case 'timestamp_ntz':
      return new Timestamp(TimeUnit.MICROSECOND, null);
    case 'void':
      return new Null();
    case 'variant':
      return variantArrowType();
    default: {
      if (isDecimalType(type)) {
        const { precision, scale } = decimalParams(type);
        return new Decimal(scale, precision, 128);
      }
      throw new LakeError('UNSUPPORTED_TYPE', `${where === '' ? 'a column' : `column ${where}`} has type ${String(type)}, which lake cannot read`);
    }
  }
}

/**
 * The Delta type of an Arrow type: the inverse of toArrowType, and more lenient (any string or
 * binary flavour, Date64, any timestamp unit, Large/FixedSize lists, dictionaries by their value
 * type). A zoned timestamp is `timestamp`, a zoneless one `timestamp_ntz` — except that Parquet
 * INT96 columns (Spark's legacy `timestamp`) also come out of Parquet readers zoneless, which only
 * the Parquet footer can tell. Struct fields get empty metadata. Types with no Delta counterpart
 * (unsigned integers, float16, time, interval, union, …) are a LakeError 'UNSUPPORTED_TYPE'.
 * A scan can compare a file's column type with the table's through this and isSupportedWidening.
 */
export function fromArrowType(type: DataType, where?: string): DeltaType {
  const unsupported = (): LakeError =>
    new LakeError(
      'UNSUPPORTED_TYPE',
      `${where === undefined ? 'a column' : `column ${where}`} has Arrow type ${String(type)}, which has no Delta type`,
    );
  switch (type.typeId) {
    case Type.Null:
      return 'void';
    case Type.Bool:
      return 'boolean';
    case Type.Int: {
      const { bitWidth, isSigned } = type as DataType & { bitWidth: number; isSigned: boolean };
      if (!isSigned) throw unsupported();
      return bitWidth === 8 ? 'byte' : bitWidth === 16 ? 'short' : bitWidth === 32 ? 'integer' : 'long';
    }
    case Type.Float: {
      const { precision } = type as DataType & { precision: number };
      if (precision === 1) return 'float';
      if (precision === 2) return 'double';
      throw unsupported();
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return 'string';
    case Type.Binary:
    case Type.LargeBinary:
    case Type.BinaryView:
    case Type.FixedSizeBinary:
      return 'binary';
    case Type.Date:
      return 'date';
    case Type.Timestamp: {
      const { timezone } = type as DataType & { timezone: string | null | undefined };
      return timezone === null || timezone === undefined || timezone === '' ? 'timestamp_ntz' : 'timestamp';
    }
    case Type.Decimal: {
      const { precision, scale } = type as DataType & { precision: number; scale: number };
      if (precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > precision) throw unsupported();
      return `decimal(${precision},${scale})`;
    }
    case Type.Struct:
      return {
        type: 'struct',
        fields: (type.children as Field[]).map((child) => ({
          name: child.name,
          type: fromArrowType(child.type, join(where, child.name)),
          nullable: child.nullable,
          metadata: {},
        })),
      };
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList: {
      const element = type.children[0] as Field;
      return { type: 'array', elementType: fromArrowType(element.type, join(where, 'element')), containsNull: element.nullable };
    }
    case Type.Map: {
      const [key, value] = (type.children[0] as Field).type.children as Field[];
      if (key === undefined || value === undefined) throw unsupported();
      return {
        type: 'map',
        keyType: fromArrowType(key.type, join(where, 'key')),
        valueType: fromArrowType(value.type, join(where, 'value')),
        valueContainsNull: value.nullable,
      };
    }
    case Type.Dictionary:
      return fromArrowType((type as DataType & { dictionary: DataType }).dictionary, where);
    default:
      throw unsupported();
  }
}

/** The Delta struct of an Arrow schema (see fromArrowType). */
export function fromArrowSchema(schema: Schema): StructType {
  return fromArrowType(new Struct(schema.fields)) as StructType;
}

/** `delta.columnMapping.nested.ids` of a field ("Iceberg Compatibility V2"): path → id. */
function nestedIds(field: StructField): ReadonlyMap<string, number> | undefined {
  const raw = field.metadata[COLUMN_MAPPING_NESTED_IDS_KEY];
  if (!isObject(raw)) return undefined;
  const ids = new Map<string, number>();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'number' && Number.isInteger(value)) ids.set(key, value);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Type widening
// ---------------------------------------------------------------------------------------------

/** One entry of `delta.typeChanges` ("Type Change Metadata"). */
export interface TypeChange {
  readonly fromType: PrimitiveType;
  readonly toType: PrimitiveType;
  /** For a map key/value or array element: e.g. 'key', 'element.value'. */
  readonly fieldPath?: string;
}

/**
 * The type changes the protocol allows ("Type Widening"), as a table:
 * integer widening byte→short→integer→long; float→double; byte/short/integer→double;
 * date→timestamp_ntz; decimal(p,s)→decimal(p+k1,s+k2) with k1 ≥ k2 ≥ 0;
 * byte/short/integer→decimal(10+k1,k2) and long→decimal(20+k1,k2) with k1 ≥ k2 ≥ 0.
 */
export const SUPPORTED_TYPE_WIDENINGS: readonly { readonly from: string; readonly to: string }[] = [
  { from: 'byte', to: 'short' },
  { from: 'byte', to: 'integer' },
  { from: 'byte', to: 'long' },
  { from: 'short', to: 'integer' },
  { from: 'short', to: 'long' },
  { from: 'integer', to: 'long' },
  { from: 'float', to: 'double' },
  { from: 'byte', to: 'double' },
  { from: 'short', to: 'double' },
  { from: 'integer', to: 'double' },
  { from: 'date', to: 'timestamp_ntz' },
  { from: 'decimal(p,s)', to: 'decimal(p+k1,s+k2), k1 >= k2 >= 0' },
  { from: 'byte', to: 'decimal(10+k1,k2), k1 >= k2 >= 0' },
  { from: 'short', to: 'decimal(10+k1,k2), k1 >= k2 >= 0' },
  { from: 'integer', to: 'decimal(10+k1,k2), k1 >= k2 >= 0' },
  { from: 'long', to: 'decimal(20+k1,k2), k1 >= k2 >= 0' },
];

const INTEGER_RANK: Readonly<Record<string, number>> = { byte: 1, short: 2, integer: 3, long: 4 };

/**
 * Whether values of type `from` may be read as `to` under "Type Widening" (identical types
 * included). A scan uses it to accept a narrower type in a data file before casting up.
 */
export function isSupportedWidening(from: DeltaType, to: DeltaType): boolean {
  if (from === to) return true;
  if (typeof from !== 'string' || typeof to !== 'string') return false;
  const fromRank = INTEGER_RANK[from];
  const toRank = INTEGER_RANK[to];
  if (fromRank !== undefined && toRank !== undefined) return fromRank < toRank;
  if (to === 'double') return from === 'float' || (fromRank !== undefined && fromRank <= 3);
  if (from === 'date') return to === 'timestamp_ntz';
  if (isDecimalType(to)) {
    const target = decimalParams(to);
    if (isDecimalType(from)) {
      const source = decimalParams(from);
      const k1 = target.precision - source.precision;
      const k2 = target.scale - source.scale;
      return k2 >= 0 && k1 >= k2;
    }
    if (fromRank !== undefined) {
      const base = fromRank <= 3 ? 10 : 20;
      const k1 = target.precision - base;
      return target.scale >= 0 && k1 >= target.scale;
    }
  }
  return false;
}

/** The `delta.typeChanges` history of a field (a JSON list, or a string holding one). */
export function typeChanges(field: StructField, where: string = field.name): TypeChange[] {
  let raw = field.metadata[TYPE_CHANGES_KEY];
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') {
    try {
      raw = parseJson(raw);
    } catch (error) {
      throw corrupt(`${TYPE_CHANGES_KEY} is not valid JSON: ${(error as Error).message}`, where);
    }
  }
  if (!Array.isArray(raw)) throw corrupt(`${TYPE_CHANGES_KEY} must be a list, found ${describeJson(raw as JsonValue)}`, where);
  return (raw as readonly JsonValue[]).map((entry) => {
    if (!isObject(entry)) throw corrupt(`${TYPE_CHANGES_KEY} entries must be objects, found ${describeJson(entry)}`, where);
    const fromType = entry['fromType'];
    const toType = entry['toType'];
    const fieldPath = entry['fieldPath'];
    if (typeof fromType !== 'string' || typeof toType !== 'string') {
      throw corrupt(`${TYPE_CHANGES_KEY} entries need string fromType and toType, found ${describeJson(entry)}`, where);
    }
    if (fieldPath !== undefined && typeof fieldPath !== 'string') {
      throw corrupt(`${TYPE_CHANGES_KEY} fieldPath must be a string, found ${describeJson(fieldPath)}`, where);
    }
    const from = parseTypeName(fromType, where);
    const to = parseTypeName(toType, where);
    if (from === 'variant' || to === 'variant') throw corrupt(`${TYPE_CHANGES_KEY} cannot change a variant`, where);
    return fieldPath === undefined ? { fromType: from, toType: to } : { fromType: from, toType: to, fieldPath };
  });
}

/**
 * Checks every `delta.typeChanges` in the schema ("Reader Requirements for Type Widening":
 * readers must fail on a type change they do not support): throws 'UNSUPPORTED_TYPE_CHANGE'
 * naming the column and the change. Malformed entries are 'CORRUPT_LOG'.
 */
export function checkTypeChanges(schema: StructType): void {
  const visit = (struct: StructType, where: string | undefined): void => {
    for (const field of struct.fields) {
      const path = join(where, field.name);
      for (const change of typeChanges(field, path)) {
        if (!isSupportedWidening(change.fromType, change.toType)) {
          const column = change.fieldPath === undefined ? path : `${path}.${change.fieldPath}`;
          throw new LakeError(
            'UNSUPPORTED_TYPE_CHANGE',
            `column ${column} was changed from ${change.fromType} to ${change.toType}, a type change lake cannot read (Delta type widening allows only the changes its protocol lists)`,
          );
        }
      }
      visitType(field.type, path);
    }
  };
  const visitType = (type: DeltaType, where: string): void => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') visit(type, where);
    else if (type.type === 'array') visitType(type.elementType, `${where}.element`);
    else {
      visitType(type.keyType, `${where}.key`);
      visitType(type.valueType, `${where}.value`);
    }
  };
  visit(schema, undefined);
}

// ---------------------------------------------------------------------------------------------
// Other column metadata (writers' concerns, read here so the metadata has one owner)
// ---------------------------------------------------------------------------------------------

/** "Column Invariants": the SQL expression in `delta.invariants`, if any. */
export function columnInvariant(field: StructField): string | undefined {
  const raw = field.metadata[INVARIANTS_KEY];
  if (raw === undefined || raw === null) return undefined;
  let parsed: JsonValue = raw;
  if (typeof raw === 'string') {
    try {
      parsed = parseJson(raw);
    } catch (error) {
      throw corrupt(`${INVARIANTS_KEY} is not valid JSON: ${(error as Error).message}`, field.name);
    }
  }
  const outer = isObject(parsed) ? parsed['expression'] : undefined;
  const expression = isObject(outer) ? outer['expression'] : undefined;
  if (typeof expression !== 'string') {
    throw corrupt(`${INVARIANTS_KEY} must hold {"expression": {"expression": "<SQL>"}}`, field.name);
  }
  return expression;
}

/** "Generated Columns": the SQL expression in `delta.generationExpression`, if any. */
export function generationExpression(field: StructField): string | undefined {
  const raw = field.metadata[GENERATION_EXPRESSION_KEY];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw corrupt(`${GENERATION_EXPRESSION_KEY} must be a string`, field.name);
  return raw;
}

export interface IdentityColumn {
  readonly start: bigint;
  readonly step: bigint;
  readonly highWaterMark: bigint | undefined;
  readonly allowExplicitInsert: boolean;
}

/** "Identity Columns": the `delta.identity.*` properties of a field, if it is one. */
export function identityColumn(field: StructField): IdentityColumn | undefined {
  const m = field.metadata;
  if (m['delta.identity.start'] === undefined && m['delta.identity.step'] === undefined) return undefined;
  const long = (key: string, optional: boolean): bigint | undefined => {
    const value = m[key];
    if ((value === undefined || value === null) && optional) return undefined;
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
    throw corrupt(`${key} must be a 64-bit integer, found ${describeJson(value ?? null)}`, field.name);
  };
  const step = long('delta.identity.step', false)!;
  if (step === 0n) throw corrupt('delta.identity.step must not be 0', field.name);
  const allow = m['delta.identity.allowExplicitInsert'];
  return {
    start: long('delta.identity.start', false)!,
    step,
    highWaterMark: long('delta.identity.highWaterMark', true),
    allowExplicitInsert: allow === true || allow === 'true',
  };
}
