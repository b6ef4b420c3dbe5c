/**
 * Native memory behind an opaque handle, released once, deterministically,
 * with `using`; a `FinalizationRegistry` accounts for what is never disposed.
 *
 * The lifetime contract (src/lifetime.ts keeps it for every handle):
 * - Disposal first revokes every view (the engine's own `transfer(0)`,
 *   captured at load, detaches the one external buffer all views share, and
 *   that it did is checked), then calls the paired native free exactly once.
 * - The finalizer never frees native memory under any buffer: a handle
 *   collected with its buffer attached leaves the memory to its views, and
 *   once the buffer is collected the memory is leaked and counted
 *   (`nativeStats().leakedAllocations`), since a view's holder may have moved
 *   it to a live buffer unseen. Only disposal frees native memory; the JS
 *   path's memory is the engine's, and its count is released by the finalizer.
 * - If the buffer was transferred away (`transfer()`, `postMessage`), a live
 *   buffer elsewhere may point at the memory: it is never freed (counted in
 *   `nativeStats().leakedAllocations`), and disposal throws `E_TRANSFERRED`.
 *
 * @module
 */

import type { NativeLibrary } from "../ffi/library.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { memoryLibrary } from "./backend.ts";
import { AllocResultStruct, NativeStatsStruct, wordIndex } from "./crossing.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { describeValue, readOptions } from "./options.ts";
import { countLeak, Lifetime, lifetimeStats, maxViewBytes, moveMemory, revokeViews } from "./lifetime.ts";
import { markOwned } from "./owned.ts";

/** Options for {@linkcode NativeBuffer.alloc}. */
export interface AllocOptions {
  /**
   * Alignment of the first byte's address: a power of two in 1..4096.
   * Default 64. On the JS path (no native library) the engine places the
   * memory, at a multiple of 8: the default there is 8, and more is refused
   * with `E_ALIGNMENT`.
   */
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
}

/** Counters for the JS fallback, where there is no native allocator. */
const jsCounters = { live: 0, liveBytes: 0, allocations: 0, frees: 0 };

function release(allocation: Allocation): number {
  if (allocation.symbols) return allocation.symbols.binlane_free(allocation.handle, BigInt(allocation.size));
  jsCounters.live -= 1;
  jsCounters.liveBytes -= allocation.size;
  jsCounters.frees += 1;
  return 0;
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

function checkSize(size: unknown): asserts size is number {
  if (typeof size !== "number") {
    throw new BinlaneError("E_TYPE", `size must be a number, got ${describeValue(size)}`);
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new BinlaneError("E_RANGE", `size must be a non-negative safe integer, got ${describeValue(size)}`);
  }
}

function checkAlign(align: unknown): asserts align is number {
  if (typeof align !== "number") {
    throw new BinlaneError("E_TYPE", `align must be a number, got ${describeValue(align)}`);
  }
  const valid = Number.isInteger(align) && align >= 1 && align <= 4096 && (align & (align - 1)) === 0;
  if (!valid) {
    throw new BinlaneError(
      "E_ALIGNMENT",
      `align must be a power of two from 1 to 4096, got ${describeValue(align)}`,
    );
  }
}

/** Whether `transfer()` of an external buffer keeps its memory (checked at the first `renew`). */
let transferKeepsMemory: boolean | undefined;

/** The alignment the JS path's memory has: the engine places it, and Bun's is only 8-byte aligned. */
const JS_ALIGN = 8;

/**
 * Memory allocated by binlane's native library, reached only through this
 * handle. On the JS path (no FFI) it is an ordinary `ArrayBuffer` with the
 * same API and rules, aligned to 8 (the engine's placement): a larger
 * `align` is refused there with `E_ALIGNMENT`, never silently ignored.
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
  readonly #lifetime: Lifetime;
  #disposed = false;

  private constructor(allocation: Allocation, buffer: ArrayBuffer) {
    this.#allocation = allocation;
    this.#bytes = new Uint8Array(buffer);
    // An empty buffer views no native memory, so a transfer of it cannot leave anything reachable.
    const engineMemory = allocation.symbols === undefined || allocation.size === 0;
    this.#lifetime = new Lifetime(this, buffer, () => release(allocation), {
      size: allocation.size,
      engineMemory,
    });
    markOwned(buffer);
  }

  /**
   * Allocates `size` bytes, zeroed unless `zero: false`, at an address that
   * is a multiple of `align` (default 64; on the JS path default 8, and more
   * is refused with `E_ALIGNMENT`). Large zeroed allocations are fresh pages,
   * committed only when touched; a size the system cannot give is
   * `E_OUT_OF_MEMORY`, a size past 2^48 (or, in Bun, past its 4 GiB view
   * limit) `E_LENGTH`.
   *
   * @example
   * ```ts
   * import { backend, NativeBuffer } from "@binlane/binlane";
   *
   * const align = backend().memory === "native" ? 4096 : 8;
   * using buffer = NativeBuffer.alloc(1 << 20, { align, zero: false });
   * if (buffer.byteLength !== 1048576) throw new Error("the size asked for");
   * ```
   */
  static alloc(size: number, options: AllocOptions = {}): NativeBuffer {
    checkSize(size);
    const read = readOptions(options, ALLOC_OPTION_KEYS, "NativeBuffer.alloc");
    const library = memoryLibrary();
    const align = read.align ?? (library ? 64 : JS_ALIGN);
    checkAlign(align);
    if (read.zero !== undefined && typeof read.zero !== "boolean") {
      throw new BinlaneError("E_TYPE", `zero must be a boolean, got ${describeValue(read.zero)}`);
    }
    const zero = read.zero ?? true;
    if (library && size > maxViewBytes()) {
      throw new BinlaneError(
        "E_LENGTH",
        `${size} bytes is past this runtime's limit for one ArrayBuffer over native memory`,
      );
    }
    if (!library) {
      if (align > JS_ALIGN) {
        throw new BinlaneError(
          "E_ALIGNMENT",
          `align ${align} cannot be met without the native library: the engine places an ArrayBuffer ` +
            `only at a multiple of ${JS_ALIGN}`,
        );
      }
      let buffer: ArrayBuffer;
      try {
        buffer = new ArrayBuffer(size);
      } catch (error) {
        throw new BinlaneError("E_OUT_OF_MEMORY", `cannot allocate ${size} bytes`, { cause: error });
      }
      jsCounters.live += 1;
      jsCounters.liveBytes += size;
      jsCounters.allocations += 1;
      const allocation = { handle: 0n, size, symbols: undefined, library: undefined, address: 0n };
      return new NativeBuffer(allocation, buffer);
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
    const bytes = this.#bytes;
    // Only an empty view pays: a transfer seen here is leaked now, never freed by the finalizer later.
    if (bytes.byteLength === 0 && this.#allocation.size !== 0) this.#lifetime.noticeTransfer();
    return bytes;
  }

  /** The size in bytes. Throws `E_DISPOSED` after disposal. */
  get byteLength(): number {
    this.#checkLive();
    return this.#allocation.size;
  }

  /** Whether the memory has been released (or handed on by `renew()`). */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Revokes every view, then frees the memory. A second call does nothing.
   * `using` calls it at the end of the scope, also when the scope throws.
   * Throws `E_TRANSFERRED` when the memory was transferred away (it is then
   * left allocated: a live ArrayBuffer elsewhere may point into it).
   */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const status = this.#lifetime.end(`the ${this.#allocation.size}-byte buffer of a NativeBuffer`);
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
   * if (old.length !== 0 || !first.disposed || second.bytes[0] !== 9) throw new Error("renewed");
   * ```
   */
  renew(): NativeBuffer {
    this.#checkLive();
    this.#disposed = true;
    const old = this.#allocation;
    const buffer = this.#bytes.buffer;
    // Unregistered first: whatever fails below, the finalizer never frees this memory under anyone.
    this.#lifetime.handOff("the buffer of a NativeBuffer");
    const successor: Allocation = { ...old };
    if (!old.library || old.size === 0) {
      // JS memory moves with its ArrayBuffer, leaving the old one detached; an empty buffer has no memory.
      return new NativeBuffer(successor, moveMemory(buffer));
    }
    // transfer() moves an external buffer's memory to a new ArrayBuffer in Deno and Bun (0.7 us, against
    // 2 us to view the memory anew); that it kept the address is checked once, in case a runtime copies.
    let moved: ArrayBuffer | undefined;
    try {
      if (transferKeepsMemory !== false) moved = moveMemory(buffer);
      else revokeViews(buffer);
    } catch (error) {
      countLeak(old.size); // old views may still reach the memory: it is never freed nor handed on
      throw error;
    }
    if (moved !== undefined) {
      transferKeepsMemory ??= old.library.addressOf(new Uint8Array(moved)) === old.address;
      if (transferKeepsMemory) return new NativeBuffer(successor, moved);
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
    if (this.#disposed) {
      throw new BinlaneError("E_DISPOSED", "this NativeBuffer has been disposed");
    }
  }
}

const ALLOC_OPTION_KEYS: readonly (keyof AllocOptions)[] = ["align", "zero"];

function lifetimeCounts(): { finalizerFailures: number; leakedAllocations: number } {
  const counts = lifetimeStats();
  return {
    finalizerFailures: counts.finalizerFailures,
    leakedAllocations: counts.leakedAllocations,
  };
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
  /**
   * Handles (buffers, pool blocks, mappings) whose native memory is
   * deliberately left allocated or mapped: it was transferred away, or the
   * handle was never disposed and its buffer was collected (it may have been
   * moved unseen first).
   */
  readonly leakedAllocations: number;
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
  const library = memoryLibrary();
  if (!library) {
    return {
      source: "js",
      liveAllocations: jsCounters.live,
      liveBytes: jsCounters.liveBytes,
      totalAllocations: jsCounters.allocations,
      totalFrees: jsCounters.frees,
      rejectedFrees: 0,
      ...lifetimeCounts(),
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
    ...lifetimeCounts(),
  };
}
