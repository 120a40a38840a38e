/**
 * Writing classic checkpoints (PROTOCOL.md "Checkpoints"): the state of a version as one Parquet
 * file `_delta_log/<version>.checkpoint.parquet`, one action per row in struct columns with the
 * schema Delta Spark writes (so Spark, delta-rs, DuckDB and Trino read it), then
 * `_last_checkpoint` pointing at it.
 *
 * The rows are the snapshot's protocol, metadata, app transactions, domain metadata (not the
 * removed ones), live files, and the remove tombstones younger than
 * `delta.deletedFileRetentionDuration` (vacuum still needs those). DuckDB writes the file from
 * the actions as JSON lines, typed by the checkpoint schema, so no action becomes an Arrow
 * builder call per field in JavaScript. Checkpoints are optional for writers: tables with the
 * v2Checkpoint feature get none from lake (their checkpoints need the v2 layout).
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { DuckSession, sqlString } from '../engine/duckdb-session.js';
import { LakeError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Action } from './actions.js';
import { LAST_CHECKPOINT_KEY, LOG_DIR, versionPrefix } from './log-files.js';
import { writerFeatures } from './protocol-support.js';
import type { DeltaSnapshot } from './snapshot.js';
import { parseInterval, positiveInteger } from './table-properties.js';

const DV = 'STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT)';
const STRING_MAP = 'MAP(VARCHAR, VARCHAR)';

/** Delta Spark's checkpoint schema (without the optional parsed columns). */
const CHECKPOINT_COLUMNS: Readonly<Record<string, string>> = {
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add: `STRUCT(path VARCHAR, partitionValues ${STRING_MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${STRING_MAP}, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR)`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${STRING_MAP}, size BIGINT, tags ${STRING_MAP}, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT)`,
  metaData: `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${STRING_MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${STRING_MAP}, createdTime BIGINT)`,
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  domainMetadata: 'STRUCT(domain VARCHAR, configuration VARCHAR, removed BOOLEAN)',
};

/** Default `delta.deletedFileRetentionDuration`: one week. */
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface CheckpointResult {
  readonly written: boolean;
  /** Why not, when not written. */
  readonly reason?: string;
}

/** Whether a commit of `version` should be followed by a checkpoint (`delta.checkpointInterval`, default 10). */
export function checkpointDue(snapshot: Pick<DeltaSnapshot, 'metadata'>, version: number): boolean {
  return version > 0 && version % positiveInteger(snapshot.metadata.configuration['delta.checkpointInterval'], 10) === 0;
}

/** Writes the checkpoint of `snapshot` (loaded with statistics) and `_last_checkpoint`. */
export async function writeCheckpoint(store: ObjectStore, snapshot: DeltaSnapshot, clock: () => number = Date.now): Promise<CheckpointResult> {
  if (writerFeatures(snapshot.protocol).has('v2Checkpoint')) return { written: false, reason: 'the table uses v2 checkpoints, which lake does not write' };
  const retention = parseInterval(snapshot.metadata.configuration['delta.deletedFileRetentionDuration']) ?? DEFAULT_DELETED_FILE_RETENTION_MS;
  const oldest = clock() - retention;
  const actions: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }];
  for (const txn of snapshot.appTransactions.values()) actions.push({ txn });
  for (const domain of snapshot.domainMetadata.values()) if (!domain.removed) actions.push({ domainMetadata: domain });
  for (const remove of snapshot.tombstones) if ((remove.deletionTimestamp ?? 0) > oldest) actions.push({ remove: { ...remove, dataChange: false } });
  const addCount = snapshot.files.length;
  const session = await DuckSession.open('checkpoint-write');
  try {
    const json = join(session.dir, 'actions.json');
    const parquet = join(session.dir, 'checkpoint.parquet');
    const out = createWriteStream(json);
    const write = async (line: string): Promise<void> => {
      if (!out.write(line)) await once(out, 'drain');
    };
    for (const action of actions) await write(`${JSON.stringify(action)}\n`);
    // Live files as in the log, but with dataChange false (a checkpoint changes no data).
    for (const add of snapshot.files) await write(`${JSON.stringify({ add: { ...add, dataChange: false } })}\n`);
    out.end();
    await once(out, 'finish');
    const columns = Object.entries(CHECKPOINT_COLUMNS)
      .map(([name, type]) => `${name}: ${sqlString(type)}`)
      .join(', ');
    await session.run(
      `COPY (SELECT ${Object.keys(CHECKPOINT_COLUMNS).map((c) => `"${c}"`).join(', ')} FROM read_json(${sqlString(json)}, format = 'newline_delimited', columns = {${columns}})) ` +
        `TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION snappy)`,
    );
    const bytes = new Uint8Array(await readFile(parquet));
    const key = `${LOG_DIR}${versionPrefix(snapshot.version)}.checkpoint.parquet`;
    // A checkpoint of a version is always the same state; another writer's copy is as good.
    await store.put(key, bytes);
    const last = { version: snapshot.version, size: actions.length + addCount, sizeInBytes: bytes.byteLength, numOfAddFiles: addCount };
    await store.put(LAST_CHECKPOINT_KEY, new TextEncoder().encode(JSON.stringify(last)));
    return { written: true };
  } catch (error) {
    if (error instanceof LakeError) throw error;
    throw new LakeError('CHECKPOINT_WRITE', `cannot write the checkpoint of version ${snapshot.version}: ${(error as Error).message}`, { cause: error });
  } finally {
    await session.close();
  }
}
