/**
 * Hex (base16): bytes to lowercase digits, as
 * `Uint8Array.prototype.toHex`, and digits of either case back, as
 * `Uint8Array.fromHex`, with the first bad character's offset on failure.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import { asciiString, decodeError, nativeDecoded, scratchBytes, textBytes, type TextInput } from "./ascii.ts";
import { kernelSymbols } from "./backend.ts";
import { type BinaryInput, bytesOf, lengthRead, overlaps, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { typedArrayByteOffsetOf } from "./intrinsics.ts";
import { resultBytes } from "./result_pool.ts";

/**
 * Smallest input, in bytes, coded natively in this runtime (text bytes for
 * decoding), from `bench/codec.bench.ts` (2026-11-21): below it the JS
 * loops win because the FFI call costs more than the work. Deno: encode
 * native from 64 B (218 ns against 397 JS), decode from 128 B (1132
 * against 1189; at 64 B JS wins, 1121 against 1169). Bun at 64 B: encode
 * 207 against 495, decode 245 against 281. Tests set these to 0 or
 * Infinity to drive one path through the public functions.
 *
 * @example
 * ```ts
 * import { hexThresholds } from "./hex.ts";
 *
 * console.log(hexThresholds.encode, hexThresholds.decode);
 * ```
 */
export const hexThresholds: { encode: number; decode: number } = runtimeName() === "bun"
  ? { encode: 64, decode: 64 }
  : { encode: 64, decode: 128 };

/** Native lengths stay below 2^31; longer inputs go in pieces this size (even). */
const CHUNK = 1 << 30;

const INVALID_CHARACTER = 8;
const INCOMPLETE_INPUT = 11;

const digitCodes = new Uint8Array([..."0123456789abcdef"].map((c) => c.charCodeAt(0)));
const pairStrings: string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Digit value by character code, -1 for non-digits. */
const digitValues = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  digitValues[digitCodes[i]] = i;
  digitValues["0123456789ABCDEF".charCodeAt(i)] = i;
}

function jsEncodeInto(src: Uint8Array, length: number, dst: Uint8Array): void {
  for (let i = 0, j = 0; i < length; i++, j += 2) {
    const byte = src[i];
    dst[j] = digitCodes[byte >> 4];
    dst[j + 1] = digitCodes[byte & 15];
  }
}

// `src` and `dst` may be a caller's arrays: lengths come from the engine's slots, pieces from bytesOf.

function nativeEncodeInto(src: Uint8Array, length: number, dst: Uint8Array): boolean {
  const symbols = kernelSymbols();
  if (!symbols) return false;
  for (let offset = 0; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const piece = offset === 0 && end === length ? src : bytesOf(src, offset, end);
    const out = offset === 0 ? dst : bytesOf(dst, 2 * offset, 2 * end);
    const status = symbols.binlane_hex_encode(piece, end - offset, out, 2 * (end - offset));
    if (status !== 0) throw errorFromStatus(status, "binlane_hex_encode");
  }
  return true;
}

function encodeInto(src: Uint8Array, length: number, dst: Uint8Array): void {
  if (length >= hexThresholds.encode && nativeEncodeInto(src, length, dst)) return;
  jsEncodeInto(src, length, dst);
}

/**
 * `data` as lowercase hex digits, two per byte; the same string as
 * `Uint8Array.prototype.toHex`.
 *
 * @example
 * ```ts
 * import { encodeHex } from "@binlane/binlane";
 *
 * console.log(encodeHex(new Uint8Array([0xca, 0xfe, 0x01]))); // "cafe01"
 * ```
 */
export function encodeHex(data: BinaryInput): string {
  const src = readBytes(data, "encodeHex's data");
  const length = lengthRead();
  if (length < hexThresholds.encode) {
    let text = "";
    for (let i = 0; i < length; i++) text += pairStrings[src[i]];
    return text;
  }
  const digits = scratchBytes(2 * length).subarray(0, 2 * length);
  encodeInto(src, length, digits);
  return asciiString(digits);
}

/**
 * Writes `data` as lowercase hex digits (ASCII) to the start of `target`,
 * which must hold twice as many bytes (otherwise `E_LENGTH`); returns the
 * bytes written. `target` may overlap `data`.
 *
 * @example
 * ```ts
 * import { encodeHexInto } from "@binlane/binlane";
 *
 * const digits = new Uint8Array(4);
 * encodeHexInto(new Uint8Array([0xbe, 0xef]), digits);
 * console.log(new TextDecoder().decode(digits)); // "beef"
 * ```
 */
export function encodeHexInto(data: BinaryInput, target: BinaryInput): number {
  const src = readBytes(data, "encodeHexInto's data");
  const length = lengthRead();
  const dst = readBytes(target, "encodeHexInto's target");
  const room = lengthRead();
  const needed = 2 * length;
  if (room < needed) {
    throw new BinlaneError("E_LENGTH", `target holds ${room} bytes, ${needed} needed`);
  }
  // Digits outrun the bytes they come from: an overlapping source is copied first.
  const from = overlaps(src, dst, length, needed) ? bytesOf(src, 0, length).slice() : src;
  encodeInto(from, length, dst);
  return needed;
}

function jsDecodeInto(src: Uint8Array, length: number, dst: Uint8Array): void {
  const pairs = length >>> 1;
  for (let i = 0; i < pairs; i++) {
    const high = digitValues[src[2 * i]];
    const low = digitValues[src[2 * i + 1]];
    if ((high | low) < 0) throw decodeError("hex", INVALID_CHARACTER, high < 0 ? 2 * i : 2 * i + 1);
    dst[i] = (high << 4) | low;
  }
  if (length % 2 !== 0) throw decodeError("hex", INCOMPLETE_INPUT, length - 1);
}

function nativeDecodeInto(src: Uint8Array, length: number, dst: Uint8Array, room: number): boolean {
  const symbols = kernelSymbols();
  if (!symbols) return false;
  for (let offset = 0; offset < length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, length);
    const piece = offset === 0 && end === length ? src : bytesOf(src, offset, end);
    const out = offset === 0 ? dst : bytesOf(dst, offset / 2, room);
    const result = symbols.binlane_hex_decode(piece, end - offset, out, room - offset / 2);
    nativeDecoded(symbols, result, "hex", offset);
  }
  return true;
}

function decodeInto(src: Uint8Array, length: number, dst: Uint8Array, room: number): number {
  if (length < hexThresholds.decode || !nativeDecodeInto(src, length, dst, room)) {
    jsDecodeInto(src, length, dst);
  }
  return length >>> 1;
}

/**
 * The bytes of hex `text` (a string or ASCII bytes; digits of either
 * case, an even count). A bad character is `E_INVALID_INPUT` with its
 * offset, as is an odd final digit. In Deno, results up to 4 KiB are
 * views into a shared 64 KiB buffer, as Node's `Buffer` pool does.
 *
 * @example
 * ```ts
 * import { decodeHex } from "@binlane/binlane";
 *
 * console.log(decodeHex("CAFE01")); // Uint8Array(3) [202, 254, 1]
 * ```
 */
export function decodeHex(text: TextInput): Uint8Array {
  const src = textBytes(text, "decodeHex's text");
  const length = lengthRead();
  const out = resultBytes(length >>> 1);
  decodeInto(src, length, out, length >>> 1);
  return out;
}

/**
 * Decodes hex `text` into the start of `target`, which must hold half as
 * many bytes as `text` has characters (otherwise `E_LENGTH`); returns the
 * bytes written. `target` may be `text`'s own bytes (decoding in place).
 * On a decoding error `target` may be partly written.
 *
 * @example
 * ```ts
 * import { decodeHexInto } from "@binlane/binlane";
 *
 * const out = new Uint8Array(8);
 * console.log(decodeHexInto("beef", out), out.subarray(0, 2)); // 2 Uint8Array(2) [190, 239]
 * ```
 */
export function decodeHexInto(text: TextInput, target: BinaryInput): number {
  const dst = readBytes(target, "decodeHexInto's target");
  const room = lengthRead();
  const src = textBytes(text, "decodeHexInto's text");
  const length = lengthRead();
  const needed = length >>> 1;
  if (room < needed) {
    throw new BinlaneError("E_LENGTH", `target holds ${room} bytes, ${needed} needed`);
  }
  // Decoding in place, or to anywhere before the text, writes behind what it reads.
  const ahead = overlaps(src, dst, length, room) && typedArrayByteOffsetOf(dst) > typedArrayByteOffsetOf(src);
  return decodeInto(ahead ? bytesOf(src, 0, length).slice() : src, length, dst, room);
}
