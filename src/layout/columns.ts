/**
 * Arrays of records to columns and back, and validation of untrusted
 * records, on the native transposes (src/transpose.ts) and reductions.
 *
 * @module
 */

import { overlaps } from "../bytes.ts";
import { BinlaneError } from "../errors.ts";
import { bytesOver } from "../intrinsics.ts";
import { minMax } from "../reduce.ts";
import { MAX_SET_BYTES } from "../search.ts";
import { allocateColumns, columnsToRows, gatherChecked, type TransposeField } from "../transpose.ts";
import { typedSpan } from "./input.ts";
import type { FieldType, PlacedField, RecordType, ScalarName } from "./types.ts";

/** A typed array holding one column. */
export type Column =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** One leaf of a record: a scalar, bool8, enum, byte string or bitfield, at an absolute place. */
export interface Leaf {
  /** Dotted path: nested records by name, arrays by index (`quotes.2.price`). */
  readonly path: string;
  readonly type: FieldType;
  /** Byte offset in the record. */
  readonly offset: number;
  /** Bytes moved per record. */
  readonly size: number;
  /** Bitfields: bit offset in the record. */
  readonly bitOffset?: number;
  /** The union member path it lies in, if any: such leaves overlap others. */
  readonly inUnion: boolean;
}

/** Which members of a union (at dotted `path`, "" for the record itself) to take leaves from. */
export type MemberChoice = (union: RecordType, path: string) => readonly PlacedField[];

/**
 * Every leaf of `record` in declaration order (of every union member, or of
 * those `chooseMembers` picks). Arrays of `u8` are one leaf
 * (a byte string); other arrays give a leaf per element.
 */
export function leavesOf(record: RecordType, chooseMembers?: MemberChoice): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (type: FieldType, path: string, offset: number, inUnion: boolean, bitOffset?: number) => {
    switch (type.kind) {
      case "pad":
        return;
      case "struct":
      case "union": {
        const fields = type.kind === "union" && chooseMembers ? chooseMembers(type, path) : type.fields;
        for (const field of fields) {
          const bit = field.bitOffset === undefined ? undefined : field.bitOffset + 8 * offset;
          visit(
            field.type,
            path ? `${path}.${field.name}` : field.name,
            offset + field.offset,
            inUnion || type.kind === "union",
            bit,
          );
        }
        return;
      }
      case "array":
        if (type.element.kind === "scalar" && type.element.name === "u8") {
          leaves.push({ path, type, offset, size: type.length, inUnion });
          return;
        }
        for (let i = 0; i < type.length; i++) {
          visit(type.element, `${path}.${i}`, offset + i * type.element.size, inUnion);
        }
        return;
      case "bits":
        leaves.push({ path, type, offset, size: type.size, bitOffset, inUnion });
        return;
      default:
        leaves.push({ path, type, offset, size: type.size, inUnion });
    }
  };
  visit(record, "", 0, false);
  return leaves;
}

const columnTypes: Record<ScalarName, new (buffer: ArrayBuffer, offset: number, length: number) => Column> = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  u64: BigUint64Array,
  i8: Int8Array,
  i16: Int16Array,
  i32: Int32Array,
  i64: BigInt64Array,
  f32: Float32Array,
  f64: Float64Array,
};

function scalarNameOf(type: FieldType): ScalarName {
  if (type.kind === "scalar") return type.name;
  if (type.kind === "enum") return type.storage.name;
  return "u8";
}

/** Whether the native transpose moves this leaf (1, 2, 4 or 8 bytes, not a bitfield). */
function transposable(leaf: Leaf): boolean {
  return leaf.type.kind !== "bits" &&
    (leaf.size === 1 || leaf.size === 2 || leaf.size === 4 || leaf.size === 8);
}

function transposeField(leaf: Leaf): TransposeField {
  const big = (leaf.type.kind === "scalar" || leaf.type.kind === "enum") &&
    (leaf.type.kind === "scalar" ? leaf.type.endian : leaf.type.storage.endian) === "big";
  return { offset: leaf.offset, size: leaf.size as 1 | 2 | 4 | 8, swap: big && leaf.size > 1 };
}

/** A typed array over a column's bytes (8-byte aligned by rowsToColumns). */
function typed(leaf: Leaf, bytes: Uint8Array, count: number): Column {
  if (leaf.type.kind === "array") return bytes;
  const Type = columnTypes[scalarNameOf(leaf.type)];
  return new Type(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
}

function bitColumn(leaf: Leaf, rows: Uint8Array, recordSize: number, out: Int32Array | Uint32Array): void {
  const type = leaf.type as Extract<FieldType, { kind: "bits" }>;
  const start = Math.floor(leaf.bitOffset! / 8);
  const shift = leaf.bitOffset! % 8;
  const span = Math.ceil((shift + type.width) / 8);
  for (let r = 0; r < out.length; r++) {
    let word = 0;
    const at = r * recordSize + start;
    for (let i = span - 1; i >= 0; i--) word = word * 256 + rows[at + i];
    const value = Math.floor(word / 2 ** shift) % 2 ** type.width;
    out[r] = type.signed && value >= 2 ** (type.width - 1) ? value - 2 ** type.width : value;
  }
}

function byteStringColumn(leaf: Leaf, rows: Uint8Array, recordSize: number, out: Uint8Array): void {
  const count = out.length / leaf.size;
  for (let r = 0; r < count; r++) {
    out.set(
      rows.subarray(r * recordSize + leaf.offset, r * recordSize + leaf.offset + leaf.size),
      r * leaf.size,
    );
  }
}

type ColumnType = new (length: number) => Column;

/** Every typed array constructor by kind, as they were when binlane loaded. */
const columnConstructors: Record<
  string,
  new (buffer: ArrayBufferLike, offset: number, length: number) => unknown
> = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  BigUint64Array,
  BigInt64Array,
  Float32Array,
  Float64Array,
  ...(typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function"
    ? {
      Float16Array:
        (globalThis as unknown as { Float16Array: new (b: ArrayBufferLike, o: number, l: number) => unknown })
          .Float16Array,
    }
    : {}),
};

/** The typed array `toColumns` gives a leaf. */
function columnTypeOf(leaf: Leaf): ColumnType {
  if (leaf.type.kind === "array") return Uint8Array;
  if (leaf.type.kind === "bits") return leaf.type.signed ? Int32Array : Uint32Array;
  return columnTypes[scalarNameOf(leaf.type)] as unknown as ColumnType;
}

/** Elements a leaf's column holds for `count` records. */
function columnLengthFor(leaf: Leaf, count: number): number {
  return leaf.type.kind === "array" ? count * leaf.size : count;
}

/** The kind (`Symbol.toStringTag`) of the typed array `toColumns` gives a leaf. */
function columnKindOf(leaf: Leaf): string {
  if (leaf.type.kind === "array") return "Uint8Array";
  if (leaf.type.kind === "bits") return leaf.type.signed ? "Int32Array" : "Uint32Array";
  return columnKinds[scalarNameOf(leaf.type)];
}

const columnKinds: Record<ScalarName, string> = {
  u8: "Uint8Array",
  u16: "Uint16Array",
  u32: "Uint32Array",
  u64: "BigUint64Array",
  i8: "Int8Array",
  i16: "Int16Array",
  i32: "Int32Array",
  i64: "BigInt64Array",
  f32: "Float32Array",
  f64: "Float64Array",
};

/**
 * The caller's column for `leaf`: of exactly the type `toColumns` gives, long enough, apart from the rows.
 * What is filled is a new array of the constructor captured at load over the range in the column's slots:
 * no own `length`, subclass `subarray` or species of the caller's decides how much is written.
 */
function callerColumn(into: Record<string, unknown>, leaf: Leaf, count: number, rows: Uint8Array): Column {
  const column = into[leaf.path];
  if (column === undefined) throw new BinlaneError("E_INVALID_ARGUMENT", `into has no column ${leaf.path}`);
  const span = typedSpan(column, `into.${leaf.path}`, columnKindOf(leaf));
  const needed = columnLengthFor(leaf, count);
  if (span.length < needed) {
    throw new BinlaneError("E_LENGTH", `into.${leaf.path} holds ${span.length} values, ${needed} needed`);
  }
  const Type = columnTypeOf(leaf) as unknown as new (
    buffer: ArrayBufferLike,
    offset: number,
    length: number,
  ) => Column;
  const used = new Type(span.buffer, span.byteOffset, needed);
  const usedBytes = bytesOver(span.buffer, span.byteOffset, used.byteLength);
  if (overlaps(usedBytes, rows)) {
    throw new BinlaneError("E_INVALID_ARGUMENT", `into.${leaf.path} overlaps the records`);
  }
  return used;
}

/** What decoding and checking records of one type takes, worked out once per type. */
interface DecodePlan {
  readonly leaves: readonly Leaf[];
  /** The indexes of the leaves the native transpose moves, in order, and their fields. */
  readonly fast: readonly number[];
  readonly fields: readonly TransposeField[];
  readonly sets: {
    /** Per field of `fields`: the byte values a checked leaf is tested against as it is gathered. */
    readonly fast: readonly (readonly number[] | undefined)[];
    /** Per leaf: a checked one no byte set covers (an enum wider than a byte, or of more values), tested after. */
    readonly after: readonly boolean[];
  };
  /** The leaves validation can refuse values of, their fields and byte sets, for `validateRecords`. */
  readonly checked: readonly Leaf[];
  readonly checkedFields: readonly TransposeField[];
  readonly checkedSets: readonly (readonly number[] | undefined)[];
}

/** Record types are immutable, so a plan holds for the type's life. */
const plans = new WeakMap<RecordType, DecodePlan>();

function planOf(record: RecordType): DecodePlan {
  let plan = plans.get(record);
  if (plan !== undefined) return plan;
  const leaves = leavesOf(record);
  const fast = leaves.flatMap((leaf, i) => transposable(leaf) ? [i] : []);
  const byteSets = leaves.map((leaf) => checked(leaf) ? byteSet(leaf) : undefined);
  const checkedLeaves = leaves.filter(checked);
  plan = {
    leaves,
    fast,
    fields: fast.map((i) => transposeField(leaves[i])),
    sets: {
      fast: fast.map((i) => byteSets[i]),
      after: leaves.map((leaf, i) => checked(leaf) && byteSets[i] === undefined),
    },
    checked: checkedLeaves,
    checkedFields: checkedLeaves.map(transposeField),
    checkedSets: checkedLeaves.map(byteSet),
  };
  plans.set(record, plan);
  return plan;
}

/** What {@linkcode recordsToColumns} decodes, into which columns, and whether it checks them. */
export interface DecodeOptions {
  /** Records to decode, all of them in `rows`. */
  readonly count: number;
  /** A snapshot of the caller's columns, keyed by leaf path; default new columns sharing one buffer. */
  readonly into?: Record<string, unknown>;
  /** Check the columns as {@linkcode validateRecords} checks records; errors name `name`. */
  readonly validate?: boolean;
  /** The schema's kind, for error messages. */
  readonly name?: string;
}

/**
 * One column per leaf of `record` from `options.count` records in `rows`,
 * keyed by path: 1-, 2-, 4- and 8-byte leaves by the native transpose with
 * their byte swap in the same pass, bitfields and odd-sized byte strings by
 * JS. With `into`, the caller's columns are filled and returned (the same
 * objects); without, the columns share one new buffer. With `validate`,
 * byte columns are checked as they are gathered, wider enum columns after,
 * and every column is filled before the first bad value throws.
 */
export function recordsToColumns(
  record: RecordType,
  rows: Uint8Array,
  options: DecodeOptions,
): Record<string, Column> {
  const { count, into, validate = false, name = "struct" } = options;
  const { leaves, fast, fields, sets } = planOf(record);
  if (into !== undefined && (into === null || typeof into !== "object")) {
    throw new BinlaneError("E_TYPE", "into must be an object of columns keyed by field path");
  }
  const given = into === undefined ? undefined : leaves.map((leaf) => callerColumn(into, leaf, count, rows));
  const gathered = given === undefined
    ? allocateColumns(fields, count)
    : fast.map((i) => bytesOver(given[i].buffer, given[i].byteOffset, given[i].byteLength));
  const found = gatherChecked(rows, gathered, {
    recordSize: record.size,
    fields,
    count,
    allowed: validate ? sets.fast : [],
  });
  const columns: Record<string, Column> = {};
  const firstBad = leaves.map(() => -1);
  let next = 0;
  leaves.forEach((leaf, i) => {
    // The trimmed caller column is filled; the caller's own object is returned.
    const target = given?.[i];
    let column: Column;
    if (fast[next] === i) {
      firstBad[i] = found[next];
      column = target ?? typed(leaf, gathered[next], count);
      next++;
    } else if (leaf.type.kind === "bits") {
      column = target ?? new (columnTypeOf(leaf))(count);
      bitColumn(leaf, rows, record.size, column as Int32Array | Uint32Array);
    } else {
      column = target ?? new Uint8Array(count * leaf.size);
      byteStringColumn(leaf, rows, record.size, column as Uint8Array);
    }
    if (validate && sets.after[i]) firstBad[i] = badIndex(leaf, column as Checkable);
    columns[leaf.path] = target === undefined ? column : into![leaf.path] as Column;
  });
  const bad = firstBad.findIndex((at) => at >= 0);
  if (bad >= 0) {
    const column = columns[leaves[bad].path] as Checkable;
    throw invalidValue(record, leaves[bad], [firstBad[bad], Number(column[firstBad[bad]])], name);
  }
  return columns;
}

/** The first `count` records' bytes of a caller's column, over the range in its slots. */
function asColumnBytes(column: unknown, leaf: Leaf, count: number): Uint8Array {
  const span = typedSpan(column, `column ${leaf.path}`);
  if (span.byteLength < count * leaf.size) {
    throw new BinlaneError(
      "E_LENGTH",
      `column ${leaf.path} holds ${span.byteLength} bytes, ${count * leaf.size} needed`,
    );
  }
  return bytesOver(span.buffer, span.byteOffset, count * leaf.size);
}

/**
 * The member of a union whose columns are given: exactly one, since its
 * members share their bytes and two would overwrite each other.
 */
function givenMember(
  union: RecordType,
  path: string,
  columns: Record<string, unknown>,
): readonly PlacedField[] {
  const keys = Object.keys(columns);
  const members = union.fields.filter((field) => field.type.kind !== "pad");
  const given = members.filter((field) => {
    const member = path ? `${path}.${field.name}` : field.name;
    return keys.some((key) => key === member || key.startsWith(`${member}.`));
  });
  const where = path ? `union ${path}` : "the union";
  if (given.length > 1) {
    throw new BinlaneError(
      "E_INVALID_ARGUMENT",
      `columns are given for members ${given.map((field) => field.name).join(" and ")} of ${where}, ` +
        "which share their bytes: give one member's",
    );
  }
  if (given.length === 0 && members.some((field) => leavesOf(field.type as RecordType).length > 0)) {
    throw new BinlaneError(
      "E_INVALID_ARGUMENT",
      `no columns are given for any member of ${where} (one of ${members.map((f) => f.name).join(", ")})`,
    );
  }
  return given;
}

/**
 * Records from columns keyed by leaf path: the reverse of
 * {@linkcode recordsToColumns}. Every leaf needs its column, except that of
 * each union exactly one member's columns are given; the bytes no given
 * column covers (padding, other members) are zero.
 */
export function columnsToRecords(
  record: RecordType,
  columns: Record<string, unknown>,
  count: number | undefined,
): Uint8Array {
  const leaves = leavesOf(record, (union, path) => givenMember(union, path, columns));
  for (const leaf of leaves) {
    if (!(leaf.path in columns)) throw new BinlaneError("E_INVALID_ARGUMENT", `no column for ${leaf.path}`);
    typedSpan(columns[leaf.path], `column ${leaf.path}`); // E_TYPE, or E_DISPOSED, before any is read
  }
  if (leaves.length === 0 && count === undefined) {
    throw new BinlaneError("E_INVALID_ARGUMENT", "a record of padding alone needs the count given");
  }
  const rowsCount = count ?? columnLength(columns[leaves[0].path], leaves[0]);
  if (!Number.isSafeInteger(rowsCount) || rowsCount < 0) {
    throw new BinlaneError("E_RANGE", `count must be a non-negative integer`);
  }
  const fast = leaves.filter(transposable);
  const rows = columnsToRows(
    fast.map((leaf) => asColumnBytes(columns[leaf.path], leaf, rowsCount)),
    record.size,
    fast.map(transposeField),
    { count: rowsCount },
  );
  for (const leaf of leaves) {
    if (transposable(leaf)) continue;
    if (leaf.type.kind === "bits") {
      writeBitColumn(leaf, rows, record.size, rowsCount, columns[leaf.path]);
    } else {
      const bytes = asColumnBytes(columns[leaf.path], leaf, rowsCount);
      for (let r = 0; r < rowsCount; r++) {
        rows.set(bytes.subarray(r * leaf.size, (r + 1) * leaf.size), r * record.size + leaf.offset);
      }
    }
  }
  return rows;
}

/** Records a leaf's column holds. */
function columnLength(column: unknown, leaf: Leaf): number {
  const span = typedSpan(column, `column ${leaf.path}`);
  return leaf.type.kind === "array" ? span.byteLength / leaf.size : span.length;
}

function writeBitColumn(
  leaf: Leaf,
  rows: Uint8Array,
  recordSize: number,
  count: number,
  column: unknown,
): void {
  const type = leaf.type as Extract<FieldType, { kind: "bits" }>;
  const given = typedSpan(column, `column ${leaf.path}`);
  if (given.length < count) {
    throw new BinlaneError("E_LENGTH", `column ${leaf.path} must hold ${count} values`);
  }
  // A new array over the column's range: element reads of a genuine typed array run no caller code.
  const values = new (columnConstructors[given.kind])(
    given.buffer,
    given.byteOffset,
    given.length,
  ) as ArrayLike<
    number
  >;
  const [low, high] = type.signed
    ? [-(2 ** (type.width - 1)), 2 ** (type.width - 1) - 1]
    : [0, 2 ** type.width - 1];
  const start = Math.floor(leaf.bitOffset! / 8);
  const shift = leaf.bitOffset! % 8;
  const span = Math.ceil((shift + type.width) / 8);
  for (let r = 0; r < count; r++) {
    const value = values[r];
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new BinlaneError(
        "E_RANGE",
        `column ${leaf.path}[${r}]: ${value} does not fit ${type.width} bits`,
      );
    }
    const at = r * recordSize + start;
    let word = 0;
    for (let i = span - 1; i >= 0; i--) word = word * 256 + rows[at + i];
    const unsigned = value < 0 ? value + 2 ** type.width : value;
    word = (Math.floor(word / 2 ** (shift + type.width)) * 2 ** type.width + unsigned) * 2 ** shift +
      (word % 2 ** shift);
    for (let i = 0; i < span; i++, word = Math.floor(word / 256)) rows[at + i] = word % 256;
  }
}

/** A column validation can refuse values of: not a 64-bit one (enums store at most 32 bits). */
type Checkable = Exclude<Column, BigInt64Array | BigUint64Array>;

/** The first record whose column value is not allowed, or -1. */
function firstBad(column: Checkable, allowed: (value: number) => boolean): number {
  for (let i = 0; i < column.length; i++) {
    if (!allowed(column[i])) return i;
  }
  return -1;
}

/**
 * The byte values a 1-byte bool8 or enum leaf may hold, when the native
 * gather can check them as it goes (at most {@linkcode MAX_SET_BYTES}).
 */
function byteSet(leaf: Leaf): number[] | undefined {
  if (leaf.size !== 1) return undefined;
  if (leaf.type.kind === "bool8") return [0, 1];
  if (leaf.type.kind !== "enum") return undefined;
  const values = [...new Set(Object.values(leaf.type.values))];
  return values.length <= MAX_SET_BYTES ? values.map((value) => value & 0xff) : undefined;
}

/** Whether a leaf's column can hold a value validation refuses. */
function checked(leaf: Leaf): boolean {
  return !leaf.inUnion && (leaf.type.kind === "bool8" || leaf.type.kind === "enum");
}

/** The first bad value of an enum column {@linkcode byteSet} leaves out, or -1: a native range check first, a JS scan only when needed. */
function badIndex(leaf: Leaf, column: Checkable): number {
  const range = minMax(column);
  if (range === undefined || leaf.type.kind !== "enum") return -1;
  const values = [...new Set(Object.values(leaf.type.values))];
  const low = Math.min(...values), high = Math.max(...values);
  const declared = new Set(values);
  // Contiguous values in range: the range says it all.
  if (range.min >= low && range.max <= high && high - low + 1 === values.length) return -1;
  return firstBad(column, (v) => declared.has(v));
}

function invalidValue(
  record: RecordType,
  leaf: Leaf,
  [index, value]: [number, number],
  name: string,
): BinlaneError {
  const offset = index * record.size + leaf.offset;
  return new BinlaneError(
    "E_INVALID_INPUT",
    `${name} record ${index}, field ${leaf.path}: ${value} is not a valid ${leaf.type.kind} value (byte offset ${offset})`,
    { offset },
  );
}

/**
 * Records checked per pass by {@linkcode validateRecords}: their checked
 * columns are gathered into one buffer of this many and tested, so memory
 * stays bounded whatever the count. bench/layout.bench.ts, the orders group,
 * "validate alone" (1,000,000 16-byte records, mitata averages, two
 * processes each, Deno and Bun, ms): 4 Ki records 1.47-1.79 and 1.39, 16 Ki
 * 1.27-1.49 and 1.15-1.34, 64 Ki 1.35-1.39 and 1.14-1.28, 256 Ki 1.38-1.39
 * and 1.44-1.65, the whole count at once 2.31-2.43 and 2.04-2.46 (allocating
 * three 1 MiB columns a call). A focused script, best of 40, also put 64 Ki
 * first (docs/PERFORMANCE.md, session 18).
 */
const VALIDATE_CHUNK_RECORDS = 64 * 1024;

/**
 * Checks `count` records: every `bool8` 0 or 1, every enum a declared value
 * (union members aside: only one member is ever valid). Throws
 * `E_INVALID_INPUT` for the first leaf in declaration order holding a bad
 * value, naming its first bad record, the field path and the byte offset.
 * Only the leaves that can be bad are gathered, a chunk of records at a time.
 */
export function validateRecords(record: RecordType, rows: Uint8Array, count: number, name: string): void {
  const { checked: leaves, checkedFields: fields, checkedSets: sets } = planOf(record);
  if (leaves.length === 0 || count === 0) return;
  const chunk = Math.min(count, VALIDATE_CHUNK_RECORDS);
  const scratch = allocateColumns(fields, chunk);
  const firstBad = leaves.map(() => -1);
  const values = leaves.map(() => 0);
  // Once the first leaf has a bad value, no later record can change which error is thrown.
  for (let start = 0; start < count && firstBad[0] < 0; start += chunk) {
    const records = Math.min(chunk, count - start);
    const part = rows.subarray(start * record.size, (start + records) * record.size);
    const columns = scratch.map((bytes, i) => bytes.subarray(0, records * fields[i].size));
    const found = gatherChecked(part, columns, {
      recordSize: record.size,
      fields,
      count: records,
      allowed: sets,
    });
    leaves.forEach((leaf, i) => {
      if (firstBad[i] >= 0) return;
      const column = typed(leaf, columns[i], records) as Checkable;
      const at = sets[i] === undefined ? badIndex(leaf, column) : found[i];
      if (at < 0) return;
      firstBad[i] = start + at;
      values[i] = Number(column[at]);
    });
  }
  const bad = firstBad.findIndex((at) => at >= 0);
  if (bad >= 0) throw invalidValue(record, leaves[bad], [firstBad[bad], values[bad]], name);
}
