/**
 * One lifetime owner for every handle whose memory binlane frees itself
 * (a `NativeBuffer`, a pool block, a `MappedFile`, a streaming hasher):
 * register, revoke views, free once, and a finalizer as the safety net.
 *
 * The rule it keeps: memory is freed only while it is still attached to
 * the `ArrayBuffer` binlane made for it. An `ArrayBuffer` transferred away
 * (`transfer()`, `structuredClone(x, { transfer })`, `postMessage`) moves
 * the memory to a new buffer binlane knows nothing of, so the memory is
 * then deliberately leaked and counted (`leakedAllocations`), never freed.
 *
 * What a finalizer can know: a `FinalizationRegistry` callback runs after
 * its target is collected, and a collected `ArrayBuffer` can no longer be
 * asked whether it was detached. So the registry watches the *handle*, and
 * the held value keeps the handle's `ArrayBuffer` alive until the callback
 * runs (it is the handle's own buffer; a caller who dropped the handle
 * cannot make it outlive the check). When the handle is collected:
 * - the buffer is detached: the memory moved away; it is leaked and counted;
 * - it is not: views of it may still be alive, so the buffer itself is
 *   watched from then on. When it is collected, native memory is leaked and
 *   counted rather than freed: a holder of a view may have moved the memory
 *   to a buffer that still lives (`ArrayBuffer.prototype.transfer.call`,
 *   `structuredClone`, `postMessage`), and no JavaScript code can tell, so
 *   only disposal (`using`) frees native memory; the finalizer frees the
 *   engine's memory (the JS path) and memory that has no buffer (hashers).
 *
 * The builtins the contract relies on are captured when this module loads
 * (`ArrayBuffer.prototype.transfer`, the `detached` and `byteLength`
 * getters), and their effect is checked after each use: code that replaces
 * them later cannot stop disposal from revoking views, and if they were
 * replaced earlier and do not detach, the memory is left allocated and the
 * disposal throws, rather than freeing memory under live views.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import { BinlaneError } from "./errors.ts";
import { bufferByteLengthOf, isDetachedBuffer, transferBuffer } from "./intrinsics.ts";

// Captured at load, so that a later replacement of the global cannot change what finalization does.
const FinalizationRegistryIntrinsic = FinalizationRegistry;

/** Counters of what lifetimes did that no call could report. */
const counters = { leakedAllocations: 0, leakedBytes: 0, finalizerFailures: 0 };

/**
 * Whether `buffer` is detached, asked of the engine's own getters (a
 * replaced prototype getter or an own `detached` property cannot lie).
 *
 * @example
 * ```ts
 * import { isReallyDetached } from "./lifetime.ts";
 *
 * const buffer = new ArrayBuffer(8);
 * buffer.transfer();
 * if (!isReallyDetached(buffer)) throw new Error("a transferred buffer is detached");
 * ```
 */
export function isReallyDetached(buffer: ArrayBuffer): boolean {
  // Two intrinsics: a detached buffer also has no bytes, so one getter replaced before load cannot lie alone.
  return isDetachedBuffer(buffer) && bufferByteLengthOf(buffer) === 0;
}

/**
 * Moves `buffer`'s memory to a new `ArrayBuffer` with the engine's own
 * `transfer`, and checks that `buffer` is now detached. Throws
 * `E_INVALID_ARGUMENT` when it is not: the old views would still reach the
 * memory.
 *
 * @example
 * ```ts
 * import { isReallyDetached, moveMemory } from "./lifetime.ts";
 *
 * const buffer = new ArrayBuffer(8);
 * const moved = moveMemory(buffer);
 * if (!isReallyDetached(buffer) || moved.byteLength !== 8) throw new Error("moved");
 * ```
 */
export function moveMemory(buffer: ArrayBuffer): ArrayBuffer {
  const moved = transferBuffer(buffer);
  checkRevoked(buffer);
  return moved;
}

/**
 * Detaches `buffer` with the engine's own `transfer(0)`, so that every view
 * of it reads as empty, and checks that it is; throws `E_INVALID_ARGUMENT`
 * when it is not.
 *
 * @example
 * ```ts
 * import { revokeViews } from "./lifetime.ts";
 *
 * const view = new Uint8Array(8);
 * revokeViews(view.buffer);
 * if (view.length !== 0) throw new Error("revoked");
 * ```
 */
export function revokeViews(buffer: ArrayBuffer): void {
  transferBuffer(buffer, 0);
  checkRevoked(buffer);
}

/**
 * Counts `bytes` of memory left allocated because views of it could not be
 * revoked, by code that handed its lifetime on first (`renew`).
 *
 * @example
 * ```ts
 * import { countLeak, lifetimeStats } from "./lifetime.ts";
 *
 * const before = lifetimeStats().leakedBytes;
 * countLeak(8);
 * if (lifetimeStats().leakedBytes !== before + 8) throw new Error("counted");
 * ```
 */
export function countLeak(bytes: number): void {
  counters.leakedAllocations += 1;
  counters.leakedBytes += bytes;
}

/** Bun views at most 4 GiB of native memory as one ArrayBuffer; past it, `toArrayBuffer` fails. */
const VIEW_LIMIT: number = runtimeName() === "bun" ? 2 ** 32 : 2 ** 48;

/**
 * The most bytes one `ArrayBuffer` over native memory can hold in this
 * runtime, checked before anything is allocated, mapped or grown.
 *
 * @example
 * ```ts
 * import { maxViewBytes } from "./lifetime.ts";
 *
 * if (maxViewBytes() < 2 ** 32) throw new Error("at least 4 GiB");
 * ```
 */
export function maxViewBytes(): number {
  return VIEW_LIMIT;
}

/** Throws unless `buffer` is detached, checked with two intrinsic getters. */
function checkRevoked(buffer: ArrayBuffer): void {
  if (isReallyDetached(buffer)) return;
  throw new BinlaneError(
    "E_INVALID_ARGUMENT",
    "ArrayBuffer.prototype.transfer did not detach the buffer (was it replaced before binlane loaded?): " +
      "its views could still reach the memory, so the memory is left allocated",
  );
}

/** Leaks and counts the memory of a lifetime whose buffer moved away. */
function leak(lifetime: Lifetime): void {
  lifetime.state = "leaked";
  lifetime.buffer = undefined;
  counters.leakedAllocations += 1;
  counters.leakedBytes += lifetime.size;
}

function finalRelease(lifetime: Lifetime): void {
  lifetime.state = "released";
  lifetime.buffer = undefined;
  try {
    if (lifetime.release() !== 0) counters.finalizerFailures += 1;
  } catch {
    counters.finalizerFailures += 1; // nothing can throw out of a finalizer
  }
}

/**
 * Watches buffers whose handle was collected while the buffer was still attached. By the time this runs
 * the buffer is gone, and any holder of a view could have moved its memory first (`transfer`, called any
 * way, `structuredClone`, `postMessage`) to a buffer that still lives: no JavaScript can tell, so native
 * memory is leaked and counted, never freed. The engine's own memory went wherever it went, and is released.
 */
const bufferRegistry = new FinalizationRegistryIntrinsic<Lifetime>((lifetime) => {
  if (lifetime.state !== "live") return;
  if (lifetime.engineMemory) finalRelease(lifetime);
  else leak(lifetime);
});

/** Watches handles; the held lifetime keeps the handle's buffer alive until it has been looked at. */
const handleRegistry = new FinalizationRegistryIntrinsic<Lifetime>((lifetime) => {
  if (lifetime.state !== "live") return;
  const buffer = lifetime.buffer;
  if (buffer === undefined) return finalRelease(lifetime);
  if (isReallyDetached(buffer)) {
    if (lifetime.engineMemory) return finalRelease(lifetime);
    return leak(lifetime);
  }
  // Views may outlive the handle, and move the memory unseen: from now on the buffer's collection decides.
  lifetime.buffer = undefined;
  bufferRegistry.register(buffer, lifetime, lifetime);
});

/** Options for a {@linkcode Lifetime}. */
export interface LifetimeOptions {
  /** Bytes of memory (for the leak count). */
  size: number;
  /**
   * The memory is the engine's own (the JS path, a copy, an empty buffer):
   * a transfer carries it along safely, so `release` runs even then (it
   * frees bookkeeping, a file descriptor), and nothing is leaked.
   */
  engineMemory: boolean;
}

/**
 * The lifetime of one handle's memory: `release` (the paired native free,
 * returning its status) runs at most once, on disposal or from the
 * finalizer, and never while the memory may be reachable from a buffer
 * that moved away.
 *
 * @example
 * ```ts
 * import { Lifetime } from "./lifetime.ts";
 *
 * let freed = 0;
 * const owner = {};
 * const buffer = new ArrayBuffer(16);
 * const view = new Uint8Array(buffer);
 * const lifetime = new Lifetime(owner, buffer, () => (freed += 1, 0), { size: 16, engineMemory: false });
 * lifetime.end();
 * lifetime.end();
 * if (freed !== 1 || view.length !== 0) throw new Error("freed once, views revoked first");
 * ```
 */
export class Lifetime {
  /** `live` until released, handed on, or leaked. */
  state: "live" | "released" | "leaked" = "live";
  /** The handle's buffer, kept alive for the finalizer's check; undefined for memory without one. */
  buffer: ArrayBuffer | undefined;
  /** Set once binlane has seen the buffer transferred away. */
  transferred = false;
  readonly release: () => number;
  readonly size: number;
  readonly engineMemory: boolean;

  /** Registers `owner` (the handle) for finalization; `buffer` is the one all its views share. */
  constructor(
    owner: object,
    buffer: ArrayBuffer | undefined,
    release: () => number,
    options: LifetimeOptions,
  ) {
    this.buffer = buffer;
    this.release = release;
    this.size = options.size;
    this.engineMemory = options.engineMemory;
    handleRegistry.register(owner, this, this);
  }

  /** Whether the memory has been released, handed on or leaked. */
  get ended(): boolean {
    return this.state !== "live";
  }

  /**
   * Called wherever binlane sees the handle's buffer empty: if it was
   * transferred away, the memory is leaked and counted now (and never freed
   * later); returns whether it was.
   */
  noticeTransfer(): boolean {
    const buffer = this.buffer;
    if (this.state !== "live" || buffer === undefined || !isReallyDetached(buffer)) return false;
    handleRegistry.unregister(this);
    this.transferred = true;
    if (this.engineMemory) finalRelease(this);
    else leak(this);
    return true;
  }

  /**
   * Ends the lifetime without freeing: the memory is handed to a new owner
   * (a renewed handle). Throws `E_TRANSFERRED` (after unregistering, with
   * the memory leaked) when the buffer was transferred away. The caller
   * revokes the views itself (`moveMemory` or `revoke`).
   */
  handOff(what: string): void {
    if (this.transferred) throw transferredError(what, this.engineMemory);
    if (this.state !== "live") throw new BinlaneError("E_DISPOSED", `${what} has been disposed`);
    handleRegistry.unregister(this);
    if (this.#transferredAway(what)) return;
    this.state = "released";
    this.buffer = undefined;
  }

  /**
   * Revokes every view (detaches the buffer with the intrinsic `transfer`,
   * checked), then runs `release` once and returns its status; returns 0
   * when already ended. Throws `E_TRANSFERRED` when the buffer had been
   * transferred away (the memory is leaked, and `before` does not run), and
   * `E_INVALID_ARGUMENT` when the views could not be revoked (leaked too).
   * `before`, if given, runs with the views still live (a copy's write-back);
   * whatever it throws is rethrown after the release.
   */
  end(what = "the memory", before?: () => void): number {
    if (this.transferred) throw transferredError(what, this.engineMemory);
    if (this.state !== "live") return 0;
    handleRegistry.unregister(this);
    const buffer = this.buffer;
    if (buffer === undefined) return this.#release();
    if (this.#transferredAway(what)) return 0;
    let failure: unknown;
    let failed = false;
    try {
      before?.();
    } catch (error) {
      failed = true;
      failure = error;
    }
    revoke(buffer, this);
    const status = this.#release();
    if (failed) throw failure;
    return status;
  }

  #release(): number {
    this.state = "released";
    this.buffer = undefined;
    return this.release();
  }

  /** Leaks (or, for the engine's memory, releases) and throws when the buffer moved away. */
  #transferredAway(what: string): boolean {
    const buffer = this.buffer;
    if (buffer === undefined || !isReallyDetached(buffer)) return false;
    this.transferred = true;
    if (this.engineMemory) this.#release();
    else leak(this);
    throw transferredError(what, this.engineMemory);
  }
}

function transferredError(what: string, engineMemory: boolean): BinlaneError {
  return new BinlaneError(
    "E_TRANSFERRED",
    `${what} was transferred away from its owner; ` +
      (engineMemory ? "it went with the transfer" : "it is left allocated, since a live ArrayBuffer " +
        "may still point into it"),
  );
}

/** Detaches `buffer` (every view reads as empty), or leaks the lifetime and throws. */
function revoke(buffer: ArrayBuffer, lifetime: Lifetime): void {
  try {
    revokeViews(buffer);
  } catch (error) {
    if (!lifetime.engineMemory) leak(lifetime);
    else lifetime.state = "released";
    throw error;
  }
}

/** What lifetimes did that no call could report. */
export interface LifetimeStats {
  /** Handles whose memory was left allocated (or mapped): transferred away, or collected undisposed. */
  readonly leakedAllocations: number;
  /** Bytes of that memory. */
  readonly leakedBytes: number;
  /** Frees the finalizer attempted that were refused. */
  readonly finalizerFailures: number;
}

/**
 * The counts since load.
 *
 * @example
 * ```ts
 * import { lifetimeStats } from "./lifetime.ts";
 *
 * if (lifetimeStats().leakedAllocations < 0) throw new Error("a count");
 * ```
 */
export function lifetimeStats(): LifetimeStats {
  return { ...counters };
}
