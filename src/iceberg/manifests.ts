/**
 * Manifest lists and manifests (format/spec.md "Manifests", "Manifest Lists"), read by field id
 * (avro.ts), in one shape for v1, v2 and v3.
 *
 * Sequence numbers: a v1 table has none (all 0). In v2+, an entry whose data or file sequence
 * number is null inherits the manifest's sequence number (only ADDED entries may have null); a
 * manifest list entry written by v1 carries none and counts as 0.
 */
import { LakeError } from '../errors.js';
import { readAvroContainer, type IdRecord } from './avro.js';

export const enum ManifestContent {
  Data = 0,
  Deletes = 1,
}

export const enum EntryStatus {
  Existing = 0,
  Added = 1,
  Deleted = 2,
}

export const enum FileContent {
  Data = 0,
  PositionDeletes = 1,
  EqualityDeletes = 2,
}

export interface PartitionFieldSummary {
  readonly containsNull: boolean;
  readonly containsNan: boolean | undefined;
  readonly lowerBound: Uint8Array | undefined;
  readonly upperBound: Uint8Array | undefined;
}

export interface ManifestFile {
  readonly path: string;
  readonly length: number;
  readonly partitionSpecId: number;
  readonly content: ManifestContent;
  readonly sequenceNumber: bigint;
  readonly minSequenceNumber: bigint;
  readonly addedSnapshotId: bigint | undefined;
  readonly addedFilesCount: number | undefined;
  readonly existingFilesCount: number | undefined;
  readonly deletedFilesCount: number | undefined;
  readonly addedRowsCount: bigint | undefined;
  readonly existingRowsCount: bigint | undefined;
  readonly deletedRowsCount: bigint | undefined;
  readonly partitions: readonly PartitionFieldSummary[] | undefined;
  readonly firstRowId: bigint | undefined;
}

export interface DataFile {
  readonly content: FileContent;
  readonly filePath: string;
  readonly fileFormat: string;
  /** Partition values by partition field id (identity values in their Avro form). */
  readonly partition: ReadonlyMap<number, unknown>;
  readonly recordCount: bigint;
  readonly fileSizeInBytes: bigint;
  readonly columnSizes: ReadonlyMap<number, bigint>;
  readonly valueCounts: ReadonlyMap<number, bigint>;
  readonly nullValueCounts: ReadonlyMap<number, bigint>;
  readonly nanValueCounts: ReadonlyMap<number, bigint>;
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>;
  readonly upperBounds: ReadonlyMap<number, Uint8Array>;
  readonly splitOffsets: readonly bigint[] | undefined;
  readonly equalityIds: readonly number[] | undefined;
  readonly sortOrderId: number | undefined;
  readonly firstRowId: bigint | undefined;
  readonly referencedDataFile: string | undefined;
  readonly contentOffset: bigint | undefined;
  readonly contentSizeInBytes: bigint | undefined;
}

export interface ManifestEntry {
  readonly status: EntryStatus;
  readonly snapshotId: bigint | undefined;
  /** Data sequence number, inheritance applied. */
  readonly sequenceNumber: bigint;
  readonly fileSequenceNumber: bigint;
  readonly dataFile: DataFile;
  /** The spec of the manifest it came from. */
  readonly partitionSpecId: number;
}

/** The manifests of a manifest list. */
export async function readManifestList(bytes: Uint8Array, name: string): Promise<ManifestFile[]> {
  const container = await readAvroContainer(bytes, name);
  return container.records.map((r) => {
    const partitions = r.get(507) as IdRecord[] | null | undefined;
    return {
      path: required<string>(r, 500, 'manifest_path', name),
      length: Number(required<bigint>(r, 501, 'manifest_length', name)),
      partitionSpecId: required<number>(r, 502, 'partition_spec_id', name),
      content: (r.get(517) as number | null | undefined) ?? ManifestContent.Data,
      sequenceNumber: (r.get(515) as bigint | null | undefined) ?? 0n,
      minSequenceNumber: (r.get(516) as bigint | null | undefined) ?? 0n,
      addedSnapshotId: optional<bigint>(r, 503),
      addedFilesCount: optional<number>(r, 504),
      existingFilesCount: optional<number>(r, 505),
      deletedFilesCount: optional<number>(r, 506),
      addedRowsCount: optional<bigint>(r, 512),
      existingRowsCount: optional<bigint>(r, 513),
      deletedRowsCount: optional<bigint>(r, 514),
      partitions:
        partitions === null || partitions === undefined
          ? undefined
          : partitions.map((p) => ({
              containsNull: p.get(509) === true,
              containsNan: optional<boolean>(p, 518),
              lowerBound: bytesOf(p.get(510)),
              upperBound: bytesOf(p.get(511)),
            })),
      firstRowId: optional<bigint>(r, 520),
    };
  });
}

/** A manifest's entries; `manifest` gives the inherited sequence number and spec. */
export async function readManifest(bytes: Uint8Array, manifest: Pick<ManifestFile, 'path' | 'sequenceNumber' | 'partitionSpecId'>): Promise<ManifestEntry[]> {
  const name = manifest.path;
  const container = await readAvroContainer(bytes, name);
  // The spec id in the file's header wins over a v1 manifest list's missing one.
  const headerSpec = container.meta.get('partition-spec-id');
  const specId = headerSpec === undefined ? manifest.partitionSpecId : Number(headerSpec);
  return container.records.map((r) => {
    const status = required<number>(r, 0, 'status', name) as EntryStatus;
    const file = required<IdRecord>(r, 2, 'data_file', name);
    const inherited = status === EntryStatus.Added ? manifest.sequenceNumber : 0n;
    const sequenceNumber = optional<bigint>(r, 3) ?? inherited;
    return {
      status,
      snapshotId: optional<bigint>(r, 1),
      sequenceNumber,
      fileSequenceNumber: optional<bigint>(r, 4) ?? inherited,
      partitionSpecId: specId,
      dataFile: {
        content: (file.get(134) as number | null | undefined) ?? FileContent.Data,
        filePath: required<string>(file, 100, 'file_path', name),
        fileFormat: String(required<string>(file, 101, 'file_format', name)).toUpperCase(),
        partition: (file.get(102) as IdRecord | null | undefined) ?? new Map(),
        recordCount: required<bigint>(file, 103, 'record_count', name),
        fileSizeInBytes: required<bigint>(file, 104, 'file_size_in_bytes', name),
        columnSizes: idMap<bigint>(file.get(108), 117, 118),
        valueCounts: idMap<bigint>(file.get(109), 119, 120),
        nullValueCounts: idMap<bigint>(file.get(110), 121, 122),
        nanValueCounts: idMap<bigint>(file.get(137), 138, 139),
        lowerBounds: idMap<Uint8Array>(file.get(125), 126, 127),
        upperBounds: idMap<Uint8Array>(file.get(128), 129, 130),
        splitOffsets: optional<bigint[]>(file, 132),
        // Ints, though some writers declare them long.
        equalityIds: optional<(number | bigint)[]>(file, 135)?.map(Number),
        sortOrderId: optional<number | bigint>(file, 140) === undefined ? undefined : Number(optional<number | bigint>(file, 140)),
        firstRowId: optional<bigint>(file, 142),
        referencedDataFile: optional<string>(file, 143),
        contentOffset: optional<bigint>(file, 144),
        contentSizeInBytes: optional<bigint>(file, 145),
      },
    };
  });
}

function optional<T>(record: IdRecord, id: number): T | undefined {
  const value = record.get(id);
  return value === null || value === undefined ? undefined : (value as T);
}

function required<T>(record: IdRecord, id: number, field: string, name: string): T {
  const value = optional<T>(record, id);
  if (value === undefined) throw new LakeError('CORRUPT_METADATA', `${name}: an entry lacks the required field ${field} (field id ${id})`);
  return value;
}

function bytesOf(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

/** An Iceberg int-keyed map (an Avro array of key/value records) as a Map. */
function idMap<V>(value: unknown, keyId: number, valueId: number): Map<number, V> {
  const out = new Map<number, V>();
  if (!Array.isArray(value)) return out;
  for (const pair of value as IdRecord[]) out.set(Number(pair.get(keyId)), pair.get(valueId) as V);
  return out;
}
