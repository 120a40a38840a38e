/** Byte sizes on the command line: `512MB`, `1GiB`, `64kb`, or a plain number of bytes. */
import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase() || 'b'];
  if (match === null || unit === undefined) throw new UsageError(`${text} is not a size: give bytes, or a number with KB, MB, GB, KiB, MiB or GiB`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes <= 0) throw new UsageError(`${text}: a size must be positive`);
  return bytes;
}

/** `1234567` → `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  const [unit, scale] = bytes < 1e6 ? ['kB', 1e3] : bytes < 1e9 ? ['MB', 1e6] : ['GB', 1e9];
  return `${(bytes / scale).toFixed(1)} ${unit}`;
}
