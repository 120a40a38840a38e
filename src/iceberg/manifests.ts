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
  const layout = fileLayout(fileShape, name);
  return records.map((r) => {
    const status = Number(required(shape, r, 0, 'status', name)) as EntryStatus;
    const inherited = status === EntryStatus.Added ? manifest.sequenceNumber : 0n;
    return {
      status,
      snapshotId: big(shape.get(r, 1)),
      sequenceNumber: big(shape.get(r, 3)) ?? inherited,
      fileSequenceNumber: big(shape.get(r, 4)) ?? inherited,
      partitionSpecId: specId,
      dataFile: new ManifestDataFile(required(shape, r, 2, 'data_file', name), layout),
    };
  });
}

type MetricName = 'columnSizes' | 'valueCounts' | 'nullValueCounts' | 'nanValueCounts' | 'lowerBounds' | 'upperBounds';

interface MetricShape {
  readonly id: number;
  readonly item: RecordShape | undefined;
  readonly keyId: number;
  readonly valueId: number;
}

/** Where things are in one manifest's data_file records: computed once per manifest. */
interface FileLayout {
  readonly name: string;
  readonly file: RecordShape;
  readonly partition: RecordShape | undefined;
  readonly partitionIds: readonly number[];
  readonly metrics: Readonly<Record<MetricName, MetricShape>>;
}

function fileLayout(file: RecordShape, name: string): FileLayout {
  const partition = file.child(102);
  const at = (id: number, keyId: number, valueId: number): MetricShape => ({ id, item: file.child(id), keyId, valueId });
  return {
    name,
    file,
    partition,
    partitionIds: partition === undefined ? [] : [...partition.ids()],
    metrics: {
      columnSizes: at(108, 117, 118),
      valueCounts: at(109, 119, 120),
      nullValueCounts: at(110, 121, 122),
      nanValueCounts: at(137, 138, 139),
      lowerBounds: at(125, 126, 127),
      upperBounds: at(128, 129, 130),
    },
  };
}

/**
 * A data file of a manifest, over the record avsc decoded. Its partition and metric maps are built
 * when first read: a plan without a condition never needs the metrics, and 100,000 files' maps
 * would be most of a plan's memory and time.
 */
class ManifestDataFile implements DataFile {
  readonly content: FileContent;
  readonly filePath: string;
  readonly fileFormat: string;
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  private built: Map<string, ReadonlyMap<number, unknown>> | undefined;

  constructor(
    private readonly record: unknown,
    private readonly layout: FileLayout,
  ) {
    const { file, name } = layout;
    this.content = Number(file.get(record, 134) ?? FileContent.Data) as FileContent;
    this.filePath = required(file, record, 100, 'file_path', name) as string;
    this.fileFormat = String(required(file, record, 101, 'file_format', name)).toUpperCase();
    this.recordCount = Number(required(file, record, 103, 'record_count', name));
    this.fileSizeInBytes = Number(required(file, record, 104, 'file_size_in_bytes', name));
  }

  get partition(): ReadonlyMap<number, unknown> {
    return this.lazy('partition', () => {
      const map = new Map<number, unknown>();
      const { partition, partitionIds } = this.layout;
      const values = this.layout.file.get(this.record, 102);
      if (partition !== undefined && values !== null) for (const id of partitionIds) map.set(id, partition.get(values, id));
      return map;
    });
  }
  get columnSizes(): ReadonlyMap<number, number> {
    return this.metric('columnSizes', Number);
  }
  get valueCounts(): ReadonlyMap<number, number> {
    return this.metric('valueCounts', Number);
  }
  get nullValueCounts(): ReadonlyMap<number, number> {
    return this.metric('nullValueCounts', Number);
  }
  get nanValueCounts(): ReadonlyMap<number, number> {
    return this.metric('nanValueCounts', Number);
  }
  get lowerBounds(): ReadonlyMap<number, Uint8Array> {
    return this.metric('lowerBounds', (v) => v as Uint8Array);
  }
  get upperBounds(): ReadonlyMap<number, Uint8Array> {
    return this.metric('upperBounds', (v) => v as Uint8Array);
  }
  get splitOffsets(): readonly number[] | undefined {
    return (this.layout.file.get(this.record, 132) as (number | bigint)[] | null)?.map(Number);
  }
  /** Ints, though some writers declare them long. */
  get equalityIds(): readonly number[] | undefined {
    return (this.layout.file.get(this.record, 135) as (number | bigint)[] | null)?.map(Number);
  }
  get sortOrderId(): number | undefined {
    return num(this.layout.file.get(this.record, 140));
  }
  get firstRowId(): bigint | undefined {
    return big(this.layout.file.get(this.record, 142));
  }
  get referencedDataFile(): string | undefined {
    return (this.layout.file.get(this.record, 143) as string | null) ?? undefined;
  }
  get contentOffset(): number | undefined {
    return num(this.layout.file.get(this.record, 144));
  }
  get contentSizeInBytes(): number | undefined {
    return num(this.layout.file.get(this.record, 145));
  }

  private metric<V>(name: MetricName, value: (v: unknown) => V): ReadonlyMap<number, V> {
    return this.lazy(name, () => {
      const map = new Map<number, V>();
      const s = this.layout.metrics[name];
      const items = this.layout.file.get(this.record, s.id) as unknown[] | null;
      if (items !== null && s.item !== undefined) for (const item of items) map.set(Number(s.item.get(item, s.keyId)), value(s.item.get(item, s.valueId)));
      return map;
    });
  }

  private lazy<V>(key: string, build: () => ReadonlyMap<number, V>): ReadonlyMap<number, V> {
    this.built ??= new Map();
    let map = this.built.get(key) as ReadonlyMap<number, V> | undefined;
    if (map === undefined) {
      map = build();
      this.built.set(key, map);
    }
    return map;
  }
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
