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

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function wholeBufferView(view: ArrayBufferView): boolean {
  const buffer = view.buffer;
  return buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength &&
    !buffer.resizable;
}

function compactCopy(view: ArrayBufferView, transfer: Set<ArrayBuffer>): ArrayBufferView {
  const copy = (view instanceof DataView)
    ? new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength))
    : (view as unknown as { slice(): ArrayBufferView }).slice();
  transfer.add(copy.buffer as ArrayBuffer);
  return copy;
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
 * something in them changed.
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
  if (value instanceof ArrayBuffer) {
    if (isOwned(value)) {
      const copy = value.slice(0);
      transfer.add(copy);
      return copy;
    }
    if (!value.resizable) transfer.add(value);
    return value;
  }
  if (ArrayBuffer.isView(value)) {
    if (!(value.buffer instanceof ArrayBuffer)) return value; // shared memory is shared, not moved
    if (wholeBufferView(value) && !isOwned(value.buffer)) {
      transfer.add(value.buffer as ArrayBuffer);
      return value;
    }
    return compactCopy(value, transfer);
  }
  if (value instanceof NativeBuffer || value instanceof PooledBuffer || value instanceof MappedFile) {
    return compactCopy(value.bytes, transfer);
  }
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let changed: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = prepare(value[i], transfer, depth + 1);
      if (item !== value[i]) (changed ??= value.slice())[i] = item;
    }
    return changed ?? value;
  }
  if (!isPlainObject(value)) return value;
  let changed: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = prepare(item, transfer, depth + 1);
    if (next !== item) (changed ??= { ...value })[key] = next;
  }
  return changed ?? value;
}

/** The latest of the small buffers {@linkcode noteArrival} allocates, kept so that none is optimized away. */
// deno-lint-ignore no-unused-vars
let nudge: ArrayBuffer | undefined;

/**
 * To be called on each message that may carry transferred buffers. V8
 * counts a transferred buffer's memory in its young generation but only
 * weighs that count (and collects) when the isolate allocates a buffer
 * itself, which a worker that only receives never does: in Deno one held
 * 4 MiB chunks until hundreds of MiB had piled up. Allocating one small
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
