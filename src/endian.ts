/**
 * Byte order: swap the bytes of 16-, 32- and 64-bit elements in place, and
 * encode numeric typed arrays to bytes in a chosen byte order, or decode
 * them back. Bytes are moved, never read as numbers, so every value
 * survives a round trip bit for bit: NaN payloads, -0, and 64-bit integers.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { type BinaryInput, bytesOf, lengthRead, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import {
  bytesOver,
  copyBytes,
  typedArrayBufferOf,
  typedArrayByteOffsetOf,
  typedArrayKind,
} from "./intrinsics.ts";
import { describeValue, readOptions } from "./options.ts";
import type { Endian } from "./layout/types.ts";

export type { Endian };

/** Options for encoding and decoding numbers. */
export interface EndianOptions {
  /** The byte order of the bytes side. Default "little". */
  endian?: Endian;
}

/** Every typed array of numbers. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** The element types `decodeNumbers` produces. */
export type NumberType = keyof NumberArrays;

const constructors = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
} as const;

/** The typed array `decodeNumbers` returns for each number type. */
export interface NumberArrays {
  /** Signed 8-bit integers. */
  int8: Int8Array;
  /** Unsigned 8-bit integers. */
  uint8: Uint8Array;
  /** Signed 16-bit integers. */
  int16: Int16Array;
  /** Unsigned 16-bit integers. */
  uint16: Uint16Array;
  /** Signed 32-bit integers. */
  int32: Int32Array;
  /** Unsigned 32-bit integers. */
  uint32: Uint32Array;
  /** IEEE 754 single precision. */
  float32: Float32Array;
  /** IEEE 754 double precision. */
  float64: Float64Array;
  /** Signed 64-bit integers, as BigInt. */
  bigint64: BigInt64Array;
  /** Unsigned 64-bit integers, as BigInt. */
  biguint64: BigUint64Array;
}

/** The typed array `decodeNumbers` returns for `T`. */
export type ArrayOf<T extends NumberType> = NumberArrays[T];

const hostEndian: Endian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? "little" : "big";

/**
 * Smallest input, in bytes, swapped natively in this runtime, from
 * `bench/endian.bench.ts` (2026-11-21): native took over from 128 B in Deno
 * (40.0 ns against the JS byte loop's 62.9) and from 32 B in Bun (20.7
 * against 21.5). Tests set it to 0 or Infinity to drive one path through the
 * public functions.
 *
 * @example
 * ```ts
 * import { endianThresholds } from "./endian.ts";
 *
 * console.log(endianThresholds.swap);
 * ```
 */
export const endianThresholds: { swap: number } = { swap: runtimeName() === "bun" ? 32 : 128 };

/** Native lengths stay below 2^32; longer inputs go in chunks (a multiple of 8). */
const CHUNK = 1 << 30;

// `dst` and `src` may be a caller's arrays: lengths come from the engine's slots, pieces from bytesOf.

function nativeSwap(
  symbols: NativeSymbols,
  dst: Uint8Array,
  src: Uint8Array,
  length: number,
  size: number,
): void {
  for (let offset = 0; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const to = offset === 0 ? dst : bytesOf(dst, offset, end);
    const from = offset === 0 ? src : bytesOf(src, offset, end);
    const status = symbols.binlane_copy_swap(to, from, end - offset, size);
    if (status !== 0) throw errorFromStatus(status, "binlane_copy_swap");
  }
}

function jsSwap(dst: Uint8Array, src: Uint8Array, length: number, size: number): void {
  if (size === 2) {
    for (let i = 0; i < length; i += 2) {
      const a = src[i];
      dst[i] = src[i + 1];
      dst[i + 1] = a;
    }
  } else if (size === 4) {
    for (let i = 0; i < length; i += 4) {
      const a = src[i], b = src[i + 1];
      dst[i] = src[i + 3];
      dst[i + 1] = src[i + 2];
      dst[i + 2] = b;
      dst[i + 3] = a;
    }
  } else {
    for (let i = 0; i < length; i += 8) {
      const a = src[i], b = src[i + 1], c = src[i + 2], d = src[i + 3];
      dst[i] = src[i + 7];
      dst[i + 1] = src[i + 6];
      dst[i + 2] = src[i + 5];
      dst[i + 3] = src[i + 4];
      dst[i + 4] = d;
      dst[i + 5] = c;
      dst[i + 6] = b;
      dst[i + 7] = a;
    }
  }
}

/** Reverses each `size`-byte element of the first `length` bytes of `src` into `dst` (may be `src`). */
function swapInto(dst: Uint8Array, src: Uint8Array, length: number, size: number): void {
  if (length >= endianThresholds.swap) {
    const symbols = kernelSymbols();
    if (symbols) return nativeSwap(symbols, dst, src, length, size);
  }
  jsSwap(dst, src, length, size);
}

/** Whether the first `length` bytes of `a` and `b` overlap other than exactly. */
function overlapsInexactly(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (length === 0 || typedArrayBufferOf(a) !== typedArrayBufferOf(b)) return false;
  const aOffset = typedArrayByteOffsetOf(a);
  const bOffset = typedArrayByteOffsetOf(b);
  return aOffset !== bOffset && aOffset < bOffset + length && bOffset < aOffset + length;
}

function swapInPlace<T extends BinaryInput>(data: T, size: number, name: string): T {
  const bytes = readBytes(data, `${name}'s data`);
  const length = lengthRead();
  if (length % size !== 0) {
    throw new BinlaneError(
      "E_LENGTH",
      `${name} needs a length that is a multiple of ${size} bytes, got ${length}`,
      { offset: length - (length % size) },
    );
  }
  swapInto(bytes, bytes, length, size);
  return data;
}

/**
 * Swaps the two bytes of every 16-bit element, in place; returns `data`.
 * Its length must be a multiple of 2 (otherwise `E_LENGTH`).
 *
 * @example
 * ```ts
 * import { byteSwap16 } from "@binlane/binlane";
 *
 * console.log(byteSwap16(new Uint8Array([1, 2, 3, 4]))); // Uint8Array(4) [2, 1, 4, 3]
 * ```
 */
export function byteSwap16<T extends BinaryInput>(data: T): T {
  return swapInPlace(data, 2, "byteSwap16");
}

/**
 * Reverses the four bytes of every 32-bit element, in place; returns `data`.
 * Its length must be a multiple of 4 (otherwise `E_LENGTH`).
 *
 * @example
 * ```ts
 * import { byteSwap32 } from "@binlane/binlane";
 *
 * const words = new Uint32Array([0x01020304]);
 * byteSwap32(words);
 * console.log(words[0].toString(16)); // "4030201"
 * ```
 */
export function byteSwap32<T extends BinaryInput>(data: T): T {
  return swapInPlace(data, 4, "byteSwap32");
}

/**
 * Reverses the eight bytes of every 64-bit element, in place; returns `data`.
 * Its length must be a multiple of 8 (otherwise `E_LENGTH`).
 *
 * @example
 * ```ts
 * import { byteSwap64 } from "@binlane/binlane";
 *
 * const values = new BigUint64Array([0x0102030405060708n]);
 * byteSwap64(values);
 * console.log(values[0].toString(16)); // "807060504030201"
 * ```
 */
export function byteSwap64<T extends BinaryInput>(data: T): T {
  return swapInPlace(data, 8, "byteSwap64");
}

/** The options' byte order, read once and checked before any input's length is taken. */
function readEndian(options: unknown, where: string): Endian {
  const { endian = "little" } = readOptions(options, ["endian"], where);
  if (endian !== "little" && endian !== "big") {
    throw new BinlaneError(
      "E_TYPE",
      `${where}: endian must be "little" or "big", got ${describeValue(endian)}`,
    );
  }
  return endian;
}

/** Bytes per element of each typed array kind, by the engine's tag (a caller's BYTES_PER_ELEMENT can lie). */
const elementSizes: Record<string, number> = {
  Int8Array: 1,
  Uint8Array: 1,
  Uint8ClampedArray: 1,
  Int16Array: 2,
  Uint16Array: 2,
  Float16Array: 2,
  Int32Array: 4,
  Uint32Array: 4,
  Float32Array: 4,
  Float64Array: 8,
  BigInt64Array: 8,
  BigUint64Array: 8,
};

/** The element size of a genuine typed array; anything else (a DataView, a Proxy) is `E_TYPE`. */
function elementSizeOf(array: unknown, name: string, where: string): number {
  const kind = typedArrayKind(array);
  const size = kind === undefined ? undefined : elementSizes[kind];
  if (size === undefined) {
    throw new BinlaneError(
      "E_TYPE",
      `${where}: ${name} must be a numeric typed array, got ${describeValue(array)}`,
    );
  }
  return size;
}

function checkRoom(room: number, needed: number): void {
  if (room < needed) {
    throw new BinlaneError("E_LENGTH", `target holds ${room} bytes, ${needed} needed`);
  }
}

function checkWholeElements(length: number, size: number): void {
  if (length % size !== 0) {
    throw new BinlaneError(
      "E_LENGTH",
      `${length} bytes are not a whole number of ${size}-byte elements`,
      { offset: length - (length % size) },
    );
  }
}

/** Copies `length` bytes of `src` (all of it) into `dst` (at least as long) as `size`-byte elements. */
function copyOrdered(dst: Uint8Array, src: Uint8Array, length: number, size: number, endian: Endian): void {
  if (length === 0) return;
  if (size === 1 || endian === hostEndian) {
    copyBytes(dst, src); // the engine's set copies as if through a buffer: overlap is safe
    return;
  }
  const source = overlapsInexactly(dst, src, length) ? bytesOf(src, 0, length).slice() : src;
  swapInto(dst, source, length, size);
}

/**
 * Writes the numbers of `array` into `target` as bytes in the given byte
 * order; returns the bytes written. `target` (any byte view or
 * `NativeBuffer`) must have room (otherwise `E_LENGTH`); it may overlap
 * `array`.
 *
 * @example
 * ```ts
 * import { encodeNumbersInto } from "@binlane/binlane";
 *
 * const wire = new Uint8Array(8);
 * encodeNumbersInto(new Uint16Array([0x0102, 0x0304]), wire, { endian: "big" });
 * console.log(wire.subarray(0, 4)); // Uint8Array(4) [1, 2, 3, 4]
 * ```
 */
export function encodeNumbersInto(
  array: NumericArray,
  target: BinaryInput,
  options?: EndianOptions,
): number {
  const endian = readEndian(options, "encodeNumbersInto");
  const size = elementSizeOf(array, "array", "encodeNumbersInto");
  const src = readBytes(array, "encodeNumbersInto's array");
  const length = lengthRead();
  const dst = readBytes(target, "encodeNumbersInto's target");
  checkRoom(lengthRead(), length);
  copyOrdered(dst, src, length, size, endian);
  return length;
}

/**
 * The numbers of `array` as bytes in the given byte order (default little).
 *
 * @example
 * ```ts
 * import { encodeNumbers } from "@binlane/binlane";
 *
 * console.log(encodeNumbers(new Float32Array([1]), { endian: "big" })); // Uint8Array(4) [63, 128, 0, 0]
 * ```
 */
export function encodeNumbers(array: NumericArray, options?: EndianOptions): Uint8Array {
  const endian = readEndian(options, "encodeNumbers");
  const size = elementSizeOf(array, "array", "encodeNumbers");
  const src = readBytes(array, "encodeNumbers's array");
  const length = lengthRead();
  const out = new Uint8Array(length);
  copyOrdered(out, src, length, size, endian);
  return out;
}

/**
 * Reads numbers of `target`'s type from `bytes` in the given byte order
 * into `target`; returns the count. `bytes` must be a whole number of
 * elements and `target` must have room (otherwise `E_LENGTH`).
 *
 * @example
 * ```ts
 * import { decodeNumbersInto } from "@binlane/binlane";
 *
 * const values = new Uint16Array(2);
 * decodeNumbersInto(new Uint8Array([1, 2, 3, 4]), values, { endian: "big" });
 * console.log(values); // Uint16Array(2) [258, 772]
 * ```
 */
export function decodeNumbersInto(
  bytes: BinaryInput,
  target: NumericArray,
  options?: EndianOptions,
): number {
  const endian = readEndian(options, "decodeNumbersInto");
  const size = elementSizeOf(target, "target", "decodeNumbersInto");
  const src = readBytes(bytes, "decodeNumbersInto's bytes");
  const length = lengthRead();
  checkWholeElements(length, size);
  const dst = readBytes(target, "decodeNumbersInto's target");
  checkRoom(lengthRead(), length);
  copyOrdered(dst, src, length, size, endian);
  return length / size;
}

/**
 * Numbers of `type` read from `bytes` in the given byte order (default
 * little), into a new, aligned typed array. `bytes` may sit at any offset.
 *
 * @example
 * ```ts
 * import { decodeNumbers } from "@binlane/binlane";
 *
 * const prices = decodeNumbers(new Uint8Array([0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]), "float64", {
 *   endian: "big",
 * });
 * console.log(prices[0]); // 3.141592653589793
 * ```
 */
export function decodeNumbers<T extends NumberType>(
  bytes: BinaryInput,
  type: T,
  options?: EndianOptions,
): ArrayOf<T> {
  if (typeof type !== "string" || !Object.hasOwn(constructors, type)) {
    throw new BinlaneError("E_TYPE", `decodeNumbers: unknown number type ${describeValue(type)}`);
  }
  const Constructor = (constructors as Record<string, new (length: number) => NumericArray>)[type];
  const endian = readEndian(options, "decodeNumbers");
  const src = readBytes(bytes, "decodeNumbers's bytes");
  const length = lengthRead();
  const size = constructors[type].BYTES_PER_ELEMENT;
  checkWholeElements(length, size);
  const out = new Constructor(length / size);
  copyOrdered(bytesOver(out.buffer, 0, length), src, length, size, endian);
  return out as ArrayOf<T>;
}
