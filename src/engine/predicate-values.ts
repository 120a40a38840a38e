/**
 * Text → value conversions for predicates, following DuckDB's casts from VARCHAR where lake
 * needs them: literals compared with typed columns (`d = '2021-01-01'`), explicit casts of
 * literals (`'5'::INT`, `DATE '…'`, `TIMESTAMPTZ '…'`), and Delta statistics values.
 * Each returns undefined when the text is not a value of the type; callers word the error.
 *
 * Representations: dates are days since 1970-01-01 (proleptic Gregorian); timestamps microseconds
 * since 1970-01-01T00:00:00 (UTC for zoned timestamps, wall clock otherwise); decimals an exact
 * unscaled bigint with a scale.
 */

export const MICROS_PER_DAY = 86_400_000_000n;

export interface ExactDecimal {
  readonly unscaled: bigint;
  readonly scale: number;
}

const DECIMAL_TEXT = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** A number written in decimal notation (optional sign, fraction, exponent), exactly. */
export function parseDecimalText(text: string): ExactDecimal | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 10_000) return undefined;
  let digits = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  // Drop trailing zeros of the fraction: 1.500 is 15 at scale 1.
  while (scale > 0 && digits % 10n === 0n && digits !== 0n) {
    digits /= 10n;
    scale--;
  }
  if (digits === 0n) scale = 0;
  return { unscaled: sign === '-' ? -digits : digits, scale };
}

export type Rounding = 'half-away' | 'floor' | 'ceil';

/** `unscaled` × 10^-from as an unscaled value at scale `to`, rounded as asked when digits drop. */
export function rescale(unscaled: bigint, from: number, to: number, rounding: Rounding = 'half-away'): bigint {
  if (to >= from) return unscaled * 10n ** BigInt(to - from);
  const divisor = 10n ** BigInt(from - to);
  const quotient = unscaled / divisor; // truncates toward zero
  const remainder = unscaled % divisor;
  if (remainder === 0n) return quotient;
  switch (rounding) {
    case 'floor':
      return unscaled < 0n ? quotient - 1n : quotient;
    case 'ceil':
      return unscaled > 0n ? quotient + 1n : quotient;
    default: {
      const twice = (remainder < 0n ? -remainder : remainder) * 2n;
      if (twice < divisor) return quotient;
      return unscaled < 0n ? quotient - 1n : quotient + 1n;
    }
  }
}

/** Double from text, with the special spellings DuckDB accepts (inf, infinity, nan). */
export function parseDoubleText(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed)) return Number(trimmed);
  switch (trimmed.toLowerCase()) {
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    default:
      return undefined;
  }
}

/** Boolean from text as DuckDB casts it: true/false, t/f, yes/no, y/n, 1/0 (any case). */
export function parseBooleanText(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    case 'true':
    case 't':
    case 'yes':
    case 'y':
    case '1':
      return true;
    case 'false':
    case 'f':
    case 'no':
    case 'n':
    case '0':
      return false;
    default:
      return undefined;
  }
}

const DATE_PART = /^\s*(-?\d{1,7})-(\d{1,2})-(\d{1,2})/;
const TIME_PART = /^(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?)?\s*(Z|UTC|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?\s*$/i;

/** Days since 1970-01-01 of `Y-M-D`; a time (and zone) after the date is accepted and ignored, as DuckDB's DATE cast does. */
export function parseDateText(text: string): number | undefined {
  const date = DATE_PART.exec(text);
  if (date === null) return undefined;
  const rest = text.slice(date[0].length);
  if (TIME_PART.exec(rest) === null) return undefined;
  return civilDays(Number(date[1]), Number(date[2]), Number(date[3]));
}

/**
 * Microseconds since the epoch of `Y-M-D[( |T)H:M[:S[.fraction]]][zone]`. With `applyZone` (a
 * zoned timestamp) the zone (`Z`, `UTC`, `+02`, `-07:00`) is applied and a missing zone means UTC
 * (lake's session time zone); without it the zone is ignored and the wall-clock time is kept, as
 * DuckDB's TIMESTAMP cast does. Fractions beyond microseconds are truncated; 24:00:00 is the next
 * midnight.
 */
export function parseTimestampText(text: string, applyZone: boolean): bigint | undefined {
  const date = DATE_PART.exec(text);
  if (date === null) return undefined;
  const time = TIME_PART.exec(text.slice(date[0].length));
  if (time === null) return undefined;
  const days = civilDays(Number(date[1]), Number(date[2]), Number(date[3]));
  if (days === undefined) return undefined;
  const [, h = '0', mi = '0', s = '0', fraction = '', zone] = time;
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 24 || minute > 59 || second > 59 || (hour === 24 && (minute !== 0 || second !== 0 || /[1-9]/.test(fraction)))) {
    return undefined;
  }
  const micros = BigInt(fraction.padEnd(6, '0').slice(0, 6));
  const wallClock = BigInt(days) * MICROS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) * 1_000_000n + micros;
  if (!applyZone || zone === undefined) return wallClock;
  const offset = zoneOffsetSeconds(zone);
  return offset === undefined ? undefined : wallClock - BigInt(offset) * 1_000_000n;
}

function zoneOffsetSeconds(zone: string): number | undefined {
  const upper = zone.toUpperCase();
  if (upper === 'Z' || upper === 'UTC') return 0;
  const match = /^([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(zone);
  if (match === null) return undefined;
  const seconds = Number(match[2]) * 3600 + Number(match[3] ?? '0') * 60 + Number(match[4] ?? '0');
  if (Number(match[2]) > 23 || Number(match[3] ?? '0') > 59) return undefined;
  return match[1] === '-' ? -seconds : seconds;
}

/** Days since 1970-01-01 of a proleptic Gregorian date; undefined for a date that does not exist. */
export function civilDays(year: number, month: number, day: number): number | undefined {
  if (!Number.isSafeInteger(year) || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Howard Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** DuckDB's VARCHAR → BLOB cast: characters as UTF-8, `\xHH` as one byte. */
export function parseBlobText(text: string): Uint8Array | undefined {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\\') {
      const hex = /^\\x([0-9a-fA-F]{2})/.exec(text.slice(i));
      if (hex === null) return undefined;
      out.push(parseInt(hex[1]!, 16));
      i += 4;
      continue;
    }
    const codePoint = text.codePointAt(i)!;
    const char = String.fromCodePoint(codePoint);
    out.push(...encoder.encode(char));
    i += char.length;
  }
  return Uint8Array.from(out);
}
