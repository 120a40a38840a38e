/**
 * Iceberg table metadata (format/spec.md "Table Metadata"), versions 1 to 3, parsed from its JSON
 * into plain objects with one shape for every version.
 *
 * Numbers are read exactly (snapshot ids use all 64 bits: they are bigints here). Version rules:
 * - v2 and v3 require `table-uuid`, `last-sequence-number`, `schemas`, `current-schema-id`,
 *   `partition-specs`, `default-spec-id`, `last-partition-id`, `sort-orders` and
 *   `default-sort-order-id`; a file without one of them is refused, naming it.
 * - v1 may carry only the deprecated single `schema` and `partition-spec`: when `schemas` lacks a
 *   usable `current-schema-id`, the `schema` field is the current schema; when `partition-specs`
 *   has no `default-spec-id`, the highest spec id is the default (as iceberg-rust and Java do).
 *   `current-snapshot-id` -1 means none.
 * - Without `refs`, the current snapshot is the `main` branch.
 */
import { LakeError } from '../errors.js';
import { JsonNumber, parseExactJson, type ExactJson } from '../engine/predicate-json.js';

export type PrimitiveTypeName = string; // 'int', 'long', 'decimal(10,2)', 'fixed[16]', 'timestamptz', …

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly NestedField[];
}

export interface ListType {
  readonly type: 'list';
  readonly elementId: number;
  readonly element: IcebergType;
  readonly elementRequired: boolean;
}

export interface MapType {
  readonly type: 'map';
  readonly keyId: number;
  readonly key: IcebergType;
  readonly valueId: number;
  readonly value: IcebergType;
  readonly valueRequired: boolean;
}

export type IcebergType = PrimitiveTypeName | StructType | ListType | MapType;

export interface NestedField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
  /** v3: the value of rows written before the field existed (JSON single-value form). */
  readonly initialDefault?: ExactJson;
  readonly writeDefault?: ExactJson;
}

export interface Schema extends StructType {
  readonly schemaId: number;
  readonly identifierFieldIds: readonly number[];
}

export interface PartitionField {
  readonly sourceId: number;
  readonly fieldId: number;
  readonly name: string;
  readonly transform: string;
}

export interface PartitionSpec {
  readonly specId: number;
  readonly fields: readonly PartitionField[];
}

export interface SortField {
  readonly sourceId: number;
  readonly transform: string;
  readonly direction: 'asc' | 'desc';
  readonly nullOrder: 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  readonly orderId: number;
  readonly fields: readonly SortField[];
}

export interface Snapshot {
  readonly snapshotId: bigint;
  readonly parentSnapshotId: bigint | undefined;
  /** 0 in v1 tables. */
  readonly sequenceNumber: bigint;
  readonly timestampMs: number;
  /** The manifest list; v1 snapshots may instead list their manifests. */
  readonly manifestList: string | undefined;
  readonly manifests: readonly string[] | undefined;
  readonly summary: Readonly<Record<string, string>>;
  readonly schemaId: number | undefined;
  /** v3 row lineage. */
  readonly firstRowId: bigint | undefined;
  readonly addedRows: bigint | undefined;
}

export interface SnapshotRef {
  readonly snapshotId: bigint;
  readonly type: 'branch' | 'tag';
  readonly minSnapshotsToKeep?: number;
  readonly maxSnapshotAgeMs?: number;
  readonly maxRefAgeMs?: number;
}

export interface StatisticsFile {
  readonly snapshotId: bigint;
  readonly statisticsPath: string;
  readonly fileSizeInBytes: number;
}

export interface TableMetadata {
  readonly formatVersion: 1 | 2 | 3;
  readonly tableUuid: string | undefined;
  readonly location: string;
  readonly lastSequenceNumber: bigint;
  readonly lastUpdatedMs: number;
  readonly lastColumnId: number;
  readonly schemas: readonly Schema[];
  readonly currentSchemaId: number;
  readonly partitionSpecs: readonly PartitionSpec[];
  readonly defaultSpecId: number;
  readonly lastPartitionId: number | undefined;
  readonly sortOrders: readonly SortOrder[];
  readonly defaultSortOrderId: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly currentSnapshotId: bigint | undefined;
  readonly snapshots: readonly Snapshot[];
  readonly snapshotLog: readonly { readonly snapshotId: bigint; readonly timestampMs: number }[];
  readonly metadataLog: readonly { readonly metadataFile: string; readonly timestampMs: number }[];
  readonly refs: ReadonlyMap<string, SnapshotRef>;
  readonly statistics: readonly StatisticsFile[];
  readonly partitionStatistics: readonly StatisticsFile[];
  /** v3 row lineage. */
  readonly nextRowId: bigint | undefined;
}

export const SUPPORTED_FORMAT_VERSIONS = [1, 2, 3] as const;

/** The current schema (every metadata has one: parsing checks it). */
export function currentSchema(metadata: TableMetadata): Schema {
  return metadata.schemas.find((s) => s.schemaId === metadata.currentSchemaId)!;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  return metadata.partitionSpecs.find((s) => s.specId === metadata.defaultSpecId) ?? { specId: metadata.defaultSpecId, fields: [] };
}

/** Parses metadata JSON text; `name` (the file) is for errors. */
export function parseTableMetadata(text: string, name: string): TableMetadata {
  let json: ExactJson;
  try {
    json = parseExactJson(text);
  } catch (error) {
    throw new LakeError('CORRUPT_METADATA', `${name} is not valid JSON (${(error as Error).message}): the table metadata file is damaged`, { cause: error });
  }
  const fail = (what: string): never => {
    throw new LakeError('CORRUPT_METADATA', `${name}: ${what}`);
  };
  const root = object(json, 'the table metadata', fail);
  const version = integer(root['format-version'], 'format-version', fail);
  if (!(SUPPORTED_FORMAT_VERSIONS as readonly number[]).includes(version)) {
    throw new LakeError('UNSUPPORTED_FORMAT_VERSION', `${name} is Iceberg format version ${version}; lake reads versions 1 to 3: use a newer Iceberg client`);
  }
  const v1 = version === 1;
  const required = (key: string): ExactJson => {
    const value = root[key];
    if (value === undefined || value === null) fail(`format version ${version} requires "${key}", which is missing`);
    return value!;
  };
  if (!v1) for (const key of ['table-uuid', 'last-sequence-number', 'schemas', 'current-schema-id', 'partition-specs', 'default-spec-id', 'last-partition-id', 'sort-orders', 'default-sort-order-id']) required(key);

  // Schemas.
  let schemas = root.schemas === undefined || root.schemas === null ? [] : array(root.schemas, 'schemas', fail).map((s, i) => parseSchema(s, `schemas[${i}]`, fail));
  let currentSchemaId = root['current-schema-id'] === undefined || root['current-schema-id'] === null ? undefined : integer(root['current-schema-id'], 'current-schema-id', fail);
  if (v1 && (currentSchemaId === undefined || !schemas.some((s) => s.schemaId === currentSchemaId))) {
    if (root.schema === undefined || root.schema === null) {
      if (currentSchemaId === undefined || schemas.length === 0) fail('no valid schema: neither "schemas" with "current-schema-id" nor "schema" is present');
    } else {
      const legacy = parseSchema(root.schema, 'schema', fail);
      if (!schemas.some((s) => s.schemaId === legacy.schemaId)) schemas = [...schemas, legacy];
      currentSchemaId = legacy.schemaId;
    }
  }
  if (!schemas.some((s) => s.schemaId === currentSchemaId)) fail(`no schema has the current schema id ${currentSchemaId}`);

  // Partition specs.
  let partitionSpecs: PartitionSpec[];
  let defaultSpecId: number;
  if (root['partition-specs'] !== undefined && root['partition-specs'] !== null) {
    partitionSpecs = array(root['partition-specs'], 'partition-specs', fail).map((s, i) => parseSpec(s, `partition-specs[${i}]`, fail));
    defaultSpecId =
      root['default-spec-id'] === undefined || root['default-spec-id'] === null
        ? Math.max(0, ...partitionSpecs.map((s) => s.specId))
        : integer(root['default-spec-id'], 'default-spec-id', fail);
  } else {
    const fields = root['partition-spec'] === undefined || root['partition-spec'] === null ? [] : array(root['partition-spec'], 'partition-spec', fail);
    partitionSpecs = [{ specId: 0, fields: fields.map((f, i) => parsePartitionField(f, `partition-spec[${i}]`, fail, 1000 + i)) }];
    defaultSpecId = 0;
  }
  const allPartitionIds = partitionSpecs.flatMap((s) => s.fields.map((f) => f.fieldId));

  const sortOrders = root['sort-orders'] === undefined || root['sort-orders'] === null ? [{ orderId: 0, fields: [] }] : array(root['sort-orders'], 'sort-orders', fail).map((o, i) => parseSortOrder(o, `sort-orders[${i}]`, fail));
  const snapshots = root.snapshots === undefined || root.snapshots === null ? [] : array(root.snapshots, 'snapshots', fail).map((s, i) => parseSnapshot(s, `snapshots[${i}]`, fail));
  const currentRaw = root['current-snapshot-id'];
  const currentId = currentRaw === undefined || currentRaw === null ? undefined : bigint(currentRaw, 'current-snapshot-id', fail);
  const currentSnapshotId = currentId === undefined || currentId === -1n ? undefined : currentId;
  const refs = new Map<string, SnapshotRef>();
  if (root.refs !== undefined && root.refs !== null) {
    for (const [refName, ref] of Object.entries(object(root.refs, 'refs', fail))) refs.set(refName, parseRef(ref, `refs.${refName}`, fail));
  }
  if (!refs.has('main') && currentSnapshotId !== undefined) refs.set('main', { snapshotId: currentSnapshotId, type: 'branch' });

  return {
    formatVersion: version as 1 | 2 | 3,
    tableUuid: optionalString(root['table-uuid'], 'table-uuid', fail),
    location: string(required('location'), 'location', fail),
    lastSequenceNumber: root['last-sequence-number'] === undefined ? 0n : bigint(root['last-sequence-number'], 'last-sequence-number', fail),
    lastUpdatedMs: integer(required('last-updated-ms'), 'last-updated-ms', fail),
    lastColumnId: integer(required('last-column-id'), 'last-column-id', fail),
    schemas,
    currentSchemaId: currentSchemaId!,
    partitionSpecs,
    defaultSpecId,
    lastPartitionId:
      root['last-partition-id'] === undefined || root['last-partition-id'] === null
        ? allPartitionIds.length === 0 ? undefined : Math.max(...allPartitionIds)
        : integer(root['last-partition-id'], 'last-partition-id', fail),
    sortOrders,
    defaultSortOrderId: root['default-sort-order-id'] === undefined ? 0 : integer(root['default-sort-order-id'], 'default-sort-order-id', fail),
    properties: stringMap(root.properties, 'properties', fail),
    currentSnapshotId,
    snapshots,
    snapshotLog: (root['snapshot-log'] === undefined || root['snapshot-log'] === null ? [] : array(root['snapshot-log'], 'snapshot-log', fail)).map((entry, i) => {
      const e = object(entry, `snapshot-log[${i}]`, fail);
      return { snapshotId: bigint(e['snapshot-id'], `snapshot-log[${i}].snapshot-id`, fail), timestampMs: integer(e['timestamp-ms'], `snapshot-log[${i}].timestamp-ms`, fail) };
    }),
    metadataLog: (root['metadata-log'] === undefined || root['metadata-log'] === null ? [] : array(root['metadata-log'], 'metadata-log', fail)).map((entry, i) => {
      const e = object(entry, `metadata-log[${i}]`, fail);
      return { metadataFile: string(e['metadata-file'], `metadata-log[${i}].metadata-file`, fail), timestampMs: integer(e['timestamp-ms'], `metadata-log[${i}].timestamp-ms`, fail) };
    }),
    refs,
    statistics: statisticsFiles(root.statistics, 'statistics', fail),
    partitionStatistics: statisticsFiles(root['partition-statistics'], 'partition-statistics', fail),
    nextRowId: root['next-row-id'] === undefined || root['next-row-id'] === null ? undefined : bigint(root['next-row-id'], 'next-row-id', fail),
  };
}

type Fail = (what: string) => never;
type JsonObject = { readonly [key: string]: ExactJson };

function object(value: ExactJson | undefined, what: string, fail: Fail): JsonObject {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber) fail(`${what} must be a JSON object`);
  return value as JsonObject;
}

function array(value: ExactJson | undefined, what: string, fail: Fail): readonly ExactJson[] {
  if (!Array.isArray(value)) fail(`${what} must be a JSON array`);
  return value as readonly ExactJson[];
}

function string(value: ExactJson | undefined, what: string, fail: Fail): string {
  if (typeof value !== 'string') fail(`${what} must be a string`);
  return value as string;
}

function optionalString(value: ExactJson | undefined, what: string, fail: Fail): string | undefined {
  return value === undefined || value === null ? undefined : string(value, what, fail);
}

function bigint(value: ExactJson | undefined, what: string, fail: Fail): bigint {
  const n = value instanceof JsonNumber ? value.toBigInt() : undefined;
  if (n === undefined) fail(`${what} must be an integer`);
  return n!;
}

function integer(value: ExactJson | undefined, what: string, fail: Fail): number {
  const n = bigint(value, what, fail);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) fail(`${what} is out of range`);
  return Number(n);
}

function stringMap(value: ExactJson | undefined, what: string, fail: Fail): Record<string, string> {
  if (value === undefined || value === null) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(object(value, what, fail))) out[key] = v instanceof JsonNumber ? v.text : typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function parseSchema(value: ExactJson, what: string, fail: Fail): Schema {
  const s = object(value, what, fail);
  const struct = parseType(s, what, fail);
  if (typeof struct === 'string' || struct.type !== 'struct') fail(`${what} must be a struct`);
  return {
    ...(struct as StructType),
    schemaId: s['schema-id'] === undefined || s['schema-id'] === null ? 0 : integer(s['schema-id'], `${what}.schema-id`, fail),
    identifierFieldIds: s['identifier-field-ids'] === undefined || s['identifier-field-ids'] === null ? [] : array(s['identifier-field-ids'], `${what}.identifier-field-ids`, fail).map((id, i) => integer(id, `${what}.identifier-field-ids[${i}]`, fail)),
  };
}

/** A type: a primitive's name, or a struct, list or map object. */
export function parseType(value: ExactJson | undefined, what: string, fail: Fail): IcebergType {
  if (typeof value === 'string') return value;
  const t = object(value, what, fail);
  switch (t.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: array(t.fields, `${what}.fields`, fail).map((f, i) => {
          const field = object(f, `${what}.fields[${i}]`, fail);
          const path = `${what}.fields[${i}]`;
          return {
            id: integer(field.id, `${path}.id`, fail),
            name: string(field.name, `${path}.name`, fail),
            required: field.required === true,
            type: parseType(field.type, `${path}.type`, fail),
            ...(typeof field.doc === 'string' ? { doc: field.doc } : {}),
            ...(field['initial-default'] === undefined ? {} : { initialDefault: field['initial-default'] }),
            ...(field['write-default'] === undefined ? {} : { writeDefault: field['write-default'] }),
          };
        }),
      };
    case 'list':
      return {
        type: 'list',
        elementId: integer(t['element-id'], `${what}.element-id`, fail),
        element: parseType(t.element, `${what}.element`, fail),
        elementRequired: t['element-required'] === true,
      };
    case 'map':
      return {
        type: 'map',
        keyId: integer(t['key-id'], `${what}.key-id`, fail),
        key: parseType(t.key, `${what}.key`, fail),
        valueId: integer(t['value-id'], `${what}.value-id`, fail),
        value: parseType(t.value, `${what}.value`, fail),
        valueRequired: t['value-required'] === true,
      };
    default:
      return fail(`${what} has an unknown type ${JSON.stringify(typeof t.type === 'string' ? t.type : null)}`);
  }
}

function parsePartitionField(value: ExactJson, what: string, fail: Fail, fallbackId: number): PartitionField {
  const f = object(value, what, fail);
  return {
    sourceId: integer(f['source-id'], `${what}.source-id`, fail),
    fieldId: f['field-id'] === undefined || f['field-id'] === null ? fallbackId : integer(f['field-id'], `${what}.field-id`, fail),
    name: string(f.name, `${what}.name`, fail),
    transform: string(f.transform, `${what}.transform`, fail),
  };
}

function parseSpec(value: ExactJson, what: string, fail: Fail): PartitionSpec {
  const s = object(value, what, fail);
  return {
    specId: integer(s['spec-id'], `${what}.spec-id`, fail),
    fields: array(s.fields, `${what}.fields`, fail).map((f, i) => parsePartitionField(f, `${what}.fields[${i}]`, fail, 1000 + i)),
  };
}

function parseSortOrder(value: ExactJson, what: string, fail: Fail): SortOrder {
  const o = object(value, what, fail);
  return {
    orderId: integer(o['order-id'], `${what}.order-id`, fail),
    fields: array(o.fields, `${what}.fields`, fail).map((f, i) => {
      const field = object(f, `${what}.fields[${i}]`, fail);
      return {
        sourceId: integer(field['source-id'], `${what}.fields[${i}].source-id`, fail),
        transform: string(field.transform, `${what}.fields[${i}].transform`, fail),
        direction: field.direction === 'desc' ? 'desc' : 'asc',
        nullOrder: field['null-order'] === 'nulls-last' ? 'nulls-last' : 'nulls-first',
      };
    }),
  };
}

function parseSnapshot(value: ExactJson, what: string, fail: Fail): Snapshot {
  const s = object(value, what, fail);
  const summary = stringMap(s.summary, `${what}.summary`, fail);
  return {
    snapshotId: bigint(s['snapshot-id'], `${what}.snapshot-id`, fail),
    parentSnapshotId: s['parent-snapshot-id'] === undefined || s['parent-snapshot-id'] === null ? undefined : bigint(s['parent-snapshot-id'], `${what}.parent-snapshot-id`, fail),
    sequenceNumber: s['sequence-number'] === undefined || s['sequence-number'] === null ? 0n : bigint(s['sequence-number'], `${what}.sequence-number`, fail),
    timestampMs: integer(s['timestamp-ms'], `${what}.timestamp-ms`, fail),
    manifestList: optionalString(s['manifest-list'], `${what}.manifest-list`, fail),
    manifests: s.manifests === undefined || s.manifests === null ? undefined : array(s.manifests, `${what}.manifests`, fail).map((m, i) => string(m, `${what}.manifests[${i}]`, fail)),
    summary,
    schemaId: s['schema-id'] === undefined || s['schema-id'] === null ? undefined : integer(s['schema-id'], `${what}.schema-id`, fail),
    firstRowId: s['first-row-id'] === undefined || s['first-row-id'] === null ? undefined : bigint(s['first-row-id'], `${what}.first-row-id`, fail),
    addedRows: s['added-rows'] === undefined || s['added-rows'] === null ? undefined : bigint(s['added-rows'], `${what}.added-rows`, fail),
  };
}

function parseRef(value: ExactJson, what: string, fail: Fail): SnapshotRef {
  const r = object(value, what, fail);
  const type = string(r.type, `${what}.type`, fail);
  if (type !== 'branch' && type !== 'tag') fail(`${what}.type must be "branch" or "tag"`);
  // Retention settings may be Long.MAX_VALUE ("forever"): read as the nearest double.
  const optionalInt = (key: string) => (r[key] === undefined || r[key] === null ? {} : { [camel(key)]: Number(bigint(r[key], `${what}.${key}`, fail)) });
  return {
    snapshotId: bigint(r['snapshot-id'], `${what}.snapshot-id`, fail),
    type: type as 'branch' | 'tag',
    ...optionalInt('min-snapshots-to-keep'),
    ...optionalInt('max-snapshot-age-ms'),
    ...optionalInt('max-ref-age-ms'),
  };
}

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function statisticsFiles(value: ExactJson | undefined, what: string, fail: Fail): StatisticsFile[] {
  if (value === undefined || value === null) return [];
  return array(value, what, fail).map((entry, i) => {
    const e = object(entry, `${what}[${i}]`, fail);
    return {
      snapshotId: bigint(e['snapshot-id'], `${what}[${i}].snapshot-id`, fail),
      statisticsPath: string(e['statistics-path'], `${what}[${i}].statistics-path`, fail),
      fileSizeInBytes: integer(e['file-size-in-bytes'], `${what}[${i}].file-size-in-bytes`, fail),
    };
  });
}
