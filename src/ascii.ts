/**
 * Text codecs' side of strings: ASCII text in (a string or bytes) and out
 * (a string made from ASCII bytes), and the decoders' failure reporting.
 *
 * @module
 */

import { DECODE_FAILED, type NativeSymbols } from "../ffi/symbols.ts";
import { runtimeName } from "../ffi/runtime.ts";
import { type BinaryInput, ownBytes, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";

/** Text to decode: a string, or its ASCII bytes in any binary input. */
export type TextInput = string | BinaryInput;

const encoder = new TextEncoder();
// Both runtimes make a one-byte string from ASCII this way at 5-8 GB/s
// (measured here, 2026-11-21); Deno's latin1 decoder runs at 0.65 GB/s.
const asciiDecoder = new TextDecoder(runtimeName() === "bun" ? "latin1" : "utf-8");

/** Scratch bytes reused across calls, so Deno does not allocate a buffer (~600 ns) per call. */
const SCRATCH_RETAINED = 4 << 20;
let scratch = new Uint8Array(4096);

/**
 * A byte buffer of at least `length` bytes for one call's temporary use:
 * the shared scratch when it is small enough, else a fresh one.
 *
 * @example
 * ```ts
 * import { scratchBytes } from "./ascii.ts";
 *
 * console.log(scratchBytes(10).byteLength >= 10); // true
 * ```
 */
export function scratchBytes(length: number): Uint8Array {
  if (length <= scratch.byteLength) return scratch;
  if (length > SCRATCH_RETAINED) return new Uint8Array(length);
  scratch = new Uint8Array(Math.max(length, 2 * scratch.byteLength));
  return scratch;
}

/**
 * Strings up to this long are copied by a `charCodeAt` loop, which beats
 * `encodeInto` and its views there (88 characters: Bun 226 ns with
 * `encodeInto`, Deno 329; see bench/codec.bench.ts at 64 B).
 */
const SHORT_TEXT = 256;
const shortScratch = new Uint8Array(SHORT_TEXT);

function shortTextBytes(text: string): Uint8Array {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      // The first non-ASCII character: a byte no codec accepts, and the end.
      shortScratch[i] = 0xff;
      return shortScratch.subarray(0, i + 1);
    }
    shortScratch[i] = code;
  }
  return shortScratch.subarray(0, length);
}

/**
 * The bytes of `text`: binary input as {@linkcode readBytes} gives it (a
 * genuine array, maybe the caller's), a string as its ASCII bytes; the
 * length is `lengthRead()` (src/bytes.ts). A string's first non-ASCII character
 * becomes a byte no codec accepts at the same index, so offsets in errors
 * are string indices. The result may be scratch memory, valid until the
 * next call.
 *
 * @example
 * ```ts
 * import { textBytes } from "./ascii.ts";
 *
 * console.log(textBytes("AB")); // Uint8Array(2) [65, 66]
 * ```
 */
export function textBytes(text: TextInput, what = "the text"): Uint8Array {
  if (typeof text !== "string") return readBytes(text, what);
  const length = text.length;
  if (length <= SHORT_TEXT) return ownBytes(shortTextBytes(text));
  const bytes = scratchBytes(length + 1);
  const { read, written } = encoder.encodeInto(text, bytes.subarray(0, length));
  // Every character before the first non-ASCII one took one byte; that one
  // took two or more, or did not fit: either way a byte >= 0x80 stands at
  // its index when one is written there.
  if (read < length) bytes[written] = 0xff;
  return ownBytes(bytes.subarray(0, read < length ? written + 1 : length));
}

/**
 * A string from ASCII bytes.
 *
 * @example
 * ```ts
 * import { asciiString } from "./ascii.ts";
 *
 * console.log(asciiString(new Uint8Array([104, 105]))); // "hi"
 * ```
 */
export function asciiString(bytes: Uint8Array): string {
  try {
    return asciiDecoder.decode(bytes);
  } catch (error) {
    throw new BinlaneError(
      "E_LENGTH",
      `${bytes.byteLength} characters exceed this runtime's longest string`,
      {
        cause: error,
      },
    );
  }
}

/** Why a decoder stopped, by native status (native-zig/status.zig). */
const failureReasons: Record<number, string> = {
  6: "the target has no room for the decoded bytes from here",
  8: "a character outside the encoding's alphabet",
  9: "padding where it may not be, missing, or followed by data",
  10: "the last character's unused bits are not zero",
  11: "the input ends inside an unfinished group or value",
  12: "a varint longer than its type allows, or too large for it",
};

/**
 * The error for a failed decode at `offset`, by native status: the same
 * code and message on the JS and the native path.
 *
 * @example
 * ```ts
 * import { decodeError } from "./ascii.ts";
 *
 * console.log(decodeError("hex", 8, 3).offset); // 3
 * ```
 */
export function decodeError(codec: string, status: number, offset: number): BinlaneError {
  const reason = failureReasons[status];
  if (reason === undefined) return errorFromStatus(status, `${codec} decode`);
  const code = status === 6 ? "E_BUFFER_TOO_SMALL" : "E_INVALID_INPUT";
  return new BinlaneError(code, `invalid ${codec} at offset ${offset}: ${reason}`, { offset });
}

/**
 * Bytes written by a native decoder, or its failure thrown as a
 * {@linkcode BinlaneError}; `base` is the offset of its input in the whole.
 *
 * @example
 * ```ts
 * import { nativeDecoded } from "./ascii.ts";
 *
 * console.log(nativeDecoded(undefined as never, 3, "hex", 0)); // 3
 * ```
 */
export function nativeDecoded(symbols: NativeSymbols, result: number, codec: string, base: number): number {
  if (result < DECODE_FAILED) return result;
  throw decodeError(codec, symbols.binlane_take_status(), base + result - DECODE_FAILED);
}
