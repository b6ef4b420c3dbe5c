/**
 * What a {@linkcode workerStage} and its workers say to each other, and how
 * a chunk is made ready to cross: which buffers move and which are copied.
 *
 * The worker's own channel carries one message, `init`, which hands the
 * worker a private `MessagePort`; every chunk and every reply after it goes
 * over that port, which the stage module cannot reach, so nothing it posts
 * with `self.postMessage` can pass for a reply.
 *
 * @module
 */

import { PooledBuffer } from "./buffer_pool.ts";
import { MappedFile } from "./mapped_file.ts";
import { NativeBuffer } from "./native_buffer.ts";
import { BinlaneError } from "./errors.ts";
import {
  arrayBufferByteLengthOf,
  bytesOver,
  canResize,
  copyBytes,
  dataViewBufferOf,
  dataViewByteLengthOf,
  dataViewByteOffsetOf,
  isArrayBuffer,
  isDataView,
  isDetachedBuffer,
  typedArrayBufferOf,
  typedArrayByteLengthOf,
  typedArrayByteOffsetOf,
  typedArrayConstructorOf,
  typedArrayKind,
} from "./intrinsics.ts";
import { isOwned } from "./owned.ts";

/** The one message on a worker's own channel: its stage module and its private port. */
export interface WorkerInit {
  readonly kind: "init";
  readonly module: string;
  readonly port: MessagePort;
}

/** From the stage to a worker, over the private port. */
export interface WorkerRequest {
  readonly kind: "chunk";
  readonly id: number;
  readonly chunk: unknown;
}

/**
 * From a worker to the stage, over the private port. `id` -1 on an error:
 * the stage module failed to load. `exit`: the stage module is ending its
 * worker (`close()`, `Deno.exit`, `process.exit`).
 */
export type WorkerReply =
  | { readonly kind: "result"; readonly id: number; readonly result: unknown }
  | {
    readonly kind: "error";
    readonly id: number;
    readonly name: string;
    readonly message: string;
    readonly code: string | undefined;
    readonly offset: number | undefined;
  }
  | { readonly kind: "exit"; readonly how: string };

/** How deep into arrays and plain objects a chunk is searched for views. */
const MAX_DEPTH = 4;

const prototypeOf = Object.getPrototypeOf;
const objectEntries = Object.entries;
const fromEntries = Object.fromEntries;
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const ArrayBufferIntrinsic = ArrayBuffer;
const DataViewIntrinsic = DataView;

function isPlainObject(value: object): boolean {
  const prototype = prototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A fresh `ArrayBuffer` holding `length` bytes of `buffer` from `offset`, copied by intrinsics alone. */
function copyOf(buffer: ArrayBufferLike, offset: number, length: number): ArrayBuffer {
  const copy = new ArrayBufferIntrinsic(length);
  if (length === 0) return copy; // a detached buffer has no bytes, and no view of it can be made
  copyBytes(bytesOver(copy, 0, length), bytesOver(buffer, offset, length));
  return copy;
}

/** The buffer, offset and length of a genuine view, from its internal slots; undefined for anything else. */
function viewSlots(
  value: object,
): { kind: string; buffer: ArrayBufferLike; offset: number; length: number } | undefined {
  const kind = typedArrayKind(value);
  if (kind !== undefined) {
    const view = value as ArrayBufferView;
    return {
      kind,
      buffer: typedArrayBufferOf(view),
      offset: typedArrayByteOffsetOf(view),
      length: typedArrayByteLengthOf(view),
    };
  }
  if (!isDataView(value)) return undefined;
  const buffer = dataViewBufferOf(value);
  if (isDetachedBuffer(buffer)) return { kind: "DataView", buffer, offset: 0, length: 0 };
  return {
    kind: "DataView",
    buffer,
    offset: dataViewByteOffsetOf(value),
    length: dataViewByteLengthOf(value),
  };
}

/** A view of `kind` over a compact copy of the slots' bytes, whose buffer is listed for transfer. */
function compactCopy(
  slots: { kind: string; buffer: ArrayBufferLike; offset: number; length: number },
  transfer: Set<ArrayBuffer>,
): ArrayBufferView {
  const copy = copyOf(slots.buffer, slots.offset, slots.length);
  transfer.add(copy);
  if (slots.kind === "DataView") return new DataViewIntrinsic(copy);
  return new (typedArrayConstructorOf(slots.kind) ?? Uint8Array)(copy);
}

/** A handle's bytes as a compact copy; a released handle throws its own `E_DISPOSED`. */
function handleCopy(handle: NativeBuffer | PooledBuffer | MappedFile, transfer: Set<ArrayBuffer>): unknown {
  const bytes: Uint8Array = handle.bytes;
  const slots = viewSlots(bytes);
  if (slots === undefined) {
    throw new BinlaneError("E_TYPE", "a binlane handle whose bytes are not a Uint8Array");
  }
  return compactCopy({ ...slots, kind: "Uint8Array" }, transfer);
}

/**
 * `value` made ready to post: a view over a whole `ArrayBuffer` is kept and
 * its buffer listed for transfer, so it moves without a copy and the
 * sender's views of it become empty (nothing can write to what the other
 * side reads); a view over part of a buffer is replaced by a compact copy
 * (posting it would clone the whole buffer), which is then transferred. A
 * buffer binlane owns (a `NativeBuffer`'s, a pool block's, a mapping's) is
 * never transferred, since its owner frees that memory: views over it are
 * copied, and a `NativeBuffer`, `PooledBuffer` or `MappedFile` itself
 * crosses as a copy of its bytes (a `Uint8Array`; a released one throws
 * `E_DISPOSED`). Views over a `SharedArrayBuffer` are shared as they are.
 * Arrays and plain objects are searched to depth 4, and copied only where
 * something in them changed. Views are read from their internal slots and
 * copied with the engine's own constructors and `set`, so no method, getter
 * or species of a caller's view decides what is transferred.
 *
 * @example
 * ```ts
 * import { NativeBuffer } from "./native_buffer.ts";
 * import { prepareForPost } from "./worker_protocol.ts";
 *
 * const whole = new Uint8Array(8);
 * const part = new Uint8Array(64).subarray(8, 16);
 * const { value, transfer } = prepareForPost({ whole, part });
 * if (transfer.length !== 2 || (value as { part: Uint8Array }).part.buffer.byteLength !== 8) {
 *   throw new Error("both buffers listed, the part as a compact copy");
 * }
 * using native = NativeBuffer.alloc(16);
 * const sent = prepareForPost(native);
 * if (!(sent.value instanceof Uint8Array) || sent.transfer[0] === native.bytes.buffer) {
 *   throw new Error("a NativeBuffer crosses as a copy of its bytes");
 * }
 * ```
 */
export function prepareForPost(value: unknown): { value: unknown; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const prepared = prepare(value, transfer, 0);
  return { value: prepared, transfer: [...transfer] };
}

function prepare(value: unknown, transfer: Set<ArrayBuffer>, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  // The brand tests below throw (and so cost microseconds) on what they refuse: cheap filters come first.
  if (isView(value)) {
    const slots = viewSlots(value);
    if (slots === undefined) return value;
    const buffer = slots.buffer;
    if (!isArrayBuffer(buffer)) return value; // shared memory is shared, not moved
    // Only an empty view can be over a detached buffer, which cannot be listed for transfer.
    const whole = slots.offset === 0 && slots.length === arrayBufferByteLengthOf(buffer) &&
      !canResize(buffer) &&
      (slots.length !== 0 || !isDetachedBuffer(buffer));
    if (whole && !isOwned(buffer)) {
      transfer.add(buffer);
      return value;
    }
    return compactCopy(slots, transfer);
  }
  if (value instanceof ArrayBufferIntrinsic && isArrayBuffer(value)) {
    if (isOwned(value)) {
      const copy = copyOf(value, 0, arrayBufferByteLengthOf(value));
      transfer.add(copy);
      return copy;
    }
    if (!isDetachedBuffer(value) && !canResize(value)) transfer.add(value);
    return value;
  }
  if (value instanceof NativeBuffer || value instanceof PooledBuffer || value instanceof MappedFile) {
    return handleCopy(value, transfer);
  }
  if (depth >= MAX_DEPTH) return value;
  if (isArray(value)) {
    // Read once, into a plain array: no species, getter or method of the caller's array runs twice.
    const items: unknown[] = [];
    let changed = false;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const next = prepare(item, transfer, depth + 1);
      if (next !== item) changed = true;
      items.push(next);
    }
    return changed ? items : value;
  }
  if (!isPlainObject(value)) return value;
  let changed = false;
  const entries = objectEntries(value);
  for (const entry of entries) {
    const next = prepare(entry[1], transfer, depth + 1);
    if (next !== entry[1]) {
      changed = true;
      entry[1] = next;
    }
  }
  if (!changed) return value;
  return fromEntries(entries); // defines each key, so a "__proto__" key stays a key
}

/** The latest of the small buffers {@linkcode noteArrival} allocates, kept so that none is optimized away. */
// deno-lint-ignore no-unused-vars
let nudge: ArrayBuffer | undefined;

/**
 * To be called on each message that may carry transferred buffers. V8
 * counts a transferred buffer's memory in its young generation but only
 * weighs that count (and collects) when the isolate allocates a buffer
 * itself, which a worker that only receives never does, so received chunks
 * pile up to hundreds of MiB before a collection. Allocating one small
 * buffer here lets that check run.
 *
 * @example
 * ```ts
 * import { noteArrival } from "./worker_protocol.ts";
 *
 * if (noteArrival() !== undefined) throw new Error("it returns nothing");
 * ```
 */
export function noteArrival(): void {
  nudge = new ArrayBuffer(1);
}
