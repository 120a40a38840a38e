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
