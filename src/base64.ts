/**
 * Base64 (RFC 4648, the standard and the URL-safe alphabet), giving the
 * same results as `Uint8Array.prototype.toBase64` and
 * `Uint8Array.fromBase64`.
 *
 * Decoding is strict by default: no whitespace, padding as the `padding`
 * option says, and zero unused bits in the last character; any deviation
 * is `E_INVALID_INPUT` with its offset. `mode: "lenient"` decodes exactly
 * as `Uint8Array.fromBase64(text, { lastChunkHandling: "loose" })`, its
 * default: ASCII whitespace is skipped, padding is optional, and unused
 * bits are ignored.
 *
 * @module
 */

import { Base64Flag } from "../ffi/symbols.ts";
import { asciiString, decodeError, nativeDecoded, scratchBytes, textBytes, type TextInput } from "./ascii.ts";
import { kernelSymbols } from "./backend.ts";
import { type BinaryInput, bytesOf, lengthRead, overlaps, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { typedArrayByteOffsetOf } from "./intrinsics.ts";
import { describeValue, readOptions } from "./options.ts";
import { resultBytes } from "./result_pool.ts";

/** Which 64 characters: `+` and `/`, or the URL-safe `-` and `_`. */
export type Base64Alphabet = "base64" | "base64url";

/** Options for encoding. */
export interface Base64EncodeOptions {
  /** Default "base64". */
  alphabet?: Base64Alphabet;
  /** Pad the last group with `=` to four characters. Default true. */
  padding?: boolean;
}

/** Options for decoding. */
export interface Base64DecodeOptions {
  /** Default "base64". */
  alphabet?: Base64Alphabet;
  /** Default "strict"; "lenient" decodes as `Uint8Array.fromBase64`'s default. */
  mode?: "strict" | "lenient";
  /**
   * Strict mode: a last group of two or three characters must be padded
   * with `=` (true, the default) or must not be (false). Lenient mode
   * accepts either.
   */
  padding?: boolean;
}

/**
 * Smallest input, in bytes, coded natively in this runtime (text bytes for
 * decoding), from `bench/codec.bench.ts` (2026-11-21): below it the JS
 * loops win because the FFI call costs more than the work. Deno at 64 B:
 * encode 218 ns native against 397 JS (32 B: JS wins), decode 1135 against
 * 1202. Bun at 64 B: encode 265 against 444, decode 256 against 412. Tests
 * set these to 0 or Infinity to drive one path through the public
 * functions.
 *
 * @example
 * ```ts
 * import { base64Thresholds } from "./base64.ts";
 *
 * console.log(base64Thresholds.encode, base64Thresholds.decode);
 * ```
 */
export const base64Thresholds: { encode: number; decode: number } = { encode: 64, decode: 64 };

const STANDARD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const EQUALS = 0x3d;
const NOT_BASE64 = -1;
const WHITESPACE = -2;

// Native statuses (native-zig/status.zig), shared with the JS path's errors.
const BUFFER_TOO_SMALL = 6;
const INVALID_CHARACTER = 8;
const INVALID_PADDING = 9;
const TRAILING_BITS = 10;
const INCOMPLETE_INPUT = 11;

function charCodes(chars: string): Uint8Array {
  return Uint8Array.from(chars, (c) => c.charCodeAt(0));
}

function decodeTable(chars: string): Int8Array {
  const table = new Int8Array(256).fill(NOT_BASE64);
  for (let v = 0; v < 64; v++) table[chars.charCodeAt(v)] = v;
  for (const c of "\t\n\f\r ") table[c.charCodeAt(0)] = WHITESPACE;
  return table;
}

/** Two characters per 12 bits, for building short strings in JS. */
function pairTable(chars: string): string[] {
  return Array.from({ length: 4096 }, (_, i) => chars[i >> 6] + chars[i & 63]);
}

const codes = { standard: charCodes(STANDARD_CHARS), url: charCodes(URL_CHARS) };
const tables = { standard: decodeTable(STANDARD_CHARS), url: decodeTable(URL_CHARS) };
let pairs: { standard: string[]; url: string[] } | undefined;

/** Native lengths stay below 2^31: encode 3 * 2^28 bytes (2^30 characters) at a time. */
const ENCODE_CHUNK = 3 * (1 << 28);
/** Strict decoding goes in pieces of 2^30 characters, a whole number of quads. */
const DECODE_CHUNK = 1 << 30;

function isUrl(alphabet: unknown, where: string): boolean {
  if (alphabet === undefined || alphabet === "base64") return false;
  if (alphabet === "base64url") return true;
  throw new BinlaneError(
    "E_TYPE",
    `${where}: alphabet must be "base64" or "base64url", got ${describeValue(alphabet)}`,
  );
}

function isLenient(mode: unknown, where: string): boolean {
  if (mode === undefined || mode === "strict") return false;
  if (mode === "lenient") return true;
  throw new BinlaneError(
    "E_TYPE",
    `${where}: mode must be "strict" or "lenient", got ${describeValue(mode)}`,
  );
}

function hasPadding(padding: unknown, where: string): boolean {
  if (padding === undefined) return true;
  if (typeof padding === "boolean") return padding;
  throw new BinlaneError("E_TYPE", `${where}: padding must be a boolean, got ${describeValue(padding)}`);
}

/** Encoding options, read once and checked, before any input's length is taken. */
function encodeOptions(options: unknown, where: string): { url: boolean; padding: boolean } {
  const { alphabet, padding } = readOptions(options, ["alphabet", "padding"], where);
  return { url: isUrl(alphabet, where), padding: hasPadding(padding, where) };
}

/** Decoding options, read once and checked, before any input's length is taken. */
function decodeOptions(
  options: unknown,
  where: string,
): { url: boolean; lenient: boolean; padding: boolean } {
  const { alphabet, mode, padding } = readOptions(options, ["alphabet", "mode", "padding"], where);
  return {
    url: isUrl(alphabet, where),
    lenient: isLenient(mode, where),
    padding: hasPadding(padding, where),
  };
}

function encodedLength(byteLength: number, padding: boolean): number {
  const groups = Math.floor(byteLength / 3);
  const rest = byteLength % 3;
  return 4 * groups + (rest === 0 ? 0 : padding ? 4 : rest + 1);
}

/**
 * Characters `byteLength` bytes encode to: the size to give
 * {@linkcode encodeBase64Into}.
 *
 * @example
 * ```ts
 * import { base64EncodedLength } from "@binlane/binlane";
 *
 * console.log(base64EncodedLength(5), base64EncodedLength(5, { padding: false })); // 8 7
 * ```
 */
export function base64EncodedLength(byteLength: number, options?: Base64EncodeOptions): number {
  const { padding } = encodeOptions(options, "base64EncodedLength");
  if (typeof byteLength !== "number") {
    throw new BinlaneError("E_TYPE", `byteLength must be a number, got ${describeValue(byteLength)}`);
  }
  if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
    throw new BinlaneError(
      "E_RANGE",
      `byteLength must be a non-negative integer, got ${describeValue(byteLength)}`,
    );
  }
  return encodedLength(byteLength, padding);
}

// `src` and `dst` may be a caller's arrays: lengths come from the engine's slots, pieces from bytesOf.

function jsEncodeInto(
  src: Uint8Array,
  length: number,
  dst: Uint8Array,
  url: boolean,
  padding: boolean,
): void {
  const chars = url ? codes.url : codes.standard;
  const whole = length - (length % 3);
  let j = 0;
  for (let i = 0; i < whole; i += 3, j += 4) {
    const bits = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    dst[j] = chars[bits >>> 18];
    dst[j + 1] = chars[(bits >>> 12) & 63];
    dst[j + 2] = chars[(bits >>> 6) & 63];
    dst[j + 3] = chars[bits & 63];
  }
  const rest = length - whole;
  if (rest === 0) return;
  const bits = (src[whole] << 16) | (rest === 2 ? src[whole + 1] << 8 : 0);
  dst[j] = chars[bits >>> 18];
  dst[j + 1] = chars[(bits >>> 12) & 63];
  if (rest === 2) dst[j + 2] = chars[(bits >>> 6) & 63];
  if (padding) {
    if (rest === 1) dst[j + 2] = EQUALS;
    dst[j + 3] = EQUALS;
  }
}

function jsEncodeString(src: Uint8Array, length: number, url: boolean, padding: boolean): string {
  pairs ??= { standard: pairTable(STANDARD_CHARS), url: pairTable(URL_CHARS) };
  const table = url ? pairs.url : pairs.standard;
  const whole = length - (length % 3);
  let text = "";
  for (let i = 0; i < whole; i += 3) {
    const bits = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    text += table[bits >>> 12] + table[bits & 4095];
  }
  const rest = length - whole;
  if (rest === 0) return text;
  const bits = (src[whole] << 16) | (rest === 2 ? src[whole + 1] << 8 : 0);
  text += table[bits >>> 12];
  if (rest === 2) text += table[bits & 4095][0];
  if (padding) text += rest === 1 ? "==" : "=";
  return text;
}

/** Encodes `length` bytes of `src` into the first `room` bytes of `dst`, which hold the encoding. */
function encodeInto(
  src: Uint8Array,
  length: number,
  dst: Uint8Array,
  room: number,
  url: boolean,
  padding: boolean,
): void {
  const symbols = length >= base64Thresholds.encode ? kernelSymbols() : undefined;
  if (!symbols) return jsEncodeInto(src, length, dst, url, padding);
  const flags = (url ? Base64Flag.url : 0) | (padding ? Base64Flag.padding : 0);
  for (let offset = 0; offset < length; offset += ENCODE_CHUNK) {
    const end = Math.min(offset + ENCODE_CHUNK, length);
    const piece = offset === 0 && end === length ? src : bytesOf(src, offset, end);
    const at = (offset / 3) * 4;
    const out = offset === 0 ? dst : bytesOf(dst, at, room);
    const status = symbols.binlane_base64_encode(piece, end - offset, out, room - at, flags);
    if (status !== 0) throw errorFromStatus(status, "binlane_base64_encode");
  }
}

/**
 * `data` in base64; the same string as `Uint8Array.prototype.toBase64`
 * with `{ alphabet, omitPadding: !padding }`.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "@binlane/binlane";
 *
 * const bytes = new TextEncoder().encode("hi?");
 * console.log(encodeBase64(bytes), encodeBase64(bytes, { alphabet: "base64url" })); // "aGk/" "aGk_"
 * ```
 */
export function encodeBase64(data: BinaryInput, options?: Base64EncodeOptions): string {
  const { url, padding } = encodeOptions(options, "encodeBase64");
  const src = readBytes(data, "encodeBase64's data");
  const length = lengthRead();
  if (length < base64Thresholds.encode) return jsEncodeString(src, length, url, padding);
  const count = encodedLength(length, padding);
  const chars = scratchBytes(count).subarray(0, count);
  encodeInto(src, length, chars, count, url, padding);
  return asciiString(chars);
}

/**
 * Writes `data` in base64 (ASCII) to the start of `target`, which must
 * hold {@linkcode base64EncodedLength} bytes (otherwise `E_LENGTH`);
 * returns the bytes written. `target` may overlap `data`.
 *
 * @example
 * ```ts
 * import { base64EncodedLength, encodeBase64Into } from "@binlane/binlane";
 *
 * const data = new Uint8Array([1, 2, 3, 4]);
 * const target = new Uint8Array(base64EncodedLength(data.length));
 * encodeBase64Into(data, target);
 * console.log(new TextDecoder().decode(target)); // "AQIDBA=="
 * ```
 */
export function encodeBase64Into(
  data: BinaryInput,
  target: BinaryInput,
  options?: Base64EncodeOptions,
): number {
  const { url, padding } = encodeOptions(options, "encodeBase64Into");
  const src = readBytes(data, "encodeBase64Into's data");
  const length = lengthRead();
  const dst = readBytes(target, "encodeBase64Into's target");
  const room = lengthRead();
  const needed = encodedLength(length, padding);
  if (room < needed) {
    throw new BinlaneError("E_LENGTH", `target holds ${room} bytes, ${needed} needed`);
  }
  // Characters outrun the bytes they come from: an overlapping source is copied first.
  const from = overlaps(src, dst, length, needed) ? bytesOf(src, 0, length).slice() : src;
  encodeInto(from, length, dst, needed, url, padding);
  return needed;
}

/** The JS decoder: native-zig/base64.zig's reference state machine, step for step. */
function jsDecodeInto(
  src: Uint8Array,
  length: number,
  dst: Uint8Array,
  room: number,
  url: boolean,
  lenient: boolean,
  padding: boolean,
): number {
  const table = url ? tables.url : tables.standard;
  let written = 0;
  let chunk = 0;
  let chunkLength = 0;
  let chunkLast = 0;
  let index = 0;
  const skipWhitespace = (from: number): number => {
    let at = from;
    if (lenient) { while (at < length && table[src[at]] === WHITESPACE) at++; }
    return at;
  };
  const partial = (strictBits: boolean): number => {
    const bytes = chunkLength - 1;
    const extra = chunkLength === 2 ? chunk & 0x0f : chunk & 0x03;
    if (strictBits && extra !== 0) throw decodeError("base64", TRAILING_BITS, chunkLast);
    if (room - written < bytes) {
      throw decodeError("base64", BUFFER_TOO_SMALL, chunkLast + 1 - chunkLength);
    }
    if (chunkLength === 2) dst[written] = chunk >> 4;
    else {
      dst[written] = chunk >> 10;
      dst[written + 1] = chunk >> 2;
    }
    return written + bytes;
  };
  while (index < length) {
    const c = src[index];
    const value = table[c];
    if (value >= 0) {
      chunk = (chunk << 6) | value;
      chunkLength++;
      chunkLast = index;
      index++;
      if (chunkLength < 4) continue;
      if (room - written < 3) throw decodeError("base64", BUFFER_TOO_SMALL, index - 4);
      dst[written] = chunk >> 16;
      dst[written + 1] = chunk >> 8;
      dst[written + 2] = chunk;
      written += 3;
      chunk = 0;
      chunkLength = 0;
    } else if (value === WHITESPACE && lenient) {
      index++;
    } else if (c === EQUALS && (lenient || padding)) {
      if (chunkLength < 2) throw decodeError("base64", INVALID_PADDING, index);
      let at = skipWhitespace(index + 1);
      if (chunkLength === 2) {
        if (at === length || src[at] !== EQUALS) throw decodeError("base64", INVALID_PADDING, at);
        at = skipWhitespace(at + 1);
      }
      if (at < length) throw decodeError("base64", INVALID_PADDING, at);
      return partial(!lenient);
    } else {
      throw decodeError("base64", INVALID_CHARACTER, index);
    }
  }
  if (chunkLength === 0) return written;
  if (chunkLength === 1) throw decodeError("base64", INCOMPLETE_INPUT, chunkLast);
  if (lenient) return partial(false);
  if (padding) throw decodeError("base64", INVALID_PADDING, length);
  return partial(true);
}

function nativeDecodeInto(
  src: Uint8Array,
  length: number,
  dst: Uint8Array,
  room: number,
  flags: number,
): number | undefined {
  const symbols = kernelSymbols();
  if (!symbols) return undefined;
  if (length <= DECODE_CHUNK) {
    const result = symbols.binlane_base64_decode(src, length, dst, room, flags | Base64Flag.final);
    return nativeDecoded(symbols, result, "base64", 0);
  }
  // Lenient text cannot be cut at a known quad boundary; the JS path takes it.
  if ((flags & Base64Flag.lenient) !== 0) return undefined;
  let written = 0;
  for (let offset = 0; offset < length; offset += DECODE_CHUNK) {
    const end = Math.min(offset + DECODE_CHUNK, length);
    const piece = bytesOf(src, offset, end);
    const out = bytesOf(dst, written, room);
    const final = end === length ? Base64Flag.final : 0;
    const result = symbols.binlane_base64_decode(piece, end - offset, out, room - written, flags | final);
    written += nativeDecoded(symbols, result, "base64", offset);
  }
  return written;
}

function decodeInto(
  src: Uint8Array,
  length: number,
  dst: Uint8Array,
  room: number,
  options: { url: boolean; lenient: boolean; padding: boolean },
): number {
  const { url, lenient, padding } = options;
  if (length >= base64Thresholds.decode) {
    const flags = (url ? Base64Flag.url : 0) | (lenient ? Base64Flag.lenient : 0) |
      (padding ? Base64Flag.padding : 0);
    const written = nativeDecodeInto(src, length, dst, room, flags);
    if (written !== undefined) return written;
  }
  return jsDecodeInto(src, length, dst, room, url, lenient, padding);
}

function decodedLengthBound(length: number, charAt: (index: number) => number): number {
  let end = length;
  for (let pads = 0; pads < 2 && end > 0 && charAt(end - 1) === EQUALS; pads++) end--;
  return Math.floor((end * 3) / 4);
}

/**
 * Bytes `text` decodes to: exact for valid strict input, and an upper
 * bound for anything else (whitespace in lenient text is not counted
 * out). The size to give {@linkcode decodeBase64Into}, which returns the
 * exact count.
 *
 * @example
 * ```ts
 * import { base64DecodedLength } from "@binlane/binlane";
 *
 * console.log(base64DecodedLength("AQIDBA=="), base64DecodedLength("AQIDBA")); // 4 4
 * ```
 */
export function base64DecodedLength(text: TextInput, options?: Base64DecodeOptions): number {
  decodeOptions(options, "base64DecodedLength");
  if (typeof text === "string") return decodedLengthBound(text.length, (i) => text.charCodeAt(i));
  const bytes = readBytes(text, "base64DecodedLength's text");
  return decodedLengthBound(lengthRead(), (i) => bytes[i]);
}

/**
 * The bytes of base64 `text` (a string or ASCII bytes). Strict by default;
 * see the module notes and {@linkcode Base64DecodeOptions}. Malformed
 * input is `E_INVALID_INPUT` with the offset of the first problem. In
 * Deno, results up to 4 KiB are views into a shared 64 KiB buffer, as
 * Node's `Buffer` pool does (a new buffer costs Deno ~600 ns).
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "@binlane/binlane";
 *
 * console.log(decodeBase64("aGk/")); // Uint8Array(3) [104, 105, 63]
 * console.log(decodeBase64("aG k", { mode: "lenient" })); // Uint8Array(2) [104, 105]
 * ```
 */
export function decodeBase64(text: TextInput, options?: Base64DecodeOptions): Uint8Array {
  const checked = decodeOptions(options, "decodeBase64");
  const src = textBytes(text, "decodeBase64's text");
  const length = lengthRead();
  const bound = decodedLengthBound(length, (i) => src[i]);
  const out = resultBytes(bound);
  const written = decodeInto(src, length, out, bound, checked);
  return written === bound ? out : out.slice(0, written);
}

/**
 * Decodes base64 `text` into the start of `target`; returns the bytes
 * written. A `target` of {@linkcode base64DecodedLength} bytes always has
 * room; a smaller one that runs out is `E_BUFFER_TOO_SMALL` with the
 * offset in `text`. `target` may be `text`'s own bytes (decoding in
 * place). On an error `target` may be partly written.
 *
 * @example
 * ```ts
 * import { base64DecodedLength, decodeBase64Into } from "@binlane/binlane";
 *
 * const text = "AQIDBA==";
 * const out = new Uint8Array(base64DecodedLength(text));
 * console.log(decodeBase64Into(text, out), out); // 4 Uint8Array(4) [1, 2, 3, 4]
 * ```
 */
export function decodeBase64Into(
  text: TextInput,
  target: BinaryInput,
  options?: Base64DecodeOptions,
): number {
  const checked = decodeOptions(options, "decodeBase64Into");
  const dst = readBytes(target, "decodeBase64Into's target");
  const room = lengthRead();
  const src = textBytes(text, "decodeBase64Into's text");
  const length = lengthRead();
  // Decoding in place, or to anywhere before the text, writes behind what it reads.
  const ahead = overlaps(src, dst, length, room) && typedArrayByteOffsetOf(dst) > typedArrayByteOffsetOf(src);
  return decodeInto(ahead ? bytesOf(src, 0, length).slice() : src, length, dst, room, checked);
}
