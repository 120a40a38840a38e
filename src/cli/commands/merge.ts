/**
 * `lake merge TABLE FILE… --on SQL …`: upserts rows from files into a Delta table. The common
 * clauses are flags (in this order: matched, not matched, not matched by source); the library's
 * MergeBuilder offers every clause with conditions.
 */
import { Option } from 'commander';
import { MergeBuilder } from '../../delta/operations/merge.js';
import { INPUT_FORMATS, inputFormatOf, type InputFormat } from '../../engine/input-files.js';
import { UsageError } from '../../errors.js';
import { openDeltaTable } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface MergeCommandOptions {
  on: string;
  whenMatched?: string;
  targetAlias: string;
  sourceAlias: string;
  whenNotMatched?: 'insert-all';
  whenNotMatchedBySource?: 'delete';
  inputFormat?: InputFormat;
  memoryLimit?: string;
}

export const mergeCommand: CommandModule = {
  name: 'merge',
  register(program, context) {
    program
      .command('merge')
      .description('merge (upsert) rows from files into a Delta table')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .argument('<files...>', 'the source rows: Parquet, CSV or JSON-lines files')
      .requiredOption('--on <sql>', 'the join condition, e.g. "t.id = s.id" (t: the table, s: the source)')
      .option('--when-matched <action>', "for target rows a source row matches: update-all, delete, or 'update:col = expr, …'")
      .option('--target-alias <name>', 'the name of the table in SQL', 't')
      .option('--source-alias <name>', 'the name of the source in SQL', 's')
      .addOption(new Option('--when-not-matched <action>', 'for source rows no target row matches').choices(['insert-all']))
      .addOption(new Option('--when-not-matched-by-source <action>', 'for target rows no source row matches').choices(['delete']))
      .addOption(new Option('--input-format <format>', 'input format (default: from the file names)').choices(INPUT_FORMATS))
      .option('--memory-limit <size>', "DuckDB's memory limit for the join, e.g. 2GB (it spills beyond)")
      .action(async (argument: string, files: string[], options: MergeCommandOptions, command) => {
        const ctx = await context(command);
        if (options.whenMatched === undefined && options.whenNotMatched === undefined && options.whenNotMatchedBySource === undefined) {
          throw new UsageError('give at least one of --when-matched, --when-not-matched, --when-not-matched-by-source');
        }
        const table = await openDeltaTable(ctx, argument);
        {
          const source = { files, format: options.inputFormat ?? inputFormatOf(files[0]!) };
          const merge = new MergeBuilder(table, source, {
            predicate: options.on,
            targetAlias: options.targetAlias,
            sourceAlias: options.sourceAlias,
            ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
          });
          if (options.whenMatched === 'update-all') merge.whenMatchedUpdateAll();
          else if (options.whenMatched === 'delete') merge.whenMatchedDelete();
          else if (options.whenMatched !== undefined) merge.whenMatchedUpdate({ set: parseUpdate(options.whenMatched) });
          if (options.whenNotMatched === 'insert-all') merge.whenNotMatchedInsertAll();
          if (options.whenNotMatchedBySource === 'delete') merge.whenNotMatchedBySourceDelete();
          const result = await merge.execute();
          const m = result.metrics;
          ctx.result(result, () =>
            result.version === undefined
              ? 'nothing changed: nothing was committed'
              : `version ${result.version}: ${m.numTargetRowsInserted} inserted, ${m.numTargetRowsUpdated} updated, ${m.numTargetRowsDeleted} deleted`,
          );
        }
      });
  },
};

/** `update:col = expr, col2 = expr2` → assignments (commas inside parentheses or quotes stay). */
function parseUpdate(text: string): Record<string, string> {
  if (!text.startsWith('update:')) throw new UsageError(`--when-matched ${text}: give update-all, delete, or 'update:col = expr, …'`);
  const set: Record<string, string> = {};
  let depth = 0;
  let quote = false;
  let start = 'update:'.length;
  const body = `${text},`;
  for (let i = start; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === "'") quote = !quote;
    else if (!quote && ch === '(') depth++;
    else if (!quote && ch === ')') depth--;
    else if (!quote && depth === 0 && ch === ',') {
      const assignment = body.slice(start, i);
      const at = assignment.indexOf('=');
      if (at <= 0) throw new UsageError(`--when-matched: "${assignment.trim()}" is not col = expr`);
      set[assignment.slice(0, at).trim()] = assignment.slice(at + 1).trim();
      start = i + 1;
    }
  }
  return set;
}
