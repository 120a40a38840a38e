/**
 * `--as-of VERSION|TIMESTAMP`: a whole number is a table version (a snapshot id for Iceberg,
 * kept exact: ids use 64 bits); anything else must be a time JavaScript can parse (ISO-8601 such
 * as 2024-05-01T12:00:00Z; without a zone it is local time).
 */
import { Option } from 'commander';
import { UsageError } from '../errors.js';

export type AsOf = { readonly version: number; readonly snapshotId: bigint } | { readonly timestamp: number };

export function asOfOption(): Option {
  return new Option('--as-of <version|timestamp>', 'read the table as of a version number (Iceberg: snapshot id) or an ISO-8601 time').argParser(parseAsOf);
}

export function parseAsOf(value: string): AsOf {
  if (/^\d+$/.test(value)) return { version: Number(value), snapshotId: BigInt(value) };
  const timestamp = Date.parse(value);
  if (Number.isNaN(timestamp)) {
    throw new UsageError(`--as-of ${value}: give a version number or a time such as 2024-05-01T12:00:00Z`);
  }
  return { timestamp };
}

/** The Delta snapshot options of an --as-of. */
export function deltaAsOf(asOf: AsOf | undefined): { version: number } | { timestamp: number } | Record<string, never> {
  if (asOf === undefined) return {};
  return 'timestamp' in asOf ? { timestamp: asOf.timestamp } : { version: asOf.version };
}

/** The Iceberg snapshot selector of an --as-of (a whole number is a snapshot id). */
export function icebergAsOf(asOf: AsOf | undefined): { snapshotId: bigint } | { timestamp: number } | Record<string, never> {
  if (asOf === undefined) return {};
  return 'timestamp' in asOf ? { timestamp: asOf.timestamp } : { snapshotId: asOf.snapshotId };
}
