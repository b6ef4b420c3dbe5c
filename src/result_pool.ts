/**
 * Small results carved from shared buffers in Deno.
 *
 * In Deno every new ArrayBuffer costs ~300-770 ns (measured with Deno
 * 2.9.6, against ~6-55 ns in Bun), while a view into an existing one costs
 * ~22 ns. So, as Node's Buffer pool does, Deno's small results are views
 * carved from a shared 64 KiB buffer; large ones, and all of Bun's, get
 * their own.
 *
 * A shared buffer must never be transferable: a caller transferring one
 * result's buffer would empty every other result carved from it. So each
 * shared buffer is the buffer of a one-page `WebAssembly.Memory`, which the
 * engine refuses to detach (`transfer()` and `structuredClone`'s transfer
 * throw a TypeError) and which nothing here ever grows. One costs ~10 us,
 * a few ns a result.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import { markOwned } from "./owned.ts";

const pooled = runtimeName() === "deno" && typeof WebAssembly === "object";
/** One WebAssembly page: 64 KiB. */
const POOL_PAGES = 1;
const POOLED_MAX_BYTES = 4096;
let pool = new ArrayBuffer(0);
let poolOffset = 0;

/** A fresh, zeroed region of `bytes` bytes at an 8-byte-aligned offset, or undefined: allocate it yourself. */
function carve(bytes: number): { buffer: ArrayBuffer; offset: number } | undefined {
  if (!pooled || bytes > POOLED_MAX_BYTES) return undefined;
  if (poolOffset + bytes > pool.byteLength) {
    // A memory's buffer cannot be detached by anyone but a grow(), and its Memory object stays here.
    pool = new WebAssembly.Memory({ initial: POOL_PAGES, maximum: POOL_PAGES }).buffer as ArrayBuffer;
    markOwned(pool); // so that a worker message copies it rather than try (and fail) to move it
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += (bytes + 7) & ~7;
  return { buffer: pool, offset };
}

/**
 * A new zeroed `Uint8Array` of `length` bytes for a result, pooled when small in Deno.
 *
 * @example
 * ```ts
 * import { resultBytes } from "./result_pool.ts";
 *
 * console.log(resultBytes(3)); // Uint8Array(3) [0, 0, 0]
 * ```
 */
export function resultBytes(length: number): Uint8Array {
  const region = carve(length);
  return region ? new Uint8Array(region.buffer, region.offset, length) : new Uint8Array(length);
}

/**
 * A new zeroed `Uint32Array` of `count` elements for a result, pooled when small in Deno.
 *
 * @example
 * ```ts
 * import { resultUint32 } from "./result_pool.ts";
 *
 * console.log(resultUint32(2)); // Uint32Array(2) [0, 0]
 * ```
 */
export function resultUint32(count: number): Uint32Array {
  const region = carve(count * 4);
  return region ? new Uint32Array(region.buffer, region.offset, count) : new Uint32Array(count);
}
