/**
 * What `lake info` and `lake files` report about a Delta snapshot, as plain JSON-ready objects.
 * The shapes are a contract (later tooling parses them): change them only by adding fields.
 */
import { formatLocation } from '../storage/location.js';
import type { AddFile, DeletionVectorDescriptor } from './actions.js';
import { schemaToJson } from './schema.js';
import type { DeltaSnapshot } from './snapshot.js';

export interface DeltaInfo {
  readonly format: 'delta';
  readonly location: string;
  readonly version: number;
  /** Commit time of the version, ms since the epoch. */
  readonly timestamp: number;
  readonly protocol: {
    readonly minReaderVersion: number;
    readonly minWriterVersion: number;
    readonly readerFeatures: readonly string[] | null;
    readonly writerFeatures: readonly string[] | null;
  };
  readonly metadata: {
    readonly id: string;
    readonly name: string | null;
    readonly description: string | null;
    readonly partitionColumns: readonly string[];
    readonly configuration: Readonly<Record<string, string>>;
    readonly createdTime: number | null;
  };
  readonly schema: unknown;
  readonly numFiles: number;
  readonly sizeBytes: number;
  /** Rows in the snapshot (deleted rows excluded); null when a file has no numRecords statistic. */
  readonly numRecords: number | null;
}

export interface DeltaFileInfo {
  /** Relative to the table root and percent-decoded (absolute URL for files outside the root). */
  readonly path: string;
  readonly size: number;
  readonly modificationTime: number;
  readonly partitionValues: Readonly<Record<string, string | null>>;
  /** Rows in the file minus rows its deletion vector deletes; null without statistics. */
  readonly numRecords: number | null;
  readonly deletionVector: DeletionVectorDescriptor | null;
}

export function describeSnapshot(snapshot: DeltaSnapshot): DeltaInfo {
  const { protocol, metadata } = snapshot;
  let sizeBytes = 0;
  let numRecords: number | null = 0;
  for (const file of snapshot.files) {
    sizeBytes += file.size;
    const records = recordsIn(file);
    numRecords = numRecords === null || records === null ? null : numRecords + records;
  }
  return {
    format: 'delta',
    location: formatLocation(snapshot.location),
    version: snapshot.version,
    timestamp: snapshot.timestamp,
    protocol: {
      minReaderVersion: protocol.minReaderVersion,
      minWriterVersion: protocol.minWriterVersion,
      readerFeatures: protocol.readerFeatures ?? null,
      writerFeatures: protocol.writerFeatures ?? null,
    },
    metadata: {
      id: metadata.id,
      name: metadata.name ?? null,
      description: metadata.description ?? null,
      partitionColumns: metadata.partitionColumns,
      configuration: metadata.configuration,
      createdTime: metadata.createdTime ?? null,
    },
    schema: schemaToJson(snapshot.schema),
    numFiles: snapshot.files.length,
    sizeBytes,
    numRecords,
  };
}

export function describeFiles(snapshot: DeltaSnapshot, files: readonly AddFile[] = snapshot.files): DeltaFileInfo[] {
  return [...files]
    .map((file) => {
      const path = snapshot.dataPath(file);
      return {
        path: path.relative ?? path.canonical,
        size: file.size,
        modificationTime: file.modificationTime,
        partitionValues: file.partitionValues,
        numRecords: recordsIn(file),
        deletionVector: file.deletionVector ?? null,
      };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function recordsIn(file: AddFile): number | null {
  if (file.stats === null || file.stats === undefined) return null;
  let parsed: { numRecords?: unknown };
  try {
    parsed = JSON.parse(file.stats) as { numRecords?: unknown };
  } catch {
    return null;
  }
  if (typeof parsed.numRecords !== 'number') return null;
  return parsed.numRecords - (file.deletionVector?.cardinality ?? 0);
}
