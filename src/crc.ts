/**
 * CRC-32 (IEEE 802.3, as zlib) and CRC-32C (Castagnoli): the public API.
 *
 * @module
 */

import type { NativeSymbols } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { type BinaryInput, bytesOf, lengthRead, overlaps, readBytes } from "./bytes.ts";
import { CRC32_POLY, CRC32C_POLY, crcUpdate, slicingTables } from "./crc_js.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { copyBytes, uint8LengthOf } from "./intrinsics.ts";
import { describeValue } from "./options.ts";
import { runtimeName } from "../ffi/runtime.ts";

const crc32Tables = slicingTables(CRC32_POLY);
const crc32cTables = slicingTables(CRC32C_POLY);

/**
 * Smallest input, in bytes, sent to native code: below it the JS path wins
 * because the FFI call costs more than the work. From two runs of
 * `bench/crc_threshold.bench.ts` per runtime on an AVX-512 x86-64
 * (2026-11-21). Deno: CRC-32 native from 48 B (46-48 ns against JS 51-59),
 * CRC-32C from 32 B (24-27 against 25-29). Bun: CRC-32 from 32 B (24
 * against 25), CRC-32C from 24 B (21-23 against 25-32).
 */
const nativeThresholds: { crc32: number; crc32c: number } = runtimeName() === "bun"
  ? { crc32: 32, crc32c: 24 }
  : { crc32: 48, crc32c: 32 };

/** Native lengths are u32; larger inputs go in chunks this size. */
const NATIVE_CHUNK = 1 << 30;

function checkSeed(seed: unknown, where: string): void {
  // `>>>` on a BigInt or a Symbol throws a TypeError: the type is tested first.
  if (typeof seed !== "number") {
    throw new BinlaneError("E_TYPE", `${where}: seed must be a number, got ${describeValue(seed)}`);
  }
  // One comparison rejects fractions, negatives, NaN and 2^32 up.
  if ((seed >>> 0) !== seed) {
    throw new BinlaneError(
      "E_RANGE",
      `${where}: seed must be an integer from 0 to 2^32-1, got ${describeValue(seed)}`,
    );
  }
}

/** The engine's byte length of a genuine Uint8Array argument of an internal entry; E_TYPE for anything else. */
function lengthOfArray(bytes: Uint8Array, name: string, where: string): number {
  const length = uint8LengthOf(bytes);
  if (length < 0) {
    throw new BinlaneError("E_TYPE", `${where}: ${name} must be a Uint8Array, got ${describeValue(bytes)}`);
  }
  return length;
}

/**
 * A kernel that refuses its input returns its seed; a non-empty input that
 * comes back as its seed is asked about (one call in 2^32 by chance).
 */
function checkRefusal(symbols: NativeSymbols, call: string): void {
  const status = symbols.binlane_take_status();
  if (status !== 0) throw errorFromStatus(status, call);
}

type NativeChecksum = (symbols: NativeSymbols, bytes: Uint8Array, length: number, seed: number) => number;

function inChunks(
  checksum: NativeChecksum,
  symbols: NativeSymbols,
  bytes: Uint8Array,
  length: number,
  seed: number,
): number {
  let crc = seed;
  for (let offset = 0; offset < length; offset += NATIVE_CHUNK) {
    const end = Math.min(offset + NATIVE_CHUNK, length);
    crc = checksum(symbols, bytesOf(bytes, offset, end), end - offset, crc);
  }
  return crc;
}

// One function, and so one call site, per export: V8 inlines Deno's fast
// FFI call only where a call site always calls the same function. A shared
// helper taking the export as a parameter measured 160 ns a call against
// 49 ns here (bench/crc.bench.ts, "FFI call cost").

function nativeCrc32(symbols: NativeSymbols, bytes: Uint8Array, length: number, seed: number): number {
  if (length > NATIVE_CHUNK) return inChunks(nativeCrc32, symbols, bytes, length, seed);
  const crc = symbols.binlane_crc32(bytes, length, seed);
  if (crc === seed && length !== 0) checkRefusal(symbols, "binlane_crc32");
  return crc;
}

function nativeCrc32c(symbols: NativeSymbols, bytes: Uint8Array, length: number, seed: number): number {
  if (length > NATIVE_CHUNK) return inChunks(nativeCrc32c, symbols, bytes, length, seed);
  const crc = symbols.binlane_crc32c(bytes, length, seed);
  if (crc === seed && length !== 0) checkRefusal(symbols, "binlane_crc32c");
  return crc;
}

/**
 * CRC-32 on the native path whatever the size, for tests and benchmarks;
 * undefined without the native library.
 *
 * @example
 * ```ts
 * import { crc32Native } from "./crc.ts";
 *
 * console.log(crc32Native(new Uint8Array(4), 0)); // undefined on the JS path
 * ```
 */
export function crc32Native(bytes: Uint8Array, seed: number): number | undefined {
  checkSeed(seed, "crc32Native");
  const length = lengthOfArray(bytes, "bytes", "crc32Native");
  const symbols = kernelSymbols();
  return symbols && nativeCrc32(symbols, bytes, length, seed);
}

/**
 * CRC-32C on the native path whatever the size; see {@linkcode crc32Native}.
 *
 * @example
 * ```ts
 * import { crc32cNative } from "./crc.ts";
 *
 * console.log(crc32cNative(new Uint8Array(4), 0));
 * ```
 */
export function crc32cNative(bytes: Uint8Array, seed: number): number | undefined {
  checkSeed(seed, "crc32cNative");
  const length = lengthOfArray(bytes, "bytes", "crc32cNative");
  const symbols = kernelSymbols();
  return symbols && nativeCrc32c(symbols, bytes, length, seed);
}

/**
 * CRC-32 on the JS path whatever the size, for tests and benchmarks.
 *
 * @example
 * ```ts
 * import { crc32Js } from "./crc.ts";
 *
 * console.log(crc32Js(new TextEncoder().encode("123456789"), 0).toString(16)); // "cbf43926"
 * ```
 */
export function crc32Js(bytes: Uint8Array, seed: number): number {
  return ~crcUpdate(crc32Tables, ~seed, bytes, 0, lengthOfArray(bytes, "bytes", "crc32Js")) >>> 0;
}

/**
 * CRC-32C on the JS path whatever the size, for tests and benchmarks.
 *
 * @example
 * ```ts
 * import { crc32cJs } from "./crc.ts";
 *
 * console.log(crc32cJs(new TextEncoder().encode("123456789"), 0).toString(16)); // "e3069283"
 * ```
 */
export function crc32cJs(bytes: Uint8Array, seed: number): number {
  return ~crcUpdate(crc32cTables, ~seed, bytes, 0, lengthOfArray(bytes, "bytes", "crc32cJs")) >>> 0;
}

/**
 * The CRC-32C of `bytes[start..end)` in JS, for short ranges inside larger
 * buffers (a frame header) where making a subarray would cost more.
 *
 * @example
 * ```ts
 * import { crc32cRange } from "./crc.ts";
 *
 * const text = new TextEncoder().encode("xx123456789");
 * console.log(crc32cRange(text, 2, 11).toString(16)); // "e3069283"
 * ```
 */
export function crc32cRange(bytes: Uint8Array, start: number, end: number): number {
  const length = lengthOfArray(bytes, "bytes", "crc32cRange");
  if (!(start >= 0 && start <= end && end <= length)) {
    throw new BinlaneError("E_RANGE", `crc32cRange: [${start}, ${end}) is not inside ${length} bytes`);
  }
  return ~crcUpdate(crc32cTables, ~0, bytes, start, end) >>> 0;
}

function nativeCrc32cCopy(
  symbols: NativeSymbols,
  target: Uint8Array,
  targetLength: number,
  source: Uint8Array,
  sourceLength: number,
  seed: number,
): number {
  const crc = symbols.binlane_crc32c_copy(target, targetLength, source, sourceLength, seed);
  if (crc === seed && sourceLength !== 0) checkRefusal(symbols, "binlane_crc32c_copy");
  return crc;
}

/**
 * Copies `source` into the start of `target` and returns the CRC-32C of the
 * bytes copied, continued from `seed`. Natively the copy rides along the
 * checksum's loads, so `source` is read from memory once: for assembling
 * frames that straddle chunks (bench/frame.bench.ts). Same threshold as
 * {@linkcode crc32c}: the checksum is the work the call pays for.
 * `E_LENGTH` when `target` is shorter, `E_INVALID_ARGUMENT` when the bytes
 * it would write overlap `source`; nothing is written then.
 *
 * @example
 * ```ts
 * import { crc32cCopy } from "./crc.ts";
 *
 * const target = new Uint8Array(12);
 * const crc = crc32cCopy(target, new TextEncoder().encode("123456789"), 0);
 * console.log(crc.toString(16), target[8]); // "e3069283" 57
 * ```
 */
export function crc32cCopy(target: Uint8Array, source: Uint8Array, seed: number): number {
  checkSeed(seed, "crc32cCopy");
  const targetLength = lengthOfArray(target, "target", "crc32cCopy");
  const sourceLength = lengthOfArray(source, "source", "crc32cCopy");
  if (sourceLength > targetLength) {
    throw new BinlaneError(
      "E_LENGTH",
      `a ${sourceLength}-byte source does not fit a ${targetLength}-byte target`,
    );
  }
  if (overlaps(target, source, sourceLength, sourceLength)) {
    throw new BinlaneError("E_INVALID_ARGUMENT", "crc32cCopy's source and target overlap");
  }
  const symbols = sourceLength >= nativeThresholds.crc32c ? kernelSymbols() : undefined;
  if (symbols !== undefined && sourceLength <= NATIVE_CHUNK) {
    return nativeCrc32cCopy(symbols, target, targetLength, source, sourceLength, seed);
  }
  if (symbols !== undefined) {
    let crc = seed;
    for (let at = 0; at < sourceLength; at += NATIVE_CHUNK) {
      const end = Math.min(at + NATIVE_CHUNK, sourceLength);
      const to = bytesOf(target, at, targetLength);
      crc = nativeCrc32cCopy(symbols, to, targetLength - at, bytesOf(source, at, end), end - at, crc);
    }
    return crc;
  }
  if (sourceLength === 0) return seed;
  copyBytes(target, bytesOf(source, 0, sourceLength));
  return ~crcUpdate(crc32cTables, ~seed, source, 0, sourceLength) >>> 0;
}

/** Where {@linkcode crc32cCopyAt} copies, which of the bytes it checksums, and the CRC it continues. */
export interface CopySpan {
  /** Offset in the target the copy starts at. */
  targetAt: number;
  /** Offset in the source the copy starts at. */
  sourceAt: number;
  /** Bytes to copy. */
  count: number;
  /** Target offset of the first byte checksummed: bytes copied to `[crcFrom, crcTo)` are checksummed. */
  crcFrom: number;
  /** Target offset after the last byte checksummed. */
  crcTo: number;
  /** The CRC-32C to continue. */
  seed: number;
}

function isOffset(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function checkSpan(span: CopySpan): CopySpan {
  if (typeof span !== "object" || span === null) {
    throw new BinlaneError("E_TYPE", `crc32cCopyAt: span must be an object, got ${describeValue(span)}`);
  }
  // Read once: a getter would otherwise be free to answer differently after the checks.
  const { targetAt, sourceAt, count, crcFrom, crcTo, seed } = span;
  if (
    !isOffset(targetAt) || !isOffset(sourceAt) || !isOffset(count) || !isOffset(crcFrom) ||
    !isOffset(crcTo) ||
    crcFrom > crcTo
  ) {
    throw new BinlaneError(
      "E_RANGE",
      "crc32cCopyAt: a copy span takes non-negative safe integers and crcFrom <= crcTo, got " +
        `{ targetAt: ${describeValue(targetAt)}, sourceAt: ${describeValue(sourceAt)}, ` +
        `count: ${describeValue(count)}, crcFrom: ${describeValue(crcFrom)}, crcTo: ${
          describeValue(crcTo)
        } }`,
    );
  }
  checkSeed(seed, "crc32cCopyAt");
  return { targetAt, sourceAt, count, crcFrom, crcTo, seed };
}

/** Whether every length and offset of the call fits the native export's u32s (`crcFrom` is at most `crcTo`). */
function fitsU32(targetLength: number, sourceLength: number, span: CopySpan): boolean {
  return targetLength <= 0xffff_ffff && sourceLength <= 0xffff_ffff && span.crcTo <= 0xffff_ffff &&
    span.targetAt <= 0xffff_ffff && span.sourceAt <= 0xffff_ffff && span.count <= 0xffff_ffff;
}

/**
 * Copies `span.count` bytes of `source` from `span.sourceAt` into `target`
 * at `span.targetAt`, and returns the CRC-32C, continued from `span.seed`,
 * of the bytes copied into `[span.crcFrom, span.crcTo)` of `target`: a
 * frame assembled from chunks, its payload checksummed as it is copied
 * along with the header and trailer around it. Natively whatever the size:
 * one call in place of the views and copies the parts would need (a
 * buffer, offset or window past 2^32-1, which the call's u32s cannot carry,
 * goes through views instead).
 * `E_LENGTH` when a range runs past its buffer, `E_INVALID_ARGUMENT` when
 * the bytes written overlap those read, `E_RANGE` for a bad offset or
 * seed; nothing is written then.
 *
 * @example
 * ```ts
 * import { crc32c } from "@binlane/binlane";
 * import { crc32cCopyAt } from "./crc.ts";
 *
 * const source = new TextEncoder().encode("__123456789__");
 * const target = new Uint8Array(16);
 * const span = { targetAt: 2, sourceAt: 0, count: 13, crcFrom: 4, crcTo: 13, seed: 0 };
 * console.log(crc32cCopyAt(target, source, span) === crc32c(source.subarray(2, 11)), target[2]); // true 95
 * ```
 */
export function crc32cCopyAt(target: Uint8Array, source: Uint8Array, given: CopySpan): number {
  const span = checkSpan(given);
  const targetLength = lengthOfArray(target, "target", "crc32cCopyAt");
  const sourceLength = lengthOfArray(source, "source", "crc32cCopyAt");
  const symbols = kernelSymbols();
  // Buffers over 4 GiB (Deno allows them) go through views, which crc32cCopy takes at any size.
  if (symbols !== undefined && fitsU32(targetLength, sourceLength, span)) {
    const { seed } = span;
    const crc = symbols.binlane_crc32c_copy_at(
      target,
      targetLength,
      span.targetAt,
      source,
      sourceLength,
      span.sourceAt,
      span.count,
      span.crcFrom,
      span.crcTo,
      seed,
    );
    if (crc === seed) checkRefusal(symbols, "binlane_crc32c_copy_at");
    return crc;
  }
  const { targetAt, sourceAt, count } = span;
  if (sourceAt + count > sourceLength || targetAt + count > targetLength) {
    throw new BinlaneError(
      "E_LENGTH",
      `copying ${count} bytes from ${sourceAt} of ${sourceLength} to ${targetAt} of ${targetLength} ` +
        "runs past a buffer",
    );
  }
  if (count === 0) return span.seed; // without views, which a detached buffer refuses
  const to = bytesOf(target, targetAt, targetAt + count);
  const from = bytesOf(source, sourceAt, sourceAt + count);
  if (overlaps(to, from, count, count)) {
    throw new BinlaneError("E_INVALID_ARGUMENT", "crc32cCopyAt's source and target overlap");
  }
  const start = Math.min(count, Math.max(span.crcFrom, targetAt) - targetAt);
  const end = Math.min(count, Math.max(span.crcTo, targetAt) - targetAt);
  to.set(from.subarray(0, start));
  to.set(from.subarray(end), end);
  return crc32cCopy(to.subarray(start), from.subarray(start, end), span.seed);
}

/**
 * CRC-32 (IEEE 802.3), identical to zlib's `crc32` and `node:zlib`'s.
 * Pass a previous result as `seed` to continue it: checksumming in pieces
 * equals checksumming all at once.
 *
 * @example
 * ```ts
 * import { crc32 } from "@binlane/binlane";
 *
 * const data = new TextEncoder().encode("123456789");
 * console.log(crc32(data).toString(16)); // "cbf43926"
 * console.log(crc32(data.subarray(4), crc32(data.subarray(0, 4))) === crc32(data)); // true
 * ```
 */
export function crc32(data: BinaryInput, seed = 0): number {
  checkSeed(seed, "crc32");
  const bytes = readBytes(data, "crc32's data");
  const length = lengthRead();
  if (length >= nativeThresholds.crc32) {
    const symbols = kernelSymbols();
    if (symbols) return nativeCrc32(symbols, bytes, length, seed);
  }
  return ~crcUpdate(crc32Tables, ~seed, bytes, 0, length) >>> 0;
}

/**
 * CRC-32C (Castagnoli), as used by iSCSI, ext4, SCTP and many storage
 * formats. `seed` continues a previous result, as for {@linkcode crc32}.
 *
 * @example
 * ```ts
 * import { crc32c } from "@binlane/binlane";
 *
 * console.log(crc32c(new TextEncoder().encode("123456789")).toString(16)); // "e3069283"
 * ```
 */
export function crc32c(data: BinaryInput, seed = 0): number {
  checkSeed(seed, "crc32c");
  const bytes = readBytes(data, "crc32c's data");
  const length = lengthRead();
  if (length >= nativeThresholds.crc32c) {
    const symbols = kernelSymbols();
    if (symbols) return nativeCrc32c(symbols, bytes, length, seed);
  }
  return ~crcUpdate(crc32cTables, ~seed, bytes, 0, length) >>> 0;
}
