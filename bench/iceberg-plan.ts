/**
 * The Iceberg planning benchmark (part of `npm run bench`): a generated v2 table whose current
 * snapshot has 100,000 data files in 200 manifests (identity-partitioned by day, one day per
 * manifest, bounds and counts for every column, deflate-compressed Avro as Java writes them).
 *
 * Measured, median of BENCH_REPS (default 3), baseline in the same run:
 * - lake planning the current snapshot (open the table, read the manifest list, read and decode
 *   every manifest by field id) vs reading the same 200 manifests and decoding them with the bare
 *   avsc library (goal ≤ 1.3×);
 * - a partition-pruned plan (`day = …`): manifests opened, and time;
 * both on local files and, when a Ceph S3 server can be started (scripts/s3-test-server.sh),
 * from S3 with the manifests fetched in parallel.
 *
 * The data files do not exist: planning never opens them. Inputs are generated once under
 * `$LAKE_BENCH_DIR` (default `<tmpdir>/lake-bench-iceberg-plan`).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { planIcebergScan, snapshotSchema } from '../src/iceberg/scan.js';
import { IcebergTable } from '../src/iceberg/table.js';
import { mapLimited } from '../src/map-limited.js';
import { openStore, type StoreOptions } from '../src/storage/index.js';
import { median } from './duck.js';

const run = promisify(execFile);
const MANIFESTS = Number(process.env.BENCH_MANIFESTS ?? 200);
const PER_MANIFEST = Number(process.env.BENCH_FILES_PER_MANIFEST ?? 500);
const reps = Number(process.env.BENCH_REPS ?? 3);
const dir = process.env.LAKE_BENCH_DIR ?? join(tmpdir(), `lake-bench-iceberg-plan-${MANIFESTS}x${PER_MANIFEST}`);
const table = join(dir, 'table');
const FIRST_DAY = 19_000;

const exists = (path: string) => stat(path).then(() => true, () => false);

const optional = (type: unknown) => ['null', type];
const intMap = (name: string, keyId: number, valueId: number, valueType: string, id: number) => ({
  name,
  type: optional({ type: 'array', logicalType: 'map', items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: valueType, 'field-id': valueId }] } }),
  default: null,
  'field-id': id,
});
const ENTRY_SCHEMA = {
  type: 'record',
  name: 'manifest_entry',
  fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    { name: 'snapshot_id', type: optional('long'), default: null, 'field-id': 1 },
    { name: 'sequence_number', type: optional('long'), default: null, 'field-id': 3 },
    { name: 'file_sequence_number', type: optional('long'), default: null, 'field-id': 4 },
    {
      name: 'data_file',
      'field-id': 2,
      type: {
        type: 'record',
        name: 'r2',
        fields: [
          { name: 'content', type: 'int', 'field-id': 134 },
          { name: 'file_path', type: 'string', 'field-id': 100 },
          { name: 'file_format', type: 'string', 'field-id': 101 },
          { name: 'partition', 'field-id': 102, type: { type: 'record', name: 'r102', fields: [{ name: 'day', type: optional({ type: 'int', logicalType: 'date' }), default: null, 'field-id': 1000 }] } },
          { name: 'record_count', type: 'long', 'field-id': 103 },
          { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
          intMap('column_sizes', 117, 118, 'long', 108),
          intMap('value_counts', 119, 120, 'long', 109),
          intMap('null_value_counts', 121, 122, 'long', 110),
          intMap('nan_value_counts', 138, 139, 'long', 137),
          intMap('lower_bounds', 126, 127, 'bytes', 125),
          intMap('upper_bounds', 129, 130, 'bytes', 128),
          { name: 'split_offsets', type: optional({ type: 'array', items: 'long', 'element-id': 133 }), default: null, 'field-id': 132 },
          { name: 'sort_order_id', type: optional('int'), default: null, 'field-id': 140 },
        ],
      },
    },
  ],
};
const LIST_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions',
      type: optional({ type: 'array', 'element-id': 508, items: { type: 'record', name: 'r508', fields: [
        { name: 'contains_null', type: 'boolean', 'field-id': 509 },
        { name: 'contains_nan', type: optional('boolean'), default: null, 'field-id': 518 },
        { name: 'lower_bound', type: optional('bytes'), default: null, 'field-id': 510 },
        { name: 'upper_bound', type: optional('bytes'), default: null, 'field-id': 511 },
      ] } }),
      default: null,
      'field-id': 507,
    },
  ],
};

/** An Avro object container file (deflate blocks of ~100 records), as Java's writer makes them. */
function container(schema: object, records: readonly object[], meta: Record<string, string>): Buffer {
  const type = avro.Type.forSchema(schema) as unknown as { toBuffer(value: unknown): Buffer };
  const sync = Buffer.alloc(16, 7);
  const header = avro.Type.forSchema({
    type: 'record', name: 'org.apache.avro.file.Header',
    fields: [{ name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } }, { name: 'meta', type: { type: 'map', values: 'bytes' } }, { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } }],
  }) as unknown as { toBuffer(value: unknown): Buffer };
  const metaBytes = Object.fromEntries(Object.entries({ ...meta, 'avro.schema': JSON.stringify(schema), 'avro.codec': 'deflate' }).map(([k, v]) => [k, Buffer.from(v)]));
  const parts = [header.toBuffer({ magic: Buffer.from('Obj\x01', 'latin1'), meta: metaBytes, sync })];
  const long = avro.Type.forSchema('long') as unknown as { toBuffer(value: unknown): Buffer };
  for (let i = 0; i < records.length; i += 100) {
    const block = records.slice(i, i + 100);
    const body = deflateRawSync(Buffer.concat(block.map((r) => type.toBuffer(r))));
    parts.push(long.toBuffer(block.length), long.toBuffer(body.length), body, sync);
  }
  return Buffer.concat(parts);
}

const int4 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const long8 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
};
const f8 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b;
};

async function generate(): Promise<void> {
  await mkdir(join(table, 'metadata'), { recursive: true });
  const manifestFiles: object[] = [];
  for (let m = 0; m < MANIFESTS; m++) {
    const day = FIRST_DAY + m;
    const entries = Array.from({ length: PER_MANIFEST }, (_, i) => {
      const id = m * PER_MANIFEST + i;
      const counts = (v: number) => [1, 2, 3].map((key) => ({ key, value: v }));
      return {
        status: 1,
        snapshot_id: 1,
        sequence_number: null,
        file_sequence_number: null,
        data_file: {
          content: 0,
          file_path: `${table}/data/day=${day}/part-${id}.parquet`,
          file_format: 'PARQUET',
          partition: { day },
          record_count: 1000,
          file_size_in_bytes: 123_456 + i,
          column_sizes: counts(40_000),
          value_counts: counts(1000),
          null_value_counts: counts(0),
          nan_value_counts: [{ key: 3, value: 0 }],
          lower_bounds: [{ key: 1, value: long8(id * 1000) }, { key: 2, value: int4(day) }, { key: 3, value: f8(0.5) }],
          upper_bounds: [{ key: 1, value: long8(id * 1000 + 999) }, { key: 2, value: int4(day) }, { key: 3, value: f8(999.5) }],
          split_offsets: [4],
          sort_order_id: 0,
        },
      };
    });
    const path = join(table, 'metadata', `manifest-${m}.avro`);
    const bytes = container(ENTRY_SCHEMA, entries, { 'format-version': '2', 'partition-spec-id': '0', content: 'data' });
    await writeFile(path, bytes);
    manifestFiles.push({
      manifest_path: path, manifest_length: bytes.length, partition_spec_id: 0, content: 0, sequence_number: 1, min_sequence_number: 1, added_snapshot_id: 1,
      added_files_count: PER_MANIFEST, existing_files_count: 0, deleted_files_count: 0, added_rows_count: PER_MANIFEST * 1000, existing_rows_count: 0, deleted_rows_count: 0,
      partitions: [{ contains_null: false, contains_nan: false, lower_bound: int4(day), upper_bound: int4(day) }],
    });
  }
  const list = join(table, 'metadata', 'snap-1.avro');
  await writeFile(list, container(LIST_SCHEMA, manifestFiles, { 'format-version': '2', 'snapshot-id': '1', 'sequence-number': '1' }));
  const metadata = {
    'format-version': 2, 'table-uuid': '00000000-0000-0000-0000-000000000001', location: table, 'last-sequence-number': 1, 'last-updated-ms': 0, 'last-column-id': 3,
    'current-schema-id': 0, schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }, { id: 2, name: 'day', required: false, type: 'date' }, { id: 3, name: 'amount', required: false, type: 'double' }] }],
    'default-spec-id': 0, 'partition-specs': [{ 'spec-id': 0, fields: [{ name: 'day', transform: 'identity', 'source-id': 2, 'field-id': 1000 }] }], 'last-partition-id': 1000,
    'default-sort-order-id': 0, 'sort-orders': [{ 'order-id': 0, fields: [] }], properties: {}, 'current-snapshot-id': 1,
    snapshots: [{ 'snapshot-id': 1, 'sequence-number': 1, 'timestamp-ms': 0, 'manifest-list': list, summary: { operation: 'append' } }],
    'snapshot-log': [{ 'snapshot-id': 1, 'timestamp-ms': 0 }],
  };
  await writeFile(join(table, 'metadata', 'v1.metadata.json'), JSON.stringify(metadata));
}

/**
 * The bare library: read the manifests (16 at a time, as lake does) and decode every record with
 * avsc into objects that are kept, as a plan keeps its files.
 */
async function bareAvsc(read: (name: string) => Promise<Uint8Array>): Promise<number> {
  const names = Array.from({ length: MANIFESTS }, (_, m) => `metadata/manifest-${m}.avro`);
  const decoded = await mapLimited(names, 16, async (name) => {
    const bytes = await read(name);
    const records: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const decoder = new avro.streams.BlockDecoder();
      decoder.on('data', (record: unknown) => records.push(record));
      decoder.on('error', reject);
      decoder.on('end', resolve);
      decoder.end(Buffer.from(bytes));
    });
    return records;
  });
  return decoded.reduce((n, records) => n + records.length, 0);
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

interface Target {
  readonly name: string;
  readonly open: () => Promise<IcebergTable>;
  readonly read: (name: string) => Promise<Uint8Array>;
}

async function measure(target: Target): Promise<string[]> {
  const lake: number[] = [];
  const bare: number[] = [];
  const pruned: number[] = [];
  let files = 0;
  let opened = 0;
  for (let rep = 0; rep < reps; rep++) {
    const b = await time(() => bareAvsc(target.read));
    bare.push(b.ms);
    const l = await time(async () => {
      const t = await target.open();
      return (await t.plan(t.snapshot())).data.length;
    });
    lake.push(l.ms);
    files = l.value;
    if (b.value !== files) throw new Error(`the bare decoder saw ${b.value} entries, lake ${files}`);
    const p = await time(async () => {
      const t = await target.open();
      const snapshot = t.snapshot();
      let count = 0;
      const realEntries = t.entries.bind(t);
      t.entries = async (manifests) => {
        count += manifests.length;
        return realEntries(manifests);
      };
      const planned = await planIcebergScan(t, snapshot, snapshotSchema(t, snapshot), `day = DATE '${new Date((FIRST_DAY + 17) * 86_400_000).toISOString().slice(0, 10)}'`);
      return { files: planned.data.length, manifests: count };
    });
    pruned.push(p.ms);
    opened = p.value.manifests;
    process.stderr.write(`  ${target.name} run ${rep + 1}/${reps}: bare avsc ${b.ms.toFixed(0)} ms, lake ${l.ms.toFixed(0)} ms, pruned ${p.ms.toFixed(0)} ms (${p.value.files} files)\n`);
  }
  const ratio = median(lake) / median(bare);
  return [
    `  ${target.name}: lake plans ${files.toLocaleString('en')} files in ${median(lake).toFixed(0)} ms; bare avsc decodes the same manifests in ${median(bare).toFixed(0)} ms → ${ratio.toFixed(2)}× (goal ≤ 1.3×) ${ratio <= 1.3 ? 'met' : 'NOT met'}`,
    `  ${target.name}: partition-pruned plan (day = one day) opens ${opened} of ${MANIFESTS} manifests, ${median(pruned).toFixed(0)} ms`,
  ];
}

console.log(`lake bench (iceberg planning): ${(MANIFESTS * PER_MANIFEST).toLocaleString('en')} data files in ${MANIFESTS} manifests; median of ${reps}`);
if (!(await exists(join(table, 'metadata', 'v1.metadata.json')))) {
  console.log('generating the table …');
  await generate();
}
const lines = await measure({
  name: 'local files',
  open: () => IcebergTable.open(table),
  read: async (name) => new Uint8Array(await readFile(join(table, name))),
});

// The same table on a Ceph S3 server, when one can be started here.
const here = fileURLToPath(new URL('.', import.meta.url));
const script = join(here, '..', 'scripts', 's3-test-server.sh');
const state = join(dir, 's3-state');
let started: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string } | undefined;
try {
  const { stdout } = await run('bash', [script, 'start', state], { maxBuffer: 1 << 20 });
  started = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof started;
} catch (error) {
  lines.push(`  S3: not measured (no S3 server could be started: ${(error as Error).message.split('\n')[0]})`);
}
if (started !== undefined) {
  try {
    const storeOptions: StoreOptions = { s3: { endpoint: started.endpoint, region: started.region, forcePathStyle: true, credentials: { accessKeyId: started.accessKeyId, secretAccessKey: started.secretAccessKey } } };
    const client = new S3Client({ endpoint: started.endpoint, region: started.region, forcePathStyle: true, credentials: { accessKeyId: started.accessKeyId, secretAccessKey: started.secretAccessKey } });
    await client.send(new CreateBucketCommand({ Bucket: 'lake-bench' }));
    client.destroy();
    const store = openStore({ scheme: 's3', bucket: 'lake-bench', prefix: 'iceberg-plan' }, storeOptions);
    const names = (await readdir(join(table, 'metadata'))).map((n) => `metadata/${n}`);
    await mapLimited(names, 16, async (name) => store.put(name, new Uint8Array(await readFile(join(table, name)))));
    const remap = [{ from: table, to: 's3://lake-bench/iceberg-plan' }];
    lines.push(
      ...(await measure({
        name: 'S3 (Ceph RGW)',
        open: () => IcebergTable.open('s3://lake-bench/iceberg-plan', { ...storeOptions, remap }),
        read: async (name) => (await store.get(name)).bytes,
      })),
    );
  } finally {
    await run('bash', [script, 'stop', state]).catch(() => {});
  }
}
console.log('');
console.log('results:');
for (const line of lines) console.log(line);
