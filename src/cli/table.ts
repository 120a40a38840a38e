/**
 * What every table command shares: the `--format` option, and opening the table an argument names
 * (resolve → open the store → detect the format).
 */
import { Option } from 'commander';
import { CONFIG_FILE_NAME, describeWarehouse, storeOptions } from '../config.js';
import { LakeError } from '../errors.js';
import { openStore } from '../storage/index.js';
import { displayLocation, type Location } from '../storage/location.js';
import type { ObjectStore } from '../storage/object-store.js';
import { detectFormat, TABLE_FORMATS, type TableFormat } from '../table-format.js';
import type { CliContext } from './context.js';
import { resolveTable, type ResolvedTable } from './resolve-table.js';

/** The table argument's help text, shared so every command describes it the same way. */
export const TABLE_ARGUMENT_HELP = 'table name in the warehouse (orders, db.orders) or location (./path, /abs/path, s3://bucket/prefix)';

/** `--format delta|iceberg`: skip detection (and settle a directory that holds both). */
export function formatOption(): Option {
  return new Option('--format <format>', 'table format, instead of detecting it').choices(TABLE_FORMATS);
}

/**
 * The same override as `--table-format`, for commands whose `--format` means their output format
 * (`lake scan --format jsonl`).
 */
export function tableFormatOption(): Option {
  return new Option('--table-format <format>', 'table format, instead of detecting it').choices(TABLE_FORMATS);
}

export interface OpenedTable {
  readonly resolved: ResolvedTable;
  readonly location: Location;
  readonly store: ObjectStore;
  readonly format: TableFormat;
}

/** Resolves a table argument, opens its store and determines its format. */
export async function openTable(ctx: CliContext, argument: string, format?: TableFormat): Promise<OpenedTable> {
  const resolved = resolveTable(argument, ctx.config, ctx.cwd);
  if (resolved.name !== undefined) ctx.debug(`warehouse: ${describeWarehouse(ctx.config)}`);
  ctx.debug(`table ${argument}: ${displayLocation(resolved.location)}`);
  const store = openStore(resolved.location, storeOptions(ctx.config, ctx.env));
  let detected: TableFormat;
  try {
    detected = await detectFormat(store, format === undefined ? {} : { format });
  } catch (error) {
    if (error instanceof LakeError && error.code === 'TABLE_NOT_FOUND' && resolved.name !== undefined) {
      throw new LakeError(
        error.code,
        `${error.message} ('${argument}' is read as a table name in the warehouse ${describeWarehouse(ctx.config)}; for a local path write ./${argument})`,
        { cause: error, ...(error.path === undefined ? {} : { path: error.path }) },
      );
    }
    if (error instanceof LakeError && error.code === 'NETWORK' && resolved.location.scheme === 's3') {
      throw new LakeError(
        error.code,
        `${error.message}: check the S3 endpoint (s3.endpoint in ${CONFIG_FILE_NAME}, or AWS_ENDPOINT_URL) and that the server is up`,
        { cause: error, ...(error.path === undefined ? {} : { path: error.path }) },
      );
    }
    throw error;
  }
  return { resolved, location: resolved.location, store, format: detected };
}
