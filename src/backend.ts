/**
 * Which path runs the kernels (native or JS) and at which CPU level,
 * decided once, at first use, from the environment and the library.
 *
 * Settings, read from the environment where the runtime allows it:
 * - `BINLANE_BACKEND=js|native`: force a path; `native` fails loudly when
 *   the library cannot be loaded.
 * - `BINLANE_LIB=/path/to/library`: load this file instead of the local build.
 *   Without `BINLANE_LIB_SHA256` it is trusted only to be a regular file whose
 *   headers lie inside it; the local build must match its manifest.
 * - `BINLANE_LIB_SHA256=<64 hex digits>`: refuse a library with another SHA-256.
 * - `BINLANE_CACHE_DIR=/absolute/folder`: where a package without a local
 *   build (JSR) writes the host's shipped library, instead of the user's
 *   cache folder (ffi/shipped.ts).
 * - `BINLANE_CPU=scalar|sse42|avx2|avx512|neon`: force a CPU level.
 *
 * @module
 */

import type { NativeLibrary } from "../ffi/library.ts";
import { type LoadFailure, loadLibrary, type LoadOutcome } from "../ffi/load.ts";
import { readEnv, type RuntimeName, runtimeName } from "../ffi/runtime.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { expectedLayoutTable } from "./crossing.ts";
import { BinlaneError, type BinlaneErrorCode, errorFromStatus } from "./errors.ts";
import { describeValue } from "./options.ts";

/** A CPU level the native kernels can run at. */
export type CpuLevel = "scalar" | "sse42" | "avx2" | "avx512" | "neon";

/**
 * CPU levels, indexed by the numbers native code uses.
 *
 * @example
 * ```ts
 * import { cpuLevels } from "./backend.ts";
 *
 * console.log(cpuLevels[3]); // "avx512"
 * ```
 */
export const cpuLevels: readonly CpuLevel[] = ["scalar", "sse42", "avx2", "avx512", "neon"];

export type { RuntimeName };

/** What `backend()` reports. */
export interface BackendInfo {
  /** Where kernels above their size thresholds run. */
  readonly path: "native" | "js";
  /** The JavaScript runtime this runs in. */
  readonly runtime: RuntimeName;
  /** The CPU level in force; "js" on the JS path. */
  readonly cpu: CpuLevel | "js";
  /** The library file, when loaded. */
  readonly library?: string;
  /** The library's ABI version, when loaded. */
  readonly abiVersion?: number;
  /** Why the JS path is in use, when it is. */
  readonly reason?: string;
  /**
   * Where `NativeBuffer`, `BufferPool` blocks and `mapFile` keep their
   * memory: "native" (binlane's allocator, `mmap`) or "js" (`ArrayBuffer`s,
   * files read into memory), which on the native path means the runtime
   * grants no pointer calls (`memoryReason` says which flag would).
   */
  readonly memory: "native" | "js";
  /** Why memory is "js" on the native path, when it is. */
  readonly memoryReason?: string;
}

interface State {
  readonly library: NativeLibrary | undefined;
  readonly abiVersion?: number;
  readonly reason?: string;
  /** Thrown by every call when the native path was required but failed. */
  readonly failure?: BinlaneError;
}

const failureCodes: Record<LoadFailure, BinlaneErrorCode> = {
  "no-ffi": "E_NO_NATIVE",
  "unsupported-platform": "E_LIBRARY_LOAD",
  "bad-setting": "E_CONFIG",
  "check-failed": "E_LIBRARY_LOAD",
  "open-failed": "E_LIBRARY_LOAD",
  "abi-mismatch": "E_ABI_MISMATCH",
  "layout-mismatch": "E_LAYOUT_MISMATCH",
};

let state: State | undefined;

function parseCpu(value: string): CpuLevel {
  const level = cpuLevels.find((name) => name === value);
  if (!level) {
    throw new BinlaneError("E_CONFIG", `BINLANE_CPU=${value} is not one of ${cpuLevels.join(", ")}`);
  }
  return level;
}

function selectLevel(symbols: NativeSymbols, level: CpuLevel): void {
  const status = symbols.binlane_cpu_select(cpuLevels.indexOf(level));
  if (status !== 0) {
    const error = errorFromStatus(status, "binlane_cpu_select");
    throw new BinlaneError(error.code, `CPU level ${level} cannot be selected: ${error.message}`);
  }
}

/** The library's struct layouts must be exactly those src/crossing.ts declares. */
function checkLayouts(outcome: LoadOutcome): LoadOutcome {
  if (!outcome.ok) return outcome;
  const expected = expectedLayoutTable();
  if (outcome.layoutTable.join() === expected.join()) return outcome;
  outcome.library.close();
  return {
    ok: false,
    failure: "layout-mismatch",
    detail: `struct layout table [${outcome.layoutTable}], expected [${expected}]`,
    path: outcome.library.path,
  };
}

function initialise(): State {
  const wanted = readEnv("BINLANE_BACKEND");
  if (wanted !== undefined && wanted !== "js" && wanted !== "native") {
    throw new BinlaneError("E_CONFIG", `BINLANE_BACKEND=${wanted} is not "js" or "native"`);
  }
  if (wanted === "js") return { library: undefined, reason: "BINLANE_BACKEND=js" };
  const outcome = checkLayouts(loadLibrary());
  if (!outcome.ok) {
    // A setting that means nothing is refused like BINLANE_BACKEND's, whatever the backend.
    if (outcome.failure === "bad-setting") throw new BinlaneError("E_CONFIG", outcome.detail);
    const where = outcome.path ? ` (${outcome.path})` : "";
    const reason = `${outcome.failure}: ${outcome.detail}${where}`;
    if (wanted !== "native") return { library: undefined, reason };
    const error = new BinlaneError(
      failureCodes[outcome.failure],
      `BINLANE_BACKEND=native, but the native library is unavailable: ${reason}`,
    );
    return { library: undefined, reason, failure: error };
  }
  const symbols = outcome.library.symbols;
  const forced = readEnv("BINLANE_CPU");
  // Chosen once here: the best level CPUID and XGETBV allow, unless forced.
  const level = forced ? parseCpu(forced) : cpuLevels[symbols.binlane_cpu_best()];
  selectLevel(symbols, level);
  return { library: outcome.library, abiVersion: outcome.abiVersion };
}

function current(): State {
  state ??= initialise();
  if (state.failure) throw state.failure;
  return state;
}

/**
 * The loaded library's calls, or undefined on the JS path. Kernels call
 * this on every call; after the first it is a field read.
 *
 * @example
 * ```ts
 * import { nativeSymbols } from "./backend.ts";
 *
 * console.log(nativeSymbols()?.binlane_abi_version());
 * ```
 */
export function nativeSymbols(): NativeSymbols | undefined {
  return current().library?.symbols;
}

/** The native calls once resolved (undefined: the JS path); null until the first call. */
let resolvedSymbols: NativeSymbols | undefined | null = null;

/**
 * The native calls for kernels' hot paths: {@linkcode nativeSymbols},
 * resolved once. A required-but-failed backend throws on every call.
 *
 * @example
 * ```ts
 * import { kernelSymbols } from "./backend.ts";
 *
 * const symbols = kernelSymbols();
 * console.log(symbols ? "native" : "js");
 * ```
 */
export function kernelSymbols(): NativeSymbols | undefined {
  if (resolvedSymbols === null) resolvedSymbols = nativeSymbols();
  return resolvedSymbols;
}

/**
 * The loaded library, or undefined on the JS path.
 *
 * @example
 * ```ts
 * import { nativeLibrary } from "./backend.ts";
 *
 * console.log(nativeLibrary()?.path ?? "JS path");
 * ```
 */
export function nativeLibrary(): NativeLibrary | undefined {
  return current().library;
}

/**
 * The loaded library when native memory can also be viewed from
 * JavaScript (`NativeBuffer`, `BufferPool`, `mapFile`), or undefined: the
 * JS path, or a library whose runtime grants no pointer calls (a Deno
 * `--allow-ffi` scoped to the library's folder), where those handles use
 * JavaScript memory with the same API.
 *
 * @example
 * ```ts
 * import { memoryLibrary, nativeLibrary } from "./backend.ts";
 *
 * if (memoryLibrary() !== undefined && nativeLibrary() === undefined) throw new Error("memory needs a library");
 * ```
 */
export function memoryLibrary(): NativeLibrary | undefined {
  const library = current().library;
  return library?.memoryRefusal === undefined ? library : undefined;
}

/**
 * Reports which path runs the kernels, in which runtime, at which CPU level.
 *
 * @example
 * ```ts
 * import { backend } from "@binlane/binlane";
 *
 * const info = backend();
 * console.log(info.path, info.runtime, info.cpu); // e.g. "native" "deno" "avx512"
 * ```
 */
export function backend(): BackendInfo {
  const { library, abiVersion, reason } = current();
  const runtime = runtimeName();
  if (!library) return { path: "js", runtime, cpu: "js", reason, memory: "js" };
  const cpu = cpuLevels[library.symbols.binlane_cpu_active()];
  const info = { path: "native", runtime, cpu, library: library.path, abiVersion } as const;
  if (library.memoryRefusal === undefined) return { ...info, memory: "native" };
  return { ...info, memory: "js", memoryReason: library.memoryRefusal };
}

/**
 * The CPU levels this library and CPU support, worst first. Empty on the
 * JS path.
 *
 * @example
 * ```ts
 * import { supportedCpuLevels } from "@binlane/binlane";
 *
 * console.log(supportedCpuLevels()); // e.g. ["scalar", "sse42", "avx2", "avx512"]
 * ```
 */
export function supportedCpuLevels(): CpuLevel[] {
  const library = current().library;
  if (!library) return [];
  const mask = library.symbols.binlane_cpu_supported();
  return cpuLevels.filter((_, index) => (mask & (1 << index)) !== 0);
}

/**
 * Forces the native kernels to one CPU level, for testing and comparison.
 * Every level returns the same results; only speed differs.
 *
 * @example
 * ```ts
 * import { backend, setCpuLevel } from "@binlane/binlane";
 *
 * if (backend().path === "native") setCpuLevel("scalar");
 * ```
 */
export function setCpuLevel(level: CpuLevel): void {
  // Checked first, and described without running a caller's toString: the level is any value.
  if (typeof level !== "string" || !cpuLevels.includes(level as CpuLevel)) {
    throw new BinlaneError("E_TYPE", `unknown CPU level ${describeValue(level)}`);
  }
  const library = current().library;
  if (!library) {
    throw new BinlaneError("E_NO_NATIVE", `cannot select CPU level ${level}: running on the JS path`);
  }
  selectLevel(library.symbols, level);
}
