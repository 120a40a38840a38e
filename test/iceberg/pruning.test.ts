/**
 * Pruning Iceberg files: a file or manifest is skipped only when no row can match. Bucket,
 * identity and time transforms on hand-made entries; on the corpus' partitioned tables, the rows a
 * pruned scan returns equal the unpruned rows filtered, and the files kept are fewer.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqlWorkspace } from '../../src/engine/sql-workspace.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import type { ManifestEntry, ManifestFile } from '../../src/iceberg/manifests.js';
import type { PartitionSpec, Schema } from '../../src/iceberg/metadata.js';
import { bindIcebergWhere, mayMatchFile, mayMatchManifest } from '../../src/iceberg/pruning.js';
import { planIcebergScan, registerIcebergRows, scanIceberg, snapshotSchema } from '../../src/iceberg/scan.js';
import { IcebergTable } from '../../src/iceberg/table.js';
import { bucketOf, longBytes } from '../../src/iceberg/transforms.js';
import { findConformanceDir } from '../conformance/delta-cases.js';

const SCHEMA: Schema = {
  type: 'struct',
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: false, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
  ],
};

function entry(partition: Map<number, unknown>, specId = 0): ManifestEntry {
  return {
    status: 1,
    snapshotId: 1n,
    sequenceNumber: 1n,
    fileSequenceNumber: 1n,
    partitionSpecId: specId,
    dataFile: {
      content: 0,
      filePath: 'f.parquet',
      fileFormat: 'PARQUET',
      partition,
      recordCount: 10,
      fileSizeInBytes: 100,
      columnSizes: new Map(),
      valueCounts: new Map(),
      nullValueCounts: new Map(),
      nanValueCounts: new Map(),
      lowerBounds: new Map(),
      upperBounds: new Map(),
      splitOffsets: undefined,
      equalityIds: undefined,
      sortOrderId: undefined,
      firstRowId: undefined,
      referencedDataFile: undefined,
      contentOffset: undefined,
      contentSizeInBytes: undefined,
    },
  };
}

async function bound(where: string) {
  const ws = await SqlWorkspace.open();
  try {
    return await bindIcebergWhere(where, await ws.arrowSchema('SELECT CAST(NULL AS BIGINT) AS id, CAST(NULL AS TIMESTAMPTZ) AS ts WHERE FALSE'));
  } finally {
    await ws.close();
  }
}

describe('partition pruning', () => {
  it('bucket[16]: an equality reads only its bucket; other conditions read everything', async () => {
    const spec: PartitionSpec = { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' }] };
    const file = entry(new Map([[1000, bucketOf(longBytes(34n), 16)]]));
    const other = [...Array(100).keys()].map(BigInt).find((n) => bucketOf(longBytes(n), 16) !== bucketOf(longBytes(34n), 16))!;
    expect(mayMatchFile(await bound('id = 34'), SCHEMA, file, spec)).toBe(true);
    expect(mayMatchFile(await bound(`id = ${other}`), SCHEMA, file, spec)).toBe(false);
    expect(mayMatchFile(await bound(`id = 34 OR id = ${other}`), SCHEMA, file, spec)).toBe(true);
    expect(mayMatchFile(await bound(`id = ${other} AND ts IS NULL`), SCHEMA, file, spec)).toBe(false);
    expect(mayMatchFile(await bound(`id > ${other}`), SCHEMA, file, spec)).toBe(true);
    expect(mayMatchFile(await bound(`NOT (id = ${other})`), SCHEMA, file, spec)).toBe(true);
  });

  it('day(ts) and identity: ranges of the source column', async () => {
    const day = Date.parse('2024-05-06') / 86_400_000;
    const spec: PartitionSpec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'ts_day', transform: 'day' }, { sourceId: 1, fieldId: 1001, name: 'id', transform: 'identity' }] };
    const file = entry(new Map<number, unknown>([[1000, day], [1001, 7n]]));
    expect(mayMatchFile(await bound("ts >= TIMESTAMPTZ '2024-05-06 23:59:59+00'"), SCHEMA, file, spec)).toBe(true);
    expect(mayMatchFile(await bound("ts >= TIMESTAMPTZ '2024-05-07 00:00:00+00'"), SCHEMA, file, spec)).toBe(false);
    expect(mayMatchFile(await bound("ts < TIMESTAMPTZ '2024-05-06 00:00:00+00'"), SCHEMA, file, spec)).toBe(false);
    expect(mayMatchFile(await bound('id = 7'), SCHEMA, file, spec)).toBe(true);
    expect(mayMatchFile(await bound('id <> 7'), SCHEMA, file, spec)).toBe(false);
    expect(mayMatchFile(await bound('id IS NULL'), SCHEMA, file, spec)).toBe(false);
    const nulls = entry(new Map<number, unknown>([[1000, null], [1001, null]]));
    expect(mayMatchFile(await bound('id IS NULL'), SCHEMA, nulls, spec)).toBe(true);
    expect(mayMatchFile(await bound('id = 7'), SCHEMA, nulls, spec)).toBe(false);
  });

  it('a manifest is skipped by its partition summaries', async () => {
    const spec: PartitionSpec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'ts_day', transform: 'day' }] };
    const int = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, n, true);
      return b;
    };
    const first = Date.parse('2024-05-01') / 86_400_000;
    const manifest = {
      path: 'm.avro', length: 1, partitionSpecId: 0, content: 0, sequenceNumber: 1n, minSequenceNumber: 1n, addedSnapshotId: 1n,
      addedFilesCount: 3, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 30, existingRowsCount: 0, deletedRowsCount: 0,
      partitions: [{ containsNull: false, containsNan: false, lowerBound: int(first), upperBound: int(first + 9) }], firstRowId: undefined,
    } as ManifestFile;
    expect(mayMatchManifest(await bound("ts >= TIMESTAMPTZ '2024-05-10 12:00:00+00'"), SCHEMA, manifest, spec)).toBe(true);
    expect(mayMatchManifest(await bound("ts >= TIMESTAMPTZ '2024-05-11 00:00:00+00'"), SCHEMA, manifest, spec)).toBe(false);
    expect(mayMatchManifest(await bound('ts IS NULL'), SCHEMA, manifest, spec)).toBe(false);
  });
});

const found = await findConformanceDir();
if (!found.found && process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);
const describeWithData = found.found ? describe : describe.skip;

describeWithData('pruning on the corpus tables never loses a row', () => {
  const cases = found.found ? join(found.dir, 'iceberg', 'cases') : '';
  const tables: [string, string, string, string[]][] = [
    ['year_partition_timestamp', 'table', 'data/persistent/partition_timestamp_year', ["partition_col < TIMESTAMP '2020-01-01'", "partition_col >= TIMESTAMP '2023-01-01'", 'user_id = 12345', 'user_id > 0']],
    ['identity_partition_bigint', 'table', 'data/persistent/partition_bigint', ['partition_col = 9223372036854775807', 'partition_col < 0', 'partition_col IS NULL']],
    ['partition_spec_evolution_metadata_stats', 'table', 'data/persistent/hive_partitioned_table', ["event_date = DATE '2024-01-03'", "event_type = 'click'", "event_date < DATE '2024-01-02' OR event_type = 'view'"]],
  ];
  for (const [name, dir, from, conditions] of tables) {
    it(name, async () => {
      const root = join(cases, name, dir);
      const table = await IcebergTable.open(root, { remap: [{ from, to: root }] });
      const snapshot = table.snapshot();
      const schema = snapshotSchema(table, snapshot);
      const all = (await table.plan(snapshot)).data.length;
      const rows = async (where?: string) => {
        const out: string[] = [];
        for await (const batch of scanIceberg(table, where === undefined ? {} : { where })) for (const row of batchRowsAsJson(batch)) out.push(JSON.stringify(row));
        return out.sort();
      };
      let pruned = 0;
      for (const where of conditions) {
        const kept = (await planIcebergScan(table, snapshot, schema, where)).data.length;
        pruned += all - kept;
        // The same rows as reading every file and filtering in DuckDB.
        const ws = await SqlWorkspace.open();
        try {
          await registerIcebergRows(ws, table, await table.plan(snapshot), schema, 'r');
          const expected: string[] = [];
          for await (const batch of ws.query(`SELECT * FROM r WHERE ${where}`)) for (const row of batchRowsAsJson(batch)) expected.push(JSON.stringify(row));
          expect(await rows(where), where).toEqual(expected.sort());
        } finally {
          await ws.close();
        }
      }
      expect(pruned).toBeGreaterThan(0);
    });
  }
});
