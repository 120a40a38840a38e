/**
 * The conformance runner: `npm run conformance -- [--suite golden|dat|iceberg] [--case NAME] [--json]`.
 *
 * Runs the Delta golden and DAT cases (see delta-cases.ts) and the Iceberg cases (iceberg-cases.ts) two at a time and prints one line per case,
 * `ok <case>` or `FAIL <case>: <error>`, then `<suite>: N passed, M failed` per suite. With
 * `--case` the failing cases' details follow their line. `--json` prints only
 * `{"suites":[{"name","passed","failed","cases":[{"case","ok","error"}]}]}` (error null when ok).
 * Exit code 1 when a case failed (or, under CI=true, when the data is missing), 2 on bad usage.
 *
 * The data: `$LAKE_CONFORMANCE_DIR`, else `../shared/conformance` next to the project.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findConformanceDir,
  listDatCases,
  loadGoldenCases,
  runDatCase,
  runGoldenCase,
  UPSTREAM,
  type CaseResult,
} from './delta-cases.js';
import { listIcebergCases, runIcebergCase } from './iceberg-cases.js';

const SUITES = ['golden', 'dat', 'iceberg'] as const;
type SuiteName = (typeof SUITES)[number];

const CONCURRENCY = 2;
const CASE_TIMEOUT_MS = Number(process.env.LAKE_CONFORMANCE_CASE_TIMEOUT_MS ?? 600_000);

interface Options {
  suites: SuiteName[];
  cases: string[];
  json: boolean;
}

interface SuiteResult {
  name: SuiteName;
  passed: number;
  failed: number;
  cases: CaseResult[];
}

const USAGE = `usage: npm run conformance -- [--suite golden|dat|iceberg] [--case NAME]... [--json]

  --suite golden|dat|iceberg   run one suite (default: all)
  --case NAME          run only this case (repeatable); failures print their details
  --json               print {"suites":[{"name","passed","failed","cases":[{"case","ok","error"}]}]} only

The data: $LAKE_CONFORMANCE_DIR, else ../shared/conformance next to the project.`;

function parseArgs(argv: string[]): Options | string {
  const options: Options = { suites: [...SUITES], cases: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    try {
      switch (flag) {
        case '--suite': {
          const suite = value();
          if (!(SUITES as readonly string[]).includes(suite)) return `unknown suite ${JSON.stringify(suite)}: use golden, dat or iceberg`;
          options.suites = [suite as SuiteName];
          break;
        }
        case '--case':
          options.cases.push(value());
          break;
        case '--json':
          options.json = true;
          break;
        case '--help':
        case '-h':
          return '';
        default:
          return `unknown argument ${JSON.stringify(arg)}`;
      }
    } catch (error) {
      return (error as Error).message;
    }
  }
  return options;
}

/** Runs `tasks` with at most `limit` at once; `onResult` sees results in task order. */
async function runPool<T>(tasks: (() => Promise<T>)[], limit: number, onResult: (result: T) => void): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  const done: boolean[] = new Array(tasks.length).fill(false);
  let next = 0;
  let reported = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
      done[index] = true;
      while (reported < tasks.length && done[reported]) onResult(results[reported++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function withTimeout(name: string, run: () => Promise<CaseResult>): () => Promise<CaseResult> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CaseResult>((resolve) => {
      timer = setTimeout(() => resolve({ case: name, ok: false, error: `timed out after ${CASE_TIMEOUT_MS / 1000} s` }), CASE_TIMEOUT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([
        run().catch((error: unknown) => ({ case: name, ok: false, error: `runner crashed: ${String(error)}` })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    if (parsed !== '') process.stderr.write(`conformance: ${parsed}\n`);
    process.stderr.write(`${USAGE}\n`);
    return parsed === '' ? 0 : 2;
  }
  const options = parsed;
  const out = (line: string) => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };

  const located = await findConformanceDir();
  if (!located.found) {
    const ci = process.env.CI === 'true';
    const lines = [
      '',
      '='.repeat(100),
      `${ci ? 'FAILING' : 'SKIPPED'}: THE CONFORMANCE SUITES (${options.suites.join(', ')}) DID NOT RUN: no conformance data`,
      ...located.looked.map((dir) => `  looked in ${dir}`),
      '  Set $LAKE_CONFORMANCE_DIR to the directory holding delta/golden and delta/dat, or put it at ../shared/conformance',
      '  next to the project. The data comes from upstream projects:',
      ...UPSTREAM.map((line) => `    - ${line}`),
      ci ? '  CI=true: missing conformance data is a failure, not a skip.' : '  Nothing was checked.',
      '='.repeat(100),
      '',
    ];
    process.stderr.write(lines.join('\n'));
    if (options.json) process.stdout.write(`${JSON.stringify({ suites: [] })}\n`);
    return ci ? 1 : 0;
  }

  const suites: SuiteResult[] = [];
  const unmatched = new Set(options.cases);
  for (const suite of options.suites) {
    let tasks: { name: string; run: () => Promise<CaseResult> }[];
    const suiteDir = suite === 'iceberg' ? join(located.dir, 'iceberg', 'cases') : join(located.dir, 'delta', suite);
    if (!(await isDirectory(suiteDir))) {
      const ci = process.env.CI === 'true';
      process.stderr.write(
        `\n${'='.repeat(100)}\n${ci ? 'FAILING' : 'SKIPPED'}: THE ${suite.toUpperCase()} SUITE DID NOT RUN: ${suiteDir} does not exist\n` +
          `  It comes from ${UPSTREAM.find((line) => line.startsWith(`delta/${suite}`)) ?? 'upstream'}\n${'='.repeat(100)}\n\n`,
      );
      if (ci) suites.push({ name: suite, passed: 0, failed: 1, cases: [{ case: `(${suite} data)`, ok: false, error: `${suiteDir} does not exist` }] });
      continue;
    }
    if (suite === 'golden') {
      const root = join(located.dir, 'delta', 'golden');
      const cases = await loadGoldenCases(root);
      tasks = cases.map((c) => ({ name: c.case, run: () => runGoldenCase(c, root) }));
    } else if (suite === 'iceberg') {
      const root = join(located.dir, 'iceberg');
      tasks = (await listIcebergCases(root)).map((name) => ({ name, run: async () => runIcebergCase(root, name) }));
    } else {
      const dirs = await listDatCases(join(located.dir, 'delta', 'dat'));
      tasks = dirs.map((dir) => ({ name: dir.split('/').at(-1)!, run: () => runDatCase(dir) }));
    }
    if (options.cases.length > 0) {
      tasks = tasks.filter((t) => options.cases.includes(t.name));
      for (const t of tasks) unmatched.delete(t.name);
      if (tasks.length === 0) continue;
    }
    const verbose = options.cases.length > 0;
    const results = await runPool(
      tasks.map((t) => withTimeout(t.name, t.run)),
      CONCURRENCY,
      (r) => {
        if (r.ok) {
          out(`ok ${r.case}`);
          return;
        }
        const [first, ...rest] = (r.error ?? 'failed').split('\n');
        out(`FAIL ${r.case}: ${first}`);
        if (verbose) for (const line of rest) out(`    ${line}`);
      },
    );
    const passed = results.filter((r) => r.ok).length;
    suites.push({ name: suite, passed, failed: results.length - passed, cases: results });
  }

  for (const s of suites) out(`${s.name}: ${s.passed} passed, ${s.failed} failed`);
  if (unmatched.size > 0) {
    process.stderr.write(`conformance: no case named ${[...unmatched].map((n) => JSON.stringify(n)).join(', ')} in ${options.suites.join(', ')}\n`);
  }
  if (options.json) {
    const json = {
      suites: suites.map((s) => ({
        name: s.name,
        passed: s.passed,
        failed: s.failed,
        cases: s.cases.map((c) => ({ case: c.case, ok: c.ok, error: c.error ?? null })),
      })),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }
  const failed = suites.some((s) => s.failed > 0) || unmatched.size > 0;
  return failed ? 1 : 0;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`conformance: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
