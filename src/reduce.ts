/**
 * Reductions over numeric typed arrays: the minimum and maximum, and the
 * sum, with the same answer bit for bit on every path.
 *
 * - Integer sums are exact. Sums of 8- and 16-bit elements are numbers
 *   (they cannot pass 2^53); sums of 32- and 64-bit elements are BigInts,
 *   since they can, and are never wrapped.
 * - Float sums add element i, in double precision, to lane i mod 16 (lanes
 *   start at -0), then combine the lanes pairwise: 16 to 8 to 4 to 2 to 1.
 *   This order is fixed, so the JS path and every CPU level agree to the
 *   last bit; it is also more accurate than one running sum. A NaN or
 *   opposite infinities make the sum NaN.
 * - Float minima and maxima follow `Math.min` and `Math.max`: any NaN makes
 *   both NaN, and -0 counts as below +0.
 *
 * @module
 */

import type { NativeSymbols } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { plainArray } from "./bytes.ts";
import type { NumericArray } from "./endian.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";

/** Arrays whose elements are numbers: every numeric typed array but the 64-bit integer ones. */
export type NumberElementArray = Exclude<NumericArray, BigInt64Array | BigUint64Array>;

/** Arrays whose sums are numbers: 8- and 16-bit integers, and floats. */
export type NumberSumArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Float32Array
  | Float64Array;

/** Arrays whose sums are BigInts: 32- and 64-bit integers. */
export type BigIntSumArray = Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** The smallest and largest element. */
export interface MinMax<T> {
  /** The smallest element. */
  readonly min: T;
  /** The largest element. */
  readonly max: T;
}

/**
 * Smallest input, in bytes, reduced natively in this runtime, from
 * `bench/reduce.bench.ts` (2026-11-21), summing f64: native from 1 KiB in
 * both runtimes (Deno 207 ns against JS 226, Bun 142 against 175; at 512 B
 * JS wins in both, Deno 142 against 160, Bun 122 against 140). Tests set it
 * to 0 or Infinity to drive one path through the public functions.
 *
 * @example
 * ```ts
 * import { reduceThresholds } from "./reduce.ts";
 *
 * console.log(reduceThresholds.bytes);
 * ```
 */
export const reduceThresholds: { bytes: number } = { bytes: 1024 };

/** Native element types (native-zig/reduce.zig `ElementType`). */
function elementType(array: ArrayBufferView): number {
  if (array instanceof Int8Array) return 0;
  if (array instanceof Uint8Array || array instanceof Uint8ClampedArray) return 1;
  if (array instanceof Int16Array) return 2;
  if (array instanceof Uint16Array) return 3;
  if (array instanceof Int32Array) return 4;
  if (array instanceof Uint32Array) return 5;
  if (array instanceof BigInt64Array) return 6;
  if (array instanceof BigUint64Array) return 7;
  if (array instanceof Float32Array) return 8;
  if (array instanceof Float64Array) return 9;
  throw new BinlaneError("E_TYPE", "expected a numeric typed array");
}

const numericKinds: readonly string[] = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
  "Float32Array",
  "Float64Array",
];

const SIGNED = [true, false, true, false, true, false, true, false];
const MIN_MAX = 0;
const SUM = 1;
const LANES = 16;
/** Native lengths stay below 2^32: pieces of 2^30 bytes, a multiple of 16 elements of any size. */
const CHUNK_BYTES = 1 << 30;
/** 32-bit elements summed as numbers this many at a time stay below 2^53. */
const EXACT_RUN = 1 << 20;

const out = new BigUint64Array(LANES);
const outFloats = new Float64Array(out.buffer);

function nativeCall(symbols: NativeSymbols, array: ArrayBufferView, type: number, op: number): void {
  const status = symbols.binlane_reduce(array, array.byteLength, type, op, out, out.byteLength);
  if (status !== 0) throw errorFromStatus(status, "binlane_reduce");
}

function pieces<T extends ArrayBufferView & { subarray(a: number, b: number): T; length: number }>(
  array: T,
): T[] {
  if (array.byteLength <= CHUNK_BYTES) return [array];
  const step = CHUNK_BYTES / (array.byteLength / array.length);
  const parts: T[] = [];
  for (let start = 0; start < array.length; start += step) parts.push(array.subarray(start, start + step));
  return parts;
}

function symbolsFor(array: ArrayBufferView): NativeSymbols | undefined {
  return array.byteLength >= reduceThresholds.bytes ? kernelSymbols() : undefined;
}

/** The lanes of a float sum combined in the fixed order (in place). */
function combineLanes(lanes: Float64Array): number {
  for (let width = LANES / 2; width >= 1; width /= 2) {
    for (let j = 0; j < width; j++) lanes[j] = lanes[j] + lanes[j + width];
  }
  return lanes[0];
}

function jsMinMax(array: NumberElementArray | BigInt64Array | BigUint64Array): MinMax<number | bigint> {
  if (array instanceof BigInt64Array || array instanceof BigUint64Array) {
    let min = array[0];
    let max = min;
    for (let i = 1; i < array.length; i++) {
      const v = array[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max };
  }
  let min = array[0];
  let max = min;
  // Math.min and Math.max are the policy: NaN wins, -0 is below +0.
  for (let i = 1; i < array.length; i++) {
    min = Math.min(min, array[i]);
    max = Math.max(max, array[i]);
  }
  return { min, max };
}

function nativeMinMax(
  symbols: NativeSymbols,
  array: NumberElementArray | BigInt64Array | BigUint64Array,
): MinMax<number | bigint> {
  const type = elementType(array);
  let result: MinMax<number | bigint> | undefined;
  for (const part of pieces(array)) {
    nativeCall(symbols, part, type, MIN_MAX);
    const value = (word: number): number | bigint => {
      if (type >= 8) return outFloats[word];
      const bits = SIGNED[type] ? BigInt.asIntN(64, out[word]) : out[word];
      return type >= 6 ? bits : Number(bits);
    };
    const piece = { min: value(0), max: value(1) };
    result = result === undefined ? piece : combineMinMax(result, piece);
  }
  return result!;
}

function combineMinMax(a: MinMax<number | bigint>, b: MinMax<number | bigint>): MinMax<number | bigint> {
  if (typeof a.min === "number") {
    return { min: Math.min(a.min, b.min as number), max: Math.max(a.max as number, b.max as number) };
  }
  return { min: a.min < b.min ? a.min : b.min, max: a.max > b.max ? a.max : b.max };
}

/**
 * The smallest and largest element of `array`, or undefined when it is
 * empty. Floats as `Math.min` and `Math.max`: any NaN makes both NaN, and
 * -0 is below +0.
 *
 * @example
 * ```ts
 * import { minMax } from "@binlane/binlane";
 *
 * console.log(minMax(new Int16Array([3, -7, 12]))); // { min: -7, max: 12 }
 * console.log(minMax(new BigInt64Array([5n, -2n]))); // { min: -2n, max: 5n }
 * ```
 */
export function minMax(array: NumberElementArray): MinMax<number> | undefined;
/**
 * The smallest and largest of 64-bit integers, as BigInts; undefined when empty.
 *
 * @example
 * ```ts
 * import { minMax } from "@binlane/binlane";
 *
 * console.log(minMax(new BigUint64Array([7n, 2n ** 64n - 1n]))); // { min: 7n, max: 18446744073709551615n }
 * ```
 */
export function minMax(array: BigInt64Array | BigUint64Array): MinMax<bigint> | undefined;
export function minMax(
  array: NumberElementArray | BigInt64Array | BigUint64Array,
): MinMax<number | bigint> | undefined {
  // binlane's own view: the code below reads its length and cuts it freely.
  array = plainArray(array, numericKinds, "array", "minMax") as typeof array;
  if (array.length === 0) return undefined;
  const symbols = symbolsFor(array);
  return symbols ? nativeMinMax(symbols, array) : jsMinMax(array);
}

function jsSum(array: NumberSumArray | BigIntSumArray): number | bigint {
  if (array instanceof Float32Array || array instanceof Float64Array) {
    // The shared lanes: a new Float64Array costs Deno ~600 ns.
    const lanes = outFloats.fill(-0);
    for (let i = 0; i < array.length; i++) lanes[i & 15] += array[i];
    return combineLanes(lanes);
  }
  if (array instanceof BigInt64Array || array instanceof BigUint64Array) {
    let total = 0n;
    for (let i = 0; i < array.length; i++) total += array[i];
    return total;
  }
  if (array instanceof Int32Array || array instanceof Uint32Array) {
    let total = 0n;
    for (let start = 0; start < array.length; start += EXACT_RUN) {
      const end = Math.min(start + EXACT_RUN, array.length);
      let run = 0;
      for (let i = start; i < end; i++) run += array[i];
      total += BigInt(run);
    }
    return total;
  }
  let total = 0;
  for (let i = 0; i < array.length; i++) total += array[i];
  return total;
}

function nativeSum(symbols: NativeSymbols, array: NumberSumArray | BigIntSumArray): number | bigint {
  const type = elementType(array);
  if (type >= 8) {
    outFloats.fill(-0);
    for (const part of pieces(array)) nativeCall(symbols, part, type, SUM);
    return combineLanes(outFloats);
  }
  let total = 0n;
  for (const part of pieces(array)) {
    nativeCall(symbols, part, type, SUM);
    total += (BigInt.asIntN(64, out[1]) << 64n) | out[0];
  }
  return type < 4 ? Number(total) : total;
}

/**
 * The sum of `array`: exact for integers (a number for 8- and 16-bit
 * elements, a BigInt for 32- and 64-bit ones, never wrapped), and for
 * floats a double summed in a fixed order of 16 lanes that every path
 * shares (see the module notes). An empty array sums to 0 (or 0n).
 *
 * @example
 * ```ts
 * import { sum } from "@binlane/binlane";
 *
 * console.log(sum(new Uint8Array([200, 100]))); // 300
 * console.log(sum(new Uint32Array([2 ** 32 - 1, 2 ** 32 - 1]))); // 8589934590n
 * console.log(sum(new Float64Array([0.5, 0.25]))); // 0.75
 * ```
 */
export function sum(array: NumberSumArray): number;
/**
 * The exact sum of 32- or 64-bit integers, as a BigInt that is never wrapped.
 *
 * @example
 * ```ts
 * import { sum } from "@binlane/binlane";
 *
 * console.log(sum(new BigUint64Array([2n ** 64n - 1n, 1n]))); // 18446744073709551616n
 * ```
 */
export function sum(array: BigIntSumArray): bigint;
export function sum(array: NumberSumArray | BigIntSumArray): number | bigint {
  // binlane's own view: the code below reads its length and cuts it freely.
  array = plainArray(array, numericKinds, "array", "sum") as typeof array;
  const type = elementType(array);
  if (array.length === 0) return type >= 4 && type < 8 ? 0n : 0;
  const symbols = symbolsFor(array);
  return symbols ? nativeSum(symbols, array) : jsSum(array);
}
