/**
 * Byte search and comparison: find bytes, sets of bytes and subarrays,
 * count them, list every position, and compare buffers like memcmp.
 *
 * Inputs are any {@linkcode BinaryInput}. Positions are byte offsets into
 * the input. Native kernels take inputs below 2^31 bytes; longer inputs go
 * in 1 GiB chunks.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import { type NativeSymbols, NOT_FOUND, REFUSED } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { type BinaryInput, bytesOf, lengthRead, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { indexOfIn, lastIndexOfIn, typedArrayKind, typedArrayLengthOf } from "./intrinsics.ts";
import { describeValue } from "./options.ts";
import { resultUint32 } from "./result_pool.ts";

/** Smallest input, in bytes, that each search kernel sends to native code. */
export interface SearchThresholds {
  indexOfByte: number;
  countByte: number;
  indexOfAny: number;
  indexOfOther: number;
  indexOfSubarray: number;
  findAllByte: number;
  mismatch: number;
}

/**
 * The thresholds in force for this runtime, from
 * `bench/search_threshold.bench.ts` (full scans, 2026-11-21, AVX-512 x86-64).
 * Deno's TypedArray `indexOf` is slow on short inputs (68 ns at 64 B against
 * 38 native), so native wins early. Bun's is SIMD: native `indexOfByte`
 * overtakes it only from 1 KiB (23.6 vs 25.5 ns), and the JS `indexOfSubarray`,
 * which skips to the needle's first byte with it, won up to 8 KiB when that
 * byte never occurs. `findAllByte` natively counts, then lists: with no match
 * it lost in Bun at 4 KiB (125 vs 104 ns); with a match every 64 bytes the
 * single JS pass costs far more (79 vs 33 ns at 64 B). Deno's `mismatch`
 * (two buffers, ~50 ns a call) stays in JS to 128 B, where a byte loop
 * measured 24 ns at 64 B. Tests set these to 0
 * or Infinity to drive one path through the public functions.
 *
 * @example
 * ```ts
 * import { searchThresholds } from "./search.ts";
 *
 * console.log(searchThresholds.indexOfByte);
 * ```
 */
export const searchThresholds: SearchThresholds = runtimeName() === "bun"
  ? {
    indexOfByte: 1024,
    countByte: 16,
    indexOfAny: 128,
    indexOfOther: 128,
    indexOfSubarray: 8192,
    findAllByte: 256,
    mismatch: 64,
  }
  : {
    indexOfByte: 64,
    countByte: 32,
    indexOfAny: 64,
    indexOfOther: 64,
    indexOfSubarray: 256,
    findAllByte: 64,
    mismatch: 128,
  };

/** Native search inputs stay below 2^31 bytes; longer ones go in chunks this size. */
const CHUNK = 1 << 30;

function checkByte(byte: unknown, name = "byte"): void {
  // `&` on a BigInt or a Symbol throws a TypeError: the type is tested first.
  if (typeof byte !== "number") {
    throw new BinlaneError("E_TYPE", `${name} must be a number, got ${describeValue(byte)}`);
  }
  // One comparison rejects fractions, NaN and values outside 0..255.
  if ((byte & 0xff) !== byte) {
    throw new BinlaneError("E_RANGE", `${name} must be an integer from 0 to 255, got ${describeValue(byte)}`);
  }
}

function checkFrom(from: unknown): number {
  if (typeof from !== "number") {
    throw new BinlaneError("E_TYPE", `from must be a number, got ${describeValue(from)}`);
  }
  if (!Number.isSafeInteger(from)) {
    throw new BinlaneError("E_RANGE", `from must be a safe integer, got ${describeValue(from)}`);
  }
  return from;
}

/** Where a forward search starts, as `TypedArray.prototype.indexOf` reads `from` (checked). */
function startOf(from: number, length: number): number {
  return from < 0 ? Math.max(0, length + from) : Math.min(from, length);
}

/** Maps a search kernel's u32 result: a position, -1, or the refusal's error. */
function found(symbols: NativeSymbols, result: number, call: string): number {
  if (result < REFUSED) return result;
  if (result === NOT_FOUND) return -1;
  throw errorFromStatus(symbols.binlane_take_status(), call);
}

/** A chunk of a normalised input of `length` bytes, cut from the engine's slots when it is not all of it. */
function chunkAt(bytes: Uint8Array, length: number, start: number, end: number): Uint8Array {
  return start === 0 && end === length ? bytes : bytesOf(bytes, start, end);
}

// One function per export, so each FFI call has its own call site (V8
// inlines Deno's fast call only at monomorphic sites; see src/crc.ts).

function nativeIndexOfByte(
  symbols: NativeSymbols,
  bytes: Uint8Array,
  length: number,
  byte: number,
  start: number,
): number {
  if (start === 0 && length <= CHUNK) {
    return found(symbols, symbols.binlane_index_of_byte(bytes, length, byte), "binlane_index_of_byte");
  }
  for (let offset = start; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const chunk = chunkAt(bytes, length, offset, end);
    const at = found(
      symbols,
      symbols.binlane_index_of_byte(chunk, end - offset, byte),
      "binlane_index_of_byte",
    );
    if (at >= 0) return offset + at;
  }
  return -1;
}

/**
 * The first index of `byte` in `data` at or after `from`, or -1. `from`
 * reads as in `Uint8Array.prototype.indexOf` (negative counts from the end).
 *
 * @example
 * ```ts
 * import { indexOfByte } from "@binlane/binlane";
 *
 * const line = new TextEncoder().encode("key=value\n");
 * console.log(indexOfByte(line, 0x3d)); // 3
 * console.log(indexOfByte(line, 0x3d, 4)); // -1
 * ```
 */
export function indexOfByte(data: BinaryInput, byte: number, from = 0): number {
  checkByte(byte);
  checkFrom(from);
  const bytes = readBytes(data, "indexOfByte's data");
  const length = lengthRead();
  const start = startOf(from, length);
  if (length - start >= searchThresholds.indexOfByte) {
    const symbols = kernelSymbols();
    if (symbols) return nativeIndexOfByte(symbols, bytes, length, byte, start);
  }
  return indexOfIn(bytes, byte, start);
}

function nativeLastIndexOfByte(
  symbols: NativeSymbols,
  bytes: Uint8Array,
  length: number,
  byte: number,
  end: number,
): number {
  for (let stop = end; stop > 0; stop -= CHUNK) {
    const begin = Math.max(0, stop - CHUNK);
    const chunk = chunkAt(bytes, length, begin, stop);
    const call = "binlane_last_index_of_byte";
    const at = found(symbols, symbols.binlane_last_index_of_byte(chunk, stop - begin, byte), call);
    if (at >= 0) return begin + at;
  }
  return -1;
}

/**
 * The last index of `byte` in `data` at or before `from` (default: the
 * last byte), or -1; `from` reads as in `Uint8Array.prototype.lastIndexOf`.
 *
 * @example
 * ```ts
 * import { lastIndexOfByte } from "@binlane/binlane";
 *
 * const path = new TextEncoder().encode("a/b/c.txt");
 * console.log(lastIndexOfByte(path, 0x2f)); // 3
 * ```
 */
export function lastIndexOfByte(data: BinaryInput, byte: number, from?: number): number {
  checkByte(byte);
  if (from !== undefined) checkFrom(from);
  const bytes = readBytes(data, "lastIndexOfByte's data");
  const length = lengthRead();
  let end = length;
  if (from !== undefined) {
    end = from < 0 ? length + from + 1 : Math.min(from + 1, length);
    if (end <= 0) return -1;
  }
  if (end >= searchThresholds.indexOfByte) {
    const symbols = kernelSymbols();
    if (symbols) return nativeLastIndexOfByte(symbols, bytes, length, byte, end);
  }
  return lastIndexOfIn(bytes, byte, end - 1);
}

function nativeCountByte(symbols: NativeSymbols, bytes: Uint8Array, length: number, byte: number): number {
  let count = 0;
  for (let offset = 0; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const chunk = chunkAt(bytes, length, offset, end);
    const result = symbols.binlane_count_byte(chunk, end - offset, byte);
    if (result >= REFUSED) throw errorFromStatus(symbols.binlane_take_status(), "binlane_count_byte");
    count += result;
  }
  return count;
}

function jsCountByte(bytes: Uint8Array, length: number, byte: number): number {
  let count = 0;
  for (let i = 0; i < length; i++) count += bytes[i] === byte ? 1 : 0;
  return count;
}

/**
 * How many times `byte` occurs in `data`.
 *
 * @example
 * ```ts
 * import { countByte } from "@binlane/binlane";
 *
 * const text = new TextEncoder().encode("one\ntwo\nthree\n");
 * console.log(countByte(text, 0x0a)); // 3
 * ```
 */
export function countByte(data: BinaryInput, byte: number): number {
  checkByte(byte);
  const bytes = readBytes(data, "countByte's data");
  const length = lengthRead();
  if (length >= searchThresholds.countByte) {
    const symbols = kernelSymbols();
    if (symbols) return nativeCountByte(symbols, bytes, length, byte);
  }
  return jsCountByte(bytes, length, byte);
}

/** A byte set packed for the native call: four little-endian words and a count. */
function packSet(set: readonly number[]): [number, number, number, number] {
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < set.length; i++) words[i >> 2] |= set[i] << ((i & 3) * 8);
  return [words[0] >>> 0, words[1] >>> 0, words[2] >>> 0, words[3] >>> 0];
}

/**
 * The most byte values `indexOfAny` and `indexOfOther` take: the native call
 * carries the set packed in four u32s.
 *
 * @example
 * ```ts
 * import { MAX_SET_BYTES } from "./search.ts";
 *
 * console.log(MAX_SET_BYTES); // 16
 * ```
 */
export const MAX_SET_BYTES = 16;

/**
 * The set's byte values, read once into binlane's own array: a typed array
 * by its engine length, an array by its `length` (an array's own, which no
 * getter can replace); anything else, a Proxy of a typed array included, is
 * `E_TYPE`.
 */
function readSet(set: unknown, name: string): number[] {
  let length: number;
  if (typedArrayKind(set) !== undefined) {
    length = typedArrayLengthOf(set as ArrayBufferView);
  } else {
    let isArray: boolean;
    try {
      isArray = Array.isArray(set);
    } catch (cause) {
      throw new BinlaneError("E_TYPE", `${name}: bytes is a revoked Proxy`, { cause });
    }
    if (!isArray) {
      throw new BinlaneError(
        "E_TYPE",
        `${name}: bytes must be an array or typed array of byte values, got ${describeValue(set)}`,
      );
    }
    const claimed = readElement(set, "length", name);
    // Only a Proxy of an array can answer anything but a safe integer here.
    if (typeof claimed !== "number" || !Number.isSafeInteger(claimed) || claimed < 0) {
      throw new BinlaneError("E_TYPE", `${name}: bytes has a length of ${describeValue(claimed)}`);
    }
    length = claimed;
  }
  if (length > MAX_SET_BYTES) {
    throw new BinlaneError("E_RANGE", `${name} takes at most ${MAX_SET_BYTES} byte values, got ${length}`);
  }
  const values: number[] = [];
  for (let i = 0; i < length; i++) {
    const value = readElement(set, i, name);
    checkByte(value, `bytes[${i}]`);
    values.push(value as number);
  }
  return values;
}

/** One read of a caller array's element; a trap's or getter's exception becomes `E_TYPE`. */
function readElement(set: unknown, key: number | "length", name: string): unknown {
  try {
    return (set as Record<number | string, unknown>)[key];
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `${name}: reading bytes[${key}] threw`, { cause });
  }
}

function nativeIndexOfSet(
  symbols: NativeSymbols,
  bytes: Uint8Array,
  length: number,
  set: readonly number[],
  start: number,
  name: "binlane_index_of_any" | "binlane_index_of_other",
): number {
  const [w0, w1, w2, w3] = packSet(set);
  const kernel = symbols[name];
  for (let offset = start; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const chunk = chunkAt(bytes, length, offset, end);
    const at = found(symbols, kernel(chunk, end - offset, w0, w1, w2, w3, set.length), name);
    if (at >= 0) return offset + at;
  }
  return -1;
}

const memberScratch = new Uint8Array(256);

/** The first index from `start` whose byte is (`wanted` 1) or is not (0) in the set. */
function jsIndexOfSet(
  bytes: Uint8Array,
  length: number,
  set: readonly number[],
  start: number,
  wanted: 0 | 1,
): number {
  const member = memberScratch.fill(0);
  for (let i = 0; i < set.length; i++) member[set[i]] = 1;
  for (let i = start; i < length; i++) if (member[bytes[i]] === wanted) return i;
  return -1;
}

/** indexOfAny (`member` true) and indexOfOther (false): the first byte from `from` in, or not in, the set. */
function indexOfSet(data: BinaryInput, bytes: ArrayLike<number>, from: number, member: boolean): number {
  const name = member ? "indexOfAny" : "indexOfOther";
  const set = readSet(bytes, name);
  checkFrom(from);
  const haystack = readBytes(data, `${name}'s data`);
  const length = lengthRead();
  const start = startOf(from, length);
  if (length - start >= searchThresholds[name]) {
    const symbols = kernelSymbols();
    const kernel = member ? "binlane_index_of_any" : "binlane_index_of_other";
    if (symbols) return nativeIndexOfSet(symbols, haystack, length, set, start, kernel);
  }
  return jsIndexOfSet(haystack, length, set, start, member ? 1 : 0);
}

/**
 * The first index at or after `from` of any of up to 16 byte values, or -1.
 *
 * @example
 * ```ts
 * import { indexOfAny } from "@binlane/binlane";
 *
 * const csv = new TextEncoder().encode('name,"quoted"\n');
 * console.log(indexOfAny(csv, [0x2c, 0x22, 0x0a])); // 4 (the comma)
 * ```
 */
export function indexOfAny(data: BinaryInput, bytes: ArrayLike<number>, from = 0): number {
  return indexOfSet(data, bytes, from, true);
}

/**
 * The first index at or after `from` of a byte that is none of up to 16
 * byte values, or -1 when every byte is one of them: where a column of byte
 * codes (an enum, a flag) stops being valid. Its threshold is indexOfAny's,
 * whose kernel it shares but for one negation.
 *
 * @example
 * ```ts
 * import { indexOfOther } from "@binlane/binlane";
 *
 * const sides = new Uint8Array([1, 2, 2, 1, 7, 1]);
 * console.log(indexOfOther(sides, [1, 2])); // 4
 * console.log(indexOfOther(sides.subarray(0, 4), [1, 2])); // -1
 * ```
 */
export function indexOfOther(data: BinaryInput, bytes: ArrayLike<number>, from = 0): number {
  return indexOfSet(data, bytes, from, false);
}

function nativeIndexOfSubarray(
  symbols: NativeSymbols,
  haystack: Uint8Array,
  hayLength: number,
  needle: Uint8Array,
  needleLength: number,
  start: number,
): number {
  // Chunks overlap by the needle's length less one, so no match straddles unseen.
  for (let offset = start; offset + needleLength <= hayLength; offset += CHUNK) {
    const end = Math.min(offset + CHUNK + needleLength - 1, hayLength);
    const chunk = chunkAt(haystack, hayLength, offset, end);
    const result = symbols.binlane_index_of_subarray(chunk, end - offset, needle, needleLength);
    const at = found(symbols, result, "binlane_index_of_subarray");
    if (at >= 0) return offset + at;
  }
  return -1;
}

function jsIndexOfSubarray(
  haystack: Uint8Array,
  hayLength: number,
  needle: Uint8Array,
  needleLength: number,
  start: number,
): number {
  const last = hayLength - needleLength;
  const first = needle[0];
  for (
    let at = indexOfIn(haystack, first, start);
    at !== -1 && at <= last;
    at = indexOfIn(haystack, first, at + 1)
  ) {
    let i = 1;
    while (i < needleLength && haystack[at + i] === needle[i]) i++;
    if (i === needleLength) return at;
  }
  return -1;
}

/**
 * The first index at or after `from` where `needle` occurs in `haystack`,
 * or -1. An empty needle is found at `from` (clamped to the length), as in
 * `Buffer.prototype.indexOf`.
 *
 * @example
 * ```ts
 * import { indexOfSubarray } from "@binlane/binlane";
 *
 * const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
 * const endOfHeaders = indexOfSubarray(request, new TextEncoder().encode("\r\n\r\n"));
 * console.log(endOfHeaders); // 23
 * ```
 */
export function indexOfSubarray(haystack: BinaryInput, needle: BinaryInput, from = 0): number {
  checkFrom(from);
  const hay = readBytes(haystack, "indexOfSubarray's haystack");
  const hayLength = lengthRead();
  const pattern = readBytes(needle, "indexOfSubarray's needle");
  const needleLength = lengthRead();
  const start = startOf(from, hayLength);
  if (needleLength === 0) return start;
  if (needleLength > hayLength - start) return -1;
  if (hayLength - start >= searchThresholds.indexOfSubarray && needleLength < CHUNK) {
    const symbols = kernelSymbols();
    if (symbols) return nativeIndexOfSubarray(symbols, hay, hayLength, pattern, needleLength, start);
  }
  return jsIndexOfSubarray(hay, hayLength, pattern, needleLength, start);
}

function nativeFindAllByte(
  symbols: NativeSymbols,
  bytes: Uint8Array,
  length: number,
  byte: number,
): Uint32Array {
  const positions = resultUint32(nativeCountByte(symbols, bytes, length, byte));
  let written = 0;
  for (let offset = 0; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const chunk = chunkAt(bytes, length, offset, end);
    const out = written === 0 ? positions : positions.subarray(written);
    const count = symbols.binlane_find_all_byte(chunk, end - offset, byte, out, out.length);
    if (count >= REFUSED) throw errorFromStatus(symbols.binlane_take_status(), "binlane_find_all_byte");
    for (let i = 0; offset !== 0 && i < count; i++) out[i] += offset;
    written += count;
  }
  // Only a concurrent writer (a SharedArrayBuffer) can change the count between the passes.
  return written === positions.length ? positions : positions.slice(0, written);
}

function jsFindAllByte(bytes: Uint8Array, byte: number): Uint32Array {
  const found: number[] = [];
  for (let at = indexOfIn(bytes, byte, 0); at !== -1; at = indexOfIn(bytes, byte, at + 1)) found.push(at);
  const positions = resultUint32(found.length);
  positions.set(found);
  return positions;
}

/**
 * Every index of `byte` in `data`, in order: one call to split records or
 * lines. Inputs must be under 4 GiB, so that positions fit a `Uint32Array`.
 * In Deno, a result of up to 1024 positions is a view into a buffer shared
 * with other small results (new buffers cost Deno ~600 ns each); it is
 * yours to read and write, but copy it (`slice()`) before transferring its
 * `buffer`.
 *
 * @example
 * ```ts
 * import { findAllByte } from "@binlane/binlane";
 *
 * const text = new TextEncoder().encode("a\nbb\nccc\n");
 * console.log(findAllByte(text, 0x0a)); // Uint32Array(3) [1, 4, 8]
 * ```
 */
export function findAllByte(data: BinaryInput, byte: number): Uint32Array {
  checkByte(byte);
  const bytes = readBytes(data, "findAllByte's data");
  const length = lengthRead();
  if (length > 0xffff_ffff) {
    throw new BinlaneError("E_LENGTH", `findAllByte takes inputs under 4 GiB, got ${length} bytes`);
  }
  if (length >= searchThresholds.findAllByte) {
    const symbols = kernelSymbols();
    if (symbols) return nativeFindAllByte(symbols, bytes, length, byte);
  }
  return jsFindAllByte(bytes, byte);
}

function nativeMismatch(symbols: NativeSymbols, a: Uint8Array, b: Uint8Array, length: number): number {
  for (let offset = 0; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const left = offset === 0 && end === length ? a : bytesOf(a, offset, end);
    const right = offset === 0 && end === length ? b : bytesOf(b, offset, end);
    const at = found(symbols, symbols.binlane_mismatch(left, right, end - offset), "binlane_mismatch");
    if (at >= 0) return offset + at;
  }
  return -1;
}

/** The first index below `length` where `a` and `b` differ, or -1. */
function commonMismatch(a: Uint8Array, b: Uint8Array, length: number): number {
  if (length >= searchThresholds.mismatch) {
    const symbols = kernelSymbols();
    if (symbols) return nativeMismatch(symbols, a, b, length);
  }
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * The first index where `a` and `b` differ; the shorter length when one is
 * a prefix of the other; -1 when they are equal.
 *
 * @example
 * ```ts
 * import { mismatch } from "@binlane/binlane";
 *
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * console.log(mismatch(bytes("header:1"), bytes("header:2"))); // 7
 * console.log(mismatch(bytes("abc"), bytes("abcdef"))); // 3
 * console.log(mismatch(bytes("abc"), bytes("abc"))); // -1
 * ```
 */
export function mismatch(a: BinaryInput, b: BinaryInput): number {
  const left = readBytes(a, "mismatch's a");
  const leftLength = lengthRead();
  const right = readBytes(b, "mismatch's b");
  const rightLength = lengthRead();
  const common = Math.min(leftLength, rightLength);
  const at = commonMismatch(left, right, common);
  if (at !== -1) return at;
  return leftLength === rightLength ? -1 : common;
}

/**
 * Whether `a` and `b` hold the same bytes.
 *
 * @example
 * ```ts
 * import { equals } from "@binlane/binlane";
 *
 * console.log(equals(new Uint8Array([1, 2]), new Uint16Array([0x0201]))); // true on little-endian machines
 * ```
 */
export function equals(a: BinaryInput, b: BinaryInput): boolean {
  const left = readBytes(a, "equals's a");
  const leftLength = lengthRead();
  const right = readBytes(b, "equals's b");
  return leftLength === lengthRead() && commonMismatch(left, right, leftLength) === -1;
}

/**
 * Lexicographic order of `a` and `b` as unsigned bytes, like memcmp with
 * the shorter input first when one is a prefix: -1, 0 or 1.
 *
 * @example
 * ```ts
 * import { compare } from "@binlane/binlane";
 *
 * const keys = ["b", "ab", "a"].map((key) => new TextEncoder().encode(key));
 * keys.sort(compare); // a, ab, b
 * ```
 */
export function compare(a: BinaryInput, b: BinaryInput): -1 | 0 | 1 {
  const left = readBytes(a, "compare's a");
  const leftLength = lengthRead();
  const right = readBytes(b, "compare's b");
  const rightLength = lengthRead();
  const common = Math.min(leftLength, rightLength);
  const at = commonMismatch(left, right, common);
  if (at !== -1) return left[at] < right[at] ? -1 : 1;
  if (leftLength === rightLength) return 0;
  return leftLength < rightLength ? -1 : 1;
}
