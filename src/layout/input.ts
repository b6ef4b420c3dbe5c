/**
 * The layouts' inputs, columns and numbers taken from the engine's own
 * slots, never from the caller's object: a typed array whose own
 * `byteLength` lies, a subclass whose `subarray` returns less, or a Proxy
 * decides no length that reaches a DataView or native code.
 *
 * @module
 */

import { detachedError } from "../detached.ts";
import { BinlaneError } from "../errors.ts";
import {
  bufferByteLengthOf,
  dataViewBufferOf,
  dataViewByteLengthOf,
  dataViewByteOffsetOf,
  isArrayBuffer,
  isDataView,
  isDetachedBuffer,
  isSharedArrayBuffer,
  typedArrayBufferOf,
  typedArrayByteLengthOf,
  typedArrayByteOffsetOf,
  typedArrayKind,
  typedArrayLengthOf,
} from "../intrinsics.ts";
import { MappedFile } from "../mapped_file.ts";
import { NativeBuffer } from "../native_buffer.ts";
import { describeValue } from "../options.ts";

/** An input that owns its memory and can let it go: its views name it when that memory is gone. */
export type Owner = NativeBuffer | MappedFile;

/** Where an input's bytes are, from the engine's slots, and the owner of that memory if binlane's. */
export interface InputSpan {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly owner: Owner | null;
}

const EMPTY = new ArrayBuffer(0);

/** The owner behind `data` if it is a NativeBuffer or MappedFile; a Proxy whose traps throw is none. */
function ownerOf(data: unknown): Owner | null {
  try {
    return data instanceof NativeBuffer || data instanceof MappedFile ? data : null;
  } catch {
    return null;
  }
}

/**
 * The bytes of an input of `read`, `write`, `view`, `arrayView`,
 * `toColumns` and `validate`, from the engine's slots: a typed array's or a
 * DataView's buffer, offset and length, a buffer's whole length, a
 * NativeBuffer's or MappedFile's own bytes. Detached memory is `E_DISPOSED`
 * (an owner's own error); anything else, a Proxy of a typed array among
 * them, `E_TYPE`. A DataView past the end of its shrunk buffer reads as no
 * bytes, as such a typed array does.
 *
 * @example
 * ```ts
 * import { inputSpan } from "./input.ts";
 *
 * const bytes = new Uint8Array(16).subarray(4);
 * Object.defineProperty(bytes, "byteLength", { value: 1 << 30 });
 * const span = inputSpan(bytes, "read");
 * if (span.byteOffset !== 4 || span.byteLength !== 12) throw new Error("the own property was trusted");
 * ```
 */
export function inputSpan(data: unknown, where: string): InputSpan {
  if (typedArrayKind(data) !== undefined) {
    const view = data as ArrayBufferView;
    const buffer = typedArrayBufferOf(view);
    const byteLength = typedArrayByteLengthOf(view);
    // A detached array reads as empty: only an empty one pays for the test.
    if (byteLength === 0 && isDetachedBuffer(buffer)) throw detachedError();
    return { buffer, byteOffset: typedArrayByteOffsetOf(view), byteLength, owner: null };
  }
  if (isDataView(data)) {
    const buffer = dataViewBufferOf(data);
    try {
      return {
        buffer,
        byteOffset: dataViewByteOffsetOf(data),
        byteLength: dataViewByteLengthOf(data),
        owner: null,
      };
    } catch {
      if (isDetachedBuffer(buffer)) throw detachedError();
      return { buffer: EMPTY, byteOffset: 0, byteLength: 0, owner: null };
    }
  }
  if (isArrayBuffer(data)) {
    if (isDetachedBuffer(data)) throw detachedError();
    return { buffer: data, byteOffset: 0, byteLength: bufferByteLengthOf(data), owner: null };
  }
  if (isSharedArrayBuffer(data)) {
    return { buffer: data, byteOffset: 0, byteLength: bufferByteLengthOf(data), owner: null };
  }
  const owner = ownerOf(data);
  if (owner === null) {
    throw new BinlaneError(
      "E_TYPE",
      `${where}: expected an ArrayBufferView, ArrayBuffer, NativeBuffer or MappedFile, got ${
        describeValue(data)
      }`,
    );
  }
  let bytes: unknown;
  try {
    bytes = owner.bytes; // E_DISPOSED once disposed
  } catch (cause) {
    if (cause instanceof BinlaneError) throw cause;
    // An object that only claims the class (its prototype) has no memory of binlane's.
    throw new BinlaneError(
      "E_TYPE",
      `${where}: this ${describeValue(data)} is not a live NativeBuffer or MappedFile`,
      {
        cause,
      },
    );
  }
  if (typedArrayKind(bytes) !== "Uint8Array") {
    throw new BinlaneError(
      "E_TYPE",
      `${where}: this ${describeValue(data)} is not a NativeBuffer or MappedFile`,
    );
  }
  const view = bytes as Uint8Array;
  const buffer = typedArrayBufferOf(view);
  const byteLength = typedArrayByteLengthOf(view);
  if (byteLength === 0 && isDetachedBuffer(buffer)) {
    throw new BinlaneError(
      "E_TRANSFERRED",
      `the memory of this ${
        owner instanceof NativeBuffer ? "NativeBuffer" : "MappedFile"
      } was transferred away ` +
        "from it; it no longer holds its bytes",
    );
  }
  return { buffer, byteOffset: typedArrayByteOffsetOf(view), byteLength, owner };
}

/** A caller's typed array as the engine sees it: its kind, buffer, offset and lengths. */
export interface TypedSpan {
  readonly kind: string;
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly length: number;
}

/**
 * A caller's column (a genuine typed array, of `kind` if given) from the
 * engine's slots: `E_TYPE` for anything else (a DataView, a plain array, a
 * Proxy of a typed array), `E_DISPOSED` for one over detached memory.
 *
 * @example
 * ```ts
 * import { typedSpan } from "./input.ts";
 *
 * const column = new Uint32Array(4);
 * Object.defineProperty(column, "length", { value: 400 });
 * if (typedSpan(column, "column a", "Uint32Array").length !== 4) throw new Error("the own length was trusted");
 * ```
 */
export function typedSpan(value: unknown, what: string, kind?: string): TypedSpan {
  const found = typedArrayKind(value);
  if (found === undefined || (kind !== undefined && found !== kind)) {
    throw new BinlaneError(
      "E_TYPE",
      `${what} must be a ${kind ?? "typed array"}, got ${describeValue(value)}`,
    );
  }
  const view = value as ArrayBufferView;
  const buffer = typedArrayBufferOf(view);
  const byteLength = typedArrayByteLengthOf(view);
  if (byteLength === 0 && isDetachedBuffer(buffer)) throw detachedError(what);
  return {
    kind: found,
    buffer,
    byteOffset: typedArrayByteOffsetOf(view),
    byteLength,
    length: typedArrayLengthOf(view),
  };
}

/**
 * A flag option: undefined (false) or a boolean; anything else `E_TYPE`.
 *
 * @example
 * ```ts
 * import { checkFlag } from "./input.ts";
 *
 * if (checkFlag(undefined, "validate", "toColumns") !== false) throw new Error("wrong default");
 * ```
 */
export function checkFlag(value: unknown, name: string, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new BinlaneError("E_TYPE", `${where}: ${name} must be a boolean, got ${describeValue(value)}`);
  }
  return value;
}
