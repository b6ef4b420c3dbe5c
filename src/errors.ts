/**
 * binlane's one error type, with stable codes, and the mapping from native
 * status codes to it.
 *
 * @module
 */

/** Every code a {@linkcode BinlaneError} can carry. Codes never change meaning. */
export type BinlaneErrorCode =
  /** A native call got a NULL pointer with a length, or an argument out of its domain. */
  | "E_INVALID_ARGUMENT"
  /** A length that does not fit what the call requires. */
  | "E_LENGTH"
  /** An argument of the wrong type. */
  | "E_TYPE"
  /** A number outside its allowed range. */
  | "E_RANGE"
  /** Malformed input data (invalid UTF-8, a bad encoding); `offset` says where. */
  | "E_INVALID_INPUT"
  | "E_OUT_OF_MEMORY"
  /** Native code refused a handle: already released, stale or never issued. */
  | "E_INVALID_HANDLE"
  /** A CPU level that is not built in or that this CPU cannot run. */
  | "E_UNSUPPORTED_CPU"
  | "E_BUFFER_TOO_SMALL"
  /** An alignment that is not a power of two in 1..4096. */
  | "E_ALIGNMENT"
  /** Use of a `NativeBuffer` after it was disposed. */
  | "E_DISPOSED"
  /** The memory behind a `NativeBuffer` was transferred away from binlane. */
  | "E_TRANSFERRED"
  /** The native library could not be found or opened. */
  | "E_LIBRARY_LOAD"
  /** The library is built for another ABI version. */
  | "E_ABI_MISMATCH"
  /** The library's struct layouts differ from what TypeScript expects. */
  | "E_LAYOUT_MISMATCH"
  /** Native code was required (`BINLANE_BACKEND=native`, a CPU level) but is unavailable. */
  | "E_NO_NATIVE"
  /** A `BINLANE_*` setting with a value binlane does not know. */
  | "E_CONFIG"
  /** A native status code this version of binlane does not know. */
  | "E_NATIVE_UNKNOWN"
  /** A frame that ends before its header says it does; `offset` is where it starts. */
  | "E_FRAME_TRUNCATED"
  /** No frame magic where a frame should start. */
  | "E_FRAME_MAGIC"
  /** A frame header whose CRC-32C does not match its bytes. */
  | "E_FRAME_HEADER_CRC"
  /** A frame of a format version or with flags this reader does not know. */
  | "E_FRAME_UNSUPPORTED"
  /** A frame larger than the reader's or writer's `maxFrameSize`. */
  | "E_FRAME_TOO_LARGE"
  /** A frame with non-zero padding or reserved bytes. */
  | "E_FRAME_MALFORMED"
  /** A frame payload whose CRC-32C does not match its bytes. */
  | "E_FRAME_PAYLOAD_CRC"
  /** A frame payload written with another layout than the reader expects. */
  | "E_FRAME_FINGERPRINT"
  /** A file or directory that does not exist. */
  | "E_NOT_FOUND"
  /** The operating system refused access to a file. */
  | "E_PERMISSION_DENIED"
  /** Another operating-system failure on a file; the message names its errno. */
  | "E_IO"
  /** A path that is not a regular file (a directory, device or pipe) where a file is needed. */
  | "E_NOT_A_FILE"
  /** A memory-mapped file was truncated underneath its mapping: what was read past its end is not data. */
  | "E_TRUNCATED"
  /** Not available on this operating system. */
  | "E_UNSUPPORTED_PLATFORM"
  /** A worker stage's transform threw something that is not a `BinlaneError`, or its worker failed. */
  | "E_WORKER";

/** Details that come with an error. */
export interface BinlaneErrorOptions {
  /** Byte offset in the input where the problem is, when there is one. */
  offset?: number;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The error every binlane function throws for bad input or a failed
 * native call. `code` is stable and meant for programs; `message` is for
 * people.
 *
 * @example
 * ```ts
 * import { BinlaneError, NativeBuffer } from "@binlane/binlane";
 *
 * const buffer = NativeBuffer.alloc(16);
 * buffer[Symbol.dispose]();
 * try {
 *   buffer.bytes;
 * } catch (error) {
 *   if (error instanceof BinlaneError) console.log(error.code); // "E_DISPOSED"
 * }
 * ```
 */
export class BinlaneError extends Error {
  /** The stable code. */
  readonly code: BinlaneErrorCode;
  /** Byte offset in the input where the problem is, when there is one. */
  readonly offset: number | undefined;

  /** An error with a stable `code`, a message for people, and optional details. */
  constructor(code: BinlaneErrorCode, message: string, options: BinlaneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BinlaneError";
    this.code = code;
    this.offset = options.offset;
  }
}

/** Native `Status` values (native-zig/status.zig) by number. */
const statusCodes: readonly BinlaneErrorCode[] = [
  "E_NATIVE_UNKNOWN", // 0 is success and never mapped
  "E_INVALID_ARGUMENT",
  "E_LENGTH",
  "E_OUT_OF_MEMORY",
  "E_INVALID_HANDLE",
  "E_UNSUPPORTED_CPU",
  "E_BUFFER_TOO_SMALL",
  "E_ALIGNMENT",
  "E_INVALID_INPUT", // invalid character
  "E_INVALID_INPUT", // invalid padding
  "E_INVALID_INPUT", // non-zero trailing bits
  "E_INVALID_INPUT", // incomplete input
  "E_INVALID_INPUT", // varint overflow
  "E_IO", // an errno: src/mapped_file.ts names it
  "E_TRUNCATED",
  "E_NOT_A_FILE",
  "E_UNSUPPORTED_PLATFORM",
];

/**
 * The error for a non-zero native status, naming the call that returned it.
 *
 * @example
 * ```ts
 * import { errorFromStatus } from "./errors.ts";
 *
 * console.log(errorFromStatus(4, "binlane_free").code); // "E_INVALID_HANDLE"
 * ```
 */
export function errorFromStatus(status: number, call: string): BinlaneError {
  const code = status > 0 && status < statusCodes.length ? statusCodes[status] : "E_NATIVE_UNKNOWN";
  return new BinlaneError(code, `${call} failed with native status ${status} (${code})`);
}
