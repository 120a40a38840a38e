/**
 * Turning a table argument into a location.
 *
 * The rule: an argument is a table NAME if it is one or more dot-separated segments, each matching
 * `[A-Za-z0-9_][A-Za-z0-9_-]*` (`orders`, `db.orders`, `sales.eu.orders`). Anything else — a
 * string with '/', a scheme (`s3://…`, `file:…`), a leading '.', a space — is a LOCATION, parsed by
 * parseLocation (relative paths against the working directory).
 *
 * A name resolves under the warehouse with its dots as path separators, the layout of Iceberg's
 * Hadoop catalog: `db.orders` is `<warehouse>/db/orders`. So `orders.delta` is a name; to mean a
 * local directory of that name write `./orders.delta`.
 *
 * Which warehouse applies (--config, LAKE_WAREHOUSE, a discovered lake.config.json, ./warehouse)
 * is settled by loadConfig in src/config.ts, which the library shares; this module is pure.
 */
import type { LakeConfig } from '../config.js';
import { childLocation, parseLocation, type Location } from '../storage/location.js';

const TABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$/;

export interface ResolvedTable {
  readonly location: Location;
  /** The argument as given. */
  readonly argument: string;
  /** For names: the dot-separated segments (namespace…, table); undefined for locations. */
  readonly name: readonly string[] | undefined;
}

/** Whether an argument is a table name (resolved in the warehouse) rather than a location. */
export function isTableName(argument: string): boolean {
  return TABLE_NAME.test(argument);
}

/** Resolves a table argument: names under `config.warehouse`, locations against `cwd`. */
export function resolveTable(argument: string, config: Pick<LakeConfig, 'warehouse'>, cwd: string): ResolvedTable {
  if (isTableName(argument)) {
    const name = argument.split('.');
    return { location: childLocation(config.warehouse, name.join('/')), argument, name };
  }
  return { location: parseLocation(argument, cwd), argument, name: undefined };
}
