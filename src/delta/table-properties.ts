/**
 * Reading Delta table properties (`metaData.configuration`) that hold more than a flag.
 *
 * Durations (`delta.logRetentionDuration`, `delta.deletedFileRetentionDuration`, …) are Spark
 * calendar-interval strings: `interval 7 days`, `interval 1 weeks 2 hours`, with or without the
 * `interval` keyword, units nanosecond … week, singular or plural. Months and years have no fixed
 * length and Delta refuses them for these properties; so does lake.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  nanosecond: 1e-6,
  microsecond: 1e-3,
  millisecond: 1,
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/** Milliseconds of a calendar-interval string; undefined when absent or unreadable. */
export function parseInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const body = text.trim().toLowerCase().replace(/^interval\s+/, '');
  const part = /(-?\d+(?:\.\d+)?)\s*([a-z]+?)s?(?=\s|$)/g;
  let total = 0;
  let matched = '';
  for (const m of body.matchAll(part)) {
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    matched += m[0];
  }
  return matched.replace(/\s/g, '') === body.replace(/\s/g, '') && matched !== '' ? total : undefined;
}

/** A positive integer property, else `fallback`. */
export function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/** "7 days", "1 hour", "90 seconds" — for messages. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms / size === 1 ? '' : 's'}`;
  }
  return `${ms} ms`;
}
