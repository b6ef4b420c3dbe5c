/**
 * The inputs kernels accept, and their zero-copy normalisation to bytes.
 *
 * @module
 */

import { detachedError, isDetached, isOutOfBounds } from "./detached.ts";
import { BinlaneError } from "./errors.ts";
import { MappedFile } from "./mapped_file.ts";
import { NativeBuffer } from "./native_buffer.ts";

/**
 * Anything a kernel reads: any `ArrayBufferView` (typed arrays, `DataView`,
 * subarrays at any offset, views over a `SharedArrayBuffer`), an
 * `ArrayBuffer` or `SharedArrayBuffer`, a {@linkcode NativeBuffer}, or a
 * {@linkcode MappedFile}.
 */
export type BinaryInput = ArrayBufferView | ArrayBufferLike | NativeBuffer | MappedFile;

/**
 * A `Uint8Array` over exactly the bytes of `data`, without copying them.
 * Memory detached under `data` throws `E_DISPOSED`: read as empty, it would
 * pass for no bytes, and a checksum of nothing for a checksum of them.
 *
 * @example
 * ```ts
 * import { asBytes } from "./bytes.ts";
 *
 * const words = new Uint32Array([1, 2]);
 * console.log(asBytes(words).byteLength); // 8
 * ```
 */
export function asBytes(data: BinaryInput): Uint8Array {
  if (data instanceof Uint8Array) {
    // A detached array reads as empty: only an empty one pays for the test.
    if (data.byteLength === 0 && isDetached(data.buffer)) throw detachedError();
    return data;
  }
  if (ArrayBuffer.isView(data)) {
    // Only what reads as empty pays for the `detached` getter (3-6 ns): an empty typed array, or a DataView
    // whose offset throws (detached, or past the end of its shrunk resizable buffer).
    const empty = data instanceof DataView ? isOutOfBounds(data) : data.byteLength === 0;
    if (empty && isDetached(data.buffer)) throw detachedError();
    if (empty && data instanceof DataView) return new Uint8Array(0);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof NativeBuffer || data instanceof MappedFile) {
    const bytes = data.bytes; // E_DISPOSED once disposed
    if (bytes.byteLength === 0 && isDetached(bytes.buffer)) {
      throw new BinlaneError(
        "E_TRANSFERRED",
        `the memory of this ${data.constructor.name} was transferred away from it; it no longer holds its bytes`,
      );
    }
    return bytes;
  }
  if (data instanceof ArrayBuffer) {
    if (isDetached(data)) throw detachedError();
    return new Uint8Array(data);
  }
  if (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer) {
    return new Uint8Array(data);
  }
  throw new BinlaneError(
    "E_TYPE",
    `expected an ArrayBufferView, ArrayBuffer, NativeBuffer or MappedFile, got ${describe(data)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return value.constructor?.name ?? "object";
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
 * Whether two byte views share any byte of one buffer; `aLength` limits
 * `a` to its first bytes without making a subarray.
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
export function overlaps(a: Uint8Array, b: Uint8Array, aLength: number = a.byteLength): boolean {
  if (a.buffer !== b.buffer || aLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + aLength;
}
