/** Durations on the command line: `168h`, `7d`, `30m`, `90s`, `0`, or Delta's `7 days` / `interval 1 week`. */
import { parseInterval } from '../delta/table-properties.js';
import { UsageError } from '../errors.js';

const SHORT: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' };

/** Milliseconds. */
export function parseDuration(text: string): number {
  const short = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  const ms = /^\s*0+\s*$/.test(text) ? 0 : parseInterval(short === null ? text : `${short[1]} ${SHORT[short[2]!.toLowerCase()]}`);
  if (ms === undefined || !(ms >= 0)) throw new UsageError(`${text} is not a duration: give e.g. 168h, 7d, 30m or "7 days"`);
  return ms;
}
