/**
 * Memory detached under an argument (an `ArrayBuffer` transferred, or
 * freed under a NativeBuffer or a mapping) and views past the end of a
 * shrunk resizable buffer: how to tell, and the error every entry throws.
 *
 * @module
 */

import { BinlaneError } from "./errors.ts";
import {
  dataViewBufferOf,
  dataViewByteOffsetOf,
  isDataView,
  isDetachedBuffer,
  typedArrayBufferOf,
  typedArrayByteLengthOf,
  typedArrayKind,
} from "./intrinsics.ts";

/**
 * Whether `buffer` has been detached (transferred, or freed under a
 * NativeBuffer). A SharedArrayBuffer never is.
 *
 * @example
 * ```ts
 * import { isDetached } from "./detached.ts";
 *
 * const buffer = new ArrayBuffer(8);
 * buffer.transfer();
 * console.log(isDetached(buffer)); // true
 * ```
 */
export function isDetached(buffer: ArrayBufferLike): boolean {
  // The engine's getter: a caller's ArrayBuffer subclass may define its own `detached`.
  return isDetachedBuffer(buffer);
}

/**
 * Throws `E_DISPOSED` when the memory under `array` has been detached: read
 * as no elements, it would pass for an empty input, and a sum of nothing for
 * a sum of it. Only an empty typed array (or a DataView) pays for the test.
 *
 * @example
 * ```ts
 * import { checkAttached } from "./detached.ts";
 *
 * const values = new Uint32Array(4);
 * checkAttached(values, "values"); // live: nothing happens
 * values.buffer.transfer();
 * try {
 *   checkAttached(values, "values");
 * } catch (error) {
 *   console.log((error as { code: string }).code); // "E_DISPOSED"
 * }
 * ```
 */
export function checkAttached(array: ArrayBufferView, name: string): void {
  if (typedArrayKind(array) !== undefined) {
    // A typed array's length reads 0 once detached: only an empty one pays for the test.
    if (typedArrayByteLengthOf(array) !== 0) return;
    if (isDetachedBuffer(typedArrayBufferOf(array))) throw detachedError(name);
    return;
  }
  if (isDataView(array) && isDetachedBuffer(dataViewBufferOf(array))) throw detachedError(name);
}

/**
 * Whether `view` lies past the end of its resizable buffer, which shrank
 * (or is detached): its byteOffset and byteLength then throw, where a typed
 * array's read 0. Kernels read it as empty, as they read such a typed array.
 *
 * @example
 * ```ts
 * import { isOutOfBounds } from "./detached.ts";
 *
 * const memory = new ArrayBuffer(8, { maxByteLength: 8 });
 * const tail = new DataView(memory, 4, 4);
 * memory.resize(2);
 * console.log(isOutOfBounds(tail)); // true
 * ```
 */
export function isOutOfBounds(view: DataView): boolean {
  try {
    return dataViewByteOffsetOf(view) < 0;
  } catch {
    return true;
  }
}

/**
 * What every entry throws for memory detached under an argument (`what`).
 *
 * @example
 * ```ts
 * import { detachedError } from "./detached.ts";
 *
 * console.log(detachedError("target").code); // "E_DISPOSED"
 * ```
 */
export function detachedError(what = "this input", cause?: unknown): BinlaneError {
  return new BinlaneError(
    "E_DISPOSED",
    `the ArrayBuffer under ${what} has been detached (transferred or freed): it no longer holds its bytes`,
    cause === undefined ? undefined : { cause },
  );
}
