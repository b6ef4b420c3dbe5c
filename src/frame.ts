/**
 * Frame format v1 (docs/FORMAT.md): a 32-byte little-endian header declared
 * with the layout schema, the payload padded with zeros to 8 bytes, and an
 * 8-byte trailer holding the payload's CRC-32C. Every frame is a multiple of
 * 8 bytes long, so frames written back to back keep their 64-bit fields
 * aligned.
 *
 * @module
 */

import { asBytes, type BinaryInput, overlaps } from "./bytes.ts";
import { REFUSED } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { crc32c, crc32cRange } from "./crc.ts";
import { BinlaneError, type BinlaneErrorCode, errorFromStatus } from "./errors.ts";
import { describeValue, readOptions } from "./options.ts";
import { type Schema, struct } from "./layout/schema.ts";
import { u16, u32, u64, u8 } from "./layout/types.ts";

/** The frame header's fields, in order. */
export type FrameHeaderFields = {
  /** {@linkcode FRAME_MAGIC}. */
  magic: typeof u32;
  /** {@linkcode FRAME_VERSION}. */
  version: typeof u8;
  /** None are defined in version 1; readers refuse any. */
  flags: typeof u8;
  /** The application's message type. */
  type: typeof u16;
  /** The payload layout's fingerprint, 0 for none. */
  fingerprint: typeof u64;
  /** The writer's timestamp. */
  timestamp: typeof u64;
  /** Payload bytes, padding excluded. */
  payloadLength: typeof u32;
  /** CRC-32C of the header's first 28 bytes. */
  headerCrc: typeof u32;
};

/**
 * The frame header, little-endian on every platform. `headerCrc` is the
 * CRC-32C of the 28 bytes before it.
 *
 * @example
 * ```ts
 * import { FrameHeader } from "@binlane/binlane";
 *
 * if (FrameHeader.size !== 32) throw new Error("a header is 32 bytes");
 * if (FrameHeader.offsetOf("payloadLength") !== 24) throw new Error("payloadLength at 24");
 * ```
 */
export const FrameHeader: Schema<FrameHeaderFields> = struct({
  magic: u32,
  version: u8,
  flags: u8,
  type: u16,
  fingerprint: u64,
  timestamp: u64,
  payloadLength: u32,
  headerCrc: u32,
});

/**
 * The first four bytes of every frame, "BLNF", as a little-endian u32.
 *
 * @example
 * ```ts
 * import { FRAME_MAGIC } from "@binlane/binlane";
 *
 * if (FRAME_MAGIC.toString(16) !== "464e4c42") throw new Error("the magic is 0x464e4c42");
 * ```
 */
export const FRAME_MAGIC = 0x464e_4c42;

/**
 * The format version this code writes and the only one it reads.
 *
 * @example
 * ```ts
 * import { FRAME_VERSION } from "@binlane/binlane";
 *
 * if (FRAME_VERSION !== 1) throw new Error("version 1");
 * ```
 */
export const FRAME_VERSION = 1;

/**
 * Bytes before the payload.
 *
 * @example
 * ```ts
 * import { FRAME_HEADER_SIZE } from "@binlane/binlane";
 *
 * if (FRAME_HEADER_SIZE !== 32) throw new Error("a header is 32 bytes");
 * ```
 */
export const FRAME_HEADER_SIZE: number = FrameHeader.size;

/**
 * Bytes after the padded payload: its CRC-32C, then four zero bytes.
 *
 * @example
 * ```ts
 * import { FRAME_TRAILER_SIZE } from "@binlane/binlane";
 *
 * if (FRAME_TRAILER_SIZE !== 8) throw new Error("a trailer is 8 bytes");
 * ```
 */
export const FRAME_TRAILER_SIZE = 8;

/**
 * The largest frame read or written unless `maxFrameSize` says otherwise: 64 MiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_FRAME_SIZE } from "@binlane/binlane";
 *
 * if (DEFAULT_MAX_FRAME_SIZE !== 64 << 20) throw new Error("64 MiB by default");
 * ```
 */
export const DEFAULT_MAX_FRAME_SIZE: number = 64 * 1024 * 1024;

/** No frame can be larger: `payloadLength` is a u32, and offsets stay safe integers. */
const ABSOLUTE_MAX_FRAME_SIZE = 2 ** 32 - 1;

const at = {
  magic: FrameHeader.offsetOf("magic"),
  version: FrameHeader.offsetOf("version"),
  flags: FrameHeader.offsetOf("flags"),
  type: FrameHeader.offsetOf("type"),
  fingerprint: FrameHeader.offsetOf("fingerprint"),
  timestamp: FrameHeader.offsetOf("timestamp"),
  payloadLength: FrameHeader.offsetOf("payloadLength"),
  headerCrc: FrameHeader.offsetOf("headerCrc"),
} as const;

/**
 * A header and a trailer are written here and then copied into the target:
 * a DataView and a subarray of the target per frame were encodeFrameInto's
 * only allocations (about 230 heap bytes a call, bench/frame.bench.ts,
 * "heap B/op"). Nothing re-enters encodeFrameInto while they are in use.
 */
const headerScratch = new Uint8Array(FRAME_HEADER_SIZE);
const headerScratchView = new DataView(headerScratch.buffer);
const trailerScratch = new Uint8Array(8);
const trailerScratchView = new DataView(trailerScratch.buffer);

/** What a frame carries besides its payload. */
export interface FrameOptions {
  /** The message type, 0 to 65535: the application's own numbering. */
  type: number;
  /** Nanoseconds since the Unix epoch (or the application's clock). Default: now. */
  timestamp?: bigint;
  /** The payload layout's fingerprint (`Schema.fingerprint`), or 0n for none. Default 0n. */
  fingerprint?: bigint;
  /** Refuse to write a frame larger than this many bytes (`E_FRAME_TOO_LARGE`). Default 64 MiB. */
  maxFrameSize?: number;
}

/** Options for {@linkcode decodeFrame}. */
export interface DecodeFrameOptions {
  /** Where the frame starts in the bytes. Default 0. */
  byteOffset?: number;
  /** Refuse a frame whose header announces more bytes than this (`E_FRAME_TOO_LARGE`). Default 64 MiB. */
  maxFrameSize?: number;
  /** The fingerprint the payload must have been written with (`E_FRAME_FINGERPRINT`). Default: any. */
  fingerprint?: bigint;
}

/** A decoded frame. */
export interface Frame {
  /** The message type. */
  readonly type: number;
  /** The timestamp the writer gave. */
  readonly timestamp: bigint;
  /** The payload layout's fingerprint the writer gave, 0n for none. */
  readonly fingerprint: bigint;
  /** The payload: a zero-copy view of the input bytes (of a private copy, for shared memory). */
  readonly payload: Uint8Array;
  /** Bytes the whole frame takes, padding and trailer included: where the next frame starts. */
  readonly byteLength: number;
}

/** A checked header: what a reader needs before the rest of the frame arrives. */
export interface FrameHeaderInfo {
  /** The message type. */
  readonly type: number;
  /** The writer's timestamp. */
  readonly timestamp: bigint;
  /** The writer's payload fingerprint. */
  readonly fingerprint: bigint;
  /** Payload bytes. */
  readonly payloadLength: number;
  /** Bytes of the whole frame. */
  readonly frameLength: number;
}

function padded(length: number): number {
  return Math.ceil(length / 8) * 8;
}

/**
 * Bytes a frame of a `payloadLength`-byte payload takes: the size to give
 * {@linkcode encodeFrameInto}.
 *
 * @example
 * ```ts
 * import { frameSize } from "@binlane/binlane";
 *
 * const sizes = [frameSize(0), frameSize(1), frameSize(1024)];
 * if (sizes.join() !== "40,48,1064") throw new Error(`header, payload padded to 8, trailer: ${sizes}`);
 * ```
 */
export function frameSize(payloadLength: number): number {
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new BinlaneError(
      typeof payloadLength === "number" ? "E_RANGE" : "E_TYPE",
      `payloadLength must be a non-negative integer, got ${describeValue(payloadLength)}`,
    );
  }
  return FRAME_HEADER_SIZE + padded(payloadLength) + FRAME_TRAILER_SIZE;
}

/**
 * `value`, or the default, after checking it is a usable frame size limit.
 *
 * @example
 * ```ts
 * import { checkMaxFrameSize } from "./frame.ts";
 *
 * if (checkMaxFrameSize(undefined) !== 64 << 20) throw new Error("undefined is the default, 64 MiB");
 * ```
 */
export function checkMaxFrameSize(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_SIZE;
  return checkInteger(value, "maxFrameSize", frameSize(0), ABSOLUTE_MAX_FRAME_SIZE);
}

/**
 * `value` when it is an integer from `min` to `max`: anything but a number
 * (a BigInt, a Symbol, an object whose `valueOf` would run) is `E_TYPE`, a
 * number outside the range or not whole `E_RANGE`.
 */
function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number") {
    throw new BinlaneError("E_TYPE", `${name} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BinlaneError(
      "E_RANGE",
      `${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

function checkU64(value: unknown, name: string): bigint {
  // Anything but a bigint is E_RANGE, like an out-of-range one; a comparison would run its valueOf.
  if (typeof value !== "bigint" || value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new BinlaneError(
      "E_RANGE",
      `${name} must be a bigint from 0 to 2^64 - 1, got ${describeValue(value)}`,
    );
  }
  return value;
}

function now(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Writes one frame of `payload` at the start of `target` and returns its
 * length (`frameSize(payload.byteLength)`). Throws `E_BUFFER_TOO_SMALL` when
 * `target` is shorter, before writing anything.
 *
 * @example
 * ```ts
 * import { encodeFrameInto, frameSize } from "@binlane/binlane";
 *
 * const payload = new TextEncoder().encode("tick");
 * const target = new Uint8Array(frameSize(payload.length));
 * const written = encodeFrameInto(target, payload, { type: 7, timestamp: 1n });
 * if (written !== 48) throw new Error(`a 4-byte payload makes a 48-byte frame, not ${written}`);
 * ```
 */
export function encodeFrameInto(target: BinaryInput, payload: BinaryInput, options: FrameOptions): number {
  // The options' getters are the caller's code, which may detach or resize either buffer: both are looked at
  // only after them.
  const settings = encodeSettings(options, "encodeFrameInto");
  const out = asBytes(target, "the target");
  const body = asBytes(payload, "the payload");
  const length = checkedFrameLength(body.byteLength, settings.maxFrameSize);
  if (out.byteLength < length) {
    throw new BinlaneError(
      "E_BUFFER_TOO_SMALL",
      `the frame needs ${length} bytes, the target has ${out.byteLength}`,
    );
  }
  if (overlaps(out, body, length)) {
    throw new BinlaneError("E_INVALID_ARGUMENT", "the payload overlaps the target");
  }
  writeFrame(out, body, settings);
  return length;
}

/** Frame options read once each (their getters run once, before any length is taken) and checked. */
export interface EncodeSettings {
  type: number;
  timestamp: bigint;
  fingerprint: bigint;
  maxFrameSize: number;
}

/**
 * The keys of {@linkcode FrameOptions}, which `encodeFrame`, `encodeFrameInto`
 * and the serializer's frame options accept.
 */
export const FRAME_OPTION_KEYS: readonly (keyof FrameOptions)[] = [
  "type",
  "timestamp",
  "fingerprint",
  "maxFrameSize",
];

/**
 * Frame options read once (through {@linkcode readOptions}) and checked.
 *
 * @example
 * ```ts
 * import { encodeSettings } from "./frame.ts";
 *
 * if (encodeSettings({ type: 3, timestamp: 1n }, "example").type !== 3) throw new Error("wrong type");
 * ```
 */
export function encodeSettings(options: FrameOptions, caller: string): EncodeSettings {
  if (options === undefined) {
    throw new BinlaneError("E_TYPE", `${caller} takes options with at least a type`);
  }
  const read = readOptions(options, FRAME_OPTION_KEYS, caller);
  const type = checkInteger(read.type, "type", 0, 0xffff);
  const timestamp = checkU64(read.timestamp ?? now(), "timestamp");
  const fingerprint = checkU64(read.fingerprint ?? 0n, "fingerprint");
  const maxFrameSize = checkMaxFrameSize(read.maxFrameSize as number | undefined);
  return { type, timestamp, fingerprint, maxFrameSize };
}

/** The length of a frame of a `payloadLength`-byte payload, which must be within `maxFrameSize`. */
function checkedFrameLength(payloadLength: number, maxFrameSize: number): number {
  const length = frameSize(payloadLength);
  if (length > maxFrameSize) {
    throw new BinlaneError(
      "E_FRAME_TOO_LARGE",
      `a ${payloadLength}-byte payload makes a ${length}-byte frame, above maxFrameSize ${maxFrameSize}`,
    );
  }
  return length;
}

/** Writes the frame of `body` at the start of `out`, which has room for it and does not overlap it. */
function writeFrame(out: Uint8Array, body: Uint8Array, settings: EncodeSettings): void {
  const header = headerScratchView;
  header.setUint32(at.magic, FRAME_MAGIC, true);
  header.setUint8(at.version, FRAME_VERSION);
  header.setUint8(at.flags, 0);
  header.setUint16(at.type, settings.type, true);
  header.setBigUint64(at.fingerprint, settings.fingerprint, true);
  header.setBigUint64(at.timestamp, settings.timestamp, true);
  header.setUint32(at.payloadLength, body.byteLength, true);
  header.setUint32(at.headerCrc, crc32cRange(headerScratch, 0, at.headerCrc), true);
  out.set(headerScratch, 0);
  out.set(body, FRAME_HEADER_SIZE);
  const trailer = FRAME_HEADER_SIZE + padded(body.byteLength);
  out.fill(0, FRAME_HEADER_SIZE + body.byteLength, trailer);
  // A payload another thread may be writing is checksummed as copied, so that the frame is consistent.
  const crc = isSharedMemory(body)
    ? crc32c(new Uint8Array(out.buffer, out.byteOffset + FRAME_HEADER_SIZE, body.byteLength))
    : crc32c(body);
  trailerScratchView.setUint32(0, crc, true);
  trailerScratchView.setUint32(4, 0, true);
  out.set(trailerScratch, trailer);
}

/**
 * One frame of `payload` in a new buffer.
 *
 * @example
 * ```ts
 * import { decodeFrame, encodeFrame } from "@binlane/binlane";
 *
 * const frame = encodeFrame(new TextEncoder().encode("tick"), { type: 7 });
 * if (frame.length !== 48 || decodeFrame(frame).type !== 7) throw new Error("the frame decodes as encoded");
 * ```
 */
export function encodeFrame(payload: BinaryInput, options: FrameOptions): Uint8Array {
  // As in encodeFrameInto: the getters may detach or resize the payload, which is looked at only after them.
  const settings = encodeSettings(options, "encodeFrame");
  const body = asBytes(payload, "the payload");
  const out = new Uint8Array(checkedFrameLength(body.byteLength, settings.maxFrameSize));
  writeFrame(out, body, settings);
  return out;
}

/** The intrinsic getters: a subclass of Uint8Array can override `buffer` and `byteOffset`, but not these. */
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const bufferOf = Object.getOwnPropertyDescriptor(typedArrayPrototype, "buffer")!.get! as (
  this: Uint8Array,
) => ArrayBufferLike;
const byteOffsetOf = Object.getOwnPropertyDescriptor(typedArrayPrototype, "byteOffset")!.get! as (
  this: Uint8Array,
) => number;

/**
 * Whether `bytes` may be memory another thread writes: a view over a
 * `SharedArrayBuffer` (or over anything but this realm's `ArrayBuffer`).
 * Such bytes are copied before they are checked, and the copy is what a
 * reader returns, so that a payload is the bytes that were checked and
 * cannot change after.
 *
 * @example
 * ```ts
 * import { isSharedMemory } from "./frame.ts";
 *
 * if (!isSharedMemory(new Uint8Array(new SharedArrayBuffer(8)))) throw new Error("shared memory is shared");
 * if (isSharedMemory(new Uint8Array(8))) throw new Error("an ArrayBuffer of this realm is private");
 * ```
 */
export function isSharedMemory(bytes: Uint8Array): boolean {
  return !(bufferOf.call(bytes) instanceof ArrayBuffer);
}

/**
 * A private copy of `length` bytes of `bytes` from `start`, which must be
 * within it; read through the intrinsic getters, so that a subclass cannot
 * point the copy elsewhere.
 *
 * @example
 * ```ts
 * import { privateCopy } from "./frame.ts";
 *
 * const shared = new Uint8Array(new SharedArrayBuffer(4)).fill(7);
 * const copy = privateCopy(shared, 1, 2);
 * if (copy.length !== 2 || copy[0] !== 7 || copy[1] !== 7) throw new Error("the two bytes from 1");
 * if (!(copy.buffer instanceof ArrayBuffer)) throw new Error("a private ArrayBuffer");
 * ```
 */
export function privateCopy(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bufferOf.call(bytes), byteOffsetOf.call(bytes) + start, length).slice();
}

/** The error codes a frame can fail with. */
type FrameErrorCode = Extract<BinlaneErrorCode, `E_FRAME_${string}`>;

function frameError(code: FrameErrorCode, message: string, offset: number): BinlaneError {
  return new BinlaneError(code, `${message} (byte offset ${offset})`, { offset });
}

/** One DataView per ArrayBuffer, reused: creating one costs Deno ~150 ns, more than checking a small frame. */
const bufferViews = new WeakMap<ArrayBufferLike, DataView>();

/** A DataView over all of `bytes.buffer`: offsets into it are `bytes.byteOffset` plus the offset in `bytes`. */
function bufferView(bytes: Uint8Array): DataView {
  let view = bufferViews.get(bytes.buffer);
  // A resized or detached buffer gets a fresh view.
  if (view === undefined || view.byteLength < bytes.byteOffset + bytes.byteLength) {
    view = new DataView(bytes.buffer);
    bufferViews.set(bytes.buffer, view);
  }
  return view;
}

/** The little-endian u32 at `index` of `bytes`. */
function u32At(bytes: Uint8Array, index: number): number {
  return (bytes[index] | (bytes[index + 1] << 8) | (bytes[index + 2] << 16) | (bytes[index + 3] << 24)) >>> 0;
}

function checkStart(input: Uint8Array, start: unknown): number {
  if (typeof start !== "number") {
    throw new BinlaneError("E_TYPE", `byteOffset must be a number, got ${describeValue(start)}`);
  }
  if (!Number.isSafeInteger(start) || start < 0 || start > input.byteLength) {
    throw new BinlaneError("E_RANGE", `byteOffset ${describeValue(start)} is outside 0..${input.byteLength}`);
  }
  return start;
}

/**
 * A header that failed a check, as data: building the error (its message and
 * stack) cost 5-8 us a header in Deno, which a resynchronising reader pays
 * for every magic in damaged data and then drops.
 */
export interface HeaderFault {
  /** The check that failed, which names the code and the message. */
  readonly check: "truncated" | "magic" | "crc" | "version" | "flags" | "size";
  /** Offset in the input of the field at fault. */
  readonly offset: number;
  /** What the field held (bytes remaining, for "truncated"; the payload length, for "size"). */
  readonly found: number;
  /** What it should have held (the computed CRC; the frame length, for "size"). */
  readonly expected: number;
}

/**
 * The header at `start` of `input`, checked (magic, header CRC, version,
 * flags, size), or the first check it fails, without throwing. `input` must
 * be memory no other thread writes (see {@linkcode isSharedMemory}): each
 * field is read once, after the CRC vouched for it, but a concurrent writer
 * could change it in between.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "@binlane/binlane";
 * import { checkHeader } from "./frame.ts";
 *
 * const frame = encodeFrame(new Uint8Array(3), { type: 5 });
 * frame[0] ^= 1;
 * const fault = checkHeader(frame, 0, 1024) as { check: string };
 * if (fault.check !== "magic") throw new Error(`the magic check fails first, not ${fault.check}`);
 * ```
 */
export function checkHeader(
  input: Uint8Array,
  start: number,
  maxFrameSize: number,
): FrameHeaderInfo | HeaderFault {
  if (input.byteLength - start < FRAME_HEADER_SIZE) {
    return {
      check: "truncated",
      offset: start,
      found: input.byteLength - start,
      expected: FRAME_HEADER_SIZE,
    };
  }
  const view = bufferView(input);
  const base = input.byteOffset + start;
  const magic = view.getUint32(base + at.magic, true);
  if (magic !== FRAME_MAGIC) return { check: "magic", offset: start, found: magic, expected: FRAME_MAGIC };
  const stored = view.getUint32(base + at.headerCrc, true);
  const computed = crc32cRange(input, start, start + at.headerCrc);
  if (stored !== computed) {
    return { check: "crc", offset: start + at.headerCrc, found: stored, expected: computed };
  }
  const version = view.getUint8(base + at.version);
  if (version !== FRAME_VERSION) {
    return { check: "version", offset: start + at.version, found: version, expected: FRAME_VERSION };
  }
  const flags = view.getUint8(base + at.flags);
  if (flags !== 0) return { check: "flags", offset: start + at.flags, found: flags, expected: 0 };
  const payloadLength = view.getUint32(base + at.payloadLength, true);
  const frameLength = FRAME_HEADER_SIZE + padded(payloadLength) + FRAME_TRAILER_SIZE;
  if (frameLength > maxFrameSize) {
    return { check: "size", offset: start + at.payloadLength, found: payloadLength, expected: frameLength };
  }
  return {
    type: view.getUint16(base + at.type, true),
    timestamp: view.getBigUint64(base + at.timestamp, true),
    fingerprint: view.getBigUint64(base + at.fingerprint, true),
    payloadLength,
    frameLength,
  };
}

/**
 * Whether {@linkcode checkHeader} refused the header.
 *
 * @example
 * ```ts
 * import { checkHeader, isHeaderFault } from "./frame.ts";
 *
 * if (!isHeaderFault(checkHeader(new Uint8Array(8), 0, 1024))) throw new Error("8 bytes are no header");
 * ```
 */
export function isHeaderFault(result: FrameHeaderInfo | HeaderFault): result is HeaderFault {
  return (result as Partial<HeaderFault>).check !== undefined;
}

/**
 * The error a fault is reported as, with its code and offset; `maxFrameSize`
 * names the limit a "size" fault broke.
 *
 * @example
 * ```ts
 * import { checkHeader, headerFaultError, type HeaderFault } from "./frame.ts";
 *
 * const fault = checkHeader(new Uint8Array(8), 0, 1024) as HeaderFault;
 * const error = headerFaultError(fault, 1024);
 * if (error.code !== "E_FRAME_TRUNCATED") throw new Error(`truncated, not ${error.code}`);
 * ```
 */
export function headerFaultError(fault: HeaderFault, maxFrameSize: number): BinlaneError {
  const { offset, found, expected } = fault;
  switch (fault.check) {
    case "truncated":
      return frameError(
        "E_FRAME_TRUNCATED",
        `a frame header needs ${expected} bytes, ${found} remain`,
        offset,
      );
    case "magic":
      return frameError("E_FRAME_MAGIC", `no frame magic: 0x${found.toString(16).padStart(8, "0")}`, offset);
    case "crc":
      return frameError(
        "E_FRAME_HEADER_CRC",
        `header CRC-32C 0x${found.toString(16)} does not match its bytes (0x${expected.toString(16)})`,
        offset,
      );
    case "version":
      return frameError(
        "E_FRAME_UNSUPPORTED",
        `frame version ${found}; this reader knows ${expected}`,
        offset,
      );
    case "flags":
      return frameError(
        "E_FRAME_UNSUPPORTED",
        `frame flags 0x${found.toString(16)}; version 1 defines none`,
        offset,
      );
    case "size":
      return frameError(
        "E_FRAME_TOO_LARGE",
        `a ${found}-byte payload makes a ${expected}-byte frame, above maxFrameSize ${maxFrameSize}`,
        offset,
      );
  }
}

/** The checked header at `start` of `input`, or its first fault thrown; errors carry offsets into `input`. */
function headerAt(input: Uint8Array, start: number, maxFrameSize: number): FrameHeaderInfo {
  const result = checkHeader(input, start, maxFrameSize);
  if (isHeaderFault(result)) throw headerFaultError(result, maxFrameSize);
  return result;
}

/**
 * Checks the header at `byteOffset`: magic, header CRC, version, flags and
 * size. Returns what it says, or throws the first problem, with `offset`
 * the absolute byte offset of the field at fault. Stream readers use it to
 * learn a frame's length before the rest of it has arrived.
 *
 * @example
 * ```ts
 * import { encodeFrame, readFrameHeader } from "@binlane/binlane";
 *
 * const frame = encodeFrame(new Uint8Array(100), { type: 1 });
 * const { frameLength } = readFrameHeader(frame.subarray(0, 32));
 * if (frameLength !== 144) throw new Error(`the header alone gives the length 144, not ${frameLength}`);
 * ```
 */
export function readFrameHeader(
  bytes: BinaryInput,
  options: Omit<DecodeFrameOptions, "fingerprint"> = {},
): FrameHeaderInfo {
  const read = readOptions(options, ["byteOffset", "maxFrameSize"], "readFrameHeader");
  const maxFrameSize = checkMaxFrameSize(read.maxFrameSize as number | undefined);
  // The getters may have detached or resized the input: it is looked at only now.
  const input = asBytes(bytes, "the frame bytes");
  const start = checkStart(input, read.byteOffset ?? 0);
  if (!isSharedMemory(input)) return headerAt(input, start, maxFrameSize);
  // Another thread may write the bytes: the fields are read from a copy of what the CRC covered.
  const head = privateCopy(input, start, Math.min(FRAME_HEADER_SIZE, input.byteLength - start));
  return sharedHeader(head, start, maxFrameSize);
}

/** The checked header `head` (copied from `start` of shared memory), its faults at offsets from `start`. */
function sharedHeader(head: Uint8Array, start: number, maxFrameSize: number): FrameHeaderInfo {
  const result = checkHeader(head, 0, maxFrameSize);
  if (!isHeaderFault(result)) return result;
  throw headerFaultError({ ...result, offset: result.offset + start }, maxFrameSize);
}

/**
 * The rest of the frame whose checked `header` is at `start`: presence,
 * padding, trailer, payload CRC and fingerprint. For readers that checked
 * the header already (the stream decoder). `payloadCrc`, when given, is the
 * payload's CRC-32C as the caller computed it while copying the payload
 * in, and is compared instead of reading the payload again. Error offsets
 * are `reportBase` plus offsets into `input`.
 *
 * @example
 * ```ts
 * import { encodeFrame, readFrameHeader } from "@binlane/binlane";
 * import { frameAfterHeader } from "./frame.ts";
 *
 * const frame = encodeFrame(new Uint8Array([5]), { type: 2 });
 * const { payload } = frameAfterHeader(frame, 0, readFrameHeader(frame), undefined);
 * if (payload.length !== 1 || payload[0] !== 5) throw new Error("the payload [5]");
 * ```
 */
export function frameAfterHeader(
  input: Uint8Array,
  start: number,
  header: FrameHeaderInfo,
  fingerprint: bigint | undefined,
  payloadCrc?: number,
  reportBase = 0,
): Frame {
  if (input.byteLength - start < header.frameLength) {
    throw frameError(
      "E_FRAME_TRUNCATED",
      `the frame needs ${header.frameLength} bytes, ${input.byteLength - start} remain`,
      reportBase + start,
    );
  }
  const payloadStart = start + FRAME_HEADER_SIZE;
  const payloadEnd = payloadStart + header.payloadLength;
  const trailer = payloadStart + padded(header.payloadLength);
  for (let i = payloadEnd; i < trailer; i++) {
    if (input[i] !== 0) throw frameError("E_FRAME_MALFORMED", "payload padding is not zero", reportBase + i);
  }
  // Byte reads rather than a DataView: a frame assembled from chunks sits in memory no view was made for yet.
  if (u32At(input, trailer + 4) !== 0) {
    throw frameError(
      "E_FRAME_MALFORMED",
      "the trailer's reserved word is not zero",
      reportBase + trailer + 4,
    );
  }
  // The constructor, not `subarray`, which looks up a species constructor.
  const payload = new Uint8Array(input.buffer, input.byteOffset + payloadStart, header.payloadLength);
  const stored = u32At(input, trailer);
  const computed = payloadCrc ?? crc32c(payload);
  if (stored !== computed) {
    throw frameError(
      "E_FRAME_PAYLOAD_CRC",
      `payload CRC-32C 0x${stored.toString(16)} does not match its ${header.payloadLength} bytes (0x${
        computed.toString(16)
      })`,
      reportBase + payloadStart,
    );
  }
  if (fingerprint !== undefined && fingerprint !== header.fingerprint) {
    throw frameError(
      "E_FRAME_FINGERPRINT",
      `payload written with layout 0x${header.fingerprint.toString(16)}, expected 0x${
        fingerprint.toString(16)
      }`,
      reportBase + start + at.fingerprint,
    );
  }
  return {
    type: header.type,
    timestamp: header.timestamp,
    fingerprint: header.fingerprint,
    payload,
    byteLength: header.frameLength,
  };
}

/**
 * Reads and checks the frame at the start of `bytes` (or at `byteOffset`,
 * given as a number or in options): header, padding, trailer, payload
 * CRC-32C and, when asked, the payload's fingerprint. The payload is a view
 * of `bytes`, not a copy, except of shared memory (a `SharedArrayBuffer`),
 * which is copied before it is checked. Options are read before the bytes
 * are looked at; bytes detached meanwhile are `E_DISPOSED`. Errors carry a stable code and the absolute byte
 * offset of the problem: `E_FRAME_TRUNCATED`, `E_FRAME_MAGIC`,
 * `E_FRAME_HEADER_CRC`, `E_FRAME_UNSUPPORTED` (version or flags),
 * `E_FRAME_TOO_LARGE`, `E_FRAME_MALFORMED` (non-zero padding),
 * `E_FRAME_PAYLOAD_CRC`, `E_FRAME_FINGERPRINT`.
 *
 * @example
 * ```ts
 * import { decodeFrame, encodeFrame } from "@binlane/binlane";
 *
 * const frame = encodeFrame(new Uint8Array([1, 2, 3]), { type: 9, timestamp: 5n });
 * const { type, timestamp, payload, byteLength } = decodeFrame(frame);
 * if (type !== 9 || timestamp !== 5n || byteLength !== 48) throw new Error("the fields as encoded");
 * if (payload.join() !== "1,2,3") throw new Error("the payload as encoded");
 * ```
 */
export function decodeFrame(bytes: BinaryInput, options: number | DecodeFrameOptions = 0): Frame {
  let offset: unknown;
  let maxFrameSize: number;
  let fingerprint: bigint | undefined;
  if (typeof options === "number") {
    offset = options;
    maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  } else {
    if (options === null || typeof options !== "object") {
      throw new BinlaneError(
        "E_TYPE",
        `decodeFrame takes a byte offset or an options object, got ${describeValue(options)}`,
      );
    }
    const read = readOptions(options, ["byteOffset", "maxFrameSize", "fingerprint"], "decodeFrame");
    offset = read.byteOffset ?? 0;
    maxFrameSize = checkMaxFrameSize(read.maxFrameSize as number | undefined);
    fingerprint = checkFingerprint(read.fingerprint as bigint | undefined);
  }
  // The getters may have detached or resized the input: it is looked at only now.
  const input = asBytes(bytes, "the frame bytes");
  const start = checkStart(input, offset);
  if (isSharedMemory(input)) return decodeSharedFrame(input, start, maxFrameSize, fingerprint);
  const header = headerAt(input, start, maxFrameSize);
  return frameAfterHeader(input, start, header, fingerprint);
}

/**
 * `decodeFrame` of memory another thread may write: the header is copied and
 * checked, then the frame it announces is copied and checked, and its payload
 * is a view of that private copy.
 */
function decodeSharedFrame(
  input: Uint8Array,
  start: number,
  maxFrameSize: number,
  fingerprint: bigint | undefined,
): Frame {
  const head = privateCopy(input, start, Math.min(FRAME_HEADER_SIZE, input.byteLength - start));
  const header = sharedHeader(head, start, maxFrameSize);
  const frame = privateCopy(input, start, Math.min(header.frameLength, input.byteLength - start));
  // The header as checked, whatever the second copy read.
  frame.set(head, 0);
  return frameAfterHeader(frame, 0, header, fingerprint, undefined, start);
}

/**
 * `value` when it is a fingerprint a reader can compare (a u64 bigint), or
 * undefined for none; anything else would silently match no frame.
 *
 * @example
 * ```ts
 * import { checkFingerprint } from "./frame.ts";
 *
 * if (checkFingerprint(5n) !== 5n) throw new Error("a u64 is a fingerprint");
 * if (checkFingerprint(undefined) !== undefined) throw new Error("undefined is none");
 * ```
 */
export function checkFingerprint(value: bigint | undefined): bigint | undefined {
  return value === undefined ? undefined : checkU64(value, "fingerprint");
}

/**
 * Bytes left from which frames are checked natively, many a call, rather
 * than one at a time in JavaScript: from 256-byte chunks on the native check
 * is as fast or faster in both runtimes (0.96-1.20x at 256 B, 1.17-1.97x at 4
 * KiB; bench/frame_scan_threshold.bench.ts, 2026-11-22).
 */
export const frameScanThresholds: { bytes: number } = { bytes: 256 };

/** Frame starts a native scan call reports at most: 4 KiB of them, reused. */
const scanStarts = new Uint32Array(1024);
/** The most bytes one `binlane_frame_scan` call takes (its lengths are u32): more than any frame. */
const SCAN_WINDOW = 0xffff_ffff;
const scanStartBytes = new Uint8Array(scanStarts.buffer);
/** Bumped by every scan: an `emit` that decodes other frames reuses `scanStarts`, and the outer scan must see it. */
let scanGeneration = 0;

/**
 * Emits the whole, well-formed frames from `start` of `input` on, checked
 * natively many a call, with the same `Frame`s as {@linkcode decodeFrame};
 * returns where it stopped: at the end, or at a frame that is incomplete,
 * damaged, larger than `maxFrameSize` or of another `fingerprint`, which it
 * leaves to the caller's own reading to name. On the JS path, or with less
 * than `frameScanThresholds.bytes` left, it emits nothing. `input` must be
 * memory no other thread writes ({@linkcode isSharedMemory}: copy it
 * first), since the frames it vouches for are read again and handed out.
 *
 * @example
 * ```ts
 * import { backend, encodeFrame } from "@binlane/binlane";
 * import { emitWellFormedFrames, frameScanThresholds } from "./frame.ts";
 *
 * frameScanThresholds.bytes = 0;
 * const two = new Uint8Array([...encodeFrame(new Uint8Array([1]), { type: 1 }), 0, 0]);
 * const types: number[] = [];
 * const end = emitWellFormedFrames(two, 0, 1024, undefined, (frame) => types.push(frame.type));
 * // Natively: the one whole frame, stopping at the two bytes after it; on the JS path: nothing.
 * const native = backend().path === "native";
 * if (types.join() !== (native ? "1" : "") || end !== (native ? 48 : 0)) throw new Error(`${types}, ${end}`);
 * ```
 */
export function emitWellFormedFrames(
  input: Uint8Array,
  start: number,
  maxFrameSize: number,
  fingerprint: bigint | undefined,
  emit: (frame: Frame) => void,
): number {
  const symbols = kernelSymbols();
  if (symbols === undefined || input.byteLength - start < frameScanThresholds.bytes) return start;
  const view = bufferView(input);
  // Read once: Bun's `buffer` getter is a native call (about 5 ns a frame in a CPU profile).
  const memory = input.buffer;
  let position = start;
  scanning: while (input.byteLength - position >= FRAME_HEADER_SIZE) {
    // Native lengths are u32; every frame fits that window, so a longer input is scanned a window at a time.
    const length = Math.min(input.byteLength - position, SCAN_WINDOW);
    const clipped = length < input.byteLength - position;
    const rest = position === 0 && !clipped ? input : input.subarray(position, position + length);
    const count = symbols.binlane_frame_scan(rest, length, maxFrameSize, scanStartBytes, 4096);
    if (count >= REFUSED) throw errorFromStatus(symbols.binlane_take_status(), "binlane_frame_scan");
    const generation = ++scanGeneration;
    let next = position;
    for (let i = 0; i < count; i++) {
      const frameStart = position + scanStarts[i];
      const base = input.byteOffset + frameStart;
      const frameFingerprint = view.getBigUint64(base + at.fingerprint, true);
      if (fingerprint !== undefined && frameFingerprint !== fingerprint) return frameStart;
      const payloadLength = view.getUint32(base + at.payloadLength, true);
      const byteLength = FRAME_HEADER_SIZE + padded(payloadLength) + FRAME_TRAILER_SIZE;
      emit({
        type: view.getUint16(base + at.type, true),
        timestamp: view.getBigUint64(base + at.timestamp, true),
        fingerprint: frameFingerprint,
        // The constructor, not `subarray`, which looks up a species constructor for every frame.
        payload: new Uint8Array(memory, base + FRAME_HEADER_SIZE, payloadLength),
        byteLength,
      });
      next = frameStart + byteLength;
      if (scanGeneration !== generation) {
        // The emit scanned other bytes, overwriting the table: scan again from here.
        position = next;
        continue scanning;
      }
    }
    position = next;
    // Fewer than a full table means the scan met a frame it would not vouch for, or, with frames before it, the
    // end of a window: the frame there is scanned again from its start.
    if (count < scanStarts.length && (!clipped || count === 0)) return position;
  }
  return position;
}
