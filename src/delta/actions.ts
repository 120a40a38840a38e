/**
 * The actions of the Delta transaction log, as PROTOCOL.md ("Actions") defines them. Field names
 * are the protocol's; optional fields are optional here too. Values are as parsed from JSON commits
 * or checkpoint rows: 64-bit integers become JavaScript numbers (sizes, times and versions stay far
 * below 2^53).
 */

export interface Protocol {
  readonly minReaderVersion: number;
  readonly minWriterVersion: number;
  /** Present exactly when minReaderVersion is 3 (table features). */
  readonly readerFeatures?: readonly string[];
  /** Present exactly when minWriterVersion is 7 (table features). */
  readonly writerFeatures?: readonly string[];
}

export interface Format {
  readonly provider: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface Metadata {
  readonly id: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly format: Format;
  /** The table schema as a JSON-serialized Delta struct type. */
  readonly schemaString: string;
  readonly partitionColumns: readonly string[];
  readonly configuration: Readonly<Record<string, string>>;
  readonly createdTime?: number | null;
}

/** "Deletion Vector Descriptor": where a file's deleted row indexes are stored. */
export interface DeletionVectorDescriptor {
  /** 'u': relative path from a UUID; 'i': inline (Z85); 'p': absolute path. */
  readonly storageType: 'u' | 'i' | 'p';
  readonly pathOrInlineDv: string;
  /** Byte offset of the vector in its file (storage types 'u' and 'p'). */
  readonly offset?: number | null;
  readonly sizeInBytes: number;
  /** Number of deleted rows. */
  readonly cardinality: number;
  readonly maxRowIndex?: number | null;
}

export interface AddFile {
  /** URI-encoded path, relative to the table root or absolute (see data-paths.ts). */
  readonly path: string;
  /** Partition column (physical name) → serialized value; null for a null value. */
  readonly partitionValues: Readonly<Record<string, string | null>>;
  readonly size: number;
  readonly modificationTime: number;
  readonly dataChange: boolean;
  /** JSON-encoded per-file statistics (numRecords, minValues, maxValues, nullCount, tightBounds). */
  readonly stats?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly deletionVector?: DeletionVectorDescriptor | null;
  readonly baseRowId?: number | null;
  readonly defaultRowCommitVersion?: number | null;
  readonly clusteringProvider?: string | null;
}

export interface RemoveFile {
  readonly path: string;
  readonly deletionTimestamp?: number | null;
  readonly dataChange: boolean;
  readonly extendedFileMetadata?: boolean | null;
  readonly partitionValues?: Readonly<Record<string, string | null>> | null;
  readonly size?: number | null;
  readonly stats?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly deletionVector?: DeletionVectorDescriptor | null;
  readonly baseRowId?: number | null;
  readonly defaultRowCommitVersion?: number | null;
}

/** Application transaction identifier ("txn"). */
export interface Txn {
  readonly appId: string;
  readonly version: number;
  readonly lastUpdated?: number | null;
}

export interface DomainMetadata {
  readonly domain: string;
  readonly configuration: string;
  readonly removed: boolean;
}

/** Free-form provenance; the fields lake reads are typed, the rest kept as they are. */
export interface CommitInfo {
  readonly timestamp?: number;
  readonly inCommitTimestamp?: number;
  readonly operation?: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly operationMetrics?: Readonly<Record<string, unknown>>;
  readonly engineInfo?: string;
  readonly isBlindAppend?: boolean;
  readonly [field: string]: unknown;
}

/** One line of a commit file (or one row of a checkpoint): exactly one action is set. */
export interface Action {
  readonly protocol?: Protocol;
  readonly metaData?: Metadata;
  readonly add?: AddFile;
  readonly remove?: RemoveFile;
  readonly txn?: Txn;
  readonly domainMetadata?: DomainMetadata;
  readonly commitInfo?: CommitInfo;
  /** cdc, checkpointMetadata, sidecar: read where needed, ignored by state reconstruction. */
  readonly [other: string]: unknown;
}
