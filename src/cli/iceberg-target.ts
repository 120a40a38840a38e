/**
 * The options every reading command takes for Iceberg tables, and opening one: `--catalog URI`
 * (an Iceberg REST catalog names the metadata file), `--metadata FILE`
 * (read this metadata file instead of finding the current one), `--remap OLD=NEW` (repeatable:
 * paths in the metadata starting with OLD are read under NEW, for moved or copied tables) and
 * `--ref NAME` (a branch or tag).
 */
import { Option, type Command } from 'commander';
import { storeOptions } from '../config.js';
import { UsageError } from '../errors.js';
import type { PathRemap } from '../iceberg/files.js';
import { loadTableFromCatalog } from '../iceberg/rest-catalog.js';
import { IcebergTable } from '../iceberg/table.js';
import { formatLocation, parseLocation } from '../storage/location.js';
import type { CliContext } from './context.js';
import type { OpenedTable } from './table.js';

export interface IcebergCommandOptions {
  catalog?: string;
  metadata?: string;
  remap?: PathRemap[];
  ref?: string;
}

export function addIcebergOptions(command: Command, options: { ref?: boolean } = {}): Command {
  command
    .addOption(new Option('--catalog <uri>', 'Iceberg: find the table in this REST catalog; the table argument is then namespace.table (token: $LAKE_CATALOG_TOKEN)'))
    .addOption(new Option('--metadata <file>', 'Iceberg: read this metadata file instead of finding the current one'))
    .addOption(new Option('--remap <old=new>', 'Iceberg: read paths the metadata gives under OLD at NEW instead (repeatable; for moved or copied tables)').argParser(parseRemap));
  if (options.ref === true) command.addOption(new Option('--ref <name>', 'Iceberg: read the snapshot of this branch or tag'));
  return command;
}

function parseRemap(value: string, previous: PathRemap[] | undefined): PathRemap[] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new UsageError(`--remap ${value}: give OLD=NEW, e.g. s3://old-bucket/warehouse=/data/warehouse`);
  return [...(previous ?? []), { from: value.slice(0, eq), to: value.slice(eq + 1) }];
}

/**
 * The Iceberg table a command reads: through the REST catalog with --catalog (the argument is
 * `namespace.table`), else at the location the argument resolved to (`opened`).
 */
export async function openIcebergTable(ctx: CliContext, argument: string, opened: OpenedTable | undefined, options: IcebergCommandOptions): Promise<IcebergTable> {
  // Local paths on the command line are relative to the working directory.
  const here = (path: string) => formatLocation(parseLocation(path, ctx.cwd));
  let metadata = options.metadata === undefined ? undefined : here(options.metadata);
  let location = opened === undefined ? undefined : formatLocation(opened.location);
  if (options.catalog !== undefined) {
    if (options.metadata !== undefined) throw new UsageError('give --catalog or --metadata, not both');
    const parts = argument.split('.');
    if (parts.length < 2 || parts.some((p) => p === '')) throw new UsageError(`with --catalog, name the table as namespace.table (got ${argument})`);
    const token = ctx.env.LAKE_CATALOG_TOKEN;
    const loaded = await loadTableFromCatalog({ uri: options.catalog, ...(token === undefined || token === '' ? {} : { token }) }, parts.slice(0, -1), parts.at(-1)!);
    metadata = loaded.metadataLocation;
    location = loaded.metadataLocation;
  }
  return IcebergTable.open(location!, {
    ...storeOptions(ctx.config, ctx.env),
    ...(metadata === undefined ? {} : { metadata }),
    ...(options.remap === undefined ? {} : { remap: options.remap.map((r) => ({ from: r.from, to: here(r.to) })) }),
  });
}

/** Iceberg-only options given for a Delta table are a mistake worth saying. */
export function refuseIcebergOptions(options: IcebergCommandOptions): void {
  const given = (['catalog', 'metadata', 'remap', 'ref'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 0) throw new UsageError(`--${given.join(', --')} ${given.length === 1 ? 'applies' : 'apply'} to Iceberg tables only`);
}
