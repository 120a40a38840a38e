/** `lake checkpoint TABLE`: writes a checkpoint of the latest version (and `_last_checkpoint`). */
import { writeCheckpoint } from '../../delta/checkpoint-writer.js';
import { LakeError } from '../../errors.js';
import { openDeltaTable } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

export const checkpointCommand: CommandModule = {
  name: 'checkpoint',
  register(program, context) {
    program
      .command('checkpoint')
      .description("write a checkpoint of a Delta table's latest version, so readers replay less log")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .action(async (argument: string, _options: object, command) => {
        const ctx = await context(command);
        const table = await openDeltaTable(ctx, argument);
        const snapshot = await table.snapshot();
        const result = await writeCheckpoint(table.store, snapshot);
        if (!result.written) throw new LakeError('UNSUPPORTED', `no checkpoint written: ${result.reason}`);
        ctx.result({ version: snapshot.version, files: snapshot.files.length }, () => `checkpoint of version ${snapshot.version} written (${snapshot.files.length} files)`);
      });
  },
};
