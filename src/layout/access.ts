/**
 * Reading and writing records: per schema, a reader, a writer and a view
 * class compiled once (with `new Function`) into straight-line DataView
 * calls at constant offsets, the code one would write by hand. Values are
 * checked on the way in and out: nothing is truncated, rounded or accepted
 * outside its type.
 *
 * @module
 */

import { runtimeName } from "../../ffi/runtime.ts";
import { detachedError, isOutOfBounds } from "../detached.ts";
import { BinlaneError } from "../errors.ts";
import { isDetachedBuffer, typedArrayKind, typedArrayLengthOf } from "../intrinsics.ts";
import { describeValue } from "../options.ts";
import { resultBytes } from "../result_pool.ts";
import type { RecordArray } from "./schema.ts";
import type { FieldType, PlacedField, RecordType, ScalarType } from "./types.ts";

/** Reads one record at a byte offset of a DataView. */
export type Reader = (view: DataView, base: number) => Record<string, unknown>;
/** Writes one record at a byte offset of a DataView. */
export type Writer = (view: DataView, base: number, value: Record<string, unknown>) => void;
/**
 * What owns the memory under a view: a `NativeBuffer` or a `MappedFile`,
 * whose disposal detaches that memory. Views of other memory have none.
 */
export interface ViewOwner {
  readonly disposed: boolean;
}

/** A record view's constructor: over a DataView at a base offset, owned by a NativeBuffer, a MappedFile or nothing. */
export type ViewClass = new (
  view: DataView,
  base: number,
  owner: ViewOwner | null,
) => Record<string, unknown>;

const getters: Record<string, string> = {
  u8: "getUint8",
  u16: "getUint16",
  u32: "getUint32",
  u64: "getBigUint64",
  i8: "getInt8",
  i16: "getInt16",
  i32: "getInt32",
  i64: "getBigInt64",
  f32: "getFloat32",
  f64: "getFloat64",
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const U64_END = 2n ** 64n;
const I64_END = 2n ** 63n;
const I64_MIN = -I64_END;

/**
 * Two tests of whether a bigint fits a 64-bit field, equal on every value;
 * writers use `byRange` in Bun and `byWrap` elsewhere. JavaScriptCore
 * allocates the wrapped bigint: bench/layout.bench.ts, "u64 values written
 * through setBigUint64", 1,000,000 values, takes Bun 15.2-15.8 ms with
 * `byWrap` and 8.3-9.8 with `byRange` (2.5 with no test), and "16 B
 * records from objects" `write` went from 24.6-29.8 ms to 18.5-19.5. In
 * Deno neither wins everywhere: `byRange` leads that group (11.5-12.6 ms
 * against 14.8-15.4), `write` does not move (23.1-24.7 against 23.3-25.0),
 * and a focused script (a compiled writer over one DataView) took 9.2-12.1 ms with `byWrap`
 * against 14.9-15.4, so Deno keeps `byWrap` (docs/PERFORMANCE.md, session
 * 16).
 *
 * @example
 * ```ts
 * import { bigintFits } from "./access.ts";
 *
 * console.log(bigintFits.byWrap(2n ** 64n, false), bigintFits.byRange(-1n, true)); // false true
 * ```
 */
export const bigintFits: {
  byWrap(value: bigint, signed: boolean): boolean;
  byRange(value: bigint, signed: boolean): boolean;
} = {
  byWrap(value: bigint, signed: boolean): boolean {
    return signed ? BigInt.asIntN(64, value) === value : BigInt.asUintN(64, value) === value;
  },
  byRange(value: bigint, signed: boolean): boolean {
    return signed ? value >= I64_MIN && value < I64_END : value >= 0n && value < U64_END;
  },
};

const fits64 = runtimeName() === "bun" ? bigintFits.byRange : bigintFits.byWrap;

/** Helpers the generated code calls: checks that throw typed errors naming the field. */
const helpers = {
  fail(code: "E_TYPE" | "E_RANGE" | "E_INVALID_INPUT", path: string, message: string): never {
    throw new BinlaneError(code, `${path}: ${message}`);
  },
  int(value: unknown, low: number, high: number, path: string): number {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return helpers.fail("E_TYPE", path, `expected an integer, got ${describe(value)}`);
    }
    if (value < low || value > high) {
      return helpers.fail("E_RANGE", path, `${value} is outside ${low}..${high}`);
    }
    return value;
  },
  float(value: unknown, path: string): number {
    if (typeof value !== "number") {
      return helpers.fail("E_TYPE", path, `expected a number, got ${describe(value)}`);
    }
    return value;
  },
  big(value: unknown, signed: boolean, path: string): bigint {
    if (typeof value !== "bigint") {
      return helpers.fail("E_TYPE", path, `expected a bigint, got ${describe(value)}`);
    }
    if (!fits64(value, signed)) {
      return helpers.fail("E_RANGE", path, `${value} does not fit ${signed ? "i64" : "u64"}`);
    }
    return value;
  },
  /** A 64-bit integer written from a number: a safe integer only. */
  safe(value: unknown, signed: boolean, path: string): bigint {
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      return helpers.fail(
        typeof value === "number" ? "E_RANGE" : "E_TYPE",
        path,
        `expected a safe integer, got ${describe(value)}`,
      );
    }
    if (!signed && value < 0) return helpers.fail("E_RANGE", path, `${value} is negative`);
    return BigInt(value);
  },
  /** A 64-bit integer read as a number: above 2^53 - 1 in magnitude is an error, not a rounding. */
  toSafe(value: bigint, path: string): number {
    if (value > MAX_SAFE || value < -MAX_SAFE) {
      return helpers.fail("E_RANGE", path, `${value} is beyond 2^53 - 1`);
    }
    return Number(value);
  },
  bool(byte: number, path: string): boolean {
    if (byte > 1) return helpers.fail("E_INVALID_INPUT", path, `bool8 holds ${byte}, not 0 or 1`);
    return byte === 1;
  },
  fromBool(value: unknown, path: string): number {
    if (typeof value !== "boolean") {
      return helpers.fail("E_TYPE", path, `expected a boolean, got ${describe(value)}`);
    }
    return value ? 1 : 0;
  },
  enumName(names: Map<number, string>, raw: number, path: string): string {
    const name = names.get(raw);
    if (name === undefined) return helpers.fail("E_INVALID_INPUT", path, `${raw} is not a declared value`);
    return name;
  },
  enumValue(values: Map<string, number>, name: unknown, path: string): number {
    const value = typeof name === "string" ? values.get(name) : undefined;
    if (value === undefined) {
      return helpers.fail("E_TYPE", path, `${describe(name)} is not one of ${[...values.keys()].join(", ")}`);
    }
    return value;
  },
  /** Bits [shift, shift + width) of the little-endian bytes at `at`. */
  readBits(view: DataView, at: number, shift: number, width: number, signed: boolean): number {
    const bytes = Math.ceil((shift + width) / 8);
    let word = 0;
    for (let i = bytes - 1; i >= 0; i--) word = word * 256 + view.getUint8(at + i);
    const value = Math.floor(word / 2 ** shift) % 2 ** width;
    return signed && value >= 2 ** (width - 1) ? value - 2 ** width : value;
  },
  writeBits(view: DataView, at: number, shift: number, width: number, value: number): void {
    const bytes = Math.ceil((shift + width) / 8);
    let word = 0;
    for (let i = bytes - 1; i >= 0; i--) word = word * 256 + view.getUint8(at + i);
    const unsigned = value < 0 ? value + 2 ** width : value;
    const low = word % 2 ** shift;
    const high = Math.floor(word / 2 ** (shift + width));
    word = (high * 2 ** width + unsigned) * 2 ** shift + low;
    for (let i = 0; i < bytes; i++) {
      view.setUint8(at + i, word % 256);
      word = Math.floor(word / 256);
    }
  },
  /**
   * An array field's elements: a genuine typed array's as they are (its
   * length from its slot, its elements run no caller code), a plain array's
   * copied, each element read once; a Proxy's trap that throws is `E_TYPE`.
   */
  bytesOf(value: unknown, length: number, path: string): ArrayLike<unknown> {
    if (typedArrayKind(value) !== undefined) {
      const found = typedArrayLengthOf(value as ArrayBufferView);
      if (found !== length) return helpers.fail("E_TYPE", path, `expected ${length} elements, got ${found}`);
      return value as ArrayLike<unknown>;
    }
    let isArray = false;
    try {
      isArray = Array.isArray(value);
    } catch {
      // A revoked Proxy: no array.
    }
    if (!isArray) {
      return helpers.fail("E_TYPE", path, `expected ${length} elements, got ${describeValue(value)}`);
    }
    const elements = value as unknown[];
    try {
      const found = elements.length;
      if (found !== length) {
        return helpers.fail("E_TYPE", path, `expected ${length} elements, got ${describeValue(found)}`);
      }
      const copy = new Array<unknown>(length);
      for (let i = 0; i < length; i++) copy[i] = elements[i];
      return copy;
    } catch (cause) {
      if (cause instanceof BinlaneError) throw cause;
      throw new BinlaneError("E_TYPE", `${path}: reading the array threw`, { cause });
    }
  },
  /**
   * A compiled writer caught `error` at field `path`: a BinlaneError passes
   * on, as does the failure of an access to memory detached or shrunk
   * under it (a getter can do that), which the caller of the writer names;
   * anything else came from the caller's value (a getter, a Proxy trap).
   */
  threw(error: unknown, path: string, view: DataView): never {
    if (error instanceof BinlaneError) throw error;
    if (isDetachedBuffer(view.buffer) || isOutOfBounds(view)) throw error;
    throw new BinlaneError("E_TYPE", `${path}: reading the value threw`, { cause: error });
  },
  /** Field `name` of a caller's value, read once: a getter or Proxy trap that throws is `E_TYPE` naming it. */
  field(value: Record<string, unknown>, name: string, path: string): unknown {
    try {
      return value[name];
    } catch (cause) {
      throw new BinlaneError("E_TYPE", `${path}: reading the value threw`, { cause });
    }
  },
  oneMember(value: Record<string, unknown>, names: readonly string[], path: string): string {
    const given = names.filter((name) => helpers.field(value, name, `${path}.${name}`) !== undefined);
    if (given.length !== 1) {
      return helpers.fail("E_TYPE", path, `a union value names exactly one of ${names.join(", ")}`);
    }
    return given[0];
  },
  record(value: unknown, path: string): Record<string, unknown> {
    if (value === null || typeof value !== "object") {
      return helpers.fail("E_TYPE", path, `expected an object, got ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  },
  /** A copy of `length` bytes at `at`, pooled when small (a new buffer costs Deno ~600 ns). */
  copyBytes(view: DataView, at: number, length: number): Uint8Array {
    const out = resultBytes(length);
    for (let i = 0; i < length; i++) out[i] = view.getUint8(at + i);
    return out;
  },
  /**
   * An access through a cursor that `cursorAt` parked below the records. A
   * cursor's `$x` is its run's length; other views' is undefined.
   */
  misplaced(view: { $x: unknown }): never {
    throw new BinlaneError(
      "E_RANGE",
      view.$x === undefined
        ? "this view lies in a record that cursorAt placed outside its run"
        : `cursorAt was last given an index that is not an integer in 0..${
          Number(view.$x) - 1
        }, so this view is outside its run`,
    );
  },
  outside(index: unknown, length: number): never {
    throw new BinlaneError("E_RANGE", `record index ${describeValue(index)} is outside 0..${length - 1}`);
  },
  /** A run's `at` given no number. */
  notIndex(index: unknown): never {
    throw new BinlaneError("E_TYPE", `a record index must be a number, got ${describeValue(index)}`);
  },
  notCallback(callback: unknown): never {
    throw new BinlaneError("E_TYPE", `forEach takes a function, got ${describeValue(callback)}`);
  },
  /**
   * A view's access threw. A disposed NativeBuffer or MappedFile detaches its
   * memory first, so a view of it fails in the engine's own bounds checks and
   * never reads freed memory; this names that failure `E_DISPOSED`, an
   * owner's memory transferred away from it `E_TRANSFERRED`, other detached
   * memory `E_DISPOSED`, a resizable buffer shrunk below the view `E_LENGTH`,
   * and passes every other error on.
   */
  failed(view: { $v: DataView; $b: number; $o: ViewOwner | null; $x: unknown }, error: unknown): never {
    if (error instanceof BinlaneError) throw error;
    if (view.$b < 0) return helpers.misplaced(view);
    const owner = view.$o;
    if (owner !== null && owner.disposed) {
      throw new BinlaneError("E_DISPOSED", `the ${ownerName(owner)} under this view has been disposed`, {
        cause: error,
      });
    }
    if (isDetachedBuffer(view.$v.buffer)) {
      if (owner === null) throw detachedError("this view", error);
      throw new BinlaneError(
        "E_TRANSFERRED",
        `the memory of the ${ownerName(owner)} under this view was transferred away from it`,
        { cause: error },
      );
    }
    if (isOutOfBounds(view.$v)) {
      throw new BinlaneError("E_LENGTH", "the resizable ArrayBuffer under this view has shrunk below it", {
        cause: error,
      });
    }
    throw error;
  },
};

function ownerName(owner: ViewOwner): string {
  return owner.constructor.name;
}

/** A caller's value in a message, described without running any of its code. */
const describe = describeValue;

/** Code generation state: constants the generated code refers to by index. */
class Program {
  readonly constants: unknown[] = [];
  constant(value: unknown): string {
    this.constants.push(value);
    return `k[${this.constants.length - 1}]`;
  }
}

function scalarRead(type: ScalarType, at: string, path: string, program: Program): string {
  const little = type.endian === "little";
  const call = `v.${getters[type.name]}(${at}${type.size > 1 ? `, ${little}` : ""})`;
  if (type.size === 8 && type.name[0] !== "f" && !type.bigint) {
    return `h.toSafe(${call}, ${program.constant(path)})`;
  }
  return call;
}

function integerRange(type: ScalarType): [number, number] {
  const bits = 8 * type.size;
  return type.name[0] === "i" ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

function scalarWrite(type: ScalarType, at: string, value: string, path: string, program: Program): string {
  const little = type.endian === "little";
  const setter = getters[type.name].replace("get", "set");
  const p = program.constant(path);
  const order = type.size > 1 ? `, ${little}` : "";
  if (type.name[0] === "f") return `v.${setter}(${at}, h.float(${value}, ${p})${order});`;
  if (type.size === 8) {
    const signed = type.name[0] === "i";
    const checked = type.bigint ? `h.big(${value}, ${signed}, ${p})` : `h.safe(${value}, ${signed}, ${p})`;
    return `v.${setter}(${at}, ${checked}${order});`;
  }
  const [low, high] = integerRange(type);
  return `v.${setter}(${at}, h.int(${value}, ${low}, ${high}, ${p})${order});`;
}

/** An expression reading `type` at byte position expression `at`. */
function readExpression(
  type: FieldType,
  at: string,
  path: string,
  program: Program,
  bitOffset?: number,
): string {
  switch (type.kind) {
    case "scalar":
      return scalarRead(type, at, path, program);
    case "bool8":
      return `h.bool(v.getUint8(${at}), ${program.constant(path)})`;
    case "enum": {
      const names = program.constant(
        new Map(Object.entries(type.values).map(([name, value]) => [value, name])),
      );
      return `h.enumName(${names}, ${scalarRead(type.storage, at, path, program)}, ${
        program.constant(path)
      })`;
    }
    case "bits":
      return `h.readBits(v, b + ${Math.floor(bitOffset! / 8)}, ${
        bitOffset! % 8
      }, ${type.width}, ${type.signed})`;
    case "array": {
      if (type.element.kind === "scalar" && type.element.size === 1 && type.element.name === "u8") {
        return `h.copyBytes(v, ${at}, ${type.length})`;
      }
      const element = compileReader(type.element, program, path);
      return `Array.from({ length: ${type.length} }, (_, i) => ${element}(v, ${at} + i * ${type.element.size}))`;
    }
    case "struct":
      return `${compileReader(type, program, path)}(v, ${at})`;
    case "union": {
      // Only one member holds a valid value: the others decode on access, from a copy of the bytes.
      const Class = program.constant(compileViewClass(type, path));
      return `new ${Class}(new DataView(v.buffer.slice(v.byteOffset + ${at}, v.byteOffset + ${at} + ${type.size})), 0, null)`;
    }
    default:
      throw new Error(`unreadable field kind ${type.kind}`);
  }
}

type RecordLike = FieldType;

/** Compiles `body` (which may use v, b, k and h) into a function (v, b) => value, as a constant. */
function compiled(program: Program, source: string): string {
  return program.constant(new Function("k", "h", source)(program.constants, helpers));
}

/** A function (its constant's name) reading `type` at (v, position). Records become object literals. */
function compileReader(type: RecordLike, program: Program, path: string): string {
  if (type.kind !== "struct") {
    return compiled(program, `return (v, b) => ${readExpression(type, "b", path, program)};`);
  }
  const parts = (type as RecordType).fields
    .filter((field) => field.type.kind !== "pad")
    .map((field) => {
      const value = readExpression(
        field.type,
        `b + ${field.offset}`,
        `${path}.${field.name}`,
        program,
        field.bitOffset,
      );
      return `${JSON.stringify(field.name)}: ${value}`;
    });
  return compiled(program, `return (v, b) => ({ ${parts.join(", ")} });`);
}

/** Statements writing `value` (an expression) as `type` at position `at`. */
function writeStatements(
  type: FieldType,
  at: string,
  value: string,
  path: string,
  program: Program,
  bitOffset?: number,
): string {
  switch (type.kind) {
    case "scalar":
      return scalarWrite(type, at, value, path, program);
    case "bool8":
      return `v.setUint8(${at}, h.fromBool(${value}, ${program.constant(path)}));`;
    case "enum": {
      const values = program.constant(new Map(Object.entries(type.values)));
      return scalarWrite(
        type.storage,
        at,
        `h.enumValue(${values}, ${value}, ${program.constant(path)})`,
        path,
        program,
      );
    }
    case "bits": {
      const [low, high] = type.signed
        ? [-(2 ** (type.width - 1)), 2 ** (type.width - 1) - 1]
        : [0, 2 ** type.width - 1];
      const checked = `h.int(${value}, ${low}, ${high}, ${program.constant(path)})`;
      return `h.writeBits(v, b + ${Math.floor(bitOffset! / 8)}, ${
        bitOffset! % 8
      }, ${type.width}, ${checked});`;
    }
    case "array": {
      const p = program.constant(path);
      if (type.element.kind === "scalar" && type.element.size === 1 && type.element.name === "u8") {
        return `{ const s = h.bytesOf(${value}, ${type.length}, ${p}); for (let i = 0; i < ${type.length}; i++) v.setUint8(${at} + i, h.int(s[i], 0, 255, ${p})); }`;
      }
      const element = compileWriter(type.element, program, path);
      return `{ const s = h.bytesOf(${value}, ${type.length}, ${p}); for (let i = 0; i < ${type.length}; i++) ${element}(v, ${at} + i * ${type.element.size}, s[i]); }`;
    }
    case "struct":
    case "union":
      return `${compileWriter(type, program, path)}(v, ${at}, ${value});`;
    default:
      throw new Error(`unwritable field kind ${type.kind}`);
  }
}

/** Statements writing field `field` of the record value `r` at base `b`. */
function writeField(field: PlacedField, program: Program, path: string): string {
  // `p` names the field for the writer's catch; a literal key keeps each read monomorphic (a shared helper's
  // `value[name]` went megamorphic and doubled Deno's write loop).
  const value = `r[${JSON.stringify(field.name)}]`;
  return `p = ${program.constant(`${path}.${field.name}`)}; ` + writeStatements(
    field.type,
    `b + ${field.offset}`,
    value,
    `${path}.${field.name}`,
    program,
    field.bitOffset,
  );
}

/** A function (name) writing `type` at (v, position, value). */
function compileWriter(type: FieldType, program: Program, path: string): string {
  let body: string;
  const record = `r = h.record(r, ${program.constant(path)});`;
  if (type.kind === "struct" || type.kind === "union") {
    const fields = (type as RecordType).fields.filter((field) => field.type.kind !== "pad");
    if (type.kind === "struct") {
      body = `${record} ${fields.map((field) => writeField(field, program, path)).join("\n")}`;
    } else {
      const names = program.constant(fields.map((field) => field.name));
      const cases = fields.map((field) =>
        `case ${JSON.stringify(field.name)}: ${writeField(field, program, path)} break;`
      );
      const choose = `switch (h.oneMember(r, ${names}, ${program.constant(path)})) { ${cases.join("\n")} }`;
      // A union of padding alone has nothing to write.
      body = fields.length === 0 ? record : `${record} ${choose}`;
    }
  } else {
    body = writeStatements(type, "b", "r", path, program);
  }
  // One try per record writer: a getter or Proxy trap of the caller's value that throws is named by `p`.
  return compiled(
    program,
    `return (v, b, r) => { let p = ${
      program.constant(path)
    }; try { ${body} } catch (e) { h.threw(e, p, v); } };`,
  );
}

/**
 * The compiled reader of a record schema.
 *
 * @example
 * ```ts
 * import { struct, u8, u16 } from "@binlane/binlane";
 * import { compileRecordReader } from "./access.ts";
 *
 * const read = compileRecordReader(struct({ a: u8, b: u16 }), "Pair");
 * console.log(read(new DataView(new Uint8Array([1, 0, 2, 0]).buffer), 0)); // { a: 1, b: 2 }
 * ```
 */
export function compileRecordReader(record: RecordType, name: string): Reader {
  const program = new Program();
  const reference = compileReader(record, program, name);
  return program.constants[Number(reference.slice(2, -1))] as Reader;
}

/**
 * The compiled writer of a record schema.
 *
 * @example
 * ```ts
 * import { struct, u8, u16 } from "@binlane/binlane";
 * import { compileRecordWriter } from "./access.ts";
 *
 * const bytes = new Uint8Array(4);
 * compileRecordWriter(struct({ a: u8, b: u16 }), "Pair")(new DataView(bytes.buffer), 0, { a: 1, b: 2 });
 * console.log(bytes); // Uint8Array(4) [1, 0, 2, 0]
 * ```
 */
export function compileRecordWriter(record: RecordType, name: string): Writer {
  const program = new Program();
  const reference = compileWriter(record, program, name);
  return program.constants[Number(reference.slice(2, -1))] as Writer;
}

/**
 * A class of zero-copy views of a record schema: a getter and a setter per
 * field, straight on the bytes. Views owned by a `NativeBuffer` or a
 * `MappedFile` throw `E_DISPOSED` once it is disposed. Offsets are 32-bit
 * sums, exact for DataViews up to `MAX_NARROW_VIEW` bytes; longer DataViews
 * need the class compiled with `wide: true`.
 *
 * @example
 * ```ts
 * import { struct, u8, u16 } from "@binlane/binlane";
 * import { compileViewClass } from "./access.ts";
 *
 * const Pair = compileViewClass(struct({ a: u8, b: u16 }), "Pair");
 * const view = new Pair(new DataView(new Uint8Array([1, 0, 2, 0]).buffer), 0, null);
 * console.log(view.b); // 2
 * ```
 */
export function compileViewClass(
  record: RecordType,
  name: string,
  options: { wide?: boolean } = {},
): ViewClass {
  const wide = options.wide === true;
  const program = new Program();
  const members: string[] = [];
  for (const field of record.fields) {
    if (field.type.kind === "pad") continue;
    const path = `${name}.${field.name}`;
    const key = JSON.stringify(field.name);
    // `| 0` tells V8 the sum needs no overflow check. With that and cursorAt's `Math.imul`, V8 unrolls a
    // read loop over a run the caller made 4x (the machine code shows it), which went from 1.77-1.89 to
    // 1.44-1.61 ms per 1,000,000 records (bench/layout.bench.ts, "field read", "over a given run"). The
    // sum would wrap past 2 GiB: longer DataViews get the wide class.
    const at = wide ? `b + ${field.offset}` : `((b + ${field.offset}) | 0)`;
    // `$` cannot appear in a field name (a C identifier), so these slots never meet a field.
    const locals = "const v = this.$v, b = this.$b;";
    let read: string;
    if (
      field.type.kind === "array" && field.type.element.kind === "scalar" && field.type.element.name === "u8"
    ) {
      // A Uint8Array is bounded by the buffer, not the DataView: a parked cursor must fail here itself.
      read =
        `b < 0 ? h.misplaced(this) : new Uint8Array(v.buffer, v.byteOffset + ${at}, ${field.type.length})`;
    } else if (field.type.kind === "struct" || field.type.kind === "union") {
      read = `new ${program.constant(compileViewClass(field.type, path, { wide }))}(v, ${at}, this.$o)`;
    } else {
      read = readExpression(field.type, at, path, program, field.bitOffset);
    }
    const write = writeStatements(field.type, at, "r", path, program, field.bitOffset);
    // No check before the access: a disposed buffer is detached, so the access itself throws, and
    // `h.failed` names why. A check of `$o` on every access cost Deno 3x on a field read loop.
    members.push(`get [${key}]() { try { ${locals} return ${read}; } catch (e) { h.failed(this, e); } }`);
    members.push(`set [${key}](r) { try { ${locals} ${write} } catch (e) { h.failed(this, e); } }`);
  }
  const source =
    `return class { constructor(v, b, o) { this.$v = v; this.$b = b; this.$o = o; this.$x = undefined; } ${
      members.join("\n")
    } };`;
  return new Function("k", "h", source)(program.constants, helpers);
}

/** Where a cursor given a bad index points: below every record, and still a small integer to V8. */
const OUTSIDE = -(2 ** 30);

/**
 * The longest DataView the default (narrow) view and run classes serve:
 * every offset in it is a 32-bit integer.
 *
 * @example
 * ```ts
 * import { MAX_NARROW_VIEW } from "./access.ts";
 *
 * console.log(MAX_NARROW_VIEW); // 2147483647
 * ```
 */
export const MAX_NARROW_VIEW: number = 2 ** 31 - 1;

/** A run's constructor: `length` records of a view class over a DataView, with its owner or none. */
export type RunClass = new (
  view: DataView,
  owner: ViewOwner | null,
  length: number,
) => RecordArray<Record<string, unknown>>;

/**
 * The class behind `Schema.arrayView`, compiled per schema so that every
 * schema's `cursorAt` has call sites of its own: shared by all schemas, the
 * cursor store in it saw every schema's view class, and V8 stopped
 * inlining it (bench/layout.bench.ts, "field read").
 *
 * @example
 * ```ts
 * import { struct, u8, u16 } from "@binlane/binlane";
 * import { compileRunClass, compileViewClass } from "./access.ts";
 *
 * const Pair = struct({ a: u8, b: u16 });
 * const Run = compileRunClass(compileViewClass(Pair, "Pair"), Pair.size);
 * const records = new Run(new DataView(new Uint8Array([1, 0, 2, 0, 3, 0, 4, 0]).buffer), null, 2);
 * console.log(records.cursorAt(1).b); // 4
 * ```
 */
export function compileRunClass(Class: ViewClass, size: number, options: { wide?: boolean } = {}): RunClass {
  // A bad index parks the cursor at OUTSIDE instead of throwing: a throw in cursorAt cost V8 1.5 ns a
  // call in a read loop (3.3 ms instead of 1.7 per 1,000,000 records), and parked there every access
  // fails its bounds check, which `h.failed` names E_RANGE. Records of a GiB or more keep the throw.
  // One store of a selected value and nothing else: a branch that also kept the bad index (a second
  // store, or a call) cost V8 3x on a read loop over a run the caller made (bench/layout.bench.ts,
  // "field read", "cursorAt over a given run": 7.6 ms against 1.7 per 1,000,000 records), so the
  // error names the run's bounds, not the index. `i >>> 0` turns -0 into 0, which V8 keeps a small integer.
  // Narrow runs (over at most MAX_NARROW_VIEW bytes) take the product as `Math.imul`, a multiply V8
  // need not check for overflow (see compileViewClass).
  const product = options.wide === true ? `(i >>> 0) * ${size}` : `Math.imul(i, ${size})`;
  // `typeof` first: a BigInt or Symbol would make `>>>` throw a TypeError, an object run its valueOf.
  const cursorBody = size < -OUTSIDE
    ? `c.$b = typeof i === "number" && (i >>> 0) === i && i < this.length ? ${product} : ${OUTSIDE};`
    : `if (typeof i !== "number" || (i >>> 0) !== i || i >= this.length) h.outside(i, this.length);
      c.$b = i * ${size};`;
  const source = `return class RecordRun {
    constructor(v, o, n) { this.length = n; this.$v = v; this.$o = o; this.$c = new C(v, 0, o); this.$c.$x = n; }
    at(index) {
      if (typeof index !== "number") h.notIndex(index);
      const whole = Math.trunc(index);
      const i = whole < 0 ? this.length + whole : whole;
      return i >= 0 && i < this.length ? new C(this.$v, i * ${size}, this.$o) : undefined;
    }
    cursorAt(i) {
      const c = this.$c;
      ${cursorBody}
      return c;
    }
    forEach(f) {
      if (typeof f !== "function") h.notCallback(f);
      for (let i = 0; i < this.length; i++) f(this.cursorAt(i), i);
    }
    *[Symbol.iterator]() { for (let i = 0; i < this.length; i++) yield new C(this.$v, i * ${size}, this.$o); }
  };`;
  return new Function("C", "h", source)(Class, helpers);
}
