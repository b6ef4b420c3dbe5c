/**
 * Transposes between arrays of fixed-size records (rows) and one dense
 * column per field, with an optional byte swap per field in the same pass:
 * the primitive that decodes arrays of structs to columns and back.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import { NOT_FOUND } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { asBytes, type BinaryInput, overlaps } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { checkCount, describeValue, readOptions } from "./options.ts";
import { indexOfOther } from "./search.ts";

/** One field of a record: where it sits, its width, and whether to reverse its bytes. */
export interface TransposeField {
  /** Byte offset of the field in its record. */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: 1 | 2 | 4 | 8;
  /** Reverse the field's bytes on the way (big-endian records, little-endian columns). */
  readonly swap?: boolean;
}

/** Options for {@linkcode rowsToColumns}. */
export interface RowsToColumnsOptions {
  /** Records to read; default every record in `rows`, which must then be a whole number. */
  count?: number;
  /** Where to write, one target per field, each with room for `count` elements. */
  columns?: readonly BinaryInput[];
}

/** Options for {@linkcode columnsToRows}. */
export interface ColumnsToRowsOptions {
  /** Records to write; default the elements in the columns, which must then agree. */
  count?: number;
  /** Where to write; its bytes outside the fields stay as they are. Default a new zeroed buffer. */
  target?: BinaryInput;
}

/**
 * Smallest transpose, in bytes of records, done natively in this runtime,
 * from `bench/transpose.bench.ts` (2026-11-21), 16-byte records of four
 * u32 fields: Deno native from 512 B (2122 ns against JS 2242; 256 B: JS
 * 1691 against 1740), Bun from 256 B (1021 against 1113). Tests set it to
 * 0 or Infinity to drive one path through the public functions.
 *
 * @example
 * ```ts
 * import { transposeThresholds } from "./transpose.ts";
 *
 * console.log(transposeThresholds.bytes);
 * ```
 */
export const transposeThresholds: { bytes: number } = { bytes: runtimeName() === "bun" ? 256 : 512 };

/** Records per native scatter call: a block of rows stays in the L1 and L2 caches while each field is copied in. */
const BLOCK_BYTES = 32 * 1024;
const SWAP_SHAPE = 0x10;

function checkRecordSize(recordSize: unknown, where: string): number {
  if (typeof recordSize !== "number") {
    throw new BinlaneError(
      "E_TYPE",
      `${where}: recordSize must be a number, got ${describeValue(recordSize)}`,
    );
  }
  if (!Number.isInteger(recordSize) || recordSize < 1 || recordSize > 0xffff_ffff) {
    throw new BinlaneError(
      "E_RANGE",
      `${where}: recordSize must be an integer from 1 to 2^32-1, got ${describeValue(recordSize)}`,
    );
  }
  return recordSize;
}

/** One read of a caller object's property; a getter's or a trap's exception becomes `E_TYPE`. */
function readProperty(object: unknown, key: string | number, path: string, where: string): unknown {
  try {
    return (object as Record<string | number, unknown>)[key];
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `${where}: reading ${path} threw`, { cause });
  }
}

/** More fields than this in one record is no layout but an attack on the loop that reads them. */
const MAX_FIELDS = 65_536;

/**
 * The elements of a caller's array, read once into binlane's own; anything
 * but an array is `E_TYPE`, and more than `max` elements is refused with
 * `tooMany` before any is read (an array can claim 2^32-1 elements).
 */
function readList(
  list: unknown,
  name: string,
  where: string,
  max: number,
  tooMany: () => BinlaneError,
): unknown[] {
  let isArray: boolean;
  try {
    isArray = Array.isArray(list);
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `${where}: ${name} is a revoked Proxy`, { cause });
  }
  if (!isArray) {
    throw new BinlaneError("E_TYPE", `${where}: ${name} must be an array, got ${describeValue(list)}`);
  }
  const length = readProperty(list, "length", `${name}.length`, where);
  // Only a Proxy of an array can answer anything but a safe integer here.
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw new BinlaneError("E_TYPE", `${where}: ${name} has a length of ${describeValue(length)}`);
  }
  if (length > max) throw tooMany();
  const items: unknown[] = [];
  for (let i = 0; i < length; i++) items.push(readProperty(list, i, `${name}[${i}]`, where));
  return items;
}

/** The fields, each read once into a plain object of binlane's and checked against the record. */
function readFields(fields: unknown, recordSize: number, where: string): TransposeField[] {
  const tooMany = () => new BinlaneError("E_RANGE", `${where}: fields holds more than ${MAX_FIELDS} fields`);
  return readList(fields, "fields", where, MAX_FIELDS, tooMany).map((field, index) => {
    if (typeof field !== "object" || field === null) {
      throw new BinlaneError(
        "E_TYPE",
        `${where}: fields[${index}] must be an object, got ${describeValue(field)}`,
      );
    }
    const offset = readProperty(field, "offset", `fields[${index}].offset`, where);
    const size = readProperty(field, "size", `fields[${index}].size`, where);
    const swap = readProperty(field, "swap", `fields[${index}].swap`, where);
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
      throw new BinlaneError(
        "E_RANGE",
        `${where}: fields[${index}].size must be 1, 2, 4 or 8, got ${describeValue(size)}`,
      );
    }
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset + size > recordSize) {
      throw new BinlaneError(
        "E_RANGE",
        `${where}: fields[${index}]: offset ${describeValue(offset)} and size ${size} do not fit a ` +
          `${recordSize}-byte record`,
      );
    }
    if (swap !== undefined && typeof swap !== "boolean") {
      throw new BinlaneError(
        "E_TYPE",
        `${where}: fields[${index}].swap must be a boolean, got ${describeValue(swap)}`,
      );
    }
    return { offset, size, swap: swap === true };
  });
}

function recordCount(rows: Uint8Array, recordSize: number, count: number | undefined): number {
  if (count === undefined) {
    const whole = Math.floor(rows.byteLength / recordSize);
    if (whole * recordSize !== rows.byteLength) {
      throw new BinlaneError(
        "E_LENGTH",
        `${rows.byteLength} bytes are not a whole number of ${recordSize}-byte records`,
        { offset: whole * recordSize },
      );
    }
    return whole;
  }
  if (count * recordSize > rows.byteLength) {
    throw new BinlaneError(
      "E_LENGTH",
      `${count} records of ${recordSize} bytes need ${count * recordSize}, got ${rows.byteLength}`,
    );
  }
  return count;
}

/**
 * New columns for `count` records of `fields`: one ArrayBuffer holding
 * every column, each at an 8-byte-aligned offset, so typed arrays can view
 * them.
 *
 * @example
 * ```ts
 * import { allocateColumns } from "./transpose.ts";
 *
 * const [ids, flags] = allocateColumns([{ offset: 0, size: 4 }, { offset: 4, size: 1 }], 3);
 * console.log(ids.byteLength, flags.byteLength, flags.byteOffset); // 12 3 16
 * ```
 */
export function allocateColumns(fields: readonly TransposeField[], count: number): Uint8Array[] {
  let total = 0;
  const offsets = fields.map((field) => {
    const at = total;
    total += Math.ceil((count * field.size) / 8) * 8;
    return at;
  });
  const buffer = new ArrayBuffer(total);
  return fields.map((field, i) => new Uint8Array(buffer, offsets[i], count * field.size));
}

function jsGather(
  column: Uint8Array,
  rows: Uint8Array,
  recordSize: number,
  field: TransposeField,
  count: number,
): void {
  const { offset, size } = field;
  const last = field.swap ? size - 1 : 0;
  const step = field.swap ? -1 : 1;
  for (let i = 0; i < count; i++) {
    const from = i * recordSize + offset + last;
    for (let k = 0; k < size; k++) column[i * size + k] = rows[from + step * k];
  }
}

function jsScatter(
  rows: Uint8Array,
  column: Uint8Array,
  recordSize: number,
  field: TransposeField,
  count: number,
): void {
  const { offset, size } = field;
  const last = field.swap ? size - 1 : 0;
  const step = field.swap ? -1 : 1;
  for (let i = 0; i < count; i++) {
    const to = i * recordSize + offset + last;
    for (let k = 0; k < size; k++) rows[to + step * k] = column[i * size + k];
  }
}

function shape(field: TransposeField): number {
  return field.size | (field.swap && field.size > 1 ? SWAP_SHAPE : 0);
}

const GATHER_FIELDS_MAX = 4;
/** Bytes per field in `binlane_gather_fields`' table: offset, shape, then the byte values it may hold. */
const GATHER_ENTRY_BYTES = 24;
/** Shape bits 8-12: how many of those byte values the field is checked against. */
const ALLOWED_SHIFT = 8;
const ALLOWED_MAX = 16;
const noColumn = new Uint8Array(0);
const fieldTableBytes = new Uint8Array(GATHER_ENTRY_BYTES * GATHER_FIELDS_MAX);
const fieldTable = new DataView(fieldTableBytes.buffer);
const foundBytes = new Uint8Array(4 * GATHER_FIELDS_MAX);
const found = new DataView(foundBytes.buffer);

/**
 * Gathers up to four fields a call, the rows walked in blocks natively: one
 * call and subarray per field and per 32 KiB block cost 1,000,000 16-byte
 * records about 0.2 ms of 1.5 (best of 60 runs: 11.0 GB/s, 12.3-12.7 with
 * this; bench/layout.bench.ts, "records to columns", gives 10.9). A field
 * with an allowed set is checked block by block as it is gathered; its
 * first bad record goes to `firstBad`.
 */
function gatherNative(
  symbols: NonNullable<ReturnType<typeof kernelSymbols>>,
  rows: Uint8Array,
  columns: readonly Uint8Array[],
  { recordSize, fields, count, allowed = [] }: GatherOptions,
  firstBad: number[],
): void {
  for (let first = 0; first < fields.length; first += GATHER_FIELDS_MAX) {
    const group = Math.min(GATHER_FIELDS_MAX, fields.length - first);
    const c: Uint8Array[] = [noColumn, noColumn, noColumn, noColumn];
    for (let i = 0; i < group; i++) {
      const field = fields[first + i];
      const values = allowed[first + i] ?? [];
      const entry = GATHER_ENTRY_BYTES * i;
      fieldTable.setUint32(entry, field.offset, true);
      fieldTable.setUint32(entry + 4, shape(field) | (values.length << ALLOWED_SHIFT), true);
      fieldTableBytes.set(values, entry + 8);
      c[i] = columns[first + i].subarray(0, count * field.size);
    }
    const table = fieldTableBytes.subarray(0, GATHER_ENTRY_BYTES * group);
    const status = symbols.binlane_gather_fields(
      rows,
      rows.byteLength,
      recordSize,
      count,
      table,
      table.byteLength,
      c[0],
      c[0].byteLength,
      c[1],
      c[1].byteLength,
      c[2],
      c[2].byteLength,
      c[3],
      c[3].byteLength,
      foundBytes,
      foundBytes.byteLength,
    );
    if (status !== 0) throw errorFromStatus(status, "binlane_gather_fields");
    for (let i = 0; i < group; i++) {
      const at = found.getUint32(4 * i, true);
      firstBad[first + i] = at === NOT_FOUND ? -1 : at;
    }
  }
}

/** Below the native threshold, or without native code: per field, then its check. */
function gatherJs(
  rows: Uint8Array,
  columns: readonly Uint8Array[],
  { recordSize, fields, count, allowed = [] }: GatherOptions,
  firstBad: number[],
): void {
  fields.forEach((field, i) => {
    jsGather(columns[i], rows, recordSize, field, count);
    const values = allowed[i];
    firstBad[i] = values === undefined ? -1 : indexOfOther(columns[i].subarray(0, count), values);
  });
}

/** What {@linkcode gatherChecked} gathers and checks. */
export interface GatherOptions {
  /** Bytes per record. */
  readonly recordSize: number;
  /** The fields, one per column. */
  readonly fields: readonly TransposeField[];
  /** Records to gather; each column holds exactly this many elements. */
  readonly count: number;
  /** Per field, the byte values a 1-byte field may hold (at most 16), or undefined for no check. */
  readonly allowed?: readonly (readonly number[] | undefined)[];
}

/**
 * Gathers `options.fields` of `options.count` records of `rows` into
 * `columns`, as {@linkcode rowsToColumns} does, for callers that have
 * checked all of them. A 1-byte field given an `allowed` set is checked as
 * it is gathered, while its column is in cache. Returns, per field, the
 * first record whose byte is none of its set, or -1 (always -1 for a field
 * without a set). Every column is filled whatever is found.
 *
 * @example
 * ```ts
 * import { gatherChecked } from "./transpose.ts";
 *
 * // Three 2-byte records: a side (1 or 2) and a quantity.
 * const rows = new Uint8Array([1, 10, 2, 20, 7, 30]);
 * const columns = [new Uint8Array(3), new Uint8Array(3)];
 * const fields = [{ offset: 0, size: 1 }, { offset: 1, size: 1 }] as const;
 * const firstBad = gatherChecked(rows, columns, { recordSize: 2, fields, count: 3, allowed: [[1, 2]] });
 * console.log(firstBad, columns[0]); // [2, -1] Uint8Array(3) [1, 2, 7]
 * ```
 */
export function gatherChecked(
  rows: Uint8Array,
  columns: readonly Uint8Array[],
  options: GatherOptions,
): number[] {
  const { recordSize, fields, count, allowed = [] } = options;
  allowed.forEach((values, i) => {
    if (values === undefined) return;
    const bytes = values.every((value) => Number.isInteger(value) && value >= 0 && value <= 0xff);
    if (fields[i].size !== 1 || values.length > ALLOWED_MAX || !bytes) {
      throw new BinlaneError(
        "E_INVALID_ARGUMENT",
        `fields[${i}]: a set of allowed values needs a 1-byte field and at most ${ALLOWED_MAX} byte values`,
      );
    }
  });
  const firstBad = fields.map(() => -1);
  const symbols = count * recordSize >= transposeThresholds.bytes ? kernelSymbols() : undefined;
  if (symbols) gatherNative(symbols, rows, columns, options, firstBad);
  else gatherJs(rows, columns, options, firstBad);
  return firstBad;
}

/**
 * Copies each column into its field of `count` records of `rows`, in
 * blocks of records, natively when large enough.
 */
function scatter(
  rows: Uint8Array,
  columns: readonly Uint8Array[],
  recordSize: number,
  fields: readonly TransposeField[],
  count: number,
): void {
  const symbols = count * recordSize >= transposeThresholds.bytes ? kernelSymbols() : undefined;
  if (!symbols) {
    fields.forEach((field, i) => jsScatter(rows, columns[i], recordSize, field, count));
    return;
  }
  const block = Math.max(1, Math.floor(BLOCK_BYTES / recordSize));
  for (let first = 0; first < count; first += block) {
    const records = Math.min(block, count - first);
    const span = rows.subarray(first * recordSize, (first + records) * recordSize);
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const column = columns[i].subarray(first * field.size, (first + records) * field.size);
      const status = symbols.binlane_scatter_field(
        span,
        span.byteLength,
        column,
        column.byteLength,
        recordSize,
        field.offset,
        shape(field),
      );
      if (status !== 0) throw errorFromStatus(status, "binlane_scatter_field");
    }
  }
}

function targetColumns(
  given: unknown,
  fields: readonly TransposeField[],
  count: number,
  rows: Uint8Array,
): Uint8Array[] {
  const mismatch = () =>
    new BinlaneError("E_LENGTH", `columns must hold one target per field (${fields.length})`);
  const targets = readList(given, "columns", "rowsToColumns", fields.length, mismatch);
  if (targets.length !== fields.length) {
    throw mismatch();
  }
  return targets.map((target, i) => {
    // binlane's own view: its length is read and it is cut below.
    const bytes = asBytes(target as BinaryInput, `rowsToColumns's columns[${i}]`);
    const needed = count * fields[i].size;
    if (bytes.byteLength < needed) {
      throw new BinlaneError("E_LENGTH", `columns[${i}] holds ${bytes.byteLength} bytes, ${needed} needed`);
    }
    const column = bytes.subarray(0, needed);
    if (overlaps(column, rows)) {
      throw new BinlaneError("E_INVALID_ARGUMENT", `columns[${i}] overlaps the rows`);
    }
    return column;
  });
}

/**
 * One column per field from an array of fixed-size records: column `i`
 * holds field `i` of every record, densely, little-endian unless the field
 * asks for a byte swap. New columns share one buffer, each at an offset
 * aligned to 8, so any typed array can view one without copying. More
 * than 65 536 fields is `E_RANGE`, refused before any field is read.
 *
 * @example
 * ```ts
 * import { rowsToColumns } from "@binlane/binlane";
 *
 * // Two 6-byte records: a big-endian u32 id, then a u16 value.
 * const rows = new Uint8Array([0, 0, 0, 1, 10, 0, 0, 0, 0, 2, 20, 0]);
 * const [ids, values] = rowsToColumns(rows, 6, [{ offset: 0, size: 4, swap: true }, { offset: 4, size: 2 }]);
 * console.log(new Uint32Array(ids.buffer, ids.byteOffset, 2), new Uint16Array(values.buffer, values.byteOffset, 2));
 * // Uint32Array(2) [1, 2] Uint16Array(2) [10, 20]
 * ```
 */
export function rowsToColumns(
  rows: BinaryInput,
  recordSize: number,
  fields: readonly TransposeField[],
  options?: RowsToColumnsOptions,
): Uint8Array[] {
  const where = "rowsToColumns";
  const given = readOptions(options, ["count", "columns"], where);
  const wanted = checkCount(given.count, where);
  const size = checkRecordSize(recordSize, where);
  const checked = readFields(fields, size, where);
  // binlane's own view: its length is read and it is cut below.
  const bytes = asBytes(rows, "rowsToColumns's rows");
  const count = recordCount(bytes, size, wanted);
  const columns = given.columns === undefined
    ? allocateColumns(checked, count)
    : targetColumns(given.columns, checked, count, bytes);
  gatherChecked(bytes, columns, { recordSize: size, fields: checked, count });
  return columns;
}

/**
 * An array of fixed-size records from one column per field, the reverse
 * of {@linkcode rowsToColumns}: field `i` of record `r` comes from element
 * `r` of column `i`. Fields may not overlap. Bytes of a record outside its
 * fields are zero in a new buffer and untouched in `options.target`.
 *
 * @example
 * ```ts
 * import { columnsToRows } from "@binlane/binlane";
 *
 * const ids = new Uint32Array([1, 2]);
 * const values = new Uint16Array([10, 20]);
 * const rows = columnsToRows([ids, values], 6, [{ offset: 0, size: 4, swap: true }, { offset: 4, size: 2 }]);
 * console.log(rows); // Uint8Array(12) [0, 0, 0, 1, 10, 0, 0, 0, 0, 2, 20, 0]
 * ```
 */
export function columnsToRows(
  columns: readonly BinaryInput[],
  recordSize: number,
  fields: readonly TransposeField[],
  options?: ColumnsToRowsOptions,
): Uint8Array {
  const where = "columnsToRows";
  const given = readOptions(options, ["count", "target"], where);
  let count = checkCount(given.count, where);
  const size = checkRecordSize(recordSize, where);
  recordSize = size;
  fields = readFields(fields, size, where);
  const fieldCount = fields.length;
  const mismatch = () =>
    new BinlaneError("E_LENGTH", `columns must hold one column per field (${fieldCount})`);
  const list = readList(columns, "columns", where, fieldCount, mismatch);
  if (list.length !== fieldCount) {
    throw mismatch();
  }
  const sorted = fields.map((field, index) => ({ ...field, index })).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].size) {
      throw new BinlaneError(
        "E_INVALID_ARGUMENT",
        `fields[${sorted[i - 1].index}] and fields[${sorted[i].index}] overlap`,
      );
    }
  }
  // binlane's own views: their lengths are read and they are cut below.
  const sources = list.map((column, i) => asBytes(column as BinaryInput, `columnsToRows's columns[${i}]`));
  if (count === undefined) {
    count = fields.length === 0 ? 0 : Math.floor(sources[0].byteLength / fields[0].size);
    sources.forEach((source, i) => {
      if (source.byteLength !== count! * fields[i].size) {
        throw new BinlaneError(
          "E_LENGTH",
          `columns[${i}] holds ${source.byteLength} bytes; the columns disagree on the record count`,
        );
      }
    });
  }
  const rows = given.target === undefined
    ? new Uint8Array(count * recordSize)
    : asBytes(given.target as BinaryInput, "columnsToRows's target");
  if (rows.byteLength < count * recordSize) {
    throw new BinlaneError("E_LENGTH", `target holds ${rows.byteLength} bytes, ${count * recordSize} needed`);
  }
  const needed = sources.map((source, i) => {
    const column = source.subarray(0, count! * fields[i].size);
    if (column.byteLength < count! * fields[i].size) {
      throw new BinlaneError(
        "E_LENGTH",
        `columns[${i}] holds ${source.byteLength} bytes, ${count! * fields[i].size} needed`,
      );
    }
    // A column inside the target would be overwritten while it is read.
    return overlaps(column, rows) ? column.slice() : column;
  });
  scatter(rows, needed, recordSize, fields, count);
  return given.target === undefined ? rows : rows.subarray(0, count * recordSize);
}
