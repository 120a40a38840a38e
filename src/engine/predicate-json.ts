/**
 * JSON with exact numbers, for the two JSON texts predicates read: DuckDB's serialized parse trees
 * (64-bit and 128-bit integer constants) and Delta per-file statistics (64-bit integers, decimals).
 * `JSON.parse` rounds every number to a double, which is wrong for both, so numbers are kept as
 * their text (`JsonNumber`) and converted by whoever knows the type.
 */

/** A JSON number, as written. */
export class JsonNumber {
  constructor(readonly text: string) {}

  /** True when the number is an integer written without fraction or exponent. */
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text);
  }

  /** The value as a bigint, when it is written as an integer. */
  toBigInt(): bigint | undefined {
    return this.isInteger ? BigInt(this.text) : undefined;
  }

  toNumber(): number {
    return Number(this.text);
  }
}

export type ExactJson = null | boolean | string | JsonNumber | readonly ExactJson[] | { readonly [key: string]: ExactJson };

/** Parses JSON, keeping numbers as JsonNumber. Throws SyntaxError on malformed text. */
export function parseExactJson(text: string): ExactJson {
  let pos = 0;
  const fail = (message: string): never => {
    throw new SyntaxError(`${message} at position ${pos}`);
  };
  const ws = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (depth: number): ExactJson => {
    if (depth > 10_000) fail('nesting too deep');
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const out: Record<string, ExactJson> = {};
      ws();
      if (text[pos] === '}') {
        pos++;
        return out;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a string key');
        const key = string();
        ws();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        const item = value(depth + 1);
        // defineProperty: a key named __proto__ is an ordinary key here.
        Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return out;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const out: ExactJson[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return out;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    number.lastIndex = pos;
    const found = number.exec(text);
    if (found === null) return fail('unexpected character');
    pos += found[0].length;
    return new JsonNumber(found[0]);
  };
  const string = (): string => {
    const start = pos;
    pos++;
    let escaped = false;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        pos += 2;
      } else pos++;
    }
    pos++;
    if (!escaped) return text.slice(start + 1, pos - 1);
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      pos = start;
      return fail('invalid string');
    }
  };
  const result = value(0);
  ws();
  if (pos !== text.length) fail('unexpected text after the JSON value');
  return result;
}

export function isJsonObject(value: ExactJson | undefined): value is { readonly [key: string]: ExactJson } {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonNumber);
}

/** The own property `key` of a JSON object (never an inherited one). */
export function jsonField(value: ExactJson | undefined, key: string): ExactJson | undefined {
  if (!isJsonObject(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
}
