/**
 * One DuckDB database in memory with a private scratch directory: how lake runs SQL over local
 * files (staged copies of objects, Parquet it writes). `@duckdb/node-api` is loaded on first use,
 * so commands that never need DuckDB do not pay for loading it. DuckDB errors are exceptions; the
 * caller turns them into errors that name the user's file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBType } from '@duckdb/node-api';

export interface QueryResult {
  readonly names: readonly string[];
  readonly types: readonly DuckDBType[];
  readonly chunks: readonly DuckDBDataChunk[];
}

export class DuckSession {
  /** The end of the statement running now: a connection runs one statement at a time. */
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** A directory of this session's own, removed on close. */
    readonly dir: string,
  ) {}

  /** Opens a session; `name` names its scratch directory (`<tmpdir>/lake-<name>-…`). */
  static async open(name: string, options: { tempDir?: string } = {}): Promise<DuckSession> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), `lake-${name}-`));
    try {
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      return new DuckSession(instance, connection, dir);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Runs `work` after the statements before it have finished: callers may overlap their calls
   * (Promise.all), but the results of interleaved statements on one connection get mixed up.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.busy.then(work, work);
    this.busy = result.catch(() => undefined);
    return result;
  }

  async run(sql: string): Promise<void> {
    await this.exclusive(() => this.connection.run(sql));
  }

  /** Runs a statement and returns its (small) result as JSON-friendly row objects. */
  rowObjects(sql: string): Promise<Record<string, unknown>[]> {
    return this.exclusive(async () => (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);
  }

  /** Calls `each` with the result's chunks as they come (a result need not be held whole). */
  forEachChunk(sql: string, each: (chunk: DuckDBDataChunk) => void): Promise<void> {
    return this.exclusive(async () => {
      const result = await this.connection.stream(sql);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        each(chunk);
      }
    });
  }

  /** The result's column names, types and chunks (each fetched once: fetching copies it). */
  query(sql: string): Promise<QueryResult> {
    return this.exclusive(async () => {
      const result = await this.connection.stream(sql);
      const chunks: DuckDBDataChunk[] = [];
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        chunks.push(chunk);
      }
      return { names: result.columnNames(), types: result.columnTypes(), chunks };
    });
  }

  async close(): Promise<void> {
    try {
      this.connection.closeSync();
      this.instance.closeSync();
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
