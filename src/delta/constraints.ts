/**
 * CHECK constraints (`delta.constraints.<name>` properties, PROTOCOL.md "Check Constraints") and
 * column invariants (`delta.invariants`, "Column Invariants") that every row a write adds must
 * meet. A row for which a condition is FALSE violates it (NULL passes, as SQL's CHECK; an
 * invariant that is NULL fails, as Delta Spark treats it). The writer evaluates them in DuckDB
 * over the rows it writes (write-files.ts); a condition DuckDB cannot evaluate refuses the write
 * rather than letting rows through unchecked.
 */
import type { Metadata } from './actions.js';
import { columnInvariant, parseSchema } from './schema.js';

export interface RowCheck {
  /** What is checked, for messages: `CHECK constraint positive_amount`, `invariant amount`. */
  readonly kind: 'CHECK constraint' | 'invariant';
  readonly name: string;
  /** The condition as the table states it. */
  readonly sql: string;
  /** A SQL condition over the logical columns that is TRUE exactly for a violating row. */
  readonly violation: string;
}

export function tableConstraints(metadata: Metadata): RowCheck[] {
  const checks: RowCheck[] = [];
  for (const [key, sql] of Object.entries(metadata.configuration)) {
    if (key.startsWith('delta.constraints.')) {
      checks.push({ kind: 'CHECK constraint', name: key.slice('delta.constraints.'.length), sql, violation: `NOT coalesce((${sql}), TRUE)` });
    }
  }
  for (const field of parseSchema(metadata.schemaString).fields) {
    const sql = columnInvariant(field);
    if (sql !== undefined) checks.push({ kind: 'invariant', name: field.name, sql, violation: `NOT coalesce((${sql}), FALSE)` });
  }
  return checks;
}
