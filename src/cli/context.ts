/**
 * What a command gets to run with: its output streams, the global flags, the configuration, the
 * environment and the working directory. Commands use nothing global (no process.*), so tests run
 * them in-process through main().
 */
import type { Command } from 'commander';
import { loadConfig, type LakeConfig } from '../config.js';
import { redact, secretsFromEnv } from './redact.js';

/** A text sink: process.stdout/stderr, or a buffer in tests. */
export interface Output {
  write(chunk: string): unknown;
  /** Terminal width, for help formatting. */
  readonly columns?: number | undefined;
}

/** The process-level inputs of a CLI run. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: NodeJS.ProcessEnv;
  /** Absolute working directory. */
  readonly cwd: string;
}

/** The global options (`lake --help` lists them). */
export interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

export interface CliContext {
  readonly stdout: Output;
  readonly stderr: Output;
  /** --json: results are printed as one JSON document on stdout. */
  readonly json: boolean;
  /** --quiet: no progress or other non-error output on stderr. */
  readonly quiet: boolean;
  /** --verbose: diagnostics on stderr, stacks with errors. */
  readonly verbose: boolean;
  readonly config: LakeConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** A progress or status line on stderr, unless --quiet. */
  progress(message: string): void;
  /** A diagnostic line on stderr, only with --verbose. */
  debug(message: string): void;
  /** Prints a command's result: `value` as JSON with --json, else the text `text()` returns. */
  result(value: unknown, text: () => string): void;
}

/** Builds a command's context from the options commander parsed (loading the configuration). */
export type ContextFactory = (command: Command) => Promise<CliContext>;

export function contextFactory(io: CliIo): ContextFactory {
  return async (command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const config = await loadConfig({
      cwd: io.cwd,
      env: io.env,
      ...(options.config === undefined ? {} : { configFile: options.config }),
    });
    return createContext(io, options, config);
  };
}

export function createContext(io: CliIo, options: GlobalOptions, config: LakeConfig): CliContext {
  const quiet = options.quiet === true;
  const verbose = options.verbose === true;
  const json = options.json === true;
  const secrets = secretsFromEnv(io.env);
  const line = (message: string) => io.stderr.write(`${redact(message, secrets)}\n`);
  const context: CliContext = {
    stdout: io.stdout,
    stderr: io.stderr,
    json,
    quiet,
    verbose,
    config,
    env: io.env,
    cwd: io.cwd,
    progress: (message) => {
      if (!quiet) line(message);
    },
    debug: (message) => {
      if (verbose && !quiet) line(`lake: ${message}`);
    },
    result: (value, text) => {
      io.stdout.write(json ? `${JSON.stringify(value)}\n` : ensureNewline(text()));
    },
  };
  return context;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
