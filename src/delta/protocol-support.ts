/**
 * What lake can read (PROTOCOL.md "Protocol Evolution", "Table Features"): reader versions 1–3,
 * and on version 3 the reader features listed here. Anything else is refused by name before a
 * single data file is read, because a reader that ignores a feature returns wrong rows.
 */
import { LakeError } from '../errors.js';
import type { Metadata, Protocol } from './actions.js';
import { parseSchema, type DeltaType, type StructType } from './schema.js';

export const MAX_READER_VERSION = 3;

/** Reader features lake implements, with where. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping', // schema.ts: physical names and field ids
  'deletionVectors', // deletion-vector.ts, applied by the scan
  'timestampNtz', // read as timestamps without time zone
  'v2Checkpoint', // log-reader.ts: UUID-named checkpoints and sidecars
  'vacuumProtocolCheck', // readers only acknowledge it
  'typeWidening', // the scan casts narrower file types up to the table's
  'typeWidening-preview',
]);

/** Features of variant columns ("Variant Data Type", "Variant Shredding"). */
const VARIANT_FEATURES = new Set(['variantType', 'variantType-preview', 'variantShredding', 'variantShredding-preview']);

/**
 * Throws UNSUPPORTED_READER_VERSION / UNSUPPORTED_FEATURE when lake cannot read `protocol`.
 * Variant features name the variant columns too, so the user knows which columns to leave out
 * or cast (for example, to a string with another engine).
 */
export function checkReadSupport(protocol: Protocol, metadata: Metadata | undefined, table: string): void {
  const { minReaderVersion } = protocol;
  if (!Number.isInteger(minReaderVersion) || minReaderVersion < 1 || minReaderVersion > MAX_READER_VERSION) {
    throw new LakeError(
      'UNSUPPORTED_READER_VERSION',
      `${table} needs Delta reader version ${minReaderVersion}; lake reads versions 1 to ${MAX_READER_VERSION}: use a newer Delta client`,
    );
  }
  if (minReaderVersion === 3) {
    const unsupported = (protocol.readerFeatures ?? []).filter((feature) => !SUPPORTED_READER_FEATURES.has(feature));
    if (unsupported.length > 0) {
      const variants = unsupported.some((f) => VARIANT_FEATURES.has(f)) ? variantColumns(metadata) : [];
      throw new LakeError(
        'UNSUPPORTED_FEATURE',
        `${table} uses the Delta reader feature${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}, which lake cannot read yet` +
          (variants.length > 0 ? ` (variant column${variants.length > 1 ? 's' : ''} ${variants.join(', ')})` : ''),
      );
    }
  }
}

/** Paths of the variant columns in the table schema (empty when the schema cannot be read). */
export function variantColumns(metadata: Metadata | undefined): string[] {
  if (metadata === undefined) return [];
  let schema: StructType;
  try {
    schema = parseSchema(metadata.schemaString);
  } catch {
    return [];
  }
  const found: string[] = [];
  const visit = (type: DeltaType, path: string): void => {
    if (type === 'variant') found.push(path);
    else if (typeof type === 'object' && type.type === 'struct') for (const f of type.fields) visit(f.type, path === '' ? f.name : `${path}.${f.name}`);
    else if (typeof type === 'object' && type.type === 'array') visit(type.elementType, `${path}[]`);
    else if (typeof type === 'object' && type.type === 'map') visit(type.valueType, `${path}{}`);
  };
  visit(schema, '');
  return found;
}

// ---------------------------------------------------------------------------------------------
// Writing

export const MAX_WRITER_VERSION = 7;

/** Features each legacy writer version (before table features) turns on (PROTOCOL.md "Table Features"). */
const LEGACY_WRITER_FEATURES: readonly (readonly [number, string])[] = [
  [2, 'appendOnly'],
  [2, 'invariants'],
  [3, 'checkConstraints'],
  [4, 'changeDataFeed'],
  [4, 'generatedColumns'],
  [5, 'columnMapping'],
  [6, 'identityColumns'],
];

/**
 * Writer features lake honours when it commits, with how. Checkpoints are optional for writers,
 * so v2Checkpoint tables are written without lake writing checkpoints of its own.
 */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly', // removes that change data are refused
  'invariants', // checked on the rows written (constraints.ts)
  'checkConstraints', // checked on the rows written (constraints.ts)
  'columnMapping', // files written with physical names and field ids
  'deletionVectors', // deletes write them (remove-rows.ts); rewrites apply existing ones
  'timestampNtz',
  'inCommitTimestamp', // commitInfo.inCommitTimestamp, monotonic
  'domainMetadata', // domains are carried over untouched
  'vacuumProtocolCheck',
  'v2Checkpoint', // lake then writes no checkpoints (they are optional for writers)
  'typeWidening',
  'typeWidening-preview',
  'changeDataFeed', // appends only (they need no change data); other writes are refused
]);

/** The writer features in effect under `protocol` (legacy versions imply theirs). */
export function writerFeatures(protocol: Protocol): Set<string> {
  if (protocol.minWriterVersion >= 7) return new Set(protocol.writerFeatures ?? []);
  return new Set(LEGACY_WRITER_FEATURES.filter(([version]) => protocol.minWriterVersion >= version).map(([, feature]) => feature));
}

/**
 * Throws when lake cannot write to a table with this protocol and metadata: an unknown writer
 * version or feature, or a feature lake supports only partly that this table uses (generated or
 * identity columns, change data feed for writes other than appends).
 */
export function checkWriteSupport(protocol: Protocol, metadata: Metadata, table: string, options: { appendOnlyWrite: boolean }): void {
  checkReadSupport(protocol, metadata, table);
  const { minWriterVersion } = protocol;
  if (!Number.isInteger(minWriterVersion) || minWriterVersion < 1 || minWriterVersion > MAX_WRITER_VERSION) {
    throw new LakeError(
      'UNSUPPORTED_WRITER_VERSION',
      `${table} needs Delta writer version ${minWriterVersion}; lake writes versions 1 to ${MAX_WRITER_VERSION}: use a newer Delta client`,
    );
  }
  const features = writerFeatures(protocol);
  const schemaUses = (key: string): boolean => metadata.schemaString.includes(`"${key}`);
  const unsupported = [...features].filter((f) => !SUPPORTED_WRITER_FEATURES.has(f));
  // Legacy versions imply generated/identity columns; they matter only when the schema has some.
  const inUse = unsupported.filter(
    (f) => !(minWriterVersion < 7 && ((f === 'generatedColumns' && !schemaUses('delta.generationExpression')) || (f === 'identityColumns' && !schemaUses('delta.identity.')))),
  );
  if (inUse.length > 0) {
    throw new LakeError(
      'UNSUPPORTED_FEATURE',
      `${table} uses the Delta writer feature${inUse.length > 1 ? 's' : ''} ${inUse.join(', ')}, which lake cannot write yet; write to it with Delta Spark or delta-rs`,
    );
  }
  if (!options.appendOnlyWrite && features.has('changeDataFeed') && metadata.configuration['delta.enableChangeDataFeed'] === 'true') {
    throw new LakeError(
      'UNSUPPORTED_FEATURE',
      `${table} has the change data feed enabled (delta.enableChangeDataFeed), and lake does not write change data yet: only appends are possible`,
    );
  }
}

/**
 * The lowest protocol that covers what a new table uses (its properties and schema): legacy
 * versions where they suffice, table features (reader 3 / writer 7) when a feature needs them.
 */
export function protocolFor(metadata: Metadata): Protocol {
  const config = metadata.configuration;
  const schema = metadata.schemaString;
  const features = new Set<string>();
  if (config['delta.appendOnly'] === 'true') features.add('appendOnly');
  if (schema.includes('"delta.invariants"')) features.add('invariants');
  if (Object.keys(config).some((key) => key.startsWith('delta.constraints.'))) features.add('checkConstraints');
  if (config['delta.enableChangeDataFeed'] === 'true') features.add('changeDataFeed');
  const mapping = config['delta.columnMapping.mode']?.toLowerCase();
  if (mapping === 'name' || mapping === 'id') features.add('columnMapping');
  // Features that exist only as table features.
  const modern = new Set<string>();
  if (config['delta.enableDeletionVectors'] === 'true') modern.add('deletionVectors');
  if (/"type":"timestamp_ntz"|"(element|value|key)Type":"timestamp_ntz"/.test(schema)) modern.add('timestampNtz');
  if (config['delta.enableInCommitTimestamps'] === 'true') modern.add('inCommitTimestamp');
  const readerWriter = new Set(['columnMapping', 'deletionVectors', 'timestampNtz']);
  if (modern.size === 0) {
    const writer = Math.max(2, ...LEGACY_WRITER_FEATURES.filter(([, f]) => features.has(f)).map(([v]) => v));
    return { minReaderVersion: features.has('columnMapping') ? 2 : 1, minWriterVersion: writer };
  }
  const all = [...features, ...modern];
  const readerFeatures = all.filter((f) => readerWriter.has(f));
  // With writer 7 every feature in effect is listed, the legacy ones included (appendOnly and
  // invariants are what writer version 2, the common baseline, means).
  const writerList = [...new Set(['appendOnly', 'invariants', ...all])];
  if (readerFeatures.some((f) => modern.has(f))) {
    return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: readerFeatures.sort(), writerFeatures: writerList.sort() };
  }
  return { minReaderVersion: features.has('columnMapping') ? 2 : 1, minWriterVersion: 7, writerFeatures: writerList.sort() };
}
