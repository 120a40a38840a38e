/**
 * CHECK constraints (`delta.constraints.<name>` properties, PROTOCOL.md "Check Constraints") and
 * column invariants (`delta.invariants`, "Column Invariants") checked on every row a write adds.
 * A row for which a condition is FALSE violates it (NULL passes, as SQL's CHECK; an invariant
 * that is NULL fails, as Delta Spark treats it). Conditions are the SQL of engine/predicate.ts;
 * one that lake cannot evaluate refuses the write rather than letting rows through unchecked.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { bindPredicate, type BoundPredicate } from '../engine/predicate-bind.js';
import { evaluatePredicate, FALSE, NULL } from '../engine/predicate-eval.js';
import { parsePredicate } from '../engine/predicate.js';
import { LakeError } from '../errors.js';
import type { Metadata } from './actions.js';
import { columnInvariant, parseSchema, toArrowSchema } from './schema.js';

interface Check {
  readonly kind: 'CHECK constraint' | 'invariant';
  readonly name: string;
  readonly sql: string;
  readonly predicate: BoundPredicate;
}

/** A function that throws CONSTRAINT_VIOLATION for a batch (logical columns) with a violating row. */
export type ConstraintChecker = (batch: RecordBatch, firstRow: number) => void;

export async function constraintChecker(metadata: Metadata): Promise<ConstraintChecker | undefined> {
  const schema = parseSchema(metadata.schemaString);
  const arrow: Schema = toArrowSchema(schema);
  const checks: Check[] = [];
  const bind = async (kind: Check['kind'], name: string, sql: string): Promise<void> => {
    try {
      checks.push({ kind, name, sql, predicate: bindPredicate(await parsePredicate(sql), arrow) });
    } catch (error) {
      throw new LakeError(
        'UNSUPPORTED_CONSTRAINT',
        `the table's ${kind} ${name} (${sql}) cannot be checked by lake (${(error as Error).message}); nothing was written: write with Delta Spark or drop the constraint`,
        { cause: error },
      );
    }
  };
  for (const [key, sql] of Object.entries(metadata.configuration)) {
    if (key.startsWith('delta.constraints.')) await bind('CHECK constraint', key.slice('delta.constraints.'.length), sql);
  }
  for (const field of schema.fields) {
    const sql = columnInvariant(field);
    if (sql !== undefined) await bind('invariant', field.name, sql);
  }
  if (checks.length === 0) return undefined;
  return (batch, firstRow) => {
    for (const check of checks) {
      const values = evaluatePredicate(check.predicate, batch);
      const at = values.findIndex((v) => v === FALSE || (check.kind === 'invariant' && v === NULL));
      if (at !== -1) {
        throw new LakeError(
          'CONSTRAINT_VIOLATION',
          `row ${firstRow + at + 1} of the data violates the ${check.kind} ${check.name} (${check.sql}); nothing was committed`,
        );
      }
    }
  };
}
