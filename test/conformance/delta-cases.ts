/**
 * The Delta conformance cases: the delta-kernel-rs golden tables (delta/golden/CASES.json) and
 * the Delta Acceptance Testing reader cases (delta/dat/<case>/). Each case runs against lake's
 * public reader (DeltaTable → snapshot → scan / files / history) and yields `{case, ok, error}`.
 *
 * Expected values come only from the shared data and the case notes, never from lake's output.
 * The per-case tables below quote the note they implement; a case whose note no longer matches
 * the quote fails, so a changed case is looked at again instead of checked the old way.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { makeData, makeVector, Table, TimeUnit, Type, type Data, type RecordBatch, type Timestamp } from 'apache-arrow';
import type { AddFile, CommitInfo } from '../../src/delta/actions.js';
import { LakeError } from '../../src/errors.js';
import { compareContent, Content, formatMismatch } from './compare.js';

// ---------------------------------------------------------------------------------------------
// Results, failures

export interface CaseResult {
  readonly case: string;
  readonly ok: boolean;
  /** First line: what failed, in one line; further lines: details. */
  readonly error?: string;
}

/** A check that did not hold: its message is the case's error. */
class CheckFailed extends Error {
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

function check(condition: boolean, message: () => string, details?: () => readonly string[]): asserts condition {
  if (!condition) throw new CheckFailed(message(), details?.() ?? []);
}

/** One line for an error that escaped a case, then details (the stack for anything not a LakeError). */
export function describeError(error: unknown): { summary: string; details: string[] } {
  if (error instanceof CheckFailed) return { summary: error.message, details: [...error.details] };
  if (error instanceof LakeError) {
    return { summary: `${error.name} ${error.code}: ${firstLine(error.message)}`, details: causeLines(error) };
  }
  if (error instanceof Error) {
    const stack = (error.stack ?? '').split('\n').slice(1, 8).map((line) => line.trim());
    return { summary: `${error.name}: ${firstLine(error.message)}`, details: [...stack, ...causeLines(error)] };
  }
  return { summary: `threw ${String(error)}`, details: [] };
}

function causeLines(error: Error): string[] {
  const cause = (error as { cause?: unknown }).cause;
  if (cause === undefined) return [];
  return [`caused by: ${cause instanceof Error ? `${cause.name}: ${firstLine(cause.message)}` : String(cause)}`];
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function failure(name: string, error: unknown, prefix = ''): CaseResult {
  const { summary, details } = describeError(error);
  return { case: name, ok: false, error: [`${prefix}${summary}`, ...details].join('\n') };
}

// ---------------------------------------------------------------------------------------------
// Where the data is

export const UPSTREAM = [
  'delta/golden: the golden tables of the delta-kernel-rs project (kernel/tests/golden_data), written by Delta Spark',
  'delta/dat: the reader cases of Delta Acceptance Testing (github.com/delta-incubator/dat)',
];

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type ConformanceDir =
  | { readonly found: true; readonly dir: string }
  | { readonly found: false; readonly looked: readonly string[] };

/** `$LAKE_CONFORMANCE_DIR`, else `../shared/conformance` next to the project root: the first that exists. */
export async function findConformanceDir(env: NodeJS.ProcessEnv = process.env, projectRoot = PROJECT_ROOT): Promise<ConformanceDir> {
  const candidates: string[] = [];
  if (env.LAKE_CONFORMANCE_DIR !== undefined && env.LAKE_CONFORMANCE_DIR !== '') candidates.push(resolve(env.LAKE_CONFORMANCE_DIR));
  candidates.push(resolve(projectRoot, '..', 'shared', 'conformance'));
  for (const dir of candidates) if (await isDirectory(dir)) return { found: true, dir };
  return { found: false, looked: candidates };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The library under test, loaded lazily: while the reader is being written, a module that does
// not load yet makes every case fail with "not implemented" instead of crashing the runner.

type TableModule = typeof import('../../src/delta/table.js');
type DeltaTable = InstanceType<TableModule['DeltaTable']>;
type Snapshot = Awaited<ReturnType<DeltaTable['snapshot']>>;

let tableModule: Promise<TableModule> | undefined;

async function library(): Promise<TableModule> {
  tableModule ??= import('../../src/delta/table.js');
  try {
    return await tableModule;
  } catch (error) {
    throw new CheckFailed(`not implemented: src/delta/table.ts does not load (${describeError(error).summary})`);
  }
}

async function openTable(path: string): Promise<DeltaTable> {
  const { DeltaTable } = await library();
  return DeltaTable.open(path);
}

/** The decoded path of a live file relative to the table root, as the reader resolves it. */
function decodedName(snapshot: Snapshot, file: AddFile): string {
  const withPaths = snapshot as unknown as { dataPath?: (f: AddFile) => { relative?: string; canonical: string } };
  if (typeof withPaths.dataPath === 'function') {
    const resolved = withPaths.dataPath(file);
    return resolved.relative ?? resolved.canonical;
  }
  return decodeURIComponent(file.path);
}

// ---------------------------------------------------------------------------------------------
// Reading the shared data (for expected values only)

const COMMIT = /^(\d{20})\.json$/;

async function commitVersions(tableDir: string): Promise<number[]> {
  const names = await readdir(join(tableDir, '_delta_log'));
  return names.flatMap((name) => {
    const m = COMMIT.exec(name);
    return m === null ? [] : [Number(m[1])];
  }).sort((a, b) => a - b);
}

async function commitActions(tableDir: string, version: number): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(tableDir, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function sorted<T>(values: Iterable<T>): T[] {
  return [...values].sort();
}

function show(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

// ---------------------------------------------------------------------------------------------
// Golden cases

export type GoldenKind = 'latest-snapshot' | 'negative' | 'checkpoint' | 'canonicalized-paths' | 'log-only';

export interface Expectations {
  readonly version?: number;
  readonly liveFiles?: number;
  readonly liveFileNames?: readonly string[];
  readonly modificationTimeOf?: Readonly<Record<string, number>>;
}

export interface GoldenCase {
  readonly case: string;
  /** The Delta table directory, relative to delta/golden. */
  readonly table: string;
  readonly kind: GoldenKind;
  readonly note: string;
  /** The expected content directory (latest-snapshot), relative to delta/golden. */
  readonly expected?: string;
  readonly expect?: Expectations;
}

export async function loadGoldenCases(goldenRoot: string): Promise<GoldenCase[]> {
  const parsed = JSON.parse(await readFile(join(goldenRoot, 'CASES.json'), 'utf8')) as { cases?: GoldenCase[] };
  if (!Array.isArray(parsed.cases)) throw new Error(`${join(goldenRoot, 'CASES.json')} has no "cases" array`);
  return parsed.cases;
}

/**
 * negative: loading (open + latest snapshot) must throw a LakeError with this code. Anything
 * else, including another LakeError or a TypeError from a missing file, is a failure.
 */
export const NEGATIVE_CASES: Readonly<Record<string, { readonly note: string; readonly code: string; readonly why: string }>> = {
  'deltalog-invalid-protocol-version': {
    note: 'protocol version the reader does not support: must fail with a clear unsupported-protocol error',
    code: 'UNSUPPORTED_READER_VERSION',
    why: 'the log declares minReaderVersion 99',
  },
  'deltalog-state-reconstruction-from-checkpoint-missing-metadata': {
    note: 'checkpoint without a metaData action: must fail (table state cannot be reconstructed)',
    code: 'MISSING_METADATA',
    why: 'the checkpoint the snapshot starts from has no metaData',
  },
  'deltalog-state-reconstruction-from-checkpoint-missing-protocol': {
    note: 'checkpoint without a protocol action: must fail',
    code: 'MISSING_PROTOCOL',
    why: 'the checkpoint the snapshot starts from has no protocol',
  },
  'deltalog-state-reconstruction-without-metadata': {
    note: 'log without a metaData action: must fail',
    code: 'MISSING_METADATA',
    why: 'no commit has a metaData action',
  },
  'deltalog-state-reconstruction-without-protocol': {
    note: 'log without a protocol action: must fail',
    code: 'MISSING_PROTOCOL',
    why: 'no commit has a protocol action',
  },
  'no-delta-log-folder': {
    note: 'no _delta_log: must fail with a table-not-found error',
    code: 'TABLE_NOT_FOUND',
    why: 'the directory holds data files but no _delta_log',
  },
  'versions-not-contiguous': {
    note: 'commit versions with a gap: must fail with a versions-not-contiguous error',
    code: 'LOG_VERSIONS_NOT_CONTIGUOUS',
    why: 'the log has commits 0 and 2 but not 1',
  },
};

interface LogOnlyCheck {
  readonly note: string;
  /** What is checked, in words (the report's table). */
  readonly checks: string;
  readonly run: (tableDir: string) => Promise<void>;
}

/** log-only cases without an `expect` block: the note, in checkable terms. */
export const LOG_ONLY_CASES: Readonly<Record<string, LogOnlyCheck>> = {
  'deltalog-commit-info': {
    note: 'commitInfo parsing: history must show the commit info of each version',
    checks:
      'history() lists exactly the commit versions in _delta_log, newest first; each entry carries every field of ' +
      "that version's commitInfo action deep-equal (timestamp excepted: history's is the commit time), and a numeric timestamp. " +
      'The snapshot is not loaded: the note asks about history, and this metaData has no schemaString.',
    run: async (tableDir) => {
      const versions = await commitVersions(tableDir);
      const table = await openTable(tableDir);
      const history = await table.history();
      const listed = history.map((entry) => entry.version);
      check(isDeepStrictEqual(listed, [...versions].reverse()), () => `history lists versions ${show(listed)}, the log has ${show([...versions].reverse())}`);
      for (const version of versions) {
        const info = (await commitActions(tableDir, version)).find((a) => a.commitInfo !== undefined)?.commitInfo as Record<string, unknown> | undefined;
        if (info === undefined) throw new Error(`data: version ${version} has no commitInfo; this check needs one`);
        const entry = history.find((e) => e.version === version)! as unknown as Record<string, unknown>;
        check(typeof entry.timestamp === 'number', () => `version ${version}: history timestamp is ${show(entry.timestamp)}, not a number`);
        for (const [key, value] of Object.entries(info)) {
          if (key === 'timestamp') continue;
          check(isDeepStrictEqual(entry[key], value), () => `version ${version}: history field ${key} is ${show(entry[key])}, the commitInfo has ${show(value)}`);
        }
      }
    },
  },

  'log-replay-special-characters-b': {
    note: "special characters in file paths; data files not shipped; the live file's name decodes to 'special p@#h'",
    checks: "the latest snapshot has exactly one live file, and its decoded path is 'special p@#h' (no data file is read)",
    run: async (tableDir) => {
      const snapshot = await (await openTable(tableDir)).snapshot();
      check(snapshot.files.length === 1, () => `${snapshot.files.length} live files, expected 1`);
      const name = decodedName(snapshot, snapshot.files[0]!);
      check(name === 'special p@#h', () => `the live file decodes to ${show(name)}, expected "special p@#h" (logged as ${show(snapshot.files[0]!.path)})`);
    },
  },

  'update-deleted-directory': {
    note: 'data directory deleted after commits; loading the snapshot must still work',
    checks:
      'the latest snapshot loads without any data file: its version is the last commit in _delta_log, and its live files are ' +
      'exactly the add actions of the log (decoded paths; the log has no remove), although none of them exists',
    run: async (tableDir) => {
      const versions = await commitVersions(tableDir);
      const adds: string[] = [];
      for (const version of versions) {
        for (const action of await commitActions(tableDir, version)) {
          if (action.remove !== undefined) throw new Error('data: this check assumes a log without remove actions');
          if (action.add !== undefined) adds.push(decodeURIComponent((action.add as { path: string }).path));
        }
      }
      const snapshot = await (await openTable(tableDir)).snapshot();
      check(snapshot.version === versions.at(-1), () => `snapshot version ${snapshot.version}, the last commit is ${versions.at(-1)}`);
      const names = sorted(snapshot.files.map((f) => decodedName(snapshot, f)));
      check(isDeepStrictEqual(names, sorted(adds)), () => `live files ${show(names)}, the log adds ${show(sorted(adds))}`);
    },
  },

  hive: {
    note: 'different file structure (hive-style); inspect before use',
    checks:
      'delta/ holds 11 single-commit tables (deltatbl-*), data files included. For each: the latest snapshot is version 0; its ' +
      "live files are the commit's add actions and each decoded path names a file that exists under the table (partition " +
      "directories such as 'c2=+ %3D%250'); a full scan returns the commitInfo's operationMetrics.numOutputRows rows; and " +
      "each string partition column's distinct scanned values are the distinct partitionValues of the adds",
    run: async (tableDir) => {
      const tables = [];
      for (const name of sorted(await readdir(tableDir))) {
        if (await isDirectory(join(tableDir, name, '_delta_log'))) tables.push(name);
      }
      if (tables.length === 0) throw new Error('data: no table with a _delta_log under hive/delta');
      const problems: string[] = [];
      for (const name of tables) {
        try {
          await checkHiveTable(join(tableDir, name));
        } catch (error) {
          problems.push(`${name}: ${describeError(error).summary}`);
        }
      }
      check(problems.length === 0, () => `${problems.length} of ${tables.length} tables failed; first: ${problems[0]}`, () => problems);
    },
  },

  'data-reader-absolute-paths-escaped-chars': {
    note: 'absolute, percent-encoded paths in add actions; the data files are not shipped: resolve paths without reading them',
    checks:
      'the log has no metaData action at all, so by PROTOCOL.md no snapshot can be reconstructed: loading must fail with ' +
      'MISSING_METADATA, exactly as the negative case deltalog-state-reconstruction-without-metadata. What is checkable of the ' +
      "note: history() lists both commits, and resolving each add path (src/delta/data-paths.ts) reads no file: 'bar%2Dbar.snappy.parquet' " +
      "decodes to 'bar-bar.snappy.parquet' in the table root; the '..//Users/…/foo.snappy.parquet' path resolves to a location " +
      "whose decoded name is 'foo.snappy.parquet' or is refused with a LakeError (it points outside the table)",
    run: async (tableDir) => {
      const versions = await commitVersions(tableDir);
      const adds: string[] = [];
      for (const version of versions) {
        for (const action of await commitActions(tableDir, version)) {
          if (action.metaData !== undefined) throw new Error('data: this check assumes a log without metaData');
          if (action.add !== undefined) adds.push((action.add as { path: string }).path);
        }
      }
      const table = await openTable(tableDir);
      const listed = (await table.history()).map((entry) => entry.version);
      check(isDeepStrictEqual(listed, [...versions].reverse()), () => `history lists versions ${show(listed)}, the log has ${show([...versions].reverse())}`);

      await expectLakeError(() => table.snapshot(), 'MISSING_METADATA', 'loading the snapshot');

      const { resolveDataPath } = await import('../../src/delta/data-paths.js');
      const { parseLocation } = await import('../../src/storage/location.js');
      const root = parseLocation(tableDir);
      for (const path of adds) {
        const fileName = decodeURIComponent(path.split('/').at(-1)!);
        let resolved: { relative?: string | undefined; location?: unknown } | undefined;
        try {
          resolved = resolveDataPath(path, root);
        } catch (error) {
          check(error instanceof LakeError && path.startsWith('..'), () => `resolving ${show(path)} threw ${describeError(error).summary}`);
          continue;
        }
        if (path.startsWith('..')) {
          const where = JSON.stringify(resolved.location ?? '');
          check(where.includes(fileName), () => `${show(path)} resolved to ${where}, which does not name ${fileName}`);
        } else {
          check(resolved.relative === fileName, () => `${show(path)} resolved to ${show(resolved?.relative)}, expected ${show(fileName)}`);
        }
      }
    },
  },
};

/**
 * latest-snapshot cases whose expected files hold a value no single correct reader can produce,
 * each corrected narrowly: the correction first proves, from the log, exactly how the expected
 * value was made (and fails with "data:" if that no longer holds), then substitutes the value the
 * rule pinned down by other cases gives. Every other column and row is compared unchanged.
 */
export const EXPECTED_CORRECTIONS: Readonly<Record<string, { readonly reason: string; readonly adjust: (tableDir: string) => Promise<Adjust> }>> = {
  'data-reader-partition-values': {
    reason:
      "as_timestamp is a partition column; the log holds its value as the string '2021-09-08 11:11:11' (PROTOCOL.md " +
      '"Partition Value Serialization": no zone; the ISO form with Z is the explicit-UTC one). kernel-timestamp-pst pins the ' +
      "reading to UTC ('2020-01-01 08:09:10.001' is expected as 08:09:10.001Z), as delta-kernel does. This case's expected " +
      'file was written by a Spark session in America/Los_Angeles and holds the string read in that zone (18:11:11Z). No ' +
      'reader can match both, so the expected as_timestamp is checked to be exactly that Los Angeles reading of the log ' +
      'string for its partition (matched by as_int) and replaced by the UTC reading.',
    adjust: async (tableDir) => {
      const byPartition = new Map<string | null, string | null>();
      for (const version of await commitVersions(tableDir)) {
        for (const action of await commitActions(tableDir, version)) {
          const add = action.add as AddFile | undefined;
          if (add === undefined) continue;
          const key = add.partitionValues.as_int ?? null;
          const value = add.partitionValues.as_timestamp ?? null;
          if (byPartition.has(key) && byPartition.get(key) !== value) throw new Error(`data: as_int=${key} has two as_timestamp values`);
          byPartition.set(key, value);
        }
      }
      return (table, file) => new Table(table.batches.map((batch) => correctTimestamps(batch, byPartition, file)));
    },
  },
};

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** A partition value `yyyy-mm-dd hh:mm:ss[.ffffff]` read as UTC, in microseconds since the epoch. */
function wallClockAsUtcMicros(text: string): bigint {
  const m = WALL_CLOCK.exec(text);
  if (m === null) throw new Error(`data: timestamp partition value ${show(text)} is not 'yyyy-mm-dd hh:mm:ss[.ffffff]'`);
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, sec)) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

/** The wall clock of an instant in `zone`, itself read as UTC (microseconds). */
function wallClockIn(zone: string, micros: bigint): bigint {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(Number(ms)));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const utc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return BigInt(utc) * 1000n + fraction;
}

function correctTimestamps(batch: RecordBatch, byPartition: ReadonlyMap<string | null, string | null>, file: string): RecordBatch {
  const keys = batch.getChild('as_int');
  const column = batch.getChild('as_timestamp');
  if (keys === null || column === null || column.data.length !== 1) throw new Error(`data: ${file} lacks as_int or as_timestamp`);
  const data = column.data[0]! as Data;
  const type = data.type as unknown as { unit: TimeUnit; timezone: string | null };
  if (data.typeId !== Type.Timestamp || type.unit !== TimeUnit.MICROSECOND || data.offset !== 0) {
    throw new Error(`data: ${file}: as_timestamp is ${String(data.type)}, expected Timestamp<MICROSECOND, UTC>`);
  }
  const values = BigInt64Array.from(data.values as BigInt64Array);
  for (let i = 0; i < batch.numRows; i++) {
    const key = keys.get(i) === null ? null : String(keys.get(i));
    if (!byPartition.has(key)) throw new Error(`data: ${file}: no add with as_int=${key}`);
    const logged = byPartition.get(key)!;
    if (logged === null) {
      if (data.getValid(i)) throw new Error(`data: ${file}: as_int=${key} has a null as_timestamp in the log, a value in the expected file`);
      continue;
    }
    if (!data.getValid(i) || wallClockIn('America/Los_Angeles', values[i]!) !== wallClockAsUtcMicros(logged)) {
      throw new Error(`data: ${file}: the expected as_timestamp of as_int=${key} is not the log's ${show(logged)} read in America/Los_Angeles; revisit this correction`);
    }
    values[i] = wallClockAsUtcMicros(logged);
  }
  const corrected = makeData({ type: data.type as Timestamp, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: values });
  return batch.setChild('as_timestamp', makeVector(corrected));
}

async function checkHiveTable(dir: string): Promise<void> {
  const versions = await commitVersions(dir);
  if (!isDeepStrictEqual(versions, [0])) throw new Error(`data: expected a single commit, found ${show(versions)}`);
  const actions = await commitActions(dir, 0);
  if (actions.some((a) => a.remove !== undefined)) throw new Error('data: this check assumes a commit without removes');
  const adds = actions.flatMap((a) => (a.add === undefined ? [] : [a.add as AddFile]));
  const info = actions.find((a) => a.commitInfo !== undefined)?.commitInfo as CommitInfo | undefined;
  const outputRows = Number((info?.operationMetrics as Record<string, unknown> | undefined)?.numOutputRows);
  if (!Number.isInteger(outputRows)) throw new Error('data: the commitInfo has no operationMetrics.numOutputRows');
  const partitionColumns = (actions.find((a) => a.metaData !== undefined)?.metaData as { partitionColumns?: string[] } | undefined)?.partitionColumns ?? [];

  const snapshot = await (await openTable(dir)).snapshot();
  check(snapshot.version === 0, () => `version ${snapshot.version}, expected 0`);
  check(snapshot.files.length === adds.length, () => `${snapshot.files.length} live files, the commit adds ${adds.length}`);
  const names = sorted(snapshot.files.map((f) => decodedName(snapshot, f)));
  const expectedNames = sorted(adds.map((a) => decodeURIComponent(a.path)));
  check(isDeepStrictEqual(names, expectedNames), () => `live files ${show(names)}, expected ${show(expectedNames)}`);
  for (const name of names) check(await exists(join(dir, name)), () => `live file ${show(name)} does not exist under the table`);

  let rows = 0;
  const seen = new Map<string, Set<string | null>>(partitionColumns.map((c) => [c, new Set()]));
  for await (const batch of snapshot.scan()) {
    rows += batch.numRows;
    for (const [column, values] of seen) {
      const vector = batch.getChild(column);
      check(vector !== null, () => `the scan has no column ${show(column)}`);
      for (let i = 0; i < vector.length; i++) {
        const v: unknown = vector.get(i);
        values.add(v === null ? null : String(v));
      }
    }
  }
  check(rows === outputRows, () => `the scan returned ${rows} rows, the commit wrote ${outputRows}`);
  for (const [column, values] of seen) {
    const want = sorted(new Set(adds.map((a) => a.partitionValues[column] ?? null)));
    const got = sorted(values);
    check(isDeepStrictEqual(got, want), () => `partition column ${column}: scanned ${show(got)}, the adds have ${show(want)}`);
  }
}

async function expectLakeError(action: () => Promise<unknown>, code: string, what: string): Promise<void> {
  let result: unknown;
  try {
    result = await action();
  } catch (error) {
    if (error instanceof CheckFailed) throw error; // e.g. the reader does not load yet
    check(
      error instanceof LakeError && error.code === code,
      () => `${what} failed with ${describeError(error).summary}; expected a LakeError ${code}`,
      () => describeError(error).details,
    );
    return;
  }
  const version = (result as { version?: unknown } | undefined)?.version;
  throw new CheckFailed(`${what} succeeded${version === undefined ? '' : ` (version ${String(version)})`}; expected a LakeError ${code}`);
}

async function checkExpectations(snapshot: Snapshot, expect: Expectations): Promise<void> {
  const known = new Set(['version', 'liveFiles', 'liveFileNames', 'modificationTimeOf']);
  const unknown = Object.keys(expect).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`runner: unknown expectation ${unknown.join(', ')}; teach delta-cases.ts to check it`);
  if (expect.version !== undefined) {
    check(snapshot.version === expect.version, () => `latest version ${snapshot.version}, expected ${expect.version}`);
  }
  if (expect.liveFiles !== undefined) {
    check(snapshot.files.length === expect.liveFiles, () => `${snapshot.files.length} live files, expected ${expect.liveFiles}`, () =>
      snapshot.files.map((f) => `live: ${f.path}`),
    );
  }
  if (expect.liveFileNames !== undefined) {
    const names = sorted(snapshot.files.map((f) => decodedName(snapshot, f)));
    check(isDeepStrictEqual(names, sorted(expect.liveFileNames)), () => `live files ${show(names)}, expected ${show(sorted(expect.liveFileNames!))}`);
  }
  for (const [name, time] of Object.entries(expect.modificationTimeOf ?? {})) {
    const file = snapshot.files.find((f) => decodedName(snapshot, f) === name);
    check(file !== undefined, () => `no live file ${show(name)}`);
    check(file.modificationTime === time, () => `live file ${show(name)} has modificationTime ${file.modificationTime}, expected ${time}`);
  }
}

type Adjust = (table: Table, file: string) => Table;

async function compareScan(snapshot: Snapshot, expectedPath: string, label: string, adjust?: Adjust): Promise<void> {
  const expected = await Content.fromParquet(expectedPath, `${label} expected`, adjust === undefined ? {} : { adjust });
  const actual = await Content.fromBatches(snapshot.scan(), snapshot.arrowSchema, `${label} scan`);
  const mismatch = compareContent(expected, actual);
  if (mismatch !== undefined) throw new CheckFailed(mismatch.summary, formatMismatch(mismatch).split('\n').slice(1));
}

/** Opens the table of a case; the default reads it in place, the S3 suite from a copy on S3. */
export type TableOpener = (tableDir: string) => Promise<DeltaTable>;

export async function runGoldenCase(c: GoldenCase, goldenRoot: string, open: TableOpener = openTable): Promise<CaseResult> {
  const name = c.case;
  try {
    const tableDir = join(goldenRoot, c.table);
    switch (c.kind) {
      case 'latest-snapshot': {
        if (c.expected === undefined) throw new Error('data: a latest-snapshot case without "expected"');
        const correction = EXPECTED_CORRECTIONS[name];
        const adjust = correction === undefined ? undefined : await correction.adjust(tableDir);
        const snapshot = await (await open(tableDir)).snapshot();
        await compareScan(snapshot, join(goldenRoot, c.expected), `version ${snapshot.version}`, adjust);
        break;
      }
      case 'negative': {
        const entry = NEGATIVE_CASES[name];
        if (entry === undefined) throw new CheckFailed('runner: no expected error code for this negative case; add it to NEGATIVE_CASES');
        checkNote(c, entry.note);
        await expectLakeError(async () => (await open(tableDir)).snapshot(), entry.code, 'loading the table');
        break;
      }
      case 'checkpoint':
      case 'canonicalized-paths': {
        if (c.expect === undefined) throw new Error(`data: a ${c.kind} case without "expect"`);
        await checkExpectations(await (await open(tableDir)).snapshot(), c.expect);
        break;
      }
      case 'log-only': {
        const entry = LOG_ONLY_CASES[name];
        if (entry !== undefined) checkNote(c, entry.note);
        if (c.expect !== undefined) await checkExpectations(await (await open(tableDir)).snapshot(), c.expect);
        else if (entry === undefined) throw new CheckFailed('runner: a log-only case with neither "expect" nor an entry in LOG_ONLY_CASES');
        if (entry !== undefined) await entry.run(tableDir);
        break;
      }
      default:
        throw new CheckFailed(`runner: unknown kind ${show((c as { kind: unknown }).kind)}`);
    }
    return { case: name, ok: true };
  } catch (error) {
    return failure(name, error);
  }
}

function checkNote(c: GoldenCase, quoted: string): void {
  if (c.note !== quoted) {
    throw new CheckFailed(`runner: the case's note changed; revisit its check (now: ${show(c.note)}, the check quotes ${show(quoted)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// DAT cases

interface VersionMetadata {
  readonly version: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly min_reader_version: number;
  readonly min_writer_version: number;
}

export async function listDatCases(datRoot: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const name of sorted(await readdir(datRoot))) {
    if (await exists(join(datRoot, name, 'test_case_info.json'))) dirs.push(join(datRoot, name));
  }
  return dirs;
}

/** Every expected version of a DAT case: snapshot metadata, protocol, properties, and content. */
export async function runDatCase(dir: string): Promise<CaseResult> {
  const name = basename(dir);
  try {
    const info = JSON.parse(await readFile(join(dir, 'test_case_info.json'), 'utf8')) as { name?: string };
    if (info.name !== undefined && info.name !== name) throw new Error(`data: test_case_info.json names ${show(info.name)}`);
    const versions = (await readdir(join(dir, 'expected'))).filter((v) => v === 'latest' || /^v\d+$/.test(v));
    versions.sort((a, b) => (a === 'latest' ? 1 : b === 'latest' ? -1 : Number(a.slice(1)) - Number(b.slice(1))));
    if (versions.length === 0) throw new Error('data: no expected versions');
    const table = await openTable(join(dir, 'delta'));
    const failures: { version: string; error: unknown }[] = [];
    for (const v of versions) {
      try {
        await checkDatVersion(table, join(dir, 'expected', v), v);
      } catch (error) {
        if (error instanceof CheckFailed && error.message.startsWith('not implemented')) throw error;
        failures.push({ version: v, error });
      }
    }
    if (failures.length === 0) return { case: name, ok: true };
    const described = failures.map(({ version, error }) => ({ version, ...describeError(error) }));
    const first = described[0]!;
    const lines = [
      `${first.version}: ${first.summary}${failures.length > 1 ? ` (and ${failures.length - 1} more of ${versions.length} versions)` : ''}`,
      ...described.flatMap((d, i) => [...(i === 0 ? [] : [`${d.version}: ${d.summary}`]), ...d.details.map((line) => `${d.version}: ${line}`)]),
    ];
    return { case: name, ok: false, error: lines.join('\n') };
  } catch (error) {
    return failure(name, error);
  }
}

async function checkDatVersion(table: DeltaTable, expectedDir: string, v: string): Promise<void> {
  const meta = JSON.parse(await readFile(join(expectedDir, 'table_version_metadata.json'), 'utf8')) as VersionMetadata;
  if (v !== 'latest' && Number(v.slice(1)) !== meta.version) throw new Error(`data: ${v}/table_version_metadata.json says version ${meta.version}`);
  const snapshot = await (v === 'latest' ? table.snapshot() : table.snapshot({ version: meta.version }));
  check(snapshot.version === meta.version, () => `snapshot version ${snapshot.version}, expected ${meta.version}`);
  check(
    snapshot.protocol.minReaderVersion === meta.min_reader_version && snapshot.protocol.minWriterVersion === meta.min_writer_version,
    () =>
      `protocol ${snapshot.protocol.minReaderVersion}/${snapshot.protocol.minWriterVersion} (reader/writer), expected ${meta.min_reader_version}/${meta.min_writer_version}`,
  );
  const configuration = { ...snapshot.metadata.configuration };
  check(isDeepStrictEqual(configuration, { ...meta.properties }), () => `table properties ${show(configuration)}, expected ${show(meta.properties)}`);
  await compareScan(snapshot, join(expectedDir, 'table_content.parquet'), `version ${meta.version}`);
}
