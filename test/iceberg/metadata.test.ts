/**
 * Table metadata parsing against the iceberg-rust fixtures of the conformance corpus
 * (components/table_metadata_json_parsing): valid v1/v2/v3 files parse to the expected model
 * (numbers compared exactly: snapshot ids use 64 bits); invalid ones are refused with an error
 * naming the file (iceberg-rust's own wording is engine-specific, the refusal is not).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonNumber, parseExactJson, type ExactJson } from '../../src/engine/predicate-json.js';
import { LakeError } from '../../src/errors.js';
import { currentSchema, defaultSpec, parseTableMetadata, type TableMetadata } from '../../src/iceberg/metadata.js';
import { findConformanceDir } from '../conformance/delta-cases.js';

const found = await findConformanceDir();
if (!found.found && process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);

/** Numbers as their decimal text, so that 64-bit ids compare exactly. */
function norm(value: unknown): unknown {
  if (value instanceof JsonNumber) return value.text;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.map(norm);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, norm(v)]));
  return value;
}

/** The fields of the expected model that a check lists, computed from the parsed metadata. */
function model(m: TableMetadata, keys: readonly string[]): Record<string, unknown> {
  const all: Record<string, () => unknown> = {
    format_version: () => m.formatVersion,
    table_uuid: () => m.tableUuid,
    location: () => m.location,
    last_updated_ms: () => m.lastUpdatedMs,
    last_column_id: () => m.lastColumnId,
    current_schema_id: () => m.currentSchemaId,
    schemas: () => Object.fromEntries(m.schemas.map((s) => [String(s.schemaId), s.fields.map((f) => ({ id: f.id, name: f.name, type: f.type, required: f.required, ...(f.doc === undefined ? {} : { doc: f.doc }), ...(f.initialDefault === undefined ? {} : { initial_default: f.initialDefault }), ...(f.writeDefault === undefined ? {} : { write_default: f.writeDefault }) }))])),
    schema_1_identifier_field_ids: () => m.schemas.find((s) => s.schemaId === 1)?.identifierFieldIds,
    current_schema_field_names: () => currentSchema(m).fields.map((f) => f.name),
    default_spec_id: () => m.defaultSpecId,
    default_spec_fields: () => defaultSpec(m).fields.map((f) => ({ name: f.name, transform: f.transform, source_id: f.sourceId, field_id: f.fieldId })),
    partition_spec_count: () => m.partitionSpecs.length,
    last_partition_id: () => m.lastPartitionId,
    default_sort_order_id: () => m.defaultSortOrderId,
    sort_order_3: () => m.sortOrders.find((o) => o.orderId === 3)?.fields.map((f) => ({ source_id: f.sourceId, transform: f.transform, direction: f.direction, null_order: f.nullOrder })),
    snapshots: () =>
      m.snapshots.map((s) => ({
        snapshot_id: s.snapshotId,
        parent_snapshot_id: s.parentSnapshotId ?? null,
        timestamp_ms: s.timestampMs,
        sequence_number: s.sequenceNumber,
        ...(s.schemaId === undefined ? {} : { schema_id: s.schemaId }),
        manifest_list: s.manifestList,
        operation: s.summary.operation,
      })),
    current_snapshot_id: () => m.currentSnapshotId ?? null,
    last_sequence_number: () => m.lastSequenceNumber,
    snapshot_log: () => m.snapshotLog.map((e) => [e.snapshotId, e.timestampMs]),
    refs: () => Object.fromEntries([...m.refs].map(([name, r]) => [name, { snapshot_id: r.snapshotId, type: r.type }])),
    next_row_id: () => m.nextRowId ?? null,
  };
  return Object.fromEntries(keys.map((k) => [k, all[k] === undefined ? `(no such field in the model: ${k})` : all[k]!()]));
}

if (found.found) {
  const root = join(found.dir, 'iceberg', 'components', 'table_metadata_json_parsing');
  const expected = parseExactJson(await readFile(join(root, 'expected.json'), 'utf8')) as { checks: Record<string, ExactJson>[] };
  describe('Iceberg table metadata (iceberg-rust fixtures)', () => {
    for (const check of expected.checks) {
      const file = check.file as string;
      it(`${file}${check.kind === 'error' ? ' is refused' : ''}`, async () => {
        const text = await readFile(join(root, file), 'utf8');
        if (check.kind === 'error') {
          let error: unknown;
          try {
            parseTableMetadata(text, file);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(LakeError);
          expect((error as Error).message).toContain(file);
          return;
        }
        const want = norm(check.expected) as Record<string, unknown>;
        // A check lists the fields it pins down (some leave out a partition field's id): a subset match.
        expect(norm(model(parseTableMetadata(text, file), Object.keys(want)))).toMatchObject(want);
      });
    }
  });
}
