/**
 * Creating a Delta table: version 0 holds commitInfo, the lowest protocol that covers the features
 * the table uses (protocolFor), and its metadata. With column mapping (`delta.columnMapping.mode`
 * name or id) every field, nested ones included, gets an id and a physical name here, once; they
 * never change afterwards (PROTOCOL.md "Writer Requirements for Column Mapping").
 */
import { randomUUID } from 'node:crypto';
import type { Schema } from 'apache-arrow';
import { LakeError, UsageError } from '../../errors.js';
import { displayLocation, type Location } from '../../storage/location.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { engineInfo } from '../../version.js';
import type { Action, Metadata } from '../actions.js';
import { LOG_DIR } from '../log-files.js';
import { tryCommit } from '../log-writer.js';
import { checkWriteSupport, protocolFor } from '../protocol-support.js';
import {
  COLUMN_MAPPING_ID_KEY,
  COLUMN_MAPPING_PHYSICAL_NAME_KEY,
  fromArrowSchema,
  isPrimitiveType,
  schemaToString,
  type DeltaType,
  type StructField,
  type StructType,
} from '../schema.js';

export interface CreateTableOptions {
  /** A Delta schema, or an Arrow schema (converted with fromArrowSchema). */
  readonly schema: StructType | Schema;
  readonly partitionColumns?: readonly string[];
  /** Table properties (`delta.*` and others), as Delta stores them: strings. */
  readonly configuration?: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly description?: string;
  readonly clock?: () => number;
}

/** Commits version 0; TABLE_EXISTS when the location already has a Delta log. */
export async function createTable(store: ObjectStore, location: Location, options: CreateTableOptions): Promise<{ version: 0; metadata: Metadata }> {
  const table = `Delta table ${displayLocation(location)}`;
  const now = (options.clock ?? Date.now)();
  const configuration = { ...(options.configuration ?? {}) };
  let schema = 'fields' in options.schema && !('type' in options.schema) ? fromArrowSchema(options.schema as Schema) : (options.schema as StructType);
  const partitionColumns = [...(options.partitionColumns ?? [])];
  checkPartitionColumns(schema, partitionColumns);
  const mode = configuration['delta.columnMapping.mode']?.toLowerCase();
  if (mode !== undefined && mode !== 'none' && mode !== 'name' && mode !== 'id') {
    throw new UsageError(`delta.columnMapping.mode must be none, name or id, not ${configuration['delta.columnMapping.mode']}`);
  }
  if (mode === 'name' || mode === 'id') {
    const mapped = assignColumnMapping(schema);
    schema = mapped.schema;
    configuration['delta.columnMapping.maxColumnId'] = String(mapped.maxColumnId);
  }
  const metadata: Metadata = {
    id: randomUUID(),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.description === undefined ? {} : { description: options.description }),
    format: { provider: 'parquet', options: {} },
    schemaString: schemaToString(schema),
    partitionColumns,
    configuration,
    createdTime: now,
  };
  const protocol = protocolFor(metadata);
  checkWriteSupport(protocol, metadata, table, { appendOnlyWrite: true });
  for await (const _ of store.list(LOG_DIR)) {
    throw new LakeError('TABLE_EXISTS', `${table} already exists: write to it, or choose another location`);
  }
  const commitInfo: Record<string, unknown> = {};
  if (configuration['delta.enableInCommitTimestamps'] === 'true') commitInfo.inCommitTimestamp = now;
  Object.assign(commitInfo, {
    timestamp: now,
    operation: 'CREATE TABLE',
    operationParameters: {
      partitionBy: JSON.stringify(partitionColumns),
      ...(options.description === undefined ? {} : { description: options.description }),
      properties: JSON.stringify(configuration),
    },
    isBlindAppend: true,
    engineInfo: engineInfo(),
  });
  const actions: Action[] = [{ commitInfo }, { protocol }, { metaData: metadata }];
  if (!(await tryCommit(store, 0, actions))) {
    throw new LakeError('TABLE_EXISTS', `${table} was created by another writer at the same time: write to it, or choose another location`);
  }
  return { version: 0, metadata };
}

function checkPartitionColumns(schema: StructType, partitionColumns: readonly string[]): void {
  for (const column of partitionColumns) {
    const field = schema.fields.find((f) => f.name === column);
    if (field === undefined) throw new UsageError(`partition column ${column} is not a column of the schema (${schema.fields.map((f) => f.name).join(', ')})`);
    if (!isPrimitiveType(field.type)) throw new UsageError(`partition column ${column} must have a primitive type, not a ${(field.type as { type: string }).type}`);
  }
  if (new Set(partitionColumns).size !== partitionColumns.length) throw new UsageError('a partition column is listed twice');
  if (partitionColumns.length > 0 && partitionColumns.length === schema.fields.length) {
    throw new UsageError('every column is a partition column: a Delta table needs at least one data column');
  }
}

/** Ids (1, 2, … depth first) and `col-<uuid>` physical names for every field. */
export function assignColumnMapping(schema: StructType, firstId = 1): { schema: StructType; maxColumnId: number } {
  let next = firstId;
  const mapType = (type: DeltaType): DeltaType => {
    if (typeof type === 'string') return type;
    if (type.type === 'struct') return { ...type, fields: type.fields.map(mapField) };
    if (type.type === 'array') return { ...type, elementType: mapType(type.elementType) };
    return { ...type, keyType: mapType(type.keyType), valueType: mapType(type.valueType) };
  };
  const mapField = (field: StructField): StructField => {
    const id = next++;
    return {
      ...field,
      type: mapType(field.type),
      metadata: { ...field.metadata, [COLUMN_MAPPING_ID_KEY]: id, [COLUMN_MAPPING_PHYSICAL_NAME_KEY]: `col-${randomUUID()}` },
    };
  };
  const fields = schema.fields.map(mapField);
  return { schema: { ...schema, fields }, maxColumnId: next - 1 };
}
