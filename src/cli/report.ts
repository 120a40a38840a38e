/**
 * Turning a failure into what the user sees and the exit code:
 * - one line on stderr, `lake: <what is wrong and what to do>` (with --json, one JSON line
 *   `{"error":{"code":…,"message":…}}` instead);
 * - exit 2 for usage errors (commander's parse errors, UsageError), 1 for everything else;
 * - an exception that is not a LakeError is a bug: `lake: internal error: …`, with a hint to
 *   rerun with --verbose;
 * - --verbose adds the stack and the cause chain.
 * Everything printed passes through redact().
 */
import { CommanderError } from 'commander';
import { LakeError, UsageError } from '../errors.js';
import type { Output } from './context.js';
import { redact } from './redact.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface ReportOptions {
  readonly stderr: Output;
  readonly verbose: boolean;
  readonly json: boolean;
  /** Secret values to scrub, besides what redact() recognises by shape. */
  readonly secrets: readonly string[];
  /** Where usage errors point the user (default `lake --help`). */
  readonly helpCommand?: string;
}

/** Prints `error` as the rules above say and returns the exit code. */
export function reportError(error: unknown, options: ReportOptions): number {
  if (error instanceof CommanderError) {
    // --help and --version end parsing by throwing; their output is already written.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    // Help shown because no command was given (commander wrote it to stderr).
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const message = `${oneLine(error.message.replace(/^error:\s*/i, ''))} (see ${options.helpCommand ?? 'lake --help'})`;
    print(options, 'USAGE', message, undefined);
    return EXIT_USAGE;
  }
  if (error instanceof LakeError) {
    print(options, error.code, oneLine(error.message), error);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  const hint = options.verbose ? '' : ' (rerun with --verbose for details)';
  print(options, 'INTERNAL', `internal error: ${oneLine(text)}${hint}`, error);
  return EXIT_FAILURE;
}

function print(options: ReportOptions, code: string, message: string, error: unknown): void {
  const scrub = (text: string) => redact(text, options.secrets);
  const details = options.verbose && error !== undefined ? scrub(describeChain(error)) : undefined;
  if (options.json) {
    const body: Record<string, string> = { code, message: scrub(message) };
    if (details !== undefined) body.details = details;
    options.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return;
  }
  options.stderr.write(`lake: ${scrub(message)}\n`);
  if (details !== undefined) options.stderr.write(`${details}\n`);
}

/** The stack of `error` and of each error in its cause chain. */
export function describeChain(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10 && !seen.has(current); depth++) {
    seen.add(current);
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : safeString(current);
    parts.push(depth === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
