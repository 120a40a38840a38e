/**
 * Manifest lists and manifests (format/spec.md "Manifests", "Manifest Lists"), read by field id
 * (avro.ts), in one shape for v1, v2 and v3.
 *
 * Sequence numbers: a v1 table has none (all 0). In v2+, an entry whose data or file sequence
 * number is null inherits the manifest's sequence number (only ADDED entries may have null); a
 * manifest list entry written by v1 carries none and counts as 0.
 */
import { LakeError } from '../errors.js';
import { readAvroContainer, type RecordShape } from './avro.js';

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
  readonly addedRowsCount: number | undefined;
  readonly existingRowsCount: number | undefined;
  readonly deletedRowsCount: number | undefined;
  readonly partitions: readonly PartitionFieldSummary[] | undefined;
  readonly firstRowId: bigint | undefined;
}

export interface DataFile {
  readonly content: FileContent;
  readonly filePath: string;
  readonly fileFormat: string;
  /** Partition values by partition field id (identity values in their Avro form). */
  readonly partition: ReadonlyMap<number, unknown>;
  /** Counts and sizes as numbers: exact up to 2^53, beyond any real file. */
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  readonly columnSizes: ReadonlyMap<number, number>;
  readonly valueCounts: ReadonlyMap<number, number>;
  readonly nullValueCounts: ReadonlyMap<number, number>;
  readonly nanValueCounts: ReadonlyMap<number, number>;
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>;
  readonly upperBounds: ReadonlyMap<number, Uint8Array>;
  readonly splitOffsets: readonly number[] | undefined;
  readonly equalityIds: readonly number[] | undefined;
  readonly sortOrderId: number | undefined;
  readonly firstRowId: bigint | undefined;
  readonly referencedDataFile: string | undefined;
  readonly contentOffset: number | undefined;
  readonly contentSizeInBytes: number | undefined;
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
  const { records, shape } = await readAvroContainer(bytes, name);
  const summary = shape.child(507);
  return records.map((r) => {
    const partitions = shape.get(r, 507) as unknown[] | null;
    return {
      path: required(shape, r, 500, 'manifest_path', name) as string,
      length: Number(required(shape, r, 501, 'manifest_length', name)),
      partitionSpecId: Number(required(shape, r, 502, 'partition_spec_id', name)),
      content: Number(shape.get(r, 517) ?? ManifestContent.Data) as ManifestContent,
      sequenceNumber: big(shape.get(r, 515)) ?? 0n,
      minSequenceNumber: big(shape.get(r, 516)) ?? 0n,
      addedSnapshotId: big(shape.get(r, 503)),
      addedFilesCount: num(shape.get(r, 504)),
      existingFilesCount: num(shape.get(r, 505)),
      deletedFilesCount: num(shape.get(r, 506)),
      addedRowsCount: num(shape.get(r, 512)),
      existingRowsCount: num(shape.get(r, 513)),
      deletedRowsCount: num(shape.get(r, 514)),
      partitions:
        partitions === null || summary === undefined
          ? undefined
          : partitions.map((p) => ({
              containsNull: summary.get(p, 509) === true,
              containsNan: (summary.get(p, 518) as boolean | null) ?? undefined,
              lowerBound: bytesOf(summary.get(p, 510)),
              upperBound: bytesOf(summary.get(p, 511)),
            })),
      firstRowId: big(shape.get(r, 520)),
    };
  });
}

/** A manifest's entries; `manifest` gives the inherited sequence number and spec. */
export async function readManifest(bytes: Uint8Array, manifest: Pick<ManifestFile, 'path' | 'sequenceNumber' | 'partitionSpecId'>): Promise<ManifestEntry[]> {
  const name = manifest.path;
  const { records, shape, meta } = await readAvroContainer(bytes, name);
  // The spec id in the file's header wins over a v1 manifest list's missing one.
  const headerSpec = meta.get('partition-spec-id');
  const specId = headerSpec === undefined ? manifest.partitionSpecId : Number(headerSpec);
  const fileShape = shape.child(2);
  if (fileShape === undefined) throw new LakeError('CORRUPT_METADATA', `${name}: the manifest's schema has no data_file record (field id 2)`);
  const partitionShape = fileShape.child(102);
  const partitionIds = partitionShape === undefined ? [] : [...partitionShape.ids()];
  const pairs = (id: number, keyId: number, valueId: number) => ({ shape: fileShape.child(id), id, keyId, valueId });
  const maps = {
    columnSizes: pairs(108, 117, 118),
    valueCounts: pairs(109, 119, 120),
    nullValueCounts: pairs(110, 121, 122),
    nanValueCounts: pairs(137, 138, 139),
    lowerBounds: pairs(125, 126, 127),
    upperBounds: pairs(128, 129, 130),
  };
  const countMap = (file: unknown, m: (typeof maps)['columnSizes']): Map<number, number> => {
    const out = new Map<number, number>();
    const items = fileShape.get(file, m.id) as unknown[] | null;
    if (items !== null && m.shape !== undefined) for (const item of items) out.set(Number(m.shape.get(item, m.keyId)), Number(m.shape.get(item, m.valueId)));
    return out;
  };
  const boundMap = (file: unknown, m: (typeof maps)['lowerBounds']): Map<number, Uint8Array> => {
    const out = new Map<number, Uint8Array>();
    const items = fileShape.get(file, m.id) as unknown[] | null;
    if (items !== null && m.shape !== undefined) for (const item of items) out.set(Number(m.shape.get(item, m.keyId)), m.shape.get(item, m.valueId) as Uint8Array);
    return out;
  };
  return records.map((r) => {
    const status = Number(required(shape, r, 0, 'status', name)) as EntryStatus;
    const file = required(shape, r, 2, 'data_file', name);
    const inherited = status === EntryStatus.Added ? manifest.sequenceNumber : 0n;
    const partitionRecord = fileShape.get(file, 102);
    const partition = new Map<number, unknown>();
    if (partitionShape !== undefined && partitionRecord !== null) for (const id of partitionIds) partition.set(id, partitionShape.get(partitionRecord, id));
    const equalityIds = fileShape.get(file, 135) as (number | bigint)[] | null;
    const splitOffsets = fileShape.get(file, 132) as (number | bigint)[] | null;
    return {
      status,
      snapshotId: big(shape.get(r, 1)),
      sequenceNumber: big(shape.get(r, 3)) ?? inherited,
      fileSequenceNumber: big(shape.get(r, 4)) ?? inherited,
      partitionSpecId: specId,
      dataFile: {
        content: Number(fileShape.get(file, 134) ?? FileContent.Data) as FileContent,
        filePath: required(fileShape, file, 100, 'file_path', name) as string,
        fileFormat: String(required(fileShape, file, 101, 'file_format', name)).toUpperCase(),
        partition,
        recordCount: Number(required(fileShape, file, 103, 'record_count', name)),
        fileSizeInBytes: Number(required(fileShape, file, 104, 'file_size_in_bytes', name)),
        columnSizes: countMap(file, maps.columnSizes),
        valueCounts: countMap(file, maps.valueCounts),
        nullValueCounts: countMap(file, maps.nullValueCounts),
        nanValueCounts: countMap(file, maps.nanValueCounts),
        lowerBounds: boundMap(file, maps.lowerBounds),
        upperBounds: boundMap(file, maps.upperBounds),
        splitOffsets: splitOffsets === null ? undefined : splitOffsets.map(Number),
        // Ints, though some writers declare them long.
        equalityIds: equalityIds === null ? undefined : equalityIds.map(Number),
        sortOrderId: num(fileShape.get(file, 140)),
        firstRowId: big(fileShape.get(file, 142)),
        referencedDataFile: (fileShape.get(file, 143) as string | null) ?? undefined,
        contentOffset: num(fileShape.get(file, 144)),
        contentSizeInBytes: num(fileShape.get(file, 145)),
      },
    };
  });
}

function required(shape: RecordShape, record: unknown, id: number, field: string, name: string): unknown {
  const value = shape.get(record, id);
  if (value === null) throw new LakeError('CORRUPT_METADATA', `${name}: an entry lacks the required field ${field} (field id ${id})`);
  return value;
}

/** A long as a bigint (avro.ts gives numbers while they are safe). */
function big(value: unknown): bigint | undefined {
  return value === null || value === undefined ? undefined : typeof value === 'bigint' ? value : BigInt(value as number);
}

function num(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

function bytesOf(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}
