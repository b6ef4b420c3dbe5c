/**
 * What a {@linkcode workerStage} and its workers say to each other, and how
 * a chunk is made ready to cross: which buffers move and which are copied.
 *
 * @module
 */

/** From the stage to a worker. */
export type WorkerRequest =
  | { readonly kind: "init"; readonly module: string }
  | { readonly kind: "chunk"; readonly id: number; readonly chunk: unknown };

/** From a worker to the stage. `id` -1: the stage module failed to load. */
export type WorkerReply =
  | { readonly kind: "result"; readonly id: number; readonly result: unknown }
  | {
    readonly kind: "error";
    readonly id: number;
    readonly name: string;
    readonly message: string;
    readonly code: string | undefined;
    readonly offset: number | undefined;
  };

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

/**
 * `value` made ready to post: a view over a whole `ArrayBuffer` is kept and
 * its buffer listed for transfer, so it moves without a copy and the
 * sender's views of it become empty (nothing can write to what the other
 * side reads); a view over part of a buffer is replaced by a compact copy
 * (posting it would clone the whole buffer), which is then transferred. Views
 * over a `SharedArrayBuffer` are shared as they are. Arrays and plain objects
 * are searched to depth 4, and copied only where something in them changed.
 *
 * @example
 * ```ts
 * import { prepareForPost } from "./worker_protocol.ts";
 *
 * const whole = new Uint8Array(8);
 * const part = new Uint8Array(64).subarray(8, 16);
 * const { value, transfer } = prepareForPost({ whole, part });
 * console.log(transfer.length, (value as { part: Uint8Array }).part.buffer.byteLength); // 2 8
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
    if (!value.resizable) transfer.add(value);
    return value;
  }
  if (ArrayBuffer.isView(value)) {
    if (!(value.buffer instanceof ArrayBuffer)) return value; // shared memory is shared, not moved
    if (wholeBufferView(value)) {
      transfer.add(value.buffer as ArrayBuffer);
      return value;
    }
    const copy = (value instanceof DataView)
      ? new DataView(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
      : (value as unknown as { slice(): ArrayBufferView }).slice();
    transfer.add(copy.buffer as ArrayBuffer);
    return copy;
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
