/**
 * lake's configuration: where the warehouse is (the root that table names resolve against) and
 * how to reach S3. The CLI and the library share it.
 *
 * The config file is JSON, named `lake.config.json`:
 *
 *     {
 *       "warehouse": "s3://bucket/prefix",          // or a path, relative to this file's directory
 *       "s3": { "endpoint": "http://localhost:9000", "region": "us-east-1", "forcePathStyle": true }
 *     }
 *
 * `warehouse` is required; `s3` and each of its fields are optional (unset fields fall back to the
 * AWS environment: AWS_ENDPOINT_URL, AWS_REGION…). Unknown fields are errors, so a typo does not
 * silently do nothing. Credentials never go in this file: they come from the AWS provider chain.
 *
 * Where the warehouse comes from, first match wins:
 * 1. the file given explicitly (`--config FILE`, or `configFile` here);
 * 2. the environment variable LAKE_WAREHOUSE (relative paths resolve against the working directory);
 * 3. `lake.config.json` in the working directory or the nearest parent that has one;
 * 4. `./warehouse` in the working directory.
 * S3 settings come from the config file in use (explicit or discovered) whichever of these set the
 * warehouse: LAKE_WAREHOUSE overrides a discovered file's warehouse, not its S3 settings.
 *
 * Nothing here reads process.cwd() or process.env: callers pass them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LakeError, UsageError } from './errors.js';
import { displayLocation, parseLocation, type Location } from './storage/location.js';
import type { StoreOptions } from './storage/index.js';

export const CONFIG_FILE_NAME = 'lake.config.json';
export const WAREHOUSE_ENV = 'LAKE_WAREHOUSE';
export const DEFAULT_WAREHOUSE = './warehouse';

/** S3 connection settings a config file may hold (no credentials: those come from the AWS chain). */
export interface S3Settings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
}

/** A validated config file. */
export interface ConfigFile {
  /** Absolute path of the file. */
  readonly file: string;
  /** The warehouse, relative paths resolved against the file's directory. */
  readonly warehouse: Location;
  readonly s3: S3Settings;
}

export interface LakeConfig {
  readonly warehouse: Location;
  /** Where the warehouse setting came from: a config file's path, 'LAKE_WAREHOUSE' or 'default'. */
  readonly warehouseSource: string;
  readonly s3: S3Settings;
  /** The config file in use, if any. */
  readonly file: string | undefined;
}

export interface LoadConfigOptions {
  /** Absolute working directory: where discovery starts and relative paths resolve. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** An explicit config file (`--config`), relative to `cwd`; it must exist. Skips discovery. */
  readonly configFile?: string;
}

/** Loads the configuration in effect for `cwd` and `env` (see the top of this file for precedence). */
export async function loadConfig(options: LoadConfigOptions): Promise<LakeConfig> {
  const cwd = path.resolve(options.cwd);
  if (options.configFile !== undefined) {
    const file = path.resolve(cwd, options.configFile);
    const config = await readConfigFile(file, { explicit: true });
    return { warehouse: config.warehouse, warehouseSource: file, s3: config.s3, file };
  }
  const discovered = await findConfigFile(cwd);
  const config = discovered === undefined ? undefined : await readConfigFile(discovered, { explicit: false });
  const fromEnv = options.env[WAREHOUSE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    let warehouse: Location;
    try {
      warehouse = parseLocation(fromEnv, cwd);
    } catch (error) {
      throw new UsageError(`${WAREHOUSE_ENV}: ${messageOf(error)}`, { cause: error });
    }
    return { warehouse, warehouseSource: WAREHOUSE_ENV, s3: config?.s3 ?? {}, file: config?.file };
  }
  if (config !== undefined) return { warehouse: config.warehouse, warehouseSource: config.file, s3: config.s3, file: config.file };
  return {
    warehouse: parseLocation(DEFAULT_WAREHOUSE, cwd),
    warehouseSource: 'default',
    s3: {},
    file: undefined,
  };
}

/** The nearest `lake.config.json` in `dir` or its parents, or undefined. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  let current = path.resolve(dir);
  for (;;) {
    const candidate = path.join(current, CONFIG_FILE_NAME);
    try {
      const stat = await fs.stat(candidate);
      if (stat.isFile()) return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new LakeError('CONFIG', `cannot read ${candidate}: ${messageOf(error)}`, { path: candidate, cause: error });
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Reads and validates a config file. Errors are UsageErrors naming the file (and field). */
export async function readConfigFile(file: string, options: { explicit?: boolean } = {}): Promise<ConfigFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${messageOf(error)})`;
    const hint = options.explicit === true ? ': check the --config path' : '';
    throw new UsageError(`config file ${file} ${what}${hint}`, { path: file, cause: error });
  }
  return parseConfig(text, file);
}

/**
 * Validates the text of a config file. `file` (absolute) names it in errors and anchors relative
 * warehouse paths.
 */
export function parseConfig(text: string, file: string): ConfigFile {
  const fail = (message: string, cause?: unknown): never => {
    throw new UsageError(`${file}: ${message}`, { path: file, cause });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${messageOf(error)})`, error);
  }
  if (!isPlainObject(raw)) return fail(`expected a JSON object such as {"warehouse": "s3://bucket/prefix"}, got ${describe(raw)}`);
  for (const key of Object.keys(raw)) {
    if (key !== 'warehouse' && key !== 's3') fail(`unknown field "${key}": the fields are "warehouse" and "s3"`);
  }
  const warehouseValue = raw.warehouse;
  if (warehouseValue === undefined) {
    return fail(`missing field "warehouse": set it to an S3 URL (s3://bucket/prefix) or a path relative to this file`);
  }
  if (typeof warehouseValue !== 'string' || warehouseValue.trim() === '') {
    return fail(`field "warehouse" must be a non-empty string (an S3 URL or a path), got ${describe(warehouseValue)}`);
  }
  let warehouse: Location;
  try {
    warehouse = parseLocation(warehouseValue, path.dirname(file));
  } catch (error) {
    return fail(`field "warehouse": ${messageOf(error)}`, error);
  }
  return { file, warehouse, s3: parseS3Settings(raw.s3, fail) };
}

function parseS3Settings(value: unknown, fail: (message: string) => never): S3Settings {
  if (value === undefined) return {};
  if (!isPlainObject(value)) return fail(`field "s3" must be an object, got ${describe(value)}`);
  const settings: { endpoint?: string; region?: string; forcePathStyle?: boolean } = {};
  for (const [key, field] of Object.entries(value)) {
    switch (key) {
      case 'endpoint': {
        if (typeof field !== 'string') return fail(`field "s3.endpoint" must be a string URL, got ${describe(field)}`);
        let url: URL | undefined;
        try {
          url = new URL(field);
        } catch {
          url = undefined;
        }
        if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
          return fail(`field "s3.endpoint" must be an http:// or https:// URL such as http://localhost:9000, got ${JSON.stringify(field)}`);
        }
        settings.endpoint = field;
        break;
      }
      case 'region':
        if (typeof field !== 'string' || field.trim() === '') {
          return fail(`field "s3.region" must be a non-empty string such as "us-east-1", got ${describe(field)}`);
        }
        settings.region = field;
        break;
      case 'forcePathStyle':
        if (typeof field !== 'boolean') return fail(`field "s3.forcePathStyle" must be true or false, got ${describe(field)}`);
        settings.forcePathStyle = field;
        break;
      default:
        if (/secret|access[_-]?key|token|credential|password/i.test(key)) {
          return fail(`unknown field "s3.${key}": credentials do not go in the config file; use the AWS environment variables, profiles or SSO`);
        }
        return fail(`unknown field "s3.${key}": the fields are "endpoint", "region" and "forcePathStyle"`);
    }
  }
  return settings;
}

/** Options for `openStore` that apply this configuration. */
export function storeOptions(config: LakeConfig, env: NodeJS.ProcessEnv): StoreOptions {
  return { s3: { ...config.s3 }, env };
}

/** A one-line description of where the warehouse is and why, for messages. */
export function describeWarehouse(config: LakeConfig): string {
  const source =
    config.warehouseSource === 'default'
      ? `the default, ${DEFAULT_WAREHOUSE}`
      : config.warehouseSource === WAREHOUSE_ENV
        ? `set by ${WAREHOUSE_ENV}`
        : `set in ${config.warehouseSource}`;
  return `${displayLocation(config.warehouse)} (${source})`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
