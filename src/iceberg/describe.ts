/**
 * What `lake info`, `lake files` and `lake history` print for an Iceberg table, as plain JSON
 * shapes. Snapshot ids are strings: they use all 64 bits, beyond what a JSON number carries
 * exactly in most readers. The schema, spec and sort order are in Iceberg's own JSON form.
 */
import { formatLocation } from '../storage/location.js';
import { EntryStatus, FileContent, type ManifestEntry } from './manifests.js';
import { defaultSpec, type IcebergType, type Schema, type Snapshot, type TableMetadata } from './metadata.js';
import type { IcebergTable, PlannedFiles } from './table.js';

export interface IcebergInfo {
  readonly format: 'iceberg';
  readonly location: string;
  readonly metadataLocation: string;
  readonly formatVersion: number;
  readonly tableUuid: string | null;
  readonly currentSnapshotId: string | null;
  /** The snapshot described (the current one, or the one asked for). */
  readonly snapshotId: string | null;
  readonly schema: unknown;
  readonly partitionSpec: unknown;
  readonly sortOrder: unknown;
  readonly refs: Record<string, { snapshotId: string; type: string }>;
  readonly properties: Readonly<Record<string, string>>;
  readonly numFiles: number;
  readonly numDeleteFiles: number;
  readonly numRecords: number;
  readonly sizeBytes: number;
}

export function describeIceberg(table: IcebergTable, planned: PlannedFiles, schema: Schema): IcebergInfo {
  const m = table.metadata;
  const spec = defaultSpec(m);
  const order = m.sortOrders.find((o) => o.orderId === m.defaultSortOrderId) ?? { orderId: 0, fields: [] };
  return {
    format: 'iceberg',
    location: m.location,
    metadataLocation: formatLocation(table.metadataLocation),
    formatVersion: m.formatVersion,
    tableUuid: m.tableUuid ?? null,
    currentSnapshotId: m.currentSnapshotId === undefined ? null : String(m.currentSnapshotId),
    snapshotId: planned.snapshot === undefined ? null : String(planned.snapshot.snapshotId),
    schema: schemaJson(schema),
    partitionSpec: { 'spec-id': spec.specId, fields: spec.fields.map((f) => ({ name: f.name, transform: f.transform, 'source-id': f.sourceId, 'field-id': f.fieldId })) },
    sortOrder: { 'order-id': order.orderId, fields: order.fields.map((f) => ({ transform: f.transform, 'source-id': f.sourceId, direction: f.direction, 'null-order': f.nullOrder })) },
    refs: Object.fromEntries([...m.refs].map(([name, ref]) => [name, { snapshotId: String(ref.snapshotId), type: ref.type }])),
    properties: m.properties,
    numFiles: planned.data.length,
    numDeleteFiles: planned.deletes.length,
    numRecords: planned.data.reduce((n, e) => n + e.dataFile.recordCount, 0),
    sizeBytes: planned.data.reduce((n, e) => n + e.dataFile.fileSizeInBytes, 0),
  };
}

export interface IcebergFileDescription {
  readonly path: string;
  readonly content: 'data';
  readonly fileFormat: string;
  readonly partition: Record<string, unknown>;
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  readonly sequenceNumber: string;
  /** Delete files that apply to this data file (by the spec's sequence number and partition rules). */
  readonly deleteFiles: readonly { path: string; content: 'position_deletes' | 'equality_deletes'; recordCount: number }[];
}

export function describeIcebergFiles(table: IcebergTable, planned: PlannedFiles): IcebergFileDescription[] {
  const specs = new Map(table.metadata.partitionSpecs.map((s) => [s.specId, s]));
  return planned.data.map((entry) => {
    const spec = specs.get(entry.partitionSpecId);
    const partition: Record<string, unknown> = {};
    for (const field of spec?.fields ?? []) partition[field.name] = jsonValue(entry.dataFile.partition.get(field.fieldId));
    return {
      path: entry.dataFile.filePath,
      content: 'data',
      fileFormat: entry.dataFile.fileFormat,
      partition,
      recordCount: entry.dataFile.recordCount,
      fileSizeInBytes: entry.dataFile.fileSizeInBytes,
      sequenceNumber: String(entry.sequenceNumber),
      deleteFiles: planned.deletes
        .filter((d) => appliesTo(d, entry, specs.get(d.partitionSpecId)?.fields.length ?? 0))
        .map((d) => ({ path: d.dataFile.filePath, content: d.dataFile.content === FileContent.EqualityDeletes ? 'equality_deletes' : 'position_deletes', recordCount: d.dataFile.recordCount })),
    };
  });
}

/** The spec's rules: position deletes (and vectors) at a sequence number ≥ the data file's, equality deletes at a greater one; same partition unless unpartitioned. */
function appliesTo(del: ManifestEntry, data: ManifestEntry, deleteSpecFields: number): boolean {
  if (del.status === EntryStatus.Deleted) return false;
  const samePartition = del.partitionSpecId === data.partitionSpecId && partitionText(del) === partitionText(data);
  if (del.dataFile.content === FileContent.PositionDeletes) {
    if (del.dataFile.referencedDataFile !== undefined) return del.dataFile.referencedDataFile === data.dataFile.filePath && del.sequenceNumber >= data.sequenceNumber;
    return del.sequenceNumber >= data.sequenceNumber && samePartition;
  }
  return del.sequenceNumber > data.sequenceNumber && (deleteSpecFields === 0 || samePartition);
}

function partitionText(entry: ManifestEntry): string {
  return [...entry.dataFile.partition].map(([id, v]) => `${id}=${String(jsonValue(v))}`).join(',');
}

export interface IcebergHistoryEntry {
  readonly snapshotId: string;
  readonly parentSnapshotId: string | null;
  readonly timestamp: number;
  readonly sequenceNumber: string;
  readonly operation: string | null;
  readonly summary: Readonly<Record<string, string>>;
}

/** Snapshots, newest first. */
export function describeIcebergHistory(metadata: TableMetadata): IcebergHistoryEntry[] {
  return [...metadata.snapshots]
    .sort((a, b) => b.timestampMs - a.timestampMs || Number(b.sequenceNumber - a.sequenceNumber))
    .map((s: Snapshot) => ({
      snapshotId: String(s.snapshotId),
      parentSnapshotId: s.parentSnapshotId === undefined ? null : String(s.parentSnapshotId),
      timestamp: s.timestampMs,
      sequenceNumber: String(s.sequenceNumber),
      operation: s.summary.operation ?? null,
      summary: s.summary,
    }));
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value ?? null;
}

function typeJson(type: IcebergType): unknown {
  if (typeof type === 'string') return type;
  if (type.type === 'struct') return { type: 'struct', fields: type.fields.map((f) => ({ id: f.id, name: f.name, required: f.required, type: typeJson(f.type), ...(f.doc === undefined ? {} : { doc: f.doc }) })) };
  if (type.type === 'list') return { type: 'list', 'element-id': type.elementId, element: typeJson(type.element), 'element-required': type.elementRequired };
  return { type: 'map', 'key-id': type.keyId, key: typeJson(type.key), 'value-id': type.valueId, value: typeJson(type.value), 'value-required': type.valueRequired };
}

function schemaJson(schema: Schema): unknown {
  return { type: 'struct', 'schema-id': schema.schemaId, 'identifier-field-ids': schema.identifierFieldIds, fields: (typeJson(schema) as { fields: unknown[] }).fields };
}

