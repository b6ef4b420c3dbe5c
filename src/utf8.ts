/**
 * UTF-8 validation and code point counting, strict as `TextDecoder` with
 * `fatal: true`: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences, no stray continuation bytes.
 *
 * @module
 */

import { INVALID_UTF8, type NativeSymbols, NOT_FOUND, REFUSED } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { type BinaryInput, bytesOf, lengthRead, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";

/**
 * `validate`: the smallest input, in bytes, validated natively, from
 * `bench/utf8.bench.ts` on mixed text (2026-11-21): native won from 32 B in
 * both runtimes (Deno 74.8 ns against JS 78.1, Bun 56.6 against 61.2) and
 * lost at 16 B (Deno 46.9 against 31.6, Bun 27.4 against 22.7). `chunk`: native calls
 * take under 2^31 bytes, so longer inputs go in pieces of at most this
 * size, cut before a sequence (1 GiB). Tests change both to drive one path,
 * or the piece boundaries, through the public functions.
 *
 * @example
 * ```ts
 * import { utf8Thresholds } from "./utf8.ts";
 *
 * console.log(utf8Thresholds.validate, utf8Thresholds.chunk);
 * ```
 */
export const utf8Thresholds: { validate: number; chunk: number } = {
  validate: 32,
  chunk: 1 << 30,
};

/** The length of the valid sequence at `bytes[at]` (a byte of 0x80 up), or 0. */
function sequenceLength(bytes: Uint8Array, end: number, at: number): number {
  const lead = bytes[at];
  let length: number, low: number, high: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, low, high] = [2, 0x80, 0xbf];
  else if (lead === 0xe0) [length, low, high] = [3, 0xa0, 0xbf];
  else if (lead === 0xed) [length, low, high] = [3, 0x80, 0x9f];
  else if (lead >= 0xe1 && lead <= 0xef) [length, low, high] = [3, 0x80, 0xbf];
  else if (lead === 0xf0) [length, low, high] = [4, 0x90, 0xbf];
  else if (lead >= 0xf1 && lead <= 0xf3) [length, low, high] = [4, 0x80, 0xbf];
  else if (lead === 0xf4) [length, low, high] = [4, 0x80, 0x8f];
  else return 0;
  if (at + length > end) return 0;
  const second = bytes[at + 1];
  if (second < low || second > high) return 0;
  for (let i = 2; i < length; i++) {
    if ((bytes[at + i] & 0xc0) !== 0x80) return 0;
  }
  return length;
}

/** The JS path: the offset of the first invalid sequence, or -1. */
// `bytes` may be a caller's array: its length comes from the engine's slot, its pieces from bytesOf.

function jsErrorIndex(bytes: Uint8Array, length: number): number {
  let at = 0;
  while (at < length) {
    if (bytes[at] < 0x80) {
      at++;
      continue;
    }
    const size = sequenceLength(bytes, length, at);
    if (size === 0) return at;
    at += size;
  }
  return -1;
}

function jsCount(bytes: Uint8Array, length: number): number {
  let count = 0;
  for (let i = 0; i < length; i++) count += (bytes[i] & 0xc0) !== 0x80 ? 1 : 0;
  return count;
}

/** The length a lead byte announces (1 for ASCII and for bytes no sequence starts with). */
function announcedLength(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/**
 * Where a native piece of long input ends: at the size limit, unless a
 * sequence whose lead is in the last 3 bytes runs past it; then before
 * that lead. (A continuation byte with no lead within 3 bytes is an error
 * wherever the cut falls, and is found at the start of the next piece.)
 */
function chunkEnd(bytes: Uint8Array, length: number, start: number): number {
  const end = Math.min(start + utf8Thresholds.chunk, length);
  if (end === length) return end;
  for (let lead = end - 1; lead >= Math.max(start, end - 3); lead--) {
    if ((bytes[lead] & 0xc0) === 0x80) continue;
    return lead + announcedLength(bytes[lead]) > end && lead > start ? lead : end;
  }
  return end;
}

function nativeErrorIndex(symbols: NativeSymbols, bytes: Uint8Array, length: number): number {
  for (let start = 0; start < length || start === 0;) {
    const end = chunkEnd(bytes, length, start);
    const chunk = start === 0 && end === length ? bytes : bytesOf(bytes, start, end);
    const result = symbols.binlane_utf8_error_index(chunk, end - start);
    if (result >= REFUSED) {
      if (result !== NOT_FOUND) {
        throw errorFromStatus(symbols.binlane_take_status(), "binlane_utf8_error_index");
      }
    } else {
      return start + result;
    }
    if (end === length) break;
    start = end;
  }
  return -1;
}

function nativeCount(symbols: NativeSymbols, bytes: Uint8Array, length: number): number {
  let count = 0;
  for (let start = 0; start < length || start === 0;) {
    const end = chunkEnd(bytes, length, start);
    const chunk = start === 0 && end === length ? bytes : bytesOf(bytes, start, end);
    const result = symbols.binlane_utf8_count(chunk, end - start);
    if (result === INVALID_UTF8) return -1;
    if (result >= REFUSED) throw errorFromStatus(symbols.binlane_take_status(), "binlane_utf8_count");
    count += result;
    if (end === length) break;
    start = end;
  }
  return count;
}

/**
 * The offset of the first byte of the first invalid UTF-8 sequence in
 * `data`, or -1 when all of it is valid. `TextDecoder` with `fatal: true`
 * decodes `data` exactly when this is -1, and always decodes the bytes
 * before the offset.
 *
 * @example
 * ```ts
 * import { utf8ErrorIndex } from "@binlane/binlane";
 *
 * console.log(utf8ErrorIndex(new TextEncoder().encode("naïve"))); // -1
 * console.log(utf8ErrorIndex(new Uint8Array([0x61, 0x62, 0xc0, 0x80]))); // 2 (an overlong "\0")
 * ```
 */
export function utf8ErrorIndex(data: BinaryInput): number {
  const bytes = readBytes(data, "utf8ErrorIndex's data");
  const length = lengthRead();
  if (length >= utf8Thresholds.validate) {
    const symbols = kernelSymbols();
    if (symbols) return nativeErrorIndex(symbols, bytes, length);
  }
  return jsErrorIndex(bytes, length);
}

/**
 * Whether `data` is valid UTF-8, exactly as `TextDecoder` with
 * `fatal: true` would accept it.
 *
 * @example
 * ```ts
 * import { isUtf8 } from "@binlane/binlane";
 *
 * console.log(isUtf8(new TextEncoder().encode("größer ≥ 😀"))); // true
 * console.log(isUtf8(new Uint8Array([0xed, 0xa0, 0x80]))); // false: a surrogate
 * ```
 */
export function isUtf8(data: BinaryInput): boolean {
  const bytes = readBytes(data, "isUtf8's data");
  const length = lengthRead();
  if (length >= utf8Thresholds.validate) {
    const symbols = kernelSymbols();
    if (symbols) return nativeErrorIndex(symbols, bytes, length) === -1;
  }
  return jsErrorIndex(bytes, length) === -1;
}

/**
 * The number of code points in `data`, which must be valid UTF-8 (the
 * length of the decoded string in code points, not UTF-16 units). Invalid
 * input throws `E_INVALID_INPUT` with the offset of the first bad sequence.
 *
 * @example
 * ```ts
 * import { utf8CodePointCount } from "@binlane/binlane";
 *
 * console.log(utf8CodePointCount(new TextEncoder().encode("a€😀"))); // 3
 * ```
 */
export function utf8CodePointCount(data: BinaryInput): number {
  const bytes = readBytes(data, "utf8CodePointCount's data");
  const length = lengthRead();
  let count = -1;
  const symbols = length >= utf8Thresholds.validate ? kernelSymbols() : undefined;
  if (symbols) count = nativeCount(symbols, bytes, length);
  else if (jsErrorIndex(bytes, length) === -1) count = jsCount(bytes, length);
  if (count >= 0) return count;
  const offset = symbols ? nativeErrorIndex(symbols, bytes, length) : jsErrorIndex(bytes, length);
  throw new BinlaneError("E_INVALID_INPUT", `invalid UTF-8 sequence at byte ${offset}`, { offset });
}
