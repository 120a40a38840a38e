/** Running the `lake` CLI in-process for tests: its exit code and what it printed. */
import { tmpdir } from 'node:os';
import { main } from '../../src/cli/main.js';

/** A terminal-less output stream that keeps what is written. */
export class Output {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface LakeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `lake argv…` with an empty environment (unless given) in `cwd` (default: the temp directory). */
export async function runLake(argv: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<LakeRun> {
  const stdout = new Output();
  const stderr = new Output();
  const code = await main([...argv], { stdout, stderr, env: options.env ?? {}, cwd: options.cwd ?? tmpdir() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
