/**
 * Opening the Delta table a write command targets: the table argument resolved like every other
 * command's; a location with no table yet is reported as such so `lake write` can create it.
 */
import { storeOptions } from '../config.js';
import { DeltaTable } from '../delta/table.js';
import { LakeError } from '../errors.js';
import { openStore } from '../storage/index.js';
import type { CliContext } from './context.js';
import { resolveTable } from './resolve-table.js';
import { openTable } from './table.js';

/** The Delta table the argument names; TABLE_NOT_FOUND (or UNSUPPORTED for Iceberg) otherwise. */
export async function openDeltaTable(ctx: CliContext, argument: string): Promise<DeltaTable> {
  const table = await openTable(ctx, argument, undefined);
  if (table.format !== 'delta') throw new LakeError('UNSUPPORTED', `lake writes Delta tables only so far; ${argument} is an ${table.format} table`);
  return new DeltaTable(table.store, table.location);
}

/** A Delta table at the argument's location, or undefined when nothing is there yet. */
export async function deltaTableOrNothing(ctx: CliContext, argument: string): Promise<{ table: DeltaTable | undefined; create: () => DeltaTable }> {
  const resolved = resolveTable(argument, ctx.config, ctx.cwd);
  const store = openStore(resolved.location, storeOptions(ctx.config, ctx.env));
  const create = (): DeltaTable => new DeltaTable(store, resolved.location);
  try {
    return { table: await openDeltaTable(ctx, argument), create };
  } catch (error) {
    if (error instanceof LakeError && error.code === 'TABLE_NOT_FOUND') return { table: undefined, create };
    throw error;
  }
}
