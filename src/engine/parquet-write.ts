/**
 * Arrow → Parquet bytes: the one Parquet writer of lake (parquet-wasm 0.8, arrow-rs's writer).
 *
 * The table crosses into wasm as an Arrow IPC stream; the writer keeps Arrow's types (time zones,
 * decimals, nested types) and field metadata, so `PARQUET:field_id` on a field becomes the
 * column's Parquet field id.
 */
import { tableToIPC, type Table } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet as wasmWriteParquet } from 'parquet-wasm';
import { LakeError } from '../errors.js';

export type ParquetCompression = 'zstd' | 'snappy' | 'uncompressed';

export interface ParquetWriteOptions {
  /** Default zstd (what Delta and Iceberg writers use by default today). */
  readonly compression?: ParquetCompression;
  /** Rows per row group; default arrow-rs's (1 Mi rows). */
  readonly rowGroupRows?: number;
}

const COMPRESSION: Record<ParquetCompression, Compression> = {
  zstd: Compression.ZSTD,
  snappy: Compression.SNAPPY,
  uncompressed: Compression.UNCOMPRESSED,
};

/** The table as one Parquet file. Errors (a type Parquet cannot hold) are 'PARQUET_WRITE' LakeErrors. */
export function writeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  let builder = new WriterPropertiesBuilder().setCompression(COMPRESSION[options.compression ?? 'zstd']);
  if (options.rowGroupRows !== undefined) builder = builder.setMaxRowGroupSize(options.rowGroupRows);
  try {
    return wasmWriteParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), builder.build());
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new LakeError('PARQUET_WRITE', `cannot write Parquet: ${detail}`, { cause: error });
  }
}
