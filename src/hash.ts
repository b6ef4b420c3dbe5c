/**
 * 64-bit non-cryptographic hashes: XXH64 and XXH3-64, bit-identical to the
 * reference xxHash, one-shot and streaming.
 *
 * Streaming hashers hold their state in native memory behind a handle, with
 * the rules of `NativeBuffer` (one lifetime owner, src/lifetime.ts): one
 * paired release (`using` or `dispose()`), a finalizer as the safety net, and `E_DISPOSED` for use
 * after release. Without FFI they run the TypeScript twin, with the same API.
 *
 * @module
 */

import type { NativeSymbols } from "../ffi/symbols.ts";
import { kernelSymbols } from "./backend.ts";
import { asBytes, type BinaryInput } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { Lifetime } from "./lifetime.ts";
import { describeValue } from "./options.ts";
import { xxh3Js, Xxh3State, xxh64Js, Xxh64State } from "./xxhash_js.ts";

const U64_MAX = (1n << 64n) - 1n;
/** Native lengths are u32; longer inputs are streamed in pieces this size. */
const NATIVE_CHUNK = 1 << 30;

function checkSeed(seed: unknown): asserts seed is bigint {
  if (seed === 0n) return; // the common case, one comparison
  // Before any comparison, which would run an object's valueOf or Symbol.toPrimitive.
  if (typeof seed !== "bigint") {
    throw new BinlaneError("E_TYPE", `seed must be a bigint, got ${describeValue(seed)}`);
  }
  if (seed < 0n || seed > U64_MAX) {
    throw new BinlaneError("E_RANGE", `seed must be from 0n to 2n ** 64n - 1n, got ${describeValue(seed)}`);
  }
}

/** Deno returns a u64 that fits in a double as a number, Bun always a bigint. */
function asU64(value: number | bigint): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

/** A refused input returns 0; a 0 is asked about (one hash in 2^64 by chance). */
function checked(symbols: NativeSymbols, value: bigint, call: string): bigint {
  if (value === 0n) {
    const status = symbols.binlane_take_status();
    if (status !== 0) throw errorFromStatus(status, call);
  }
  return value;
}

function streamed(create: (seed: bigint) => StreamingHasher, bytes: Uint8Array, seed: bigint): bigint {
  using hasher = create(seed);
  for (let offset = 0; offset < bytes.byteLength; offset += NATIVE_CHUNK) {
    hasher.update(bytes.subarray(offset, offset + NATIVE_CHUNK));
  }
  return hasher.digest();
}

// One function per export, so each native call site stays monomorphic (V8
// keeps Deno's fast call only there; see src/crc.ts).

/**
 * XXH64 of `data`: the 64-bit xxHash, as `XXH64()` of the reference.
 * Native at every size: the BigInt JS path runs only without FFI.
 *
 * @example
 * ```ts
 * import { xxh64 } from "@binlane/binlane";
 *
 * const bytes = new TextEncoder().encode("abc");
 * console.log(xxh64(bytes).toString(16)); // "44bc2cf5ad770999"
 * ```
 */
export function xxh64(data: BinaryInput, seed: bigint = 0n): bigint {
  checkSeed(seed);
  const bytes = asBytes(data);
  const symbols = kernelSymbols();
  if (!symbols) return xxh64Js(bytes, seed);
  if (bytes.byteLength > NATIVE_CHUNK) return streamed(createXxh64, bytes, seed);
  const value = asU64(symbols.binlane_xxh64(bytes, bytes.byteLength, seed));
  return checked(symbols, value, "binlane_xxh64");
}

/**
 * XXH3-64 of `data`, as `XXH3_64bits_withSeed()` of the reference (and so
 * `XXH3_64bits()` when `seed` is 0n). Native at every size: the BigInt JS
 * path runs only without FFI.
 *
 * @example
 * ```ts
 * import { xxh3 } from "@binlane/binlane";
 *
 * const bytes = new TextEncoder().encode("abc");
 * console.log(xxh3(bytes).toString(16)); // "78af5f94892f3950"
 * console.log(xxh3(bytes, 1n).toString(16)); // "6b4467b443c76228"
 * ```
 */
export function xxh3(data: BinaryInput, seed: bigint = 0n): bigint {
  checkSeed(seed);
  const bytes = asBytes(data);
  const symbols = kernelSymbols();
  if (!symbols) return xxh3Js(bytes, seed);
  if (bytes.byteLength > NATIVE_CHUNK) return streamed(createXxh3, bytes, seed);
  const value = asU64(symbols.binlane_xxh3(bytes, bytes.byteLength, seed));
  return checked(symbols, value, "binlane_xxh3");
}

/** The hash a streaming hasher computes. */
export type HashAlgorithm = "xxh64" | "xxh3";

/** `kind` numbers of the native hasher exports (native-zig/boundary.zig). */
const nativeKinds: Record<HashAlgorithm, number> = { xxh64: 1, xxh3: 2 };

interface HasherState {
  readonly symbols: NativeSymbols;
  readonly kind: number;
  readonly handle: bigint;
  /** Frees the state once, on disposal or from the finalizer; no view of it exists. */
  readonly lifetime: Lifetime;
}

/** The size of the native state, for the lifetime's counts only. */
const STATE_BYTES = 64;

/** Out-parameter of the create and digest calls, read right after each. */
const word = new BigUint64Array(1);

/**
 * An incremental hasher: `update()` with the pieces in order, `digest()`
 * whenever (it does not end the stream), release with `using` or
 * `dispose()`. The digest equals the one-shot hash of the concatenation.
 *
 * @example
 * ```ts
 * import { createXxh3, xxh3 } from "@binlane/binlane";
 *
 * const text = new TextEncoder().encode("hello, world");
 * using hasher = createXxh3();
 * hasher.update(text.subarray(0, 5)).update(text.subarray(5));
 * console.log(hasher.digest() === xxh3(text)); // true
 * ```
 */
export class StreamingHasher {
  /** Which hash this computes. */
  readonly algorithm: HashAlgorithm;
  readonly #native: HasherState | undefined;
  readonly #js: Xxh64State | Xxh3State | undefined;
  #released = false;

  /** Use {@linkcode createXxh64} or {@linkcode createXxh3}. */
  private constructor(algorithm: HashAlgorithm, seed: bigint) {
    if (algorithm !== "xxh64" && algorithm !== "xxh3") {
      throw new BinlaneError(
        "E_TYPE",
        `algorithm must be "xxh64" or "xxh3", got ${describeValue(algorithm)}`,
      );
    }
    checkSeed(seed);
    this.algorithm = algorithm;
    const symbols = kernelSymbols();
    if (!symbols) {
      this.#js = algorithm === "xxh64" ? new Xxh64State(seed) : new Xxh3State(seed);
      return;
    }
    const kind = nativeKinds[algorithm];
    const status = symbols.binlane_hasher_create(kind, seed, word, 8);
    if (status !== 0) throw errorFromStatus(status, "binlane_hasher_create");
    const handle = word[0];
    const lifetime = new Lifetime(this, undefined, () => symbols.binlane_hasher_free(kind, handle), {
      size: STATE_BYTES,
      engineMemory: false,
    });
    this.#native = { symbols, kind, handle, lifetime };
  }

  /** @internal The one way in, for the factory functions. */
  static create(algorithm: HashAlgorithm, seed: bigint): StreamingHasher {
    return new StreamingHasher(algorithm, seed);
  }

  /** Adds `data` to the stream; returns this hasher, for chaining. */
  update(data: BinaryInput): this {
    this.#checkLive();
    const bytes = asBytes(data);
    const native = this.#native;
    if (!native) {
      this.#js!.update(bytes);
      return this;
    }
    for (let offset = 0; offset === 0 || offset < bytes.byteLength; offset += NATIVE_CHUNK) {
      const piece = offset === 0 && bytes.byteLength <= NATIVE_CHUNK
        ? bytes
        : bytes.subarray(offset, offset + NATIVE_CHUNK);
      const status = native.symbols.binlane_hasher_update(
        native.kind,
        native.handle,
        piece,
        piece.byteLength,
      );
      if (status !== 0) throw errorFromStatus(status, "binlane_hasher_update");
    }
    return this;
  }

  /** The hash of everything added so far. The hasher stays usable. */
  digest(): bigint {
    this.#checkLive();
    const native = this.#native;
    if (!native) return this.#js!.digest();
    const status = native.symbols.binlane_hasher_digest(native.kind, native.handle, word, 8);
    if (status !== 0) throw errorFromStatus(status, "binlane_hasher_digest");
    return word[0];
  }

  /** Whether the hasher has been released. */
  get disposed(): boolean {
    return this.#released;
  }

  /** Frees the native state, once; a second call does nothing. */
  [Symbol.dispose](): void {
    if (this.#released) return;
    this.#released = true;
    const native = this.#native;
    if (!native) return;
    const status = native.lifetime.end();
    if (status !== 0) throw errorFromStatus(status, "binlane_hasher_free");
  }

  /** The same as `[Symbol.dispose]()`, for code that cannot use `using`. */
  dispose(): void {
    this[Symbol.dispose]();
  }

  #checkLive(): void {
    if (this.#released) {
      throw new BinlaneError("E_DISPOSED", `this ${this.algorithm} hasher has been disposed`);
    }
  }
}

/**
 * A streaming XXH64 hasher.
 *
 * @example
 * ```ts
 * import { createXxh64 } from "@binlane/binlane";
 *
 * using hasher = createXxh64(7n);
 * hasher.update(new Uint8Array([1, 2, 3]));
 * console.log(typeof hasher.digest()); // "bigint"
 * ```
 */
export function createXxh64(seed: bigint = 0n): StreamingHasher {
  return StreamingHasher.create("xxh64", seed);
}

/**
 * A streaming XXH3-64 hasher.
 *
 * @example
 * ```ts
 * import { createXxh3 } from "@binlane/binlane";
 *
 * using hasher = createXxh3();
 * hasher.update(new TextEncoder().encode("abc"));
 * console.log(hasher.digest().toString(16)); // "78af5f94892f3950"
 * ```
 */
export function createXxh3(seed: bigint = 0n): StreamingHasher {
  return StreamingHasher.create("xxh3", seed);
}
