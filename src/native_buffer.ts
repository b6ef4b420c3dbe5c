/**
 * Native memory behind an opaque handle, released once, deterministically,
 * with `using`; a `FinalizationRegistry` frees what is never disposed.
 *
 * The lifetime contract:
 * - Disposal first revokes every view (`ArrayBuffer.prototype.transfer(0)`
 *   detaches the one external buffer all views share), then calls the
 *   paired native free exactly once.
 * - The finalizer watches that shared buffer, not the handle: it runs only
 *   when the handle and every view are unreachable, so GC never frees memory
 *   under a live view.
 * - If the buffer was transferred away (`transfer()`, `postMessage`), a live
 *   buffer elsewhere may point at the memory: it is never freed, and
 *   disposal throws `E_TRANSFERRED`.
 *
 * @module
 */

import type { NativeLibrary } from "../ffi/library.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { nativeLibrary } from "./backend.ts";
import { AllocResultStruct, NativeStatsStruct, wordIndex } from "./crossing.ts";
import { isDetached } from "./detached.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { markOwned } from "./owned.ts";

/** Options for {@linkcode NativeBuffer.alloc}. */
export interface AllocOptions {
  /** Alignment of the first byte: a power of two in 1..4096. Default 64. */
  align?: number;
  /** Zero the memory. Default true. */
  zero?: boolean;
}

interface Allocation {
  /** Native handle; 0n for memory from the JS fallback. */
  readonly handle: bigint;
  readonly size: number;
  /** The library that allocated it, and so the only one that frees it. */
  readonly symbols: NativeSymbols | undefined;
  /** That library, to view the memory again; undefined on the JS fallback. */
  readonly library: NativeLibrary | undefined;
  /** The memory's address; 0n on the JS fallback. */
  readonly address: bigint;
  released: boolean;
}

/** Counters for the JS fallback, where there is no native allocator. */
const jsCounters = { live: 0, liveBytes: 0, allocations: 0, frees: 0 };
/** Native frees refused from the finalizer, where nothing can throw. */
let finalizerFailures = 0;

function release(allocation: Allocation): number {
  allocation.released = true;
  if (allocation.symbols) return allocation.symbols.binlane_free(allocation.handle, BigInt(allocation.size));
  jsCounters.live -= 1;
  jsCounters.liveBytes -= allocation.size;
  jsCounters.frees += 1;
  return 0;
}

const registry = new FinalizationRegistry<Allocation>((allocation) => {
  if (!allocation.released && release(allocation) !== 0) noteFinalizerFailure();
});

/**
 * Counts a native free refused inside a finalizer, where nothing can throw;
 * other handle owners (streaming hashers) report theirs here too, so
 * {@linkcode nativeStats} shows them all.
 *
 * @example
 * ```ts ignore
 * import { noteFinalizerFailure } from "./native_buffer.ts";
 *
 * noteFinalizerFailure();
 * ```
 */
export function noteFinalizerFailure(): void {
  finalizerFailures += 1;
}

/** binlane_alloc's out-struct, read right after each call. */
const ALLOC_RESULT_SIZE: number = AllocResultStruct.layout.size;
const allocResult: BigUint64Array = new BigUint64Array(ALLOC_RESULT_SIZE / 8);
const allocHandle: number = wordIndex(AllocResultStruct, "handle");
const allocAddress: number = wordIndex(AllocResultStruct, "address");
const NATIVE_STATS_SIZE: number = NativeStatsStruct.layout.size;
const statsWord: Readonly<Record<string, number>> = {
  liveAllocations: wordIndex(NativeStatsStruct, "live_allocations"),
  liveBytes: wordIndex(NativeStatsStruct, "live_bytes"),
  totalAllocations: wordIndex(NativeStatsStruct, "total_allocations"),
  totalFrees: wordIndex(NativeStatsStruct, "total_frees"),
  rejectedFrees: wordIndex(NativeStatsStruct, "rejected_frees"),
};

function checkSize(size: number): void {
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new BinlaneError("E_RANGE", `size must be a non-negative safe integer, got ${String(size)}`);
  }
}

function checkAlign(align: number): void {
  const valid = Number.isInteger(align) && align >= 1 && align <= 4096 && (align & (align - 1)) === 0;
  if (!valid) {
    throw new BinlaneError(
      "E_ALIGNMENT",
      `align must be a power of two from 1 to 4096, got ${String(align)}`,
    );
  }
}

/** Whether `transfer()` of an external buffer keeps its memory (checked at the first `renew`). */
let transferKeepsMemory: boolean | undefined;

/**
 * Memory allocated by binlane's native library, reached only through this
 * handle. On the JS path (no FFI) it is an ordinary `ArrayBuffer` with the
 * same API and rules; `align` then only holds as far as the engine aligns.
 *
 * @example
 * ```ts
 * import { crc32c, NativeBuffer } from "@binlane/binlane";
 *
 * {
 *   using buffer = NativeBuffer.alloc(4096);
 *   buffer.bytes.fill(7);
 *   console.log(crc32c(buffer));
 * } // freed here, and buffer.bytes is now detached
 * ```
 */
export class NativeBuffer {
  readonly #allocation: Allocation;
  readonly #bytes: Uint8Array<ArrayBuffer>;

  private constructor(allocation: Allocation, buffer: ArrayBuffer) {
    this.#allocation = allocation;
    this.#bytes = new Uint8Array(buffer);
    registry.register(buffer, allocation, allocation);
    markOwned(buffer);
  }

  /**
   * Allocates `size` bytes, zeroed unless `zero: false`, at `align` bytes.
   *
   * @example
   * ```ts
   * import { NativeBuffer } from "@binlane/binlane";
   *
   * using buffer = NativeBuffer.alloc(1 << 20, { align: 4096, zero: false });
   * console.log(buffer.byteLength); // 1048576
   * ```
   */
  static alloc(size: number, options: AllocOptions = {}): NativeBuffer {
    checkSize(size);
    const align = options.align ?? 64;
    checkAlign(align);
    const zero = options.zero ?? true;
    const library = nativeLibrary();
    if (!library) {
      jsCounters.live += 1;
      jsCounters.liveBytes += size;
      jsCounters.allocations += 1;
      const allocation = {
        handle: 0n,
        size,
        symbols: undefined,
        library: undefined,
        address: 0n,
        released: false,
      };
      return new NativeBuffer(allocation, new ArrayBuffer(size));
    }
    const result = allocResult;
    const status = library.symbols.binlane_alloc(
      BigInt(size),
      align,
      zero ? 1 : 0,
      result,
      ALLOC_RESULT_SIZE,
    );
    if (status !== 0) throw errorFromStatus(status, `binlane_alloc(${size})`);
    const allocation = {
      handle: result[allocHandle],
      size,
      symbols: library.symbols,
      library,
      address: result[allocAddress],
      released: false,
    };
    let buffer: ArrayBuffer;
    try {
      buffer = size === 0 ? new ArrayBuffer(0) : library.arrayBufferAt(allocation.address, size);
    } catch (error) {
      release(allocation);
      throw new BinlaneError("E_OUT_OF_MEMORY", `cannot view ${size} bytes of native memory`, {
        cause: error,
      });
    }
    return new NativeBuffer(allocation, buffer);
  }

  /** A zero-copy view of the memory. Throws `E_DISPOSED` after disposal. */
  get bytes(): Uint8Array<ArrayBuffer> {
    this.#checkLive();
    return this.#bytes;
  }

  /** The size in bytes. Throws `E_DISPOSED` after disposal. */
  get byteLength(): number {
    this.#checkLive();
    return this.#allocation.size;
  }

  /** Whether the memory has been released. */
  get disposed(): boolean {
    return this.#allocation.released;
  }

  /**
   * Revokes every view, then frees the memory. A second call does nothing.
   * `using` calls it at the end of the scope, also when the scope throws.
   */
  [Symbol.dispose](): void {
    const allocation = this.#allocation;
    if (allocation.released) return;
    registry.unregister(allocation);
    const buffer = this.#bytes.buffer;
    if (isDetached(buffer)) {
      allocation.released = true; // deliberately leaked: it may be live elsewhere
      throw new BinlaneError(
        "E_TRANSFERRED",
        `the ${allocation.size}-byte buffer was transferred away from its NativeBuffer; ` +
          "its memory is left allocated, since a live ArrayBuffer may still point into it",
      );
    }
    buffer.transfer(0);
    const status = release(allocation);
    if (status !== 0) throw errorFromStatus(status, "binlane_free");
  }

  /**
   * Revokes every view of this buffer and hands its memory, not freed and
   * not copied, to a new `NativeBuffer`, which it returns; this one is
   * disposed. Pools use it to reuse memory while making sure that nothing
   * which viewed it before can reach it again.
   *
   * @example
   * ```ts
   * import { NativeBuffer } from "@binlane/binlane";
   *
   * const first = NativeBuffer.alloc(16);
   * const old = first.bytes;
   * old[0] = 9;
   * using second = first.renew();
   * console.log(old.length, first.disposed, second.bytes[0]); // 0 true 9
   * ```
   */
  renew(): NativeBuffer {
    this.#checkLive();
    const old = this.#allocation;
    const buffer = this.#bytes.buffer;
    if (isDetached(buffer)) {
      throw new BinlaneError("E_TRANSFERRED", "the buffer was transferred away from its NativeBuffer");
    }
    registry.unregister(old);
    old.released = true; // ownership moves on; the memory is not freed
    const successor: Allocation = { ...old, released: false };
    if (!old.library || old.size === 0) {
      // JS memory moves with its ArrayBuffer, leaving the old one detached; an empty buffer has no memory.
      return new NativeBuffer(successor, buffer.transfer());
    }
    // transfer() moves an external buffer's memory to a new ArrayBuffer in Deno and Bun (0.7 us, against
    // 2 us to view the memory anew); that it kept the address is checked once, in case a runtime copies.
    if (transferKeepsMemory !== false) {
      const moved = buffer.transfer();
      transferKeepsMemory ??= old.library.addressOf(new Uint8Array(moved)) === old.address;
      if (transferKeepsMemory) return new NativeBuffer(successor, moved);
    } else {
      buffer.transfer(0);
    }
    let next: ArrayBuffer;
    try {
      next = old.library.arrayBufferAt(old.address, old.size);
    } catch (error) {
      release(successor);
      throw new BinlaneError("E_OUT_OF_MEMORY", `cannot view ${old.size} bytes of native memory again`, {
        cause: error,
      });
    }
    return new NativeBuffer(successor, next);
  }

  /** The same as `[Symbol.dispose]()`, for code that cannot use `using`. */
  dispose(): void {
    this[Symbol.dispose]();
  }

  #checkLive(): void {
    if (this.#allocation.released) {
      throw new BinlaneError("E_DISPOSED", "this NativeBuffer has been disposed");
    }
  }
}

/** Allocation counters: from the native allocator, or the JS fallback's. */
export interface NativeStats {
  /** Who counted: the native library, or the JS fallback. */
  readonly source: "native" | "js";
  /** Allocations not yet freed. */
  readonly liveAllocations: number;
  /** Bytes in allocations not yet freed. */
  readonly liveBytes: number;
  /** Allocations ever made. */
  readonly totalAllocations: number;
  /** Allocations ever freed. */
  readonly totalFrees: number;
  /** Frees the allocator refused: double, stale or foreign handles. */
  readonly rejectedFrees: number;
  /** Frees the finalizer attempted that the allocator refused. */
  readonly finalizerFailures: number;
}

/**
 * Live and total allocations as the allocator sees them, to prove there is
 * no leak and no double free.
 *
 * @example
 * ```ts
 * import { NativeBuffer, nativeStats } from "@binlane/binlane";
 *
 * const before = nativeStats().liveAllocations;
 * {
 *   using _buffer = NativeBuffer.alloc(64);
 * }
 * console.log(nativeStats().liveAllocations === before); // true
 * ```
 */
export function nativeStats(): NativeStats {
  const library = nativeLibrary();
  if (!library) {
    return {
      source: "js",
      liveAllocations: jsCounters.live,
      liveBytes: jsCounters.liveBytes,
      totalAllocations: jsCounters.allocations,
      totalFrees: jsCounters.frees,
      rejectedFrees: 0,
      finalizerFailures,
    };
  }
  const out = new BigUint64Array(NATIVE_STATS_SIZE / 8);
  const status = library.symbols.binlane_stats(out, NATIVE_STATS_SIZE);
  if (status !== 0) throw errorFromStatus(status, "binlane_stats");
  return {
    source: "native",
    liveAllocations: Number(out[statsWord.liveAllocations]),
    liveBytes: Number(out[statsWord.liveBytes]),
    totalAllocations: Number(out[statsWord.totalAllocations]),
    totalFrees: Number(out[statsWord.totalFrees]),
    rejectedFrees: Number(out[statsWord.rejectedFrees]),
    finalizerFailures,
  };
}
