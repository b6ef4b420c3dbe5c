/**
 * Finds, opens and checks the native library. Returns what happened as
 * data; src/backend.ts decides what a failure means to the user.
 *
 * @module
 */

import { openBun } from "./bun.ts";
import { openDeno } from "./deno.ts";
import type { NativeLibrary } from "./library.ts";
import { libraryFileName, platformDirectory } from "./platform.ts";
import { ffiPermitted, readEnv, runtimeName } from "./runtime.ts";
import { ABI_VERSION } from "./symbols.ts";

/** Why no library was loaded. */
export type LoadFailure =
  | "no-ffi"
  | "unsupported-platform"
  | "open-failed"
  | "abi-mismatch"
  | "layout-mismatch";

/**
 * A loaded library of the expected ABI version, with the struct layout table
 * it reports (src/backend.ts checks it against src/crossing.ts), or why there
 * is none.
 */
export type LoadOutcome =
  | {
    readonly ok: true;
    readonly library: NativeLibrary;
    readonly abiVersion: number;
    readonly layoutTable: readonly number[];
  }
  | { readonly ok: false; readonly failure: LoadFailure; readonly detail: string; readonly path?: string };

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;

function currentPlatform(): { os: string; arch: string } {
  if (runtimeName() === "deno") return { os: anyGlobal.Deno.build.os, arch: anyGlobal.Deno.build.arch };
  return { os: anyGlobal.process?.platform ?? "", arch: anyGlobal.process?.arch ?? "" };
}

function fileUrlToPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  // file:///C:/x on Windows has the pathname /C:/x.
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
}

/**
 * The library this process should load: `BINLANE_LIB`, else the local build.
 *
 * @example
 * ```ts
 * import { resolveLibraryPath } from "./load.ts";
 *
 * console.log(resolveLibraryPath()); // e.g. "/.../ffi/lib/linux-x86_64/libbinlane.so"
 * ```
 */
export function resolveLibraryPath(): string | { failure: "unsupported-platform"; detail: string } {
  const fromEnv = readEnv("BINLANE_LIB");
  if (fromEnv) return fromEnv;
  const { os, arch } = currentPlatform();
  const directory = platformDirectory(os, arch);
  if (!directory) {
    return { failure: "unsupported-platform", detail: `no native build for ${os}-${arch}` };
  }
  const url = new URL(`./lib/${directory}/${libraryFileName(directory)}`, import.meta.url);
  if (url.protocol !== "file:") {
    return { failure: "unsupported-platform", detail: `library location ${url.href} is not a local file` };
  }
  return fileUrlToPath(url);
}

/** Far more entries than any real table holds (two structs take 17). */
const MAX_LAYOUT_TABLE = 4096;

function checkHandshake(library: NativeLibrary): LoadOutcome {
  const abiVersion = library.symbols.binlane_abi_version();
  if (abiVersion !== ABI_VERSION) {
    return {
      ok: false,
      failure: "abi-mismatch",
      detail: `library ABI version ${abiVersion}, expected ${ABI_VERSION}`,
      path: library.path,
    };
  }
  // The library's word for its table's length is not trusted with memory.
  const length = Math.min(library.symbols.binlane_layout_table_len(), MAX_LAYOUT_TABLE);
  const table = new Uint32Array(Math.max(length, 1));
  const status = library.symbols.binlane_layout_table(table, table.length);
  if (status !== 0) {
    return {
      ok: false,
      failure: "layout-mismatch",
      detail: `the library did not report its struct layouts (status ${status})`,
      path: library.path,
    };
  }
  return { ok: true, library, abiVersion, layoutTable: Array.from(table.subarray(0, length)) };
}

/**
 * Opens the library for this runtime, checks its ABI version and reads its
 * struct layout table.
 *
 * @example
 * ```ts
 * import { loadLibrary } from "./load.ts";
 *
 * const outcome = loadLibrary();
 * console.log(outcome.ok ? outcome.library.path : outcome.failure);
 * ```
 */
export function loadLibrary(): LoadOutcome {
  const runtime = runtimeName();
  if ((runtime !== "deno" && runtime !== "bun") || !ffiPermitted()) {
    const detail = runtime === "deno"
      ? "Deno was not granted --allow-ffi"
      : `${runtime} has no FFI binlane can use`;
    return { ok: false, failure: "no-ffi", detail };
  }
  const path = resolveLibraryPath();
  if (typeof path !== "string") return { ok: false, ...path };
  let library: NativeLibrary;
  try {
    library = runtime === "deno" ? openDeno(path) : openBun(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, failure: "open-failed", detail: message, path };
  }
  const outcome = checkHandshake(library);
  if (!outcome.ok) library.close();
  return outcome;
}
