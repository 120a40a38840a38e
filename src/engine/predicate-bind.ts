/**
 * Binding a predicate (predicate.ts) to a table's Arrow schema: columns resolved (names match
 * exactly, else case-insensitively as in DuckDB; `a.b` walks into structs), and every comparison
 * given a domain in which both sides are compared exactly, following DuckDB's implicit casts:
 *
 * - exact numbers (integers, decimals): unscaled bigints at the larger scale (`int_col = 5.0` is
 *   true for 5, `int_col = 5.5` never is);
 * - a float or double on either side: JavaScript numbers (doubles), NaN greater than everything and
 *   equal to itself; an exact literal compared with a FLOAT column is first rounded to FLOAT
 *   (`f = 0.1` holds for the float 0.1, as in DuckDB);
 * - date with date: days; date or timestamp with timestamp: microseconds (a date is its midnight;
 *   TIMESTAMP and TIMESTAMPTZ compare as the same instant: lake's session time zone is UTC);
 * - strings: UTF-8 bytes, so by code point (DuckDB's default binary collation); binary by bytes;
 *   booleans false < true.
 * A string literal compared with a column of another type is cast to the column's type (numbers
 * exactly, dates and timestamps as DuckDB parses them); one that does not parse is a UsageError.
 * Comparing a string column with a number, or otherwise incompatible types, is a UsageError
 * (DuckDB requires an explicit cast there too).
 */
import { DataType, Type, type Decimal, type Field, type Float, type Int, type Schema, type Struct, type Timestamp } from 'apache-arrow';
import { LakeError, UsageError } from '../errors.js';
import { describeLiteral, type CompareOp, type Literal, type Operand, type Predicate } from './predicate.js';
import {
  MICROS_PER_DAY,
  parseBlobText,
  parseBooleanText,
  parseDateText,
  parseDecimalText,
  parseDoubleText,
  parseTimestampText,
} from './predicate-values.js';

/** The comparison domain of a bound comparison (see the module comment). */
export type Domain = 'boolean' | 'exact' | 'float' | 'date' | 'timestamp' | 'string' | 'binary';

/** A value in a domain: boolean; exact and timestamp → bigint; float and date → number; string and binary → UTF-8 / raw bytes. */
export type Canonical = boolean | bigint | number | Uint8Array;

/**
 * A column value as statistics and partition values give it (the same representation Delta's
 * partition-values.ts uses): integers number or bigint; decimals the unscaled bigint at the
 * column's scale; floats number; strings string; binary Uint8Array; dates days since the epoch;
 * timestamps microseconds (bigint) since the epoch.
 */
export type ScalarValue = boolean | number | bigint | string | Uint8Array;

/** What lake knows about the type of a column or literal, for comparisons. */
export type Category =
  | { readonly kind: 'boolean' }
  | { readonly kind: 'int'; readonly bits: number }
  | { readonly kind: 'decimal'; readonly scale: number }
  | { readonly kind: 'float'; readonly bits: 32 | 64 }
  | { readonly kind: 'string' }
  | { readonly kind: 'binary' }
  | { readonly kind: 'date' }
  | { readonly kind: 'timestamp'; readonly utc: boolean }
  /** An all-null column (Arrow Null, Delta void). */
  | { readonly kind: 'null' }
  | { readonly kind: 'other'; readonly description: string };

export interface BoundColumn {
  /** Field names from the top level down, as the schema spells them. */
  readonly path: readonly string[];
  /** Child indexes from the top level down. */
  readonly indexes: readonly number[];
  readonly type: DataType;
  readonly category: Category;
}

export type BoundOperand =
  | { readonly kind: 'column'; readonly column: BoundColumn }
  | { readonly kind: 'literal'; readonly value: Canonical };

export interface BoundCompare {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly domain: Domain;
  /** For the exact domain: the scale both sides are brought to. */
  readonly scale: number;
  /** For the float domain: values are FLOAT (rounded to 32 bits), as when a FLOAT meets exact numbers. */
  readonly single: boolean;
  readonly left: BoundOperand;
  readonly right: BoundOperand;
}

export interface BoundLike {
  readonly kind: 'like';
  readonly column: BoundColumn;
  readonly pattern: string;
  readonly escape: string | undefined;
  readonly caseInsensitive: boolean;
  /** The pattern as an anchored regular expression. */
  readonly regex: RegExp;
  /** UTF-8 of the literal text before the first wildcard (case-sensitive LIKE only). */
  readonly prefix: Uint8Array | undefined;
  /** True when the pattern is exactly `prefix%` (or `prefix%%…`). */
  readonly prefixOnly: boolean;
}

export type BoundPredicate =
  | { readonly kind: 'constant'; readonly value: boolean | null }
  | BoundCompare
  | { readonly kind: 'isNull'; readonly column: BoundColumn }
  | BoundLike
  | { readonly kind: 'and'; readonly children: readonly BoundPredicate[] }
  | { readonly kind: 'or'; readonly children: readonly BoundPredicate[] }
  | { readonly kind: 'not'; readonly child: BoundPredicate };

/** Binds `predicate` to `schema`. Errors: LakeError 'COLUMN_NOT_FOUND', UsageError for type mismatches. */
export function bindPredicate(predicate: Predicate, schema: Schema): BoundPredicate {
  return new Binder(schema).bind(predicate);
}

/** The top-level columns a bound predicate reads (schema spelling), each once. */
export function boundColumns(predicate: BoundPredicate): BoundColumn[] {
  const out = new Map<string, BoundColumn>();
  const add = (column: BoundColumn): void => {
    const key = JSON.stringify(column.path);
    if (!out.has(key)) out.set(key, column);
  };
  const visit = (p: BoundPredicate): void => {
    switch (p.kind) {
      case 'compare':
        if (p.left.kind === 'column') add(p.left.column);
        if (p.right.kind === 'column') add(p.right.column);
        break;
      case 'isNull':
      case 'like':
        add(p.column);
        break;
      case 'and':
      case 'or':
        p.children.forEach(visit);
        break;
      case 'not':
        visit(p.child);
        break;
      case 'constant':
        break;
    }
  };
  visit(predicate);
  return [...out.values()];
}

export function categoryOf(type: DataType): Category {
  switch (type.typeId) {
    case Type.Bool:
      return { kind: 'boolean' };
    case Type.Int:
      return { kind: 'int', bits: (type as Int).bitWidth };
    case Type.Decimal:
      return { kind: 'decimal', scale: (type as Decimal).scale };
    case Type.Float: {
      const precision = (type as Float).precision;
      if (precision === 1) return { kind: 'float', bits: 32 };
      if (precision === 2) return { kind: 'float', bits: 64 };
      return { kind: 'other', description: 'float16' };
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return { kind: 'string' };
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return { kind: 'binary' };
    case Type.Date:
      return { kind: 'date' };
    case Type.Timestamp: {
      const zone = (type as Timestamp).timezone;
      return { kind: 'timestamp', utc: zone !== null && zone !== undefined && zone !== '' };
    }
    case Type.Null:
      return { kind: 'null' };
    default:
      return { kind: 'other', description: String(type) };
  }
}

function describeCategory(category: Category): string {
  switch (category.kind) {
    case 'int':
      return `a ${category.bits}-bit integer`;
    case 'decimal':
      return 'a decimal';
    case 'float':
      return category.bits === 32 ? 'a float' : 'a double';
    case 'timestamp':
      return category.utc ? 'a timestamp' : 'a timestamp without time zone';
    case 'other':
      return `of type ${category.description}`;
    case 'null':
      return 'all null';
    default:
      return `a ${category.kind}`;
  }
}

/** One side of a comparison while binding. */
type Side =
  | { readonly kind: 'column'; readonly column: BoundColumn; readonly category: Category }
  | { readonly kind: 'literal'; readonly literal: Literal; readonly category: Category | undefined };

class Binder {
  constructor(private readonly schema: Schema) {}

  bind(p: Predicate): BoundPredicate {
    switch (p.kind) {
      case 'constant':
        return p;
      case 'and':
      case 'or':
        return { kind: p.kind, children: p.children.map((child) => this.bind(child)) };
      case 'not':
        return { kind: 'not', child: this.bind(p.child) };
      case 'isNull': {
        if (p.operand.kind === 'literal') return { kind: 'constant', value: p.operand.literal.type === 'null' };
        const column = this.column(p.operand.path);
        if (column.category.kind === 'null') return { kind: 'constant', value: true };
        return { kind: 'isNull', column };
      }
      case 'like':
        return this.like(p);
      case 'compare':
        return this.compare(p.op, p.left, p.right);
      case 'in':
        return this.in(p.operand, p.list);
      case 'between':
        return this.between(p.operand, p.low, p.high);
    }
  }

  private like(p: Extract<Predicate, { kind: 'like' }>): BoundPredicate {
    if (p.operand.kind === 'literal') {
      const value = p.operand.literal;
      if (value.type === 'null') return { kind: 'constant', value: null };
      if (value.type !== 'string') throw new UsageError(`LIKE needs a string to match, found ${describeLiteral(value)}`);
      return { kind: 'constant', value: likeRegex(p.pattern, p.escape, p.caseInsensitive).test(value.value) };
    }
    const column = this.column(p.operand.path);
    if (column.category.kind === 'null') return { kind: 'constant', value: null };
    if (column.category.kind !== 'string') {
      throw new UsageError(
        `column ${column.path.join('.')} is ${describeCategory(column.category)}; LIKE matches strings only (DuckDB needs an explicit cast there too)`,
      );
    }
    const { prefix, prefixOnly } = likePrefix(p.pattern, p.escape);
    return {
      kind: 'like',
      column,
      pattern: p.pattern,
      escape: p.escape,
      caseInsensitive: p.caseInsensitive,
      regex: likeRegex(p.pattern, p.escape, p.caseInsensitive),
      prefix: p.caseInsensitive || prefix === '' ? undefined : new TextEncoder().encode(prefix),
      prefixOnly: !p.caseInsensitive && prefixOnly,
    };
  }

  private side(operand: Operand): Side {
    if (operand.kind === 'literal') return { kind: 'literal', literal: operand.literal, category: literalCategory(operand.literal) };
    const column = this.column(operand.path);
    return { kind: 'column', column, category: column.category };
  }

  private compare(op: CompareOp, left: Operand, right: Operand): BoundPredicate {
    const group = this.group([left, right]);
    if (group === undefined) return { kind: 'constant', value: null };
    return compareOf(op, group, group.operands[0], group.operands[1]);
  }

  private in(operand: Operand, list: readonly Operand[]): BoundPredicate {
    const group = this.group([operand, ...list]);
    if (group === undefined) return { kind: 'constant', value: null };
    const [value, ...items] = group.operands;
    return { kind: 'or', children: items.map((item) => compareOf('=', group, value, item)) };
  }

  private between(operand: Operand, low: Operand, high: Operand): BoundPredicate {
    const group = this.group([operand, low, high]);
    if (group === undefined) return { kind: 'constant', value: null };
    const [value, lo, hi] = group.operands;
    return { kind: 'and', children: [compareOf('>=', group, value, lo), compareOf('<=', group, value, hi)] };
  }

  /**
   * Operands compared with one another (a comparison, IN, BETWEEN), bound in their common type as
   * DuckDB does: typed participants decide the type, untyped string literals are cast to it.
   * undefined when a column is all-null (void), which makes every comparison NULL.
   */
  private group(operands: readonly Operand[]): Group | undefined {
    const sides = operands.map((operand) => this.side(operand));
    if (sides.some((side) => side.category?.kind === 'null' && side.kind === 'column')) return undefined;
    const typed = sides.filter((side) => side.category !== undefined && !(side.kind === 'literal' && side.literal.type === 'string'));
    let common: Category;
    if (typed.length === 0) {
      common = { kind: 'string' };
    } else {
      common = typed[0]!.category!;
      for (const side of typed.slice(1)) {
        const merged = commonCategory(common, side.category!);
        if (merged === undefined) {
          const first = typed.find((t) => commonCategory(t.category!, side.category!) === undefined) ?? typed[0]!;
          throw new UsageError(
            `cannot compare ${describeSide(first)} with ${describeSide(side)}: the types do not match (cast the literal, e.g. '…'::DATE, or quote it)`,
          );
        }
        common = merged;
      }
    }
    if (common.kind === 'other' || common.kind === 'null') {
      const column = typed.find((side) => side.kind === 'column')!;
      throw new UsageError(`cannot compare ${describeSide(column)}: lake compares only numbers, strings, binary, booleans, dates and timestamps`);
    }
    const domain = domainOf(common);
    const single = common.kind === 'float' && common.bits === 32;
    const context = typed.find((side) => side.kind === 'column') ?? typed[0];
    const literals = sides.map((side) => {
      if (side.kind === 'column') return undefined;
      const value = side.literal;
      return value.type === 'string' && common.kind !== 'string' ? coerceString(value.value, common, context) : value;
    });
    // A string read as a number keeps its digits: `int_col = '5.5'` is never true (as in DuckDB).
    let scale = common.kind === 'decimal' ? common.scale : 0;
    for (const value of literals) if (domain === 'exact' && value?.type === 'decimal') scale = Math.max(scale, value.scale);
    const bound = sides.map((side, i): BoundOperand | null => {
      if (side.kind === 'column') return { kind: 'column', column: side.column };
      const value = literals[i]!;
      if (value.type === 'null') return null;
      return { kind: 'literal', value: literalToCanonical(value, domain, scale, single) };
    });
    return { domain, scale, single, operands: bound };
  }

  column(path: readonly string[]): BoundColumn {
    const names: string[] = [];
    const indexes: number[] = [];
    let fields: readonly Field[] = this.schema.fields;
    let type: DataType | undefined;
    for (const [depth, name] of path.entries()) {
      if (depth > 0) {
        if (type === undefined || type.typeId !== Type.Struct) {
          throw new LakeError(
            'COLUMN_NOT_FOUND',
            `column ${names.join('.')} is not a struct, so it has no field ${name} (in ${path.join('.')})`,
          );
        }
        fields = (type as Struct).children;
      }
      const index = findField(fields, name);
      if (index === -1) {
        const list = fields.map((f) => f.name).join(', ');
        throw new LakeError(
          'COLUMN_NOT_FOUND',
          depth === 0
            ? `column ${name} is not in the table; its columns are ${list}`
            : `struct column ${names.join('.')} has no field ${name}; its fields are ${list}`,
        );
      }
      names.push(fields[index]!.name);
      indexes.push(index);
      type = fields[index]!.type;
    }
    return { path: names, indexes, type: type!, category: categoryOf(type!) };
  }
}

function findField(fields: readonly Field[], name: string): number {
  const exact = fields.findIndex((f) => f.name === name);
  if (exact !== -1) return exact;
  const folded = name.toLowerCase();
  const matches = fields.flatMap((f, i) => (f.name.toLowerCase() === folded ? [i] : []));
  return matches.length === 1 ? matches[0]! : -1;
}

function literalCategory(value: Literal): Category | undefined {
  switch (value.type) {
    case 'boolean':
      return { kind: 'boolean' };
    case 'integer':
      return { kind: 'int', bits: 128 };
    case 'decimal':
      return { kind: 'decimal', scale: value.scale };
    case 'float':
      return { kind: 'float', bits: value.single === true ? 32 : 64 };
    case 'string':
      return { kind: 'string' };
    case 'binary':
      return { kind: 'binary' };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
      return { kind: 'timestamp', utc: value.utc };
    case 'null':
      return undefined;
  }
}

function describeSide(side: Side): string {
  if (side.kind === 'literal') return describeLiteral(side.literal);
  return `column ${side.column.path.join('.')} (${describeCategory(side.category).replace(/^(a|of type) /, '')})`;
}

/** A string literal cast to the common type of its comparison (`context` names it in errors). */
function coerceString(text: string, category: Category, context: Side | undefined): Literal {
  const other = context === undefined ? describeCategory(category) : describeSide(context);
  const fail = (what: string): UsageError => new UsageError(`cannot compare ${other} with '${text.replaceAll("'", "''")}': it is not ${what}`);
  switch (category.kind) {
    case 'int':
    case 'decimal': {
      const exact = parseDecimalText(text);
      if (exact === undefined) throw fail('a number');
      return exact.scale === 0 ? { type: 'integer', value: exact.unscaled } : { type: 'decimal', ...exact };
    }
    case 'float': {
      const n = parseDoubleText(text);
      if (n === undefined) throw fail('a number');
      return { type: 'float', value: n };
    }
    case 'boolean': {
      const b = parseBooleanText(text);
      if (b === undefined) throw fail('a boolean');
      return { type: 'boolean', value: b };
    }
    case 'date': {
      const days = parseDateText(text);
      if (days === undefined) throw fail('a date (YYYY-MM-DD)');
      return { type: 'date', days };
    }
    case 'timestamp': {
      const micros = parseTimestampText(text, category.utc);
      if (micros === undefined) throw fail('a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM])');
      return { type: 'timestamp', micros, utc: category.utc };
    }
    case 'binary': {
      const bytes = parseBlobText(text);
      if (bytes === undefined) throw fail('a BLOB literal');
      return { type: 'binary', value: bytes };
    }
    case 'string':
      return { type: 'string', value: text };
    default:
      throw new UsageError(`cannot compare ${other} with a string`);
  }
}

interface Group {
  readonly domain: Domain;
  readonly scale: number;
  readonly single: boolean;
  /** Bound operands in order; null for a NULL literal. */
  readonly operands: readonly (BoundOperand | null)[];
}

function compareOf(op: CompareOp, group: Group, left: BoundOperand | null | undefined, right: BoundOperand | null | undefined): BoundPredicate {
  if (left === null || right === null || left === undefined || right === undefined) return { kind: 'constant', value: null };
  return { kind: 'compare', op, domain: group.domain, scale: group.scale, single: group.single, left, right };
}

const isNumeric = (c: Category): boolean => c.kind === 'int' || c.kind === 'decimal' || c.kind === 'float';

/** The type two compared values are brought to (DuckDB's max logical type), or undefined if none. */
export function commonCategory(a: Category, b: Category): Category | undefined {
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'float' || b.kind === 'float') {
      const bits = (a.kind === 'float' && a.bits === 64) || (b.kind === 'float' && b.bits === 64) ? 64 : 32;
      return { kind: 'float', bits };
    }
    const scale = Math.max(a.kind === 'decimal' ? a.scale : 0, b.kind === 'decimal' ? b.scale : 0);
    return scale === 0 && a.kind === 'int' && b.kind === 'int' ? { kind: 'int', bits: Math.max(a.bits, b.bits) } : { kind: 'decimal', scale };
  }
  if (a.kind === 'date' && b.kind === 'date') return a;
  if ((a.kind === 'date' || a.kind === 'timestamp') && (b.kind === 'date' || b.kind === 'timestamp')) {
    return { kind: 'timestamp', utc: (a.kind === 'timestamp' && a.utc) || (b.kind === 'timestamp' && b.utc) };
  }
  if (a.kind === b.kind && (a.kind === 'boolean' || a.kind === 'string' || a.kind === 'binary')) return a;
  return undefined;
}

function domainOf(category: Category): Domain {
  switch (category.kind) {
    case 'int':
    case 'decimal':
      return 'exact';
    case 'float':
      return 'float';
    case 'date':
    case 'timestamp':
    case 'boolean':
    case 'string':
    case 'binary':
      return category.kind;
    default:
      throw new Error(`internal: no comparison domain for ${category.kind}`);
  }
}

function exactToNumber(value: Literal): number {
  if (value.type === 'integer') return Number(value.value);
  if (value.type === 'decimal') return Number(describeLiteral(value));
  if (value.type === 'float') return value.value;
  throw new Error(`not a number: ${value.type}`);
}

function literalToCanonical(value: Literal, domain: Domain, scale: number, single: boolean): Canonical {
  const wrong = (): Error => new Error(`internal: literal ${value.type} in domain ${domain}`);
  switch (domain) {
    case 'exact':
      if (value.type === 'integer') return value.value * 10n ** BigInt(scale);
      if (value.type === 'decimal') return value.unscaled * 10n ** BigInt(scale - value.scale);
      throw wrong();
    case 'float':
      return single ? Math.fround(exactToNumber(value)) : exactToNumber(value);
    case 'date':
      if (value.type === 'date') return value.days;
      throw wrong();
    case 'timestamp':
      if (value.type === 'timestamp') return value.micros;
      if (value.type === 'date') return BigInt(value.days) * MICROS_PER_DAY;
      throw wrong();
    case 'boolean':
      if (value.type === 'boolean') return value.value;
      throw wrong();
    case 'string':
      if (value.type === 'string') return new TextEncoder().encode(value.value);
      throw wrong();
    case 'binary':
      if (value.type === 'binary') return value.value;
      throw wrong();
  }
}

/**
 * Converts a column's ScalarValue (statistics, partition values) into the comparison domain.
 * undefined when the value does not have the column's representation (the caller then knows
 * nothing about the bound).
 */
export function scalarToCanonical(value: ScalarValue, category: Category, domain: Domain, scale: number): Canonical | undefined {
  switch (domain) {
    case 'exact': {
      if (typeof value !== 'number' && typeof value !== 'bigint') return undefined;
      if (typeof value === 'number' && !Number.isSafeInteger(value)) return undefined;
      const from = category.kind === 'decimal' ? category.scale : 0;
      return BigInt(value) * 10n ** BigInt(scale - from);
    }
    case 'float': {
      if (typeof value === 'number') return value;
      if (typeof value !== 'bigint') return undefined;
      if (category.kind === 'decimal') return Number(decimalText(value, category.scale));
      return Number(value);
    }
    case 'date':
      return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
    case 'timestamp':
      if (category.kind === 'date') return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) * MICROS_PER_DAY : undefined;
      if (typeof value === 'bigint') return value;
      return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'string':
      // A string, or its UTF-8 bytes (a bound need not be valid UTF-8: see Delta's truncated maxima).
      return typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : undefined;
    case 'binary':
      return value instanceof Uint8Array ? value : undefined;
  }
}

function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return unscaled < 0n ? `-${text}` : text;
}

// ---------------------------------------------------------------------------------------------
// Comparing canonical values
// ---------------------------------------------------------------------------------------------

/** Three-way comparison in a domain (floats: NaN above everything and equal to itself, -0 = 0). */
export function compareCanonical(domain: Domain, a: Canonical, b: Canonical): number {
  switch (domain) {
    case 'exact':
    case 'timestamp':
      return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
    case 'date':
      return (a as number) - (b as number);
    case 'float': {
      const x = a as number;
      const y = b as number;
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      if (Number.isNaN(y)) return -1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'boolean':
      return Number(a) - Number(b);
    case 'string':
    case 'binary':
      return compareBytes(a as Uint8Array, b as Uint8Array);
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function testCompare(op: CompareOp, c: number): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

// ---------------------------------------------------------------------------------------------
// LIKE
// ---------------------------------------------------------------------------------------------

/** The pattern as an anchored RegExp over code points (`%` → any run, `_` → one character). */
export function likeRegex(pattern: string, escape: string | undefined, caseInsensitive: boolean): RegExp {
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escape !== undefined && c === escape) {
      source += escapeRegex(chars[++i] ?? '');
    } else if (c === '%') {
      source += '.*';
    } else if (c === '_') {
      source += '.';
    } else {
      source += escapeRegex(c);
    }
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su');
}

function escapeRegex(c: string): string {
  // The syntax characters, the only ones a Unicode-mode pattern may escape.
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** The literal text before the first wildcard, and whether the rest is only `%`s. */
export function likePrefix(pattern: string, escape: string | undefined): { prefix: string; prefixOnly: boolean } {
  let prefix = '';
  const chars = [...pattern];
  let i = 0;
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    if (escape !== undefined && c === escape) {
      prefix += chars[++i] ?? '';
    } else if (c === '%' || c === '_') {
      break;
    } else {
      prefix += c;
    }
  }
  const rest = chars.slice(i);
  return { prefix, prefixOnly: rest.length > 0 && rest.every((c) => c === '%') };
}
