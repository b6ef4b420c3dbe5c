/**
 * A pool of native, 64-byte-aligned buffers in size classes (8-byte-aligned
 * memory of the engine's on the JS path). A block goes
 * back to the pool when it is released (`using`), with every view of it
 * revoked first, so that reused memory is never reachable through an old
 * view.
 *
 * @module
 */

import { memoryLibrary } from "./backend.ts";
import { BinlaneError } from "./errors.ts";
import { NativeBuffer } from "./native_buffer.ts";
import { describeValue, readOptions } from "./options.ts";

/** Options for a {@linkcode BufferPool}. */
export interface BufferPoolOptions {
  /** Block sizes in bytes, ascending. Default: 4 KiB, 64 KiB, 1 MiB. Larger requests get an unpooled buffer. */
  sizeClasses?: readonly number[];
  /** Released blocks kept per size class; more are freed. Default 16. */
  maxRetained?: number;
  /** Zero a block's memory when it is released, so the next user never sees the last one's data. Default false. */
  zeroOnRelease?: boolean;
}

/** What a {@linkcode BufferPool} has done. */
export interface BufferPoolStats {
  /** Acquisitions served by a retained block. */
  readonly hits: number;
  /** Acquisitions that allocated (no retained block, or larger than every class). */
  readonly misses: number;
  /** Blocks kept for reuse. */
  readonly retained: number;
  /** Bytes of memory in retained blocks. */
  readonly retainedBytes: number;
  /** Blocks acquired and not yet released. */
  readonly outstanding: number;
  /** Whether the pool has been disposed. */
  readonly closed: boolean;
}

const DEFAULT_SIZE_CLASSES: readonly number[] = [4096, 65536, 1 << 20];
const BLOCK_ALIGN = 64;

/**
 * A block of pooled memory of the size asked for. Release it once, with
 * `using` or `release()`; after that its views are revoked (they read as
 * empty) and `bytes` throws `E_DISPOSED`. A second release does nothing.
 */
export class PooledBuffer {
  #buffer: NativeBuffer | undefined;
  readonly #view: Uint8Array<ArrayBuffer>;
  readonly #onRelease: (buffer: NativeBuffer) => void;

  /** Made by {@linkcode BufferPool.acquire}: `length` bytes of `buffer`, handed to `onRelease` once. */
  constructor(buffer: NativeBuffer, length: number, onRelease: (buffer: NativeBuffer) => void) {
    this.#buffer = buffer;
    this.#view = buffer.bytes.subarray(0, length);
    this.#onRelease = onRelease;
  }

  /** The block's bytes: exactly the size acquired. Throws `E_DISPOSED` after release. */
  get bytes(): Uint8Array<ArrayBuffer> {
    if (this.#buffer === undefined) {
      throw new BinlaneError("E_DISPOSED", "this pooled buffer has been released");
    }
    return this.#view;
  }

  /** The size acquired. */
  get byteLength(): number {
    return this.#view.byteLength;
  }

  /** Whether it has been released. */
  get released(): boolean {
    return this.#buffer === undefined;
  }

  /** Revokes every view and returns the memory to the pool (or frees it). A second call does nothing. */
  [Symbol.dispose](): void {
    const buffer = this.#buffer;
    if (buffer === undefined) return;
    this.#buffer = undefined;
    this.#onRelease(buffer);
  }

  /** The same as `[Symbol.dispose]()`. */
  release(): void {
    this[Symbol.dispose]();
  }
}

const POOL_OPTION_KEYS: readonly (keyof BufferPoolOptions)[] = [
  "sizeClasses",
  "maxRetained",
  "zeroOnRelease",
];

/** More size classes than any pool needs: a longer array is refused before it is walked. */
const MAX_SIZE_CLASSES = 256;

/**
 * A copy of the caller's `sizeClasses`, each element read once by index (no
 * method of the caller's array is called): positive integers, ascending.
 */
function sizeClassesOf(value: unknown): number[] {
  if (!Array.isArray(value)) {
    throw new BinlaneError("E_TYPE", `sizeClasses must be an array, got ${describeValue(value)}`);
  }
  const classes: number[] = [];
  try {
    const length = value.length;
    if (length === 0 || length > MAX_SIZE_CLASSES) {
      throw new BinlaneError(
        "E_RANGE",
        `sizeClasses must hold 1 to ${MAX_SIZE_CLASSES} sizes, not ${length}`,
      );
    }
    for (let i = 0; i < length; i++) classes.push(value[i]);
  } catch (cause) {
    if (cause instanceof BinlaneError) throw cause;
    throw new BinlaneError("E_TYPE", "sizeClasses cannot be read", { cause });
  }
  for (let i = 0; i < classes.length; i++) {
    const size: unknown = classes[i];
    if (typeof size !== "number") {
      throw new BinlaneError("E_TYPE", `sizeClasses[${i}] must be a number, got ${describeValue(size)}`);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || (i > 0 && size <= classes[i - 1])) {
      throw new BinlaneError("E_RANGE", "sizeClasses must be positive integers in ascending order");
    }
  }
  return classes;
}

/**
 * Native memory in size classes, reused. `acquire(n)` gives a block of `n`
 * bytes from the smallest class that holds it; releasing the block revokes
 * its views and keeps its memory for the next `acquire` (up to
 * `maxRetained` a class). Disposing the pool frees what it retains; blocks
 * still out are counted in `stats().outstanding`, never freed under a live
 * view, and freed when they are released later.
 *
 * @example
 * ```ts
 * import { BufferPool } from "@binlane/binlane";
 *
 * using pool = new BufferPool();
 * for (let i = 0; i < 3; i++) {
 *   using block = pool.acquire(1000);
 *   block.bytes.fill(i);
 * }
 * console.log(pool.stats().hits, pool.stats().misses); // 2 1
 * ```
 */
export class BufferPool {
  readonly #classes: readonly number[];
  readonly #maxRetained: number;
  readonly #zero: boolean;
  readonly #free: NativeBuffer[][];
  #hits = 0;
  #misses = 0;
  #outstanding = 0;
  #closed = false;

  /** Checks the options; allocates nothing until the first `acquire`. */
  constructor(options: BufferPoolOptions = {}) {
    const read = readOptions(options, POOL_OPTION_KEYS, "BufferPool");
    const classes = read.sizeClasses === undefined ? DEFAULT_SIZE_CLASSES : sizeClassesOf(read.sizeClasses);
    const maxRetained = read.maxRetained ?? 16;
    if (typeof maxRetained !== "number") {
      throw new BinlaneError("E_TYPE", `maxRetained must be a number, got ${describeValue(maxRetained)}`);
    }
    if (!Number.isSafeInteger(maxRetained) || maxRetained < 0) {
      throw new BinlaneError(
        "E_RANGE",
        `maxRetained must be a non-negative integer, got ${describeValue(maxRetained)}`,
      );
    }
    if (read.zeroOnRelease !== undefined && typeof read.zeroOnRelease !== "boolean") {
      throw new BinlaneError(
        "E_TYPE",
        `zeroOnRelease must be a boolean, got ${describeValue(read.zeroOnRelease)}`,
      );
    }
    this.#classes = Object.freeze([...classes]);
    this.#maxRetained = maxRetained;
    this.#zero = read.zeroOnRelease === true;
    this.#free = classes.map(() => []);
  }

  /**
   * A block of `size` bytes, aligned to 64 (8 on the JS path): a retained one when there is
   * one, else new memory (zeroed). Throws `E_DISPOSED` once the pool is
   * disposed.
   *
   * @example
   * ```ts
   * import { BufferPool } from "@binlane/binlane";
   *
   * using pool = new BufferPool({ sizeClasses: [256] });
   * using block = pool.acquire(100);
   * console.log(block.bytes.length); // 100
   * ```
   */
  acquire(size: number): PooledBuffer {
    if (this.#closed) throw new BinlaneError("E_DISPOSED", "this BufferPool has been disposed");
    if (typeof size !== "number") {
      throw new BinlaneError("E_TYPE", `size must be a number, got ${describeValue(size)}`);
    }
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new BinlaneError("E_RANGE", `size must be a non-negative integer, got ${describeValue(size)}`);
    }
    const classIndex = this.#classes.findIndex((capacity) => capacity >= size);
    let buffer = classIndex >= 0 ? this.#free[classIndex].pop() : undefined;
    if (buffer !== undefined) {
      this.#hits += 1;
    } else {
      this.#misses += 1;
      // The JS path's memory is placed by the engine (8-byte aligned), which is all it can promise.
      const align = memoryLibrary() ? BLOCK_ALIGN : undefined;
      buffer = NativeBuffer.alloc(classIndex >= 0 ? this.#classes[classIndex] : size, { align });
    }
    this.#outstanding += 1;
    return new PooledBuffer(buffer, size, (released) => this.#takeBack(released, classIndex));
  }

  /**
   * Counts of hits, misses, retained and outstanding blocks.
   *
   * @example
   * ```ts
   * import { BufferPool } from "@binlane/binlane";
   *
   * using pool = new BufferPool();
   * const block = pool.acquire(10);
   * console.log(pool.stats().outstanding); // 1
   * block.release();
   * console.log(pool.stats().retained); // 1
   * ```
   */
  stats(): BufferPoolStats {
    const retained = this.#free.reduce((sum, list) => sum + list.length, 0);
    const retainedBytes = this.#free.reduce((sum, list, i) => sum + list.length * this.#classes[i], 0);
    return {
      hits: this.#hits,
      misses: this.#misses,
      retained,
      retainedBytes,
      outstanding: this.#outstanding,
      closed: this.#closed,
    };
  }

  /** Frees every retained block; blocks still out are left to their holders and freed on release. */
  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const list of this.#free) {
      for (const buffer of list.splice(0)) buffer.dispose();
    }
  }

  /** The same as `[Symbol.dispose]()`. */
  dispose(): void {
    this[Symbol.dispose]();
  }

  #takeBack(buffer: NativeBuffer, classIndex: number): void {
    this.#outstanding -= 1;
    const keep = !this.#closed && classIndex >= 0 && this.#free[classIndex].length < this.#maxRetained;
    if (!keep) {
      buffer.dispose();
      return;
    }
    // Views of the block die here; the memory lives on under a new handle.
    const renewed = buffer.renew();
    if (this.#zero) renewed.bytes.fill(0);
    this.#free[classIndex].push(renewed);
  }
}
