/**
 * An Iceberg table: finding its current metadata file, choosing a snapshot (current, by id, by
 * time, by branch or tag) and listing the files that snapshot reads.
 *
 * Which metadata file is current, without a catalog: an explicit file; else the version named by
 * `metadata/version-hint.text`; else — no hint — the highest version among `metadata/`'s
 * `v<N>[.gz].metadata.json` / `<N>-<uuid>[.gz].metadata.json` names.
 */
import { LakeError, NotFoundError, UsageError } from '../errors.js';
import { mapLimited } from '../map-limited.js';
import { childLocation, displayLocation, formatLocation, parseLocation, type Location, type StoreOptions } from '../storage/index.js';
import { IcebergFiles, metadataText, type PathRemap } from './files.js';
import { EntryStatus, FileContent, readManifest, readManifestList, type ManifestEntry, type ManifestFile } from './manifests.js';
import { parseTableMetadata, type Snapshot, type TableMetadata } from './metadata.js';

export interface IcebergOpenOptions extends StoreOptions {
  /** The metadata file to read (a path or URL), instead of finding the current one. */
  readonly metadata?: string;
  /** Old path prefix → new location, for tables whose metadata names another place. */
  readonly remap?: readonly PathRemap[];
}

/** Which snapshot to read: at most one of these; none = the current one. */
export interface SnapshotSelector {
  readonly snapshotId?: bigint;
  /** ms since the epoch: the snapshot current then, per the snapshot log. */
  readonly timestamp?: number;
  /** A branch or tag. */
  readonly ref?: string;
}

export interface PlannedFiles {
  readonly snapshot: Snapshot | undefined;
  /** Live data file entries. */
  readonly data: readonly ManifestEntry[];
  /** Live delete file entries (position, equality, deletion vectors). */
  readonly deletes: readonly ManifestEntry[];
  readonly manifests: readonly ManifestFile[];
}

const MANIFEST_READS = 16;
const VERSIONED = /^v?(\d+)(?:-[^/]*)?(?:\.gz)?\.metadata\.json(?:\.gz)?$/;

export class IcebergTable {
  private constructor(
    readonly files: IcebergFiles,
    /** The metadata file read, as a location. */
    readonly metadataLocation: Location,
    readonly metadata: TableMetadata,
  ) {}

  static async open(location: string | Location, options: IcebergOpenOptions = {}): Promise<IcebergTable> {
    const files = new IcebergFiles(options.remap ?? [], options);
    const metadataPath = options.metadata ?? (await findCurrentMetadata(files, typeof location === 'string' ? parseLocation(location) : location));
    const metadataLocation = parseLocation(metadataPath);
    const shown = displayLocation(metadataLocation);
    const bytes = await files.read(formatLocation(metadataLocation), 'table metadata file');
    return new IcebergTable(files, metadataLocation, parseTableMetadata(metadataText(bytes, shown), shown));
  }

  /** The snapshot a selector names; undefined for a table without snapshots (empty). */
  snapshot(selector: SnapshotSelector = {}): Snapshot | undefined {
    const { metadata } = this;
    const given = [selector.snapshotId, selector.timestamp, selector.ref].filter((v) => v !== undefined).length;
    if (given > 1) throw new UsageError('give one of a snapshot id, a timestamp or a ref to read, not several');
    const byId = (id: bigint, what: string): Snapshot => {
      const snapshot = metadata.snapshots.find((s) => s.snapshotId === id);
      if (snapshot === undefined) throw new LakeError('SNAPSHOT_NOT_FOUND', `${this.name} has no snapshot ${id}${what}: see lake history for the snapshots it has`);
      return snapshot;
    };
    if (selector.snapshotId !== undefined) return byId(selector.snapshotId, '');
    if (selector.ref !== undefined) {
      const ref = metadata.refs.get(selector.ref);
      if (ref === undefined) throw new LakeError('REF_NOT_FOUND', `${this.name} has no branch or tag ${selector.ref} (it has ${[...metadata.refs.keys()].join(', ') || 'none'})`);
      return byId(ref.snapshotId, ` (named by ${ref.type} ${selector.ref})`);
    }
    if (selector.timestamp !== undefined) {
      const log = metadata.snapshotLog.length > 0 ? metadata.snapshotLog : metadata.snapshots.map((s) => ({ snapshotId: s.snapshotId, timestampMs: s.timestampMs }));
      const before = log.filter((e) => e.timestampMs <= selector.timestamp!);
      if (before.length === 0) {
        const first = log[0];
        throw new LakeError(
          'TIMESTAMP_OUT_OF_RANGE',
          `${this.name} has no snapshot at or before ${new Date(selector.timestamp).toISOString()}` + (first === undefined ? ' (it has none)' : `: the earliest is ${first.snapshotId} at ${new Date(first.timestampMs).toISOString()}`),
        );
      }
      return byId(before[before.length - 1]!.snapshotId, ` (current at ${new Date(selector.timestamp).toISOString()})`);
    }
    return metadata.currentSnapshotId === undefined ? undefined : byId(metadata.currentSnapshotId, ' (the current snapshot)');
  }

  /** The live data and delete files of a snapshot: its manifests read in parallel. */
  async plan(snapshot: Snapshot | undefined, options: { manifestFilter?: (manifest: ManifestFile) => boolean } = {}): Promise<PlannedFiles> {
    if (snapshot === undefined) return { snapshot, data: [], deletes: [], manifests: [] };
    const manifests = await this.manifests(snapshot);
    const chosen = options.manifestFilter === undefined ? manifests : manifests.filter(options.manifestFilter);
    const live = (await this.entries(chosen)).map((e) => e.entry).filter((e) => e.status !== EntryStatus.Deleted);
    return {
      snapshot,
      data: live.filter((e) => e.dataFile.content === FileContent.Data),
      deletes: live.filter((e) => e.dataFile.content !== FileContent.Data),
      manifests,
    };
  }

  /** Every entry of these manifests (DELETED ones too), with its manifest; manifests read in parallel. */
  async entries(manifests: readonly ManifestFile[]): Promise<{ manifest: ManifestFile; entry: ManifestEntry }[]> {
    const read = await mapLimited(manifests, MANIFEST_READS, async (manifest) => (await readManifest(await this.files.read(manifest.path, 'manifest'), manifest)).map((entry) => ({ manifest, entry })));
    return read.flat();
  }

  /** The manifests of a snapshot: from its manifest list, or (v1) the list in the snapshot. */
  async manifests(snapshot: Snapshot): Promise<ManifestFile[]> {
    if (snapshot.manifestList !== undefined) return readManifestList(await this.files.read(snapshot.manifestList, 'manifest list'), snapshot.manifestList);
    return (snapshot.manifests ?? []).map((path) => ({
      path,
      length: 0,
      partitionSpecId: 0,
      content: 0,
      sequenceNumber: 0n,
      minSequenceNumber: 0n,
      addedSnapshotId: snapshot.snapshotId,
      addedFilesCount: undefined,
      existingFilesCount: undefined,
      deletedFilesCount: undefined,
      addedRowsCount: undefined,
      existingRowsCount: undefined,
      deletedRowsCount: undefined,
      partitions: undefined,
      firstRowId: undefined,
    }));
  }

  get name(): string {
    return `Iceberg table ${this.metadata.location}`;
  }
}

/** The current metadata file of the table at `root` (see the module comment). */
async function findCurrentMetadata(files: IcebergFiles, root: Location): Promise<string> {
  const metadataDir = childLocation(root, 'metadata');
  const { store, key: dirKey } = files.storeFor(metadataDir);
  const prefix = dirKey === '' ? '' : `${dirKey}/`;
  let hint: string | undefined;
  try {
    hint = new TextDecoder().decode((await store.get(`${prefix}version-hint.text`)).bytes).trim();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const candidates: { version: number; key: string }[] = [];
  for await (const meta of store.list(prefix)) {
    const name = meta.key.slice(prefix.length);
    if (name.includes('/')) continue;
    const m = VERSIONED.exec(name);
    if (m !== null) candidates.push({ version: Number(m[1]), key: meta.key });
  }
  const keyed = (key: string) => formatLocation(childLocation(metadataDir, key.slice(prefix.length)));
  if (hint !== undefined && hint !== '') {
    if (/^\d+$/.test(hint)) {
      const match = candidates.find((c) => c.version === Number(hint) && /^v/.test(c.key.slice(prefix.length))) ?? candidates.find((c) => c.version === Number(hint));
      if (match !== undefined) return keyed(match.key);
    } else if (candidates.some((c) => c.key === `${prefix}${hint}`)) {
      return keyed(`${prefix}${hint}`);
    }
    // A hint naming a file that is not there is stale: fall back to the highest version.
  }
  if (candidates.length === 0) {
    throw new LakeError('TABLE_NOT_FOUND', `no Iceberg table at ${displayLocation(root)}: ${displayLocation(metadataDir)} holds no metadata file; check the location, or give the metadata file`);
  }
  const latest = candidates.reduce((a, b) => (b.version > a.version ? b : a));
  return keyed(latest.key);
}
