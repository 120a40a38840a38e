import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Dictionary, Field, Int32, LargeUtf8, tableFromIPC, TimeUnit, Timestamp, Type, Uint8, Utf8, type DataType, type Schema } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { LakeError } from '../../src/errors.js';
import {
  checkTypeChanges,
  columnInvariant,
  columnMappingMode,
  decimalParams,
  fieldByName,
  fieldId,
  findFileField,
  fromArrowSchema,
  fromArrowType,
  generationExpression,
  identityColumn,
  isSupportedWidening,
  parseJson,
  parseSchema,
  physicalName,
  physicalSchema,
  schemaToJson,
  schemaToString,
  stringifyJson,
  toArrowSchema,
  toArrowType,
  typeChanges,
  VARIANT_EXTENSION_NAME,
  type ColumnMappingMode,
  type DeltaType,
  type StructField,
  type StructType,
} from '../../src/delta/schema.js';

// ---------------------------------------------------------------------------------------------
// The conformance tables (read-only): every metaData action of every log, JSON and checkpoints.
// ---------------------------------------------------------------------------------------------

const CONFORMANCE = join(process.env['LAKE_CONFORMANCE_DIR'] ?? '/work/shared/conformance', 'delta');
const haveConformance = existsSync(CONFORMANCE);
if (!haveConformance) {
  if (process.env['CI'] === 'true') throw new Error(`conformance tables missing: ${CONFORMANCE} (set LAKE_CONFORMANCE_DIR)`);
  console.warn(`\n*** ${CONFORMANCE} is missing: the conformance schema tests are SKIPPED ***\n`);
}

interface MetaDataFound {
  /** Table directory, relative to the conformance root. */
  readonly table: string;
  readonly file: string;
  readonly version: number;
  readonly schemaString: string;
  readonly configuration: Record<string, string>;
  readonly partitionColumns: string[];
}

function logFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) logFiles(path, out);
    else if (path.includes('/_delta_log/') && /\.(json|parquet)$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

function readParquetFile(path: string) {
  return tableFromIPC(readParquet(readFileSync(path)).intoIPCStream());
}

function findMetaData(): MetaDataFound[] {
  if (!haveConformance) return [];
  const found: MetaDataFound[] = [];
  for (const file of logFiles(CONFORMANCE)) {
    const table = relative(CONFORMANCE, file.slice(0, file.indexOf('/_delta_log/')));
    const version = Number(/(\d{20})[^/]*$/.exec(file)?.[1] ?? -1);
    const add = (md: { schemaString?: unknown; configuration?: unknown; partitionColumns?: unknown }): void => {
      if (typeof md.schemaString !== 'string') return; // log-only cases with a schema-less metaData
      found.push({
        table,
        file: relative(CONFORMANCE, file),
        version,
        schemaString: md.schemaString,
        configuration: (md.configuration ?? {}) as Record<string, string>,
        partitionColumns: (md.partitionColumns ?? []) as string[],
      });
    };
    if (file.endsWith('.json')) {
      if (file.endsWith('_last_checkpoint')) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes('"metaData"')) continue;
        const action = JSON.parse(line) as { metaData?: Record<string, unknown> };
        if (action.metaData !== undefined) add(action.metaData);
      }
    } else {
      const checkpoint = readParquetFile(file);
      const metaData = checkpoint.getChild('metaData');
      if (metaData === null) continue;
      for (let i = 0; i < metaData.length; i++) {
        const row = metaData.get(i) as { schemaString?: string; configuration?: { toJSON(): unknown } } | null;
        if (row === null || row.schemaString === undefined || row.schemaString === null) continue;
        add({ schemaString: row.schemaString, configuration: row.configuration?.toJSON() ?? {}, partitionColumns: [] });
      }
    }
  }
  return found;
}

const metaData = findMetaData();

/** The latest metaData of each table, from its JSON commits (latest version wins). */
function latestMetaData(): Map<string, MetaDataFound> {
  const latest = new Map<string, MetaDataFound>();
  for (const md of metaData) {
    if (!md.file.endsWith('.json')) continue;
    const current = latest.get(md.table);
    if (current === undefined || md.version >= current.version) latest.set(md.table, md);
  }
  return latest;
}

/** What toArrowSchema must produce for a Delta type, spelled as arrow-js prints types. */
function expectedArrow(type: DeltaType): string {
  if (typeof type === 'string') {
    const simple: Record<string, string> = {
      string: 'Utf8',
      long: 'Int64',
      integer: 'Int32',
      short: 'Int16',
      byte: 'Int8',
      float: 'Float32',
      double: 'Float64',
      boolean: 'Bool',
      binary: 'Binary',
      date: 'Date32<DAY>',
      timestamp: 'Timestamp<MICROSECOND, UTC>',
      timestamp_ntz: 'Timestamp<MICROSECOND>',
      void: 'Null',
      variant: 'Struct<{metadata:Binary, value:Binary}>',
    };
    if (type in simple) return simple[type]!;
    const { precision, scale } = decimalParams(type as `decimal(${number},${number})`);
    return `Decimal[${precision}e${scale > 0 ? '+' : ''}${scale}]`;
  }
  switch (type.type) {
    case 'struct':
      return `Struct<{${type.fields.map((f) => `${f.name}:${expectedArrow(f.type)}`).join(', ')}}>`;
    case 'array':
      return `List<${expectedArrow(type.elementType)}>`;
    case 'map':
      return `Map<{key:${expectedArrow(type.keyType)}, value:${expectedArrow(type.valueType)}}>`;
  }
}

/** Nullability, child names and map shape, recursively, beyond what toString shows. */
function checkArrowShape(type: DeltaType, arrow: DataType, nullable: boolean, field: Field | undefined): void {
  if (field !== undefined) expect(field.nullable).toBe(nullable);
  if (typeof type === 'string') {
    if (type === 'timestamp_ntz') expect((arrow as DataType & { timezone: unknown }).timezone).toBeNull();
    return;
  }
  switch (type.type) {
    case 'struct':
      expect(arrow.typeId).toBe(Type.Struct);
      type.fields.forEach((f, i) => {
        const child = arrow.children[i]!;
        expect(child.name).toBe(f.name);
        checkArrowShape(f.type, child.type, f.nullable, child);
      });
      return;
    case 'array': {
      expect(arrow.typeId).toBe(Type.List);
      const element = arrow.children[0]!;
      expect(element.name).toBe('element');
      checkArrowShape(type.elementType, element.type, type.containsNull, element);
      return;
    }
    case 'map': {
      expect(arrow.typeId).toBe(Type.Map);
      expect((arrow as DataType & { keysSorted: boolean }).keysSorted).toBe(false);
      const entries = arrow.children[0]!;
      expect(entries.name).toBe('entries'); // arrow-js names a map's entries 'entries', whatever it is given
      expect(entries.nullable).toBe(false);
      const [key, value] = entries.type.children as Field[];
      expect([key!.name, value!.name]).toEqual(['key', 'value']);
      checkArrowShape(type.keyType, key!.type, false, key);
      checkArrowShape(type.valueType, value!.type, type.valueContainsNull, value);
      return;
    }
  }
}

describe.skipIf(!haveConformance)('every schemaString in the conformance logs', () => {
  it('finds plenty of them, JSON commits and checkpoints both', () => {
    expect(metaData.length).toBeGreaterThan(100);
    expect(metaData.some((md) => md.file.endsWith('.parquet'))).toBe(true);
    expect(new Set(metaData.map((md) => md.schemaString)).size).toBeGreaterThan(40);
  });

  it('parses, and writes back byte for byte (as a string and as JSON)', () => {
    for (const md of metaData) {
      const schema = parseSchema(md.schemaString);
      expect(schema.type, md.file).toBe('struct');
      expect(schemaToString(schema), md.file).toBe(md.schemaString);
      expect(JSON.stringify(schemaToJson(schema)), md.file).toBe(md.schemaString);
      expect(schemaToJson(schema), md.file).toEqual(JSON.parse(md.schemaString));
    }
  });

  it('converts to Arrow with Delta’s type mapping, nullability and child names', () => {
    for (const md of metaData) {
      const schema = parseSchema(md.schemaString);
      const arrow = toArrowSchema(schema);
      expect(arrow.fields.map((f) => f.name)).toEqual(schema.fields.map((f) => f.name));
      schema.fields.forEach((field, i) => {
        const arrowField = arrow.fields[i]!;
        expect(String(arrowField.type), `${md.file} ${field.name}`).toBe(expectedArrow(field.type));
        checkArrowShape(field.type, arrowField.type, field.nullable, arrowField);
      });
    }
  });

  it('come back from Arrow unchanged (fromArrowSchema), metadata aside', () => {
    const withoutMetadata = (type: DeltaType): DeltaType => {
      if (typeof type === 'string') return type;
      if (type.type === 'struct') return { type: 'struct', fields: type.fields.map((f) => ({ ...f, type: withoutMetadata(f.type), metadata: {} })) };
      if (type.type === 'array') return { ...type, elementType: withoutMetadata(type.elementType) };
      return { ...type, keyType: withoutMetadata(type.keyType), valueType: withoutMetadata(type.valueType) };
    };
    for (const md of metaData) {
      const schema = parseSchema(md.schemaString);
      expect(fromArrowSchema(toArrowSchema(schema)), md.file).toEqual(withoutMetadata(schema));
    }
  });

  it('covers the types the brief names: decimals, timestamp_ntz, nested structs, arrays, maps', () => {
    const all = metaData.map((md) => md.schemaString).join('\n');
    for (const needle of ['"decimal(38,18)"', '"timestamp_ntz"', '"type":"map"', '"type":"array"', '"delta.columnMapping.id"']) {
      expect(all).toContain(needle);
    }
  });

  it('gives the same Arrow types as the expected data Spark wrote (latest-snapshot cases)', () => {
    const cases = (JSON.parse(readFileSync(join(CONFORMANCE, 'golden', 'CASES.json'), 'utf8')) as {
      cases: { case: string; table: string; expected?: string; kind: string }[];
    }).cases.filter((c) => c.kind === 'latest-snapshot' && c.expected !== undefined);
    const latest = latestMetaData();
    let compared = 0;
    for (const c of cases) {
      const md = latest.get(join('golden', c.table));
      if (md === undefined) continue; // metadata only in a checkpoint
      const dir = join(CONFORMANCE, 'golden', c.expected!);
      const file = readdirSync(dir).find((f) => f.endsWith('.parquet'));
      if (file === undefined) continue;
      const expected: Schema = readParquetFile(join(dir, file)).schema;
      const ours = toArrowSchema(parseSchema(md.schemaString));
      for (const field of expected.fields) {
        const mine = ours.fields.find((f) => f.name === field.name);
        expect(mine, `${c.case}: column ${field.name}`).toBeDefined();
        // INT96 columns come out of parquet-wasm as zoneless nanoseconds; Delta calls them timestamp.
        if (String(field.type) === 'Timestamp<NANOSECOND>') continue;
        expect(String(mine!.type), `${c.case}: column ${field.name}`).toBe(String(field.type));
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });
});

// ---------------------------------------------------------------------------------------------
// Column mapping, against the column mapping tables and their data files
// ---------------------------------------------------------------------------------------------

const MAPPING_TABLES: readonly { table: string; mode: ColumnMappingMode }[] = [
  { table: 'golden/table-with-columnmapping-mode-name/delta', mode: 'name' },
  { table: 'golden/table-with-columnmapping-mode-id/delta', mode: 'id' },
  { table: 'golden/dv-with-columnmapping/delta', mode: 'name' },
  { table: 'golden/data-skipping-basic-stats-all-types-columnmapping-name/delta', mode: 'name' },
  { table: 'golden/data-skipping-basic-stats-all-types-columnmapping-id/delta', mode: 'id' },
  { table: 'golden/data-reader-timestamp_ntz-name-mode/delta', mode: 'name' },
  { table: 'golden/data-reader-timestamp_ntz-id-mode/delta', mode: 'id' },
];

function dataFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('_')) dataFiles(path, out);
    } else if (entry.name.endsWith('.parquet')) out.push(path);
  }
  return out.sort();
}

/** Every struct field of a schema at any depth, with its path. */
function allFields(struct: StructType, prefix = ''): [string, StructField][] {
  const out: [string, StructField][] = [];
  const visit = (type: DeltaType, path: string): void => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') out.push(...allFields(type, path));
    else if (type.type === 'array') visit(type.elementType, `${path}.element`);
    else {
      visit(type.keyType, `${path}.key`);
      visit(type.valueType, `${path}.value`);
    }
  };
  for (const field of struct.fields) {
    const path = prefix === '' ? field.name : `${prefix}.${field.name}`;
    out.push([path, field]);
    visit(field.type, path);
  }
  return out;
}

describe.skipIf(!haveConformance)('column mapping on the conformance tables', () => {
  for (const { table, mode } of MAPPING_TABLES) {
    it(`${table}: mode ${mode}, physical names and ids of every field, matched in the data files`, () => {
      const md = latestMetaData().get(table);
      expect(md).toBeDefined();
      expect(columnMappingMode({ configuration: md!.configuration })).toBe(mode);
      expect(columnMappingMode({ configuration: md!.configuration }, { minReaderVersion: 2, minWriterVersion: 5 })).toBe(mode);
      const logical = parseSchema(md!.schemaString);

      // Every field, nested ones included, has a physical name `col-<uuid>` and a distinct id.
      const fields = allFields(logical);
      const ids = fields.map(([, f]) => fieldId(f));
      for (const [path, field] of fields) {
        expect(physicalName(field, mode), path).toMatch(/^col-[0-9a-f-]{36}$/);
        expect(physicalName(field, 'none'), path).toBe(field.name);
        expect(fieldId(field), path).toBeTypeOf('number');
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(Math.max(...(ids as number[]))).toBeLessThanOrEqual(Number(md!.configuration['delta.columnMapping.maxColumnId']));

      // The physical schema renames every level and keeps the ids.
      const physical = physicalSchema(logical, mode);
      const physicalFields = allFields(physical);
      expect(physicalFields.map(([, f]) => f.name)).toEqual(fields.map(([, f]) => physicalName(f, mode)));
      expect(physicalFields.map(([, f]) => fieldId(f))).toEqual(ids);
      expect(physicalSchema(logical, 'none')).toBe(logical);

      // Arrow with field ids, as Parquet readers expose them.
      const arrow = toArrowSchema(physical, { fieldIds: true });
      arrow.fields.forEach((f, i) => {
        expect(f.name).toBe(physical.fields[i]!.name);
        expect(f.metadata.get('PARQUET:field_id')).toBe(String(fieldId(physical.fields[i]!)));
      });

      // Each data file: every logical column it holds is found by id (id mode) or physical name.
      const files = dataFiles(join(CONFORMANCE, table));
      expect(files.length).toBeGreaterThan(0);
      const partitionColumns = new Set(md!.partitionColumns);
      for (const file of files) {
        const fileSchema = readParquetFile(file).schema;
        for (const field of logical.fields) {
          const index = findFileField(fileSchema.fields, field, mode);
          if (partitionColumns.has(field.name)) {
            expect(index, `${file}: partition column ${field.name} is not stored`).toBe(-1);
            continue;
          }
          expect(index, `${file}: ${field.name}`).toBeGreaterThanOrEqual(0);
          const fileField = fileSchema.fields[index]!;
          expect(fileField.name).toBe(physicalName(field, mode));
          if (mode === 'id') expect(fileField.metadata.get('PARQUET:field_id')).toBe(String(fieldId(field)));
          // Nested struct fields (directly nested structs) resolve the same way.
          if (typeof field.type !== 'string' && field.type.type === 'struct') {
            for (const child of field.type.fields) {
              const childIndex = findFileField(fileField.type.children as Field[], child, mode);
              expect(fileField.type.children[childIndex]?.name).toBe(physicalName(child, mode));
            }
          }
        }
      }

      // Partition values are keyed by the physical name.
      for (const column of md!.partitionColumns) {
        const field = fieldByName(logical, column)!;
        const logText = readdirSync(join(CONFORMANCE, table, '_delta_log'))
          .filter((f) => f.endsWith('.json'))
          .map((f) => readFileSync(join(CONFORMANCE, table, '_delta_log', f), 'utf8'))
          .join('\n');
        expect(logText).toContain(`"partitionValues":{"${physicalName(field, mode)}"`);
      }
    });
  }

  it('table-with-columnmapping-mode-id: known names and ids, nested in structs, arrays and maps', () => {
    const md = latestMetaData().get('golden/table-with-columnmapping-mode-id/delta')!;
    const schema = parseSchema(md.schemaString);
    const byPath = new Map(allFields(schema));
    expect(physicalName(byPath.get('ByteType')!, 'id')).toBe('col-adb3ab8f-9a6d-4f44-abb3-cf411d800e5f');
    expect(fieldId(byPath.get('ByteType')!)).toBe(1);
    expect(fieldId(byPath.get('nested_struct.ac.aca')!)).toBe(16);
    expect(physicalName(byPath.get('nested_struct.ac.aca')!, 'name')).toBe('col-c091fdeb-7cca-4849-912d-5f77fa400933');
    expect(fieldId(byPath.get('array_of_structs.element.ab')!)).toBe(20);
    expect(fieldId(byPath.get('map_of_rows.value.ab')!)).toBe(23);
    const physical = physicalSchema(schema, 'id');
    const mapOfRows = physical.fields.find((f) => f.name === 'col-43b81fe9-ba74-40a8-8f0b-f27aaf2c2f5b')!;
    expect(mapOfRows.type).toMatchObject({
      type: 'map',
      keyType: 'integer',
      valueType: { type: 'struct', fields: [{ name: 'col-43f9ca1b-82fe-4ad7-9e5a-1af143d2abf4', type: 'long' }] },
    });
  });
});

describe('column mapping rules', () => {
  const field = (metadata: Record<string, unknown>): StructField => ({
    name: 'a',
    type: 'long',
    nullable: true,
    metadata: metadata as StructField['metadata'],
  });

  it('reads the mode case-insensitively, none when absent, and only when the protocol supports it', () => {
    expect(columnMappingMode({ configuration: {} })).toBe('none');
    expect(columnMappingMode({ configuration: { 'delta.columnMapping.mode': 'Name' } })).toBe('name');
    expect(columnMappingMode({ configuration: { 'delta.columnMapping.mode': 'ID' } })).toBe('id');
    const cm = { configuration: { 'delta.columnMapping.mode': 'name' } };
    expect(columnMappingMode(cm, { minReaderVersion: 1, minWriterVersion: 4 })).toBe('none');
    expect(columnMappingMode(cm, { minReaderVersion: 2, minWriterVersion: 5 })).toBe('name');
    expect(columnMappingMode(cm, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: [] })).toBe('none');
    expect(
      columnMappingMode(cm, {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['columnMapping'],
        writerFeatures: ['columnMapping'],
      }),
    ).toBe('name');
    expect(() => columnMappingMode({ configuration: { 'delta.columnMapping.mode': 'position' } })).toThrow(/position/);
  });

  it('refuses a mapped table whose fields lack a physical name or (id mode) an id', () => {
    const schema: StructType = { type: 'struct', fields: [field({ 'delta.columnMapping.id': 1 })] };
    expect(() => physicalSchema(schema, 'name')).toThrow(/column a.*no delta.columnMapping.physicalName/);
    const named: StructType = { type: 'struct', fields: [field({ 'delta.columnMapping.physicalName': 'col-1' })] };
    expect(physicalSchema(named, 'name').fields[0]!.name).toBe('col-1');
    expect(() => physicalSchema(named, 'id')).toThrow(/no delta.columnMapping.id/);
    expect(() => fieldId(field({ 'delta.columnMapping.id': 'x' }))).toThrow(/32-bit integer/);
    try {
      physicalSchema({ type: 'struct', fields: [field({})] }, 'id');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LakeError);
      expect((error as LakeError).code).toBe('CORRUPT_LOG');
    }
  });

  it('matches file fields by id, by physical name, and case-insensitively when unambiguous', () => {
    const withId = (name: string, id?: number) =>
      new Field(name, toArrowType('long'), true, id === undefined ? null : new Map([['PARQUET:field_id', String(id)]]));
    const f = field({ 'delta.columnMapping.id': 7, 'delta.columnMapping.physicalName': 'col-x' });
    expect(findFileField([withId('other', 3), withId('renamed', 7)], f, 'id')).toBe(1);
    expect(findFileField([withId('col-x', 3)], f, 'id')).toBe(-1); // ids present, none matches: nulls
    expect(() => findFileField([withId('col-x')], f, 'id')).toThrow(/no Parquet field ids/);
    expect(findFileField([withId('a'), withId('col-x')], f, 'name')).toBe(1);
    expect(findFileField([withId('A')], field({}), 'none')).toBe(0);
    expect(findFileField([withId('A'), withId('a ')], field({}), 'none')).toBe(0);
    expect(findFileField([withId('A'), withId('a')], field({}), 'none')).toBe(1);
    expect(findFileField([withId('b')], field({}), 'none')).toBe(-1);
  });

  it('puts nested ids (icebergCompatV2) on list elements and map keys/values', () => {
    const schema = parseSchema(
      JSON.stringify({
        type: 'struct',
        fields: [
          {
            name: 'col2',
            type: { type: 'map', keyType: 'integer', valueType: { type: 'array', elementType: 'integer', containsNull: true }, valueContainsNull: true },
            nullable: true,
            metadata: {
              'delta.columnMapping.id': 2,
              'delta.columnMapping.physicalName': 'col-bbb',
              'delta.columnMapping.nested.ids': { 'col-bbb.key': 102, 'col-bbb.value': 103, 'col-bbb.value.element': 104 },
            },
          },
        ],
      }),
    );
    const arrow = toArrowSchema(physicalSchema(schema, 'id'), { fieldIds: true });
    const map = arrow.fields[0]!;
    expect(map.name).toBe('col-bbb');
    expect(map.metadata.get('PARQUET:field_id')).toBe('2');
    const [key, value] = map.type.children[0]!.type.children as Field[];
    expect(key!.metadata.get('PARQUET:field_id')).toBe('102');
    expect(value!.metadata.get('PARQUET:field_id')).toBe('103');
    expect(value!.type.children[0]!.metadata.get('PARQUET:field_id')).toBe('104');
    // Without the option, no field ids.
    expect(toArrowSchema(schema).fields[0]!.metadata.size).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Parsing rules and errors
// ---------------------------------------------------------------------------------------------

function corruptMessage(schemaString: string): string {
  try {
    parseSchema(schemaString);
  } catch (error) {
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).code).toBe('CORRUPT_LOG');
    return (error as Error).message;
  }
  throw new Error(`parsed: ${schemaString}`);
}

const struct = (...fields: unknown[]): string => JSON.stringify({ type: 'struct', fields });
const col = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, nullable: true, metadata: {}, ...extra });

describe('parseSchema', () => {
  it('reads the protocol’s example schema', () => {
    const example = `{
      "type" : "struct",
      "fields" : [ { "name" : "a", "type" : "integer", "nullable" : false, "metadata" : { } },
        { "name" : "b", "type" : { "type" : "struct", "fields" : [ { "name" : "d", "type" : "integer", "nullable" : false, "metadata" : { } } ] }, "nullable" : true, "metadata" : { } },
        { "name" : "c", "type" : { "type" : "array", "elementType" : "integer", "containsNull" : false }, "nullable" : true, "metadata" : { } },
        { "name" : "e", "type" : { "type" : "array", "elementType" : { "type" : "struct", "fields" : [ { "name" : "d", "type" : "integer", "nullable" : false, "metadata" : { } } ] }, "containsNull" : true }, "nullable" : true, "metadata" : { } },
        { "name" : "f", "type" : { "type" : "map", "keyType" : "string", "valueType" : "string", "valueContainsNull" : true }, "nullable" : true, "metadata" : { } } ]
    }`;
    const schema = parseSchema(example);
    expect(schema.fields.map((f) => f.name)).toEqual(['a', 'b', 'c', 'e', 'f']);
    expect(schema.fields[0]).toEqual({ name: 'a', type: 'integer', nullable: false, metadata: {} });
    expect(schema.fields[2]!.type).toEqual({ type: 'array', elementType: 'integer', containsNull: false });
    expect(schema.fields[4]!.type).toEqual({ type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true });
    expect(String(toArrowSchema(schema).fields[3]!.type)).toBe('List<Struct<{d:Int32}>>');
    // Compact output, Spark's key order.
    expect(schemaToString(schema)).toBe(JSON.stringify(JSON.parse(example)));
  });

  it('normalizes decimal spellings and accepts the protocol’s variant and void forms', () => {
    const schema = parseSchema(
      struct(col('a', 'decimal(10, 4)'), col('b', 'decimal'), col('c', { type: 'variant' }), col('d', 'variant'), col('e', 'null'), col('f', 'void')),
    );
    expect(schema.fields.map((f) => f.type)).toEqual(['decimal(10,4)', 'decimal(10,0)', 'variant', 'variant', 'void', 'void']);
    expect(decimalParams('decimal(38,18)')).toEqual({ precision: 38, scale: 18 });
  });

  it('defaults missing metadata and nullability flags, as the protocol’s examples omit them', () => {
    const schema = parseSchema(
      JSON.stringify({
        type: 'struct',
        fields: [{ name: 'v', type: { type: 'array', elementType: { type: 'variant' } } }],
      }),
    );
    expect(schema.fields[0]).toEqual({ name: 'v', type: { type: 'array', elementType: 'variant', containsNull: true }, nullable: true, metadata: {} });
  });

  it('keeps field metadata as written, big integers exactly', () => {
    const text =
      '{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{"delta.identity.start":1,"delta.identity.step":-1,"delta.identity.highWaterMark":-9223372036854775808,"delta.identity.allowExplicitInsert":false,"comment":"ünïcødé \\"quoted\\" \\n","nested":{"a":[1,2.5,null,true]}}}]}';
    const schema = parseSchema(text);
    expect(schemaToString(schema)).toBe(text);
    expect(schema.fields[0]!.metadata['delta.identity.highWaterMark']).toBe(-9223372036854775808n);
    expect(identityColumn(schema.fields[0]!)).toEqual({ start: 1n, step: -1n, highWaterMark: -9223372036854775808n, allowExplicitInsert: false });
    // The JSON-object form is plain JSON (numbers), usable with JSON.stringify.
    expect(() => JSON.stringify(schemaToJson(schema))).not.toThrow();
  });

  it('names what is wrong and where', () => {
    expect(corruptMessage('{"type":"struct","fields":[')).toMatch(/not valid JSON/);
    expect(corruptMessage('"long"')).toMatch(/top level must be a struct/);
    expect(corruptMessage('{"type":"array","elementType":"long","containsNull":true}')).toMatch(/top level must be a struct/);
    expect(corruptMessage('{"type":"struct"}')).toMatch(/no "fields"/);
    expect(corruptMessage(struct(col('a', 'int')))).toMatch(/column a: unknown type 'int'/);
    expect(corruptMessage(struct(col('a', { type: 'struct', fields: [col('b', 'decimal(39,0)')] })))).toMatch(
      /column a\.b: 'decimal\(39,0\)' is not a valid decimal type/,
    );
    expect(corruptMessage(struct(col('a', 'decimal(5,6)')))).toMatch(/decimal/);
    expect(corruptMessage(struct(col('a', { type: 'array', elementType: { type: 'map', keyType: 'string', valueType: 'bogus' } })))).toMatch(
      /column a\.element\.value: unknown type 'bogus'/,
    );
    expect(corruptMessage(struct(col('a', { type: 'array', containsNull: true })))).toMatch(/column a: the array type has no "elementType"/);
    expect(corruptMessage(struct(col('a', 'long'), col('a', 'long')))).toMatch(/'a' appears twice/);
    expect(corruptMessage(struct(col('Ab', 'long'), col('aB', 'long')))).toMatch(/differ only in case/);
    expect(corruptMessage(struct(col('a', 'long', { nullable: 'yes' })))).toMatch(/column a: "nullable" must be true or false/);
    expect(corruptMessage(struct(col('a', 'long', { metadata: [] })))).toMatch(/column a: "metadata" must be an object/);
    expect(corruptMessage(struct({ type: 'long' }))).toMatch(/needs a string "name"/);
    expect(corruptMessage(struct(col('a', { type: 'union' })))).toMatch(/unknown type 'union'/);
    expect(corruptMessage(struct(col('a', 42)))).toMatch(/expected a type name or a type object, found 42/);
    expect(() => parseSchema(undefined as unknown as string)).toThrow(/no schemaString/);
  });
});

describe('toArrowSchema', () => {
  it('maps every primitive type', () => {
    const names = ['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp', 'timestamp_ntz', 'decimal(38,18)', 'decimal(1,0)', 'void'];
    const schema = parseSchema(struct(...names.map((t, i) => col(`c${i}`, t, { nullable: i % 2 === 0 }))));
    const arrow = toArrowSchema(schema);
    expect(arrow.fields.map((f) => String(f.type))).toEqual([
      'Utf8',
      'Int64',
      'Int32',
      'Int16',
      'Int8',
      'Float32',
      'Float64',
      'Bool',
      'Binary',
      'Date32<DAY>',
      'Timestamp<MICROSECOND, UTC>',
      'Timestamp<MICROSECOND>',
      'Decimal[38e+18]',
      'Decimal[1e0]',
      'Null',
    ]);
    expect(arrow.fields.map((f) => f.nullable)).toEqual(names.map((_, i) => i % 2 === 0));
    const decimal = arrow.fields[12]!.type as DataType & { precision: number; scale: number; bitWidth: number };
    expect([decimal.precision, decimal.scale, decimal.bitWidth]).toEqual([38, 18, 128]);
    expect((arrow.fields[10]!.type as DataType & { timezone: string }).timezone).toBe('UTC');
    expect((arrow.fields[11]!.type as DataType & { timezone: unknown }).timezone).toBeNull();
  });

  it('reads a variant as the struct of binaries Spark writes, tagged as Arrow’s Parquet variant', () => {
    const schema = parseSchema(struct(col('v', 'variant'), col('vs', { type: 'array', elementType: 'variant', containsNull: false })));
    const arrow = toArrowSchema(schema);
    expect(String(arrow.fields[0]!.type)).toBe('Struct<{metadata:Binary, value:Binary}>');
    expect(arrow.fields[0]!.type.children.map((c: Field) => c.nullable)).toEqual([false, false]);
    expect(arrow.fields[0]!.metadata.get('ARROW:extension:name')).toBe(VARIANT_EXTENSION_NAME);
    expect(arrow.fields[1]!.type.children[0]!.metadata.get('ARROW:extension:name')).toBe(VARIANT_EXTENSION_NAME);
  });
});

describe('fromArrowType', () => {
  it('accepts every Arrow spelling of a Delta type and refuses the rest by column', () => {
    expect(fromArrowType(new LargeUtf8())).toBe('string');
    expect(fromArrowType(new Dictionary(new Utf8(), new Int32()))).toBe('string');
    expect(fromArrowType(new Timestamp(TimeUnit.NANOSECOND, '+00:00'))).toBe('timestamp');
    expect(fromArrowType(new Timestamp(TimeUnit.MILLISECOND, null))).toBe('timestamp_ntz');
    expect(() => fromArrowType(new Uint8(), 'a.b')).toThrow(/column a\.b has Arrow type Uint8, which has no Delta type/);
  });
});

// ---------------------------------------------------------------------------------------------
// Type widening and other column metadata
// ---------------------------------------------------------------------------------------------

describe('type widening', () => {
  it('allows exactly the changes the protocol lists', () => {
    const allowed: [DeltaType, DeltaType][] = [
      ['byte', 'short'],
      ['byte', 'integer'],
      ['byte', 'long'],
      ['short', 'integer'],
      ['short', 'long'],
      ['integer', 'long'],
      ['float', 'double'],
      ['byte', 'double'],
      ['short', 'double'],
      ['integer', 'double'],
      ['date', 'timestamp_ntz'],
      ['decimal(6,2)', 'decimal(10,4)'],
      ['decimal(6,2)', 'decimal(7,2)'],
      ['decimal(6,2)', 'decimal(7,3)'],
      ['decimal(6,2)', 'decimal(6,2)'],
      ['byte', 'decimal(10,0)'],
      ['integer', 'decimal(12,2)'],
      ['long', 'decimal(20,0)'],
      ['long', 'decimal(38,18)'],
      ['long', 'long'],
    ];
    const refused: [DeltaType, DeltaType][] = [
      ['long', 'integer'],
      ['long', 'double'],
      ['double', 'float'],
      ['integer', 'float'],
      ['date', 'timestamp'],
      ['timestamp_ntz', 'date'],
      ['decimal(6,2)', 'decimal(6,3)'], // scale up by k2 needs precision up by at least k2
      ['decimal(6,2)', 'decimal(10,1)'],
      ['integer', 'decimal(9,0)'],
      ['integer', 'decimal(11,2)'],
      ['long', 'decimal(19,0)'],
      ['string', 'binary'],
      ['integer', 'string'],
    ];
    for (const [from, to] of allowed) expect(isSupportedWidening(from, to), `${String(from)} -> ${String(to)}`).toBe(true);
    for (const [from, to] of refused) expect(isSupportedWidening(from, to), `${String(from)} -> ${String(to)}`).toBe(false);
  });

  it('reads delta.typeChanges (as a list or a JSON string) and refuses unsupported ones', () => {
    const schema = parseSchema(
      struct(
        col('e', 'long', { metadata: { 'delta.typeChanges': [{ fromType: 'short', toType: 'integer' }, { fromType: 'integer', toType: 'long' }] } }),
        col('m', { type: 'array', elementType: { type: 'map', keyType: 'string', valueType: 'decimal(10,4)', valueContainsNull: true }, containsNull: true }, {
          metadata: { 'delta.typeChanges': JSON.stringify([{ fromType: 'decimal(6, 2)', toType: 'decimal(10, 4)', fieldPath: 'element.value' }]) },
        }),
      ),
    );
    expect(typeChanges(schema.fields[0]!)).toEqual([
      { fromType: 'short', toType: 'integer' },
      { fromType: 'integer', toType: 'long' },
    ]);
    expect(typeChanges(schema.fields[1]!)).toEqual([{ fromType: 'decimal(6,2)', toType: 'decimal(10,4)', fieldPath: 'element.value' }]);
    expect(() => checkTypeChanges(schema)).not.toThrow();

    const bad = parseSchema(
      struct(col('s', { type: 'struct', fields: [col('x', 'float', { metadata: { 'delta.typeChanges': [{ fromType: 'double', toType: 'float' }] } })] })),
    );
    expect(() => checkTypeChanges(bad)).toThrow(/column s\.x was changed from double to float/);
    try {
      checkTypeChanges(bad);
    } catch (error) {
      expect((error as LakeError).code).toBe('UNSUPPORTED_TYPE_CHANGE');
    }
    const malformed = parseSchema(struct(col('x', 'long', { metadata: { 'delta.typeChanges': [{ fromType: 'integer' }] } })));
    expect(() => checkTypeChanges(malformed)).toThrow(/fromType and toType/);
  });
});

describe('other column metadata', () => {
  it('reads invariants and generation expressions', () => {
    const schema = parseSchema(
      struct(
        col('x', 'integer', { metadata: { 'delta.invariants': '{"expression": { "expression": "x > 3"} }' } }),
        col('y', 'integer', { metadata: { 'delta.generationExpression': 'x * 2' } }),
      ),
    );
    expect(columnInvariant(schema.fields[0]!)).toBe('x > 3');
    expect(columnInvariant(schema.fields[1]!)).toBeUndefined();
    expect(generationExpression(schema.fields[1]!)).toBe('x * 2');
    expect(identityColumn(schema.fields[0]!)).toBeUndefined();
  });
});

describe('parseJson / stringifyJson', () => {
  it('are JSON.parse / JSON.stringify, with exact big integers', () => {
    for (const text of ['{}', '[]', '{"a":[1,-2.5,1e+300,true,false,null,"x\\u0000\\ud83d\\ude00"]}', '"\\/"', '0', '-0.000001']) {
      expect(parseJson(text)).toEqual(JSON.parse(text));
    }
    expect(parseJson('9007199254740993')).toBe(9007199254740993n);
    expect(parseJson('9007199254740991')).toBe(9007199254740991);
    expect(stringifyJson(parseJson('[9223372036854775807,-9223372036854775808]'))).toBe('[9223372036854775807,-9223372036854775808]');
    expect(Object.keys(parseJson('{"__proto__":1}') as object)).toEqual(['__proto__']);
    for (const bad of ['', '{', '[1,]', '{"a" 1}', 'tru', '01', '"\\x"', '1 2', '{"a":1,}']) {
      expect(() => parseJson(bad), bad).toThrow(SyntaxError);
    }
  });
});
