/**
 * The inputs kernels accept, and their zero-copy normalisation to bytes.
 *
 * @module
 */

import { detachedError, isOutOfBounds } from "./detached.ts";
import { BinlaneError } from "./errors.ts";
import {
  bufferByteLengthOf,
  bytesOver,
  dataViewBufferOf,
  dataViewByteLengthOf,
  dataViewByteOffsetOf,
  isArrayBuffer,
  isDataView,
  isDetachedBuffer,
  isPlainUint8ArrayInJsc,
  isSharedArrayBuffer,
  typedArrayBufferOf,
  typedArrayByteLengthOf,
  typedArrayByteOffsetOf,
  typedArrayConstructorOf,
  typedArrayKind,
  typedArrayLengthOf,
  uint8LengthOf,
} from "./intrinsics.ts";
import { MappedFile } from "./mapped_file.ts";
import { NativeBuffer } from "./native_buffer.ts";
import { describeValue } from "./options.ts";

/**
 * Anything a kernel reads: any `ArrayBufferView` (typed arrays, `DataView`,
 * subarrays at any offset, views over a `SharedArrayBuffer`), an
 * `ArrayBuffer` or `SharedArrayBuffer`, a {@linkcode NativeBuffer}, or a
 * {@linkcode MappedFile}.
 */
export type BinaryInput = ArrayBufferView | ArrayBufferLike | NativeBuffer | MappedFile;

const apply = Reflect.apply;
const hasOwn = Object.hasOwn;

// The handles' own getters: applied to a Proxy or a fake, their private-field access throws a TypeError.
const nativeBufferBytes = Object.getOwnPropertyDescriptor(NativeBuffer.prototype, "bytes")?.get;
const mappedFileBytes = Object.getOwnPropertyDescriptor(MappedFile.prototype, "bytes")?.get;

let measured = 0;
const empty = new Uint8Array(0);

/**
 * The byte length {@linkcode readBytes} or {@linkcode asBytes} last
 * measured, from the engine's own slot: read it right after the call, before
 * normalising another input. (A second getter call would cost 4-9 ns, and a
 * returned pair would allocate.)
 *
 * @example
 * ```ts
 * import { lengthRead, readBytes } from "./bytes.ts";
 *
 * const liar = new Uint8Array(8);
 * Object.defineProperty(liar, "byteLength", { value: 1 << 30 });
 * readBytes(liar);
 * if (lengthRead() !== 8) throw new Error("the claimed length was trusted");
 * ```
 */
export function lengthRead(): number {
  return measured;
}

/**
 * A genuine `Uint8Array` over exactly the bytes of `data`, without copying
 * them; its byte length, taken from the engine's slot, is
 * {@linkcode lengthRead}. The array may be the caller's own object (a
 * subclass, or one with own properties that lie): index it or hand it to
 * native code with that length, cut it with {@linkcode bytesOf}, and never
 * read its properties or call its methods. Anything that is not a genuine
 * view, buffer or handle (a Proxy of one, a fake) is `E_TYPE`; memory
 * detached under `data` is `E_DISPOSED` (read as empty, it would pass for
 * no bytes, and a checksum of nothing for a checksum of them).
 *
 * @example
 * ```ts
 * import { lengthRead, readBytes } from "./bytes.ts";
 *
 * const words = new Uint32Array([1, 2]);
 * readBytes(words);
 * if (lengthRead() !== 8) throw new Error("wrong length");
 * ```
 */
export function readBytes(data: BinaryInput, what = "this input"): Uint8Array {
  const length = uint8LengthOf(data);
  if (length > 0) {
    measured = length;
    return data as Uint8Array;
  }
  return otherBytes(data, length, what);
}

function otherBytes(data: unknown, length: number, what: string): Uint8Array {
  if (length === 0) {
    // A genuine Uint8Array that reads as empty: only it pays for the `detached` getter.
    if (isDetachedBuffer(typedArrayBufferOf(data as Uint8Array))) throw detachedError(what);
    // Past the end of a shrunk resizable buffer, the engine's own methods throw on it: binlane's empty array instead.
    measured = 0;
    return empty;
  }
  if (typedArrayKind(data) !== undefined) {
    const view = data as ArrayBufferView;
    const buffer = typedArrayBufferOf(view);
    const byteLength = typedArrayByteLengthOf(view);
    if (byteLength === 0 && isDetachedBuffer(buffer)) throw detachedError(what);
    return fresh(buffer, typedArrayByteOffsetOf(view), byteLength);
  }
  if (isDataView(data)) {
    const buffer = dataViewBufferOf(data);
    // A DataView's offset throws once detached, or once it lies past the end of its shrunk resizable buffer.
    if (isOutOfBounds(data)) {
      if (isDetachedBuffer(buffer)) throw detachedError(what);
      return fresh(buffer, 0, 0);
    }
    return fresh(buffer, dataViewByteOffsetOf(data), dataViewByteLengthOf(data));
  }
  if (isArrayBuffer(data)) {
    if (isDetachedBuffer(data)) throw detachedError(what);
    return fresh(data, 0, bufferByteLengthOf(data));
  }
  if (isSharedArrayBuffer(data)) return fresh(data, 0, bufferByteLengthOf(data));
  if (typeof data === "object" && data !== null) {
    const bytes = handleBytes(data, nativeBufferBytes) ?? handleBytes(data, mappedFileBytes);
    if (bytes !== undefined) {
      const byteLength = uint8LengthOf(bytes);
      if (byteLength === 0 && isDetachedBuffer(typedArrayBufferOf(bytes))) {
        throw new BinlaneError(
          "E_TRANSFERRED",
          `the memory of ${what} was transferred away from its handle; it no longer holds its bytes`,
        );
      }
      measured = byteLength;
      return bytes;
    }
  }
  throw new BinlaneError(
    "E_TYPE",
    `${what}: expected an ArrayBufferView, ArrayBuffer, NativeBuffer or MappedFile, got ${
      describeValue(data)
    }`,
  );
}

function fresh(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array {
  measured = length;
  return bytesOver(buffer, offset, length);
}

/** The handle's bytes when `data` is a genuine handle of that class; undefined for anything else. */
function handleBytes(data: object, getter: ((this: unknown) => unknown) | undefined): Uint8Array | undefined {
  if (getter === undefined) return undefined;
  try {
    return apply(getter, data, []) as Uint8Array;
  } catch (error) {
    if (error instanceof BinlaneError) throw error; // E_DISPOSED: a genuine handle, released
    return undefined;
  }
}

/**
 * A typed array of `value`'s own kind over exactly its elements, made by
 * binlane with the constructor captured at load, so that its length,
 * offset, buffer and methods are the engine's: `value` must be a genuine
 * typed array of one of `kinds` (otherwise `E_TYPE`, a Proxy of one
 * included), not detached (`E_DISPOSED`). For element arrays a kernel
 * reads or writes.
 *
 * @example
 * ```ts
 * import { plainArray } from "./bytes.ts";
 *
 * const values = new Uint32Array([1, 2, 3]);
 * Object.defineProperty(values, "length", { value: 1 << 30 });
 * const plain = plainArray(values, ["Uint32Array"], "values", "example") as Uint32Array;
 * if (plain.length !== 3 || plain.buffer !== values.buffer) throw new Error("wrong view");
 * ```
 */
export function plainArray(
  value: unknown,
  kinds: readonly string[],
  name: string,
  where: string,
): ArrayBufferView {
  const kind = typedArrayKind(value);
  const Kind = kind === undefined || !kinds.includes(kind) ? undefined : typedArrayConstructorOf(kind);
  if (Kind === undefined) {
    throw new BinlaneError(
      "E_TYPE",
      `${where}: ${name} must be one of ${kinds.join(", ")}, got ${describeValue(value)}`,
    );
  }
  const view = value as ArrayBufferView;
  const buffer = typedArrayBufferOf(view);
  const length = typedArrayLengthOf(view);
  if (length === 0 && isDetachedBuffer(buffer)) throw detachedError(name);
  return new Kind(buffer, typedArrayByteOffsetOf(view), length);
}

/**
 * Records the length of an array binlane made itself as
 * {@linkcode lengthRead}, for code that takes either a caller's input or its
 * own bytes (text encoded from a string) and reads the length one way.
 *
 * @example
 * ```ts
 * import { lengthRead, ownBytes } from "./bytes.ts";
 *
 * ownBytes(new Uint8Array(3));
 * if (lengthRead() !== 3) throw new Error("wrong length");
 * ```
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  measured = bytes.byteLength;
  return bytes;
}

/**
 * A plain `Uint8Array` over `[start, end)` of a genuine `Uint8Array` (one
 * from {@linkcode readBytes}), made from the engine's slots: no species, no
 * `subarray` of the caller's takes part. `start <= end <= length` is the
 * caller's to ensure.
 *
 * @example
 * ```ts
 * import { bytesOf } from "./bytes.ts";
 *
 * const piece = bytesOf(new Uint8Array([1, 2, 3, 4]), 1, 3);
 * if (piece.byteLength !== 2 || piece[0] !== 2) throw new Error("wrong piece");
 * ```
 */
export function bytesOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return bytesOver(typedArrayBufferOf(bytes), typedArrayByteOffsetOf(bytes) + start, end - start);
}

/**
 * A plain `Uint8Array` over exactly the bytes of `data`, without copying
 * them, that binlane may use as it likes (read its `byteLength`, call its
 * `subarray`); {@linkcode lengthRead} is its length. Same checks as
 * {@linkcode readBytes}. A caller's `Uint8Array` is returned itself only when
 * nothing of its own can lie: in JSC, a `Uint8Array.prototype` array with
 * none of the own properties binlane reads or calls; otherwise a new array
 * is made over its bytes (25-40 ns in V8; prefer {@linkcode readBytes} on a
 * hot path).
 *
 * @example
 * ```ts
 * import { asBytes } from "./bytes.ts";
 *
 * const words = new Uint32Array([1, 2]);
 * if (asBytes(words).byteLength !== 8) throw new Error("wrong length");
 * ```
 */
export function asBytes(data: BinaryInput, what = "this input"): Uint8Array {
  const bytes = readBytes(data, what);
  if (bytes !== data || plainInJsc(bytes)) return bytes;
  return bytesOf(bytes, 0, measured);
}

const ownKeysRead = [
  "byteLength",
  "byteOffset",
  "buffer",
  "length",
  "constructor",
  "subarray",
  "set",
  "slice",
];

function plainInJsc(bytes: Uint8Array): boolean {
  if (!isPlainUint8ArrayInJsc(bytes)) return false;
  for (let i = 0; i < ownKeysRead.length; i++) if (hasOwn(bytes, ownKeysRead[i])) return false;
  return true;
}

/** Bun's allocator of memory it does not zero; undefined in other runtimes. */
const allocUnsafe: ((size: number) => Uint8Array) | undefined =
  (globalThis as { Bun?: { allocUnsafe?: (size: number) => Uint8Array } }).Bun?.allocUnsafe;

/**
 * `size` bytes for a caller that writes every one of them before anything
 * reads them: in Bun, memory the allocator does not zero (`allocUnsafe`);
 * elsewhere a zeroed `Uint8Array`. Its buffer is exactly `size` bytes, so a
 * view handed out exposes nothing the caller did not write. In Bun, 64 KiB
 * allocated and filled cost 5.5 us this way against 7.8 zeroed (a fresh
 * zeroed buffer faults in new pages); Deno has no such allocator.
 *
 * @example
 * ```ts
 * import { bytesToOverwrite } from "./bytes.ts";
 *
 * const copy = bytesToOverwrite(3);
 * copy.set([1, 2, 3]);
 * console.log(copy, copy.buffer.byteLength); // Uint8Array(3) [1, 2, 3] 3
 * ```
 */
export function bytesToOverwrite(size: number): Uint8Array {
  if (allocUnsafe === undefined) return new Uint8Array(size);
  const bytes = allocUnsafe(size);
  // Should a Bun ever pool these, a view's buffer would show other bytes: refuse that memory.
  if (bytes.byteOffset !== 0 || bytes.buffer.byteLength !== size) return new Uint8Array(size);
  return bytes;
}

/**
 * Whether two byte views share any byte of one buffer; `aLength` and
 * `bLength` limit them to their first bytes without making subarrays.
 *
 * @example
 * ```ts
 * import { overlaps } from "./bytes.ts";
 *
 * const bytes = new Uint8Array(8);
 * console.log(overlaps(bytes.subarray(0, 4), bytes.subarray(3))); // true
 * console.log(overlaps(bytes, bytes.subarray(3), 3)); // false
 * ```
 */
export function overlaps(
  a: Uint8Array,
  b: Uint8Array,
  aLength: number = typedArrayByteLengthOf(a),
  bLength: number = typedArrayByteLengthOf(b),
): boolean {
  // Read from the engine's slots: either may be a caller's array with properties of its own.
  if (aLength === 0 || bLength === 0 || typedArrayBufferOf(a) !== typedArrayBufferOf(b)) return false;
  const aOffset = typedArrayByteOffsetOf(a);
  const bOffset = typedArrayByteOffsetOf(b);
  return aOffset < bOffset + bLength && bOffset < aOffset + aLength;
}
