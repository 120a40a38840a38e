/**
 * The options every reading command takes for Iceberg tables, and opening one: `--metadata FILE`
 * (read this metadata file instead of finding the current one), `--remap OLD=NEW` (repeatable:
 * paths in the metadata starting with OLD are read under NEW, for moved or copied tables) and
 * `--ref NAME` (a branch or tag).
 */
import { Option, type Command } from 'commander';
import { storeOptions } from '../config.js';
import { UsageError } from '../errors.js';
import type { PathRemap } from '../iceberg/files.js';
import { IcebergTable } from '../iceberg/table.js';
import { formatLocation, parseLocation } from '../storage/location.js';
import type { CliContext } from './context.js';
import type { OpenedTable } from './table.js';

export interface IcebergCommandOptions {
  metadata?: string;
  remap?: PathRemap[];
  ref?: string;
}

export function addIcebergOptions(command: Command, options: { ref?: boolean } = {}): Command {
  command
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

export async function openIcebergTable(ctx: CliContext, opened: OpenedTable, options: IcebergCommandOptions): Promise<IcebergTable> {
  // Local paths on the command line are relative to the working directory.
  const here = (path: string) => formatLocation(parseLocation(path, ctx.cwd));
  return IcebergTable.open(formatLocation(opened.location), {
    ...storeOptions(ctx.config, ctx.env),
    ...(options.metadata === undefined ? {} : { metadata: here(options.metadata) }),
    ...(options.remap === undefined ? {} : { remap: options.remap.map((r) => ({ from: r.from, to: here(r.to) })) }),
  });
}

/** Iceberg-only options given for a Delta table are a mistake worth saying. */
export function refuseIcebergOptions(options: IcebergCommandOptions): void {
  const given = (['metadata', 'remap', 'ref'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 0) throw new UsageError(`--${given.join(', --')} ${given.length === 1 ? 'applies' : 'apply'} to Iceberg tables only`);
}
