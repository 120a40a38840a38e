/**
 * A synthetic but realistic Delta log for the snapshot benchmark, generated deterministically:
 *
 * - `_delta_log/<N>.checkpoint.parquet`: one protocol row, one metaData row, one txn row,
 *   `removes` remove tombstones and `adds` add actions, in Spark's checkpoint schema (struct
 *   columns txn/add/remove/metaData/protocol, one action per row), written by DuckDB's Parquet
 *   writer (snappy, DuckDB's default row groups). Adds live in `partitions` partitions of a
 *   `date` column (`date=2024-01-01/part-<i>-<uuid>-c000.snappy.parquet`) and carry a stats JSON
 *   string with numRecords/minValues/maxValues/nullCount over 5 data columns.
 * - `_last_checkpoint` pointing at it.
 * - `commits` JSON commits after it: each has commitInfo, and removes `removesPerCommit` files
 *   of the checkpoint (distinct, spread over the partitions) and adds `addsPerCommit` new ones.
 *   Every 10th commit also removes a file an earlier commit added.
 *
 * Data files are not written (the benchmark only reads the log). The table is cached under
 * `dir`: a `generated.json` with the parameters marks a complete table.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface GenerateOptions {
  readonly adds: number;
  readonly removes: number;
  readonly partitions: number;
  readonly commits: number;
  readonly addsPerCommit: number;
  readonly removesPerCommit: number;
}

export const DEFAULT_OPTIONS: GenerateOptions = {
  adds: 1_000_000,
  removes: 10_000,
  partitions: 100,
  commits: 1_000,
  addsPerCommit: 5,
  removesPerCommit: 5,
};

export interface GeneratedTable {
  readonly dir: string;
  readonly checkpointVersion: number;
  readonly latestVersion: number;
  readonly checkpointKey: string;
  readonly checkpointBytes: number;
  /** Live files at the latest version, and how many of them are in partition `date=2024-01-01`. */
  readonly liveFiles: number;
  readonly liveFilesInFirstPartition: number;
  readonly firstPartition: string;
  readonly options: GenerateOptions;
}

const CHECKPOINT_VERSION = 1_000;
const FIRST_DAY = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;
const SCHEMA = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'amount', type: 'double', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'qty', type: 'integer', nullable: true, metadata: {} },
    { name: 'date', type: 'date', nullable: true, metadata: {} },
  ],
};

export function partitionDate(p: number): string {
  return new Date(FIRST_DAY + p * DAY_MS).toISOString().slice(0, 10);
}

/** The deterministic uuid-like part of file i's name (as SQL and as JS agree). */
function fileName(i: number, p: number, prefix = 'part'): string {
  const h = hex32(i * 2654435761) + hex32(i * 40503 + 17) + hex32(i ^ 0x5bd1e995) + hex32(i * 7919 + 3);
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return `date=${partitionDate(p)}/${prefix}-${String(i % 100_000).padStart(5, '0')}-${uuid}-c000.snappy.parquet`;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Stats JSON as Spark writes it for file i (numbers derived from i, deterministic). */
function statsJson(i: number, p: number): string {
  const rows = 50_000 + (i % 1000) * 13;
  const lo = i * 100_000;
  const day = partitionDate(p);
  return JSON.stringify({
    numRecords: rows,
    minValues: { id: lo, amount: (i % 977) * 0.5, name: `customer_${String(i % 9973).padStart(6, '0')}`, ts: `${day}T00:00:01.000Z`, qty: 1 },
    maxValues: {
      id: lo + rows - 1,
      amount: (i % 977) * 0.5 + 9999.75,
      name: `customer_${String((i % 9973) + 5000).padStart(6, '0')}`,
      ts: `${day}T23:59:58.999Z`,
      qty: 100 + (i % 50),
    },
    nullCount: { id: 0, amount: i % 7, name: i % 3, ts: 0, qty: 0 },
  });
}

const ADD_TYPE = `STRUCT(
  path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN,
  tags MAP(VARCHAR, VARCHAR),
  deletionVector STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT),
  baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR, stats VARCHAR)`;
const REMOVE_TYPE = `STRUCT(
  path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN,
  partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, tags MAP(VARCHAR, VARCHAR),
  deletionVector STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT),
  baseRowId BIGINT, defaultRowCommitVersion BIGINT)`;
const METADATA_TYPE = `STRUCT(
  id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)),
  schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)`;
const PROTOCOL_TYPE = `STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])`;
const TXN_TYPE = `STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)`;

/** SQL for file i's name; must equal `fileName` (checked after generation). */
function fileNameSql(i: string, p: string): string {
  const h = (e: string) => `lpad(printf('%x', (${e}) & 4294967295), 8, '0')`;
  const hx = `(${h(`${i} * 2654435761`)} || ${h(`${i} * 40503 + 17`)} || ${h(`xor(${i}, 1540483477)`)} || ${h(`${i} * 7919 + 3`)})`;
  const uuid = `substr(${hx},1,8) || '-' || substr(${hx},9,4) || '-' || substr(${hx},13,4) || '-' || substr(${hx},17,4) || '-' || substr(${hx},21,12)`;
  return `'date=' || strftime(DATE '2024-01-01' + CAST(${p} AS INTEGER), '%Y-%m-%d') || '/part-' || lpad(CAST(${i} % 100000 AS VARCHAR), 5, '0') || '-' || ${uuid} || '-c000.snappy.parquet'`;
}

function statsSql(i: string, p: string): string {
  const day = `strftime(DATE '2024-01-01' + CAST(${p} AS INTEGER), '%Y-%m-%d')`;
  const rows = `(50000 + (${i} % 1000) * 13)`;
  const amount = `((${i} % 977) * 0.5)`;
  const num = (e: string) => `CAST(${e} AS VARCHAR)`;
  // JSON.stringify writes 0.5 as 0.5 and 3 as 3: DuckDB's DOUBLE → VARCHAR does the same for these values.
  const dbl = (e: string) => `regexp_replace(CAST(CAST(${e} AS DOUBLE) AS VARCHAR), '\\.0$', '')`;
  const name = (e: string) => `'customer_' || lpad(CAST(${e} AS VARCHAR), 6, '0')`;
  return `'{"numRecords":' || ${num(rows)} ||
    ',"minValues":{"id":' || ${num(`${i} * 100000`)} || ',"amount":' || ${dbl(amount)} || ',"name":"' || ${name(`${i} % 9973`)} || '","ts":"' || ${day} || 'T00:00:01.000Z","qty":1}' ||
    ',"maxValues":{"id":' || ${num(`${i} * 100000 + ${rows} - 1`)} || ',"amount":' || ${dbl(`${amount} + 9999.75`)} || ',"name":"' || ${name(`(${i} % 9973) + 5000`)} || '","ts":"' || ${day} || 'T23:59:58.999Z","qty":' || ${num(`100 + (${i} % 50)`)} || '}' ||
    ',"nullCount":{"id":0,"amount":' || ${num(`${i} % 7`)} || ',"name":' || ${num(`${i} % 3`)} || ',"ts":0,"qty":0}}'`;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export async function generateTable(dir: string, options: GenerateOptions = DEFAULT_OPTIONS, log: (line: string) => void = () => {}): Promise<GeneratedTable> {
  const marker = join(dir, 'generated.json');
  try {
    const cached = JSON.parse(await readFile(marker, 'utf8')) as GeneratedTable;
    if (JSON.stringify(cached.options) === JSON.stringify(options) && cached.dir === dir) return cached;
  } catch {
    // not generated yet
  }
  await rm(dir, { recursive: true, force: true });
  const logDir = join(dir, '_delta_log');
  await mkdir(logDir, { recursive: true });
  const started = performance.now();
  const { adds, removes, partitions } = options;
  const checkpointKey = `_delta_log/${String(CHECKPOINT_VERSION).padStart(20, '0')}.checkpoint.parquet`;
  const checkpointPath = join(dir, checkpointKey);
  const baseTime = FIRST_DAY + 200 * DAY_MS;
  const metadata = {
    id: '7f1c1b53-2f0e-4d6e-9b4a-5d1c0c1e9a01',
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(SCHEMA),
    partitionColumns: ['date'],
    configuration: {},
    createdTime: FIRST_DAY,
  };

  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const nulls = (skip: string) =>
      [
        ['txn', TXN_TYPE],
        ['add', ADD_TYPE],
        ['remove', REMOVE_TYPE],
        ['metaData', METADATA_TYPE],
        ['protocol', PROTOCOL_TYPE],
      ]
        .filter(([name]) => name !== skip)
        .map(([name, type]) => `NULL::${type} AS "${name}"`)
        .join(', ');
    // Files 0..adds-1 are live in the checkpoint; adds..adds+removes-1 are its tombstones.
    const addRow = `{
        path: ${fileNameSql('i', 'i % ' + partitions)},
        partitionValues: MAP {'date': strftime(DATE '2024-01-01' + CAST(i % ${partitions} AS INTEGER), '%Y-%m-%d')},
        size: 100000 + (i * 7919) % 900000,
        modificationTime: ${baseTime} + i * 17,
        dataChange: false,
        tags: NULL::MAP(VARCHAR, VARCHAR),
        deletionVector: NULL::STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT),
        baseRowId: NULL::BIGINT, defaultRowCommitVersion: NULL::BIGINT, clusteringProvider: NULL::VARCHAR,
        stats: ${statsSql('i', 'i % ' + partitions)}
      }::${ADD_TYPE}`;
    const removeRow = `{
        path: ${fileNameSql('i', 'i % ' + partitions)},
        deletionTimestamp: ${baseTime + 100 * DAY_MS} + i, dataChange: true, extendedFileMetadata: true,
        partitionValues: MAP {'date': strftime(DATE '2024-01-01' + CAST(i % ${partitions} AS INTEGER), '%Y-%m-%d')},
        size: 100000 + (i * 7919) % 900000, tags: NULL::MAP(VARCHAR, VARCHAR),
        deletionVector: NULL::STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT),
        baseRowId: NULL::BIGINT, defaultRowCommitVersion: NULL::BIGINT
      }::${REMOVE_TYPE}`;
    const metadataRow = `{
        id: ${sqlString(metadata.id)}, name: NULL::VARCHAR, description: NULL::VARCHAR,
        format: {provider: 'parquet', options: MAP {}::MAP(VARCHAR, VARCHAR)},
        schemaString: ${sqlString(metadata.schemaString)}, partitionColumns: ['date'],
        configuration: MAP {}::MAP(VARCHAR, VARCHAR), createdTime: ${FIRST_DAY}::BIGINT
      }::${METADATA_TYPE}`;
    const sql = `COPY (
      SELECT txn, add, remove, metaData, protocol FROM (
        SELECT 0 AS k, 0 AS i, ${nulls('protocol')}, {minReaderVersion: 1, minWriterVersion: 2, readerFeatures: NULL::VARCHAR[], writerFeatures: NULL::VARCHAR[]}::${PROTOCOL_TYPE} AS protocol
        UNION ALL BY NAME
        SELECT 1 AS k, 0 AS i, ${nulls('metaData')}, ${metadataRow} AS metaData
        UNION ALL BY NAME
        SELECT 2 AS k, 0 AS i, ${nulls('txn')}, {appId: 'bench-stream', version: 42, lastUpdated: ${baseTime}}::${TXN_TYPE} AS txn
        UNION ALL BY NAME
        SELECT 3 AS k, i, ${nulls('add')}, ${addRow} AS add FROM range(${adds}) t(i)
        UNION ALL BY NAME
        SELECT 4 AS k, i, ${nulls('remove')}, ${removeRow} AS remove FROM range(${adds}, ${adds + removes}) t(i)
      ) ORDER BY k, i
    ) TO ${sqlString(checkpointPath)} (FORMAT parquet, COMPRESSION snappy)`;
    await db.run(sql);
    // The SQL and the JS spellings of names and stats must agree (commits reference checkpoint files).
    const check = await db.runAndReadAll(
      `SELECT add.path, add.stats FROM read_parquet(${sqlString(checkpointPath)}) WHERE add IS NOT NULL AND (add.modificationTime - ${baseTime}) / 17 IN (0, 1, 12345, ${adds - 1})`,
    );
    const expectedIds = [0, 1, 12345, adds - 1].filter((i) => i < adds);
    const rows = check.getRows();
    rows.forEach((row, k) => {
      const i = expectedIds[k]!;
      if (row[0] !== fileName(i, i % partitions)) throw new Error(`generator: SQL path ${String(row[0])} != JS ${fileName(i, i % partitions)}`);
      if (row[1] !== statsJson(i, i % partitions)) throw new Error(`generator: SQL stats ${String(row[1])} != JS ${statsJson(i, i % partitions)}`);
    });
  } finally {
    db.closeSync();
    instance.closeSync();
  }
  log(`  wrote the checkpoint (${adds} adds, ${removes} tombstones) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Commits after the checkpoint.
  const live = new Set<number>();
  for (let i = 0; i < adds; i++) live.add(i);
  let nextFile = adds + removes;
  const commitAdded: number[] = [];
  const partitionOf = (i: number) => i % partitions;
  let cursor = 0;
  for (let c = 1; c <= options.commits; c++) {
    const version = CHECKPOINT_VERSION + c;
    const time = baseTime + 150 * DAY_MS + c * 60_000;
    const lines: string[] = [
      JSON.stringify({
        commitInfo: { timestamp: time, operation: 'WRITE', operationParameters: { mode: 'Append' }, isBlindAppend: false, engineInfo: 'lake-bench' },
      }),
    ];
    const removed: number[] = [];
    for (let r = 0; r < options.removesPerCommit; r++) {
      // Distinct checkpoint files, spread over the partitions.
      cursor = (cursor + 7_919) % adds;
      while (!live.has(cursor)) cursor = (cursor + 1) % adds;
      removed.push(cursor);
    }
    if (c % 10 === 0 && commitAdded.length > 0) {
      const earlier = commitAdded.shift()!;
      if (live.has(earlier)) removed.push(earlier);
    }
    for (const i of removed) {
      live.delete(i);
      lines.push(
        JSON.stringify({
          remove: { path: fileName(i, partitionOf(i)), deletionTimestamp: time, dataChange: true, extendedFileMetadata: true, partitionValues: { date: partitionDate(partitionOf(i)) }, size: 100000 + ((i * 7919) % 900000) },
        }),
      );
    }
    for (let a = 0; a < options.addsPerCommit; a++) {
      const i = nextFile++;
      live.add(i);
      commitAdded.push(i);
      lines.push(
        JSON.stringify({
          add: {
            path: fileName(i, partitionOf(i)),
            partitionValues: { date: partitionDate(partitionOf(i)) },
            size: 100000 + ((i * 7919) % 900000),
            modificationTime: time,
            dataChange: true,
            stats: statsJson(i, partitionOf(i)),
          },
        }),
      );
    }
    await writeFile(join(logDir, `${String(version).padStart(20, '0')}.json`), lines.join('\n') + '\n');
  }
  await writeFile(
    join(logDir, '_last_checkpoint'),
    JSON.stringify({ version: CHECKPOINT_VERSION, size: adds + removes + 3, numOfAddFiles: adds }),
  );
  const { size: checkpointBytes } = await import('node:fs/promises').then((fs) => fs.stat(checkpointPath));
  let inFirst = 0;
  for (const i of live) if (partitionOf(i) === 0) inFirst++;
  const generated: GeneratedTable = {
    dir,
    checkpointVersion: CHECKPOINT_VERSION,
    latestVersion: CHECKPOINT_VERSION + options.commits,
    checkpointKey,
    checkpointBytes,
    liveFiles: live.size,
    liveFilesInFirstPartition: inFirst,
    firstPartition: partitionDate(0),
    options,
  };
  await writeFile(marker, JSON.stringify(generated, null, 2));
  log(`  generated ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return generated;
}
