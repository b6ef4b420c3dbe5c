/**
 * Finds, checks, opens and handshakes with the native library. Returns what
 * happened as data; src/backend.ts decides what a failure means to the user.
 *
 * Nothing reaches `dlopen` unchecked: the local build must match the size
 * and SHA-256 its `manifest.json` records, a `BINLANE_LIB` must match
 * `BINLANE_LIB_SHA256` when that is set, and otherwise must be a regular
 * file whose headers lie inside it.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { openBun } from "./bun.ts";
import { openDeno } from "./deno.ts";
import type { NativeLibrary } from "./library.ts";
import {
  checkLibraryStructure,
  isSha256Hex,
  MANIFEST_FILE,
  MAX_LIBRARY_BYTES,
  readManifest,
  readRegularFile,
  sha256Hex,
} from "./library_check.ts";
import { libraryFileName, type PlatformDirectory, platformDirectory } from "./platform.ts";
import { envReadable, ffiPermitted, filePermitted, readEnv, runtimeName } from "./runtime.ts";
import { ABI_VERSION } from "./symbols.ts";

/** Why no library was loaded. */
export type LoadFailure =
  | "no-ffi"
  | "unsupported-platform"
  /** A setting that cannot mean anything (a malformed `BINLANE_LIB_SHA256`). */
  | "bad-setting"
  /** The file failed its check before `dlopen`: not a regular file, damaged, truncated. */
  | "check-failed"
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

/** Where the library is and what must vouch for it before it is opened. */
export interface LibraryLocation {
  /** An absolute path, so `dlopen` opens the file that was checked rather than searching for it. */
  readonly path: string;
  /** The local build's manifest, which must match the file; absent for `BINLANE_LIB`. */
  readonly manifest?: string;
  /** This machine's platform, whose file format the structure check expects. */
  readonly platform?: PlatformDirectory;
}

/**
 * The library this process should load: `BINLANE_LIB`, else the local build
 * (with its manifest).
 *
 * @example
 * ```ts
 * import { resolveLibraryPath } from "./load.ts";
 *
 * const location = resolveLibraryPath();
 * if ("path" in location && !location.path.startsWith("/") && !/^[A-Za-z]:/.test(location.path)) {
 *   throw new Error(`not absolute: ${location.path}`);
 * }
 * ```
 */
export function resolveLibraryPath(): LibraryLocation | { failure: "unsupported-platform"; detail: string } {
  const { os, arch } = currentPlatform();
  const platform = platformDirectory(os, arch);
  const fromEnv = readEnv("BINLANE_LIB");
  if (fromEnv) return { path: isAbsolute(fromEnv) ? fromEnv : resolve(fromEnv), platform };
  if (!platform) {
    return { failure: "unsupported-platform", detail: `no native build for ${os}-${arch}` };
  }
  const directory = new URL(`./lib/${platform}/`, import.meta.url);
  if (directory.protocol !== "file:") {
    return {
      failure: "unsupported-platform",
      detail: `library location ${directory.href} is not a local file`,
    };
  }
  return {
    path: fileUrlToPath(new URL(libraryFileName(platform), directory)),
    manifest: fileUrlToPath(new URL(MANIFEST_FILE, directory)),
    platform,
  };
}

type Refusal = {
  readonly ok: false;
  readonly failure: LoadFailure;
  readonly detail: string;
  readonly path?: string;
};

/**
 * Reads the file at `location` and checks it against everything that vouches
 * for it; undefined when it may be opened.
 */
function checkLibraryFile(location: LibraryLocation, pinned: string | undefined): Refusal | undefined {
  const { path, manifest: manifestPath, platform } = location;
  const refuse = (detail: string): Refusal => ({ ok: false, failure: "check-failed", detail, path });
  const bytes = readRegularFile(path, MAX_LIBRARY_BYTES);
  if (typeof bytes === "string") return refuse(`refused without opening it as a library: ${bytes}`);
  let digest: string | undefined;
  if (manifestPath !== undefined) {
    const manifest = readManifest(manifestPath);
    if (typeof manifest === "string") {
      return refuse(
        `the local build's manifest ${manifestPath} is unusable (${manifest}); rebuild with \`deno task build\``,
      );
    }
    const fileName = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
    if (manifest.file !== fileName || manifest.platform !== platform) {
      return refuse(`the manifest ${manifestPath} describes ${manifest.platform}/${manifest.file}`);
    }
    if (manifest.size !== bytes.length) {
      return refuse(`the library is damaged: ${bytes.length} bytes, the manifest says ${manifest.size}`);
    }
    digest = sha256Hex(bytes);
    if (digest !== manifest.sha256) {
      return refuse(`the library is damaged: its SHA-256 is ${digest}, the manifest says ${manifest.sha256}`);
    }
  }
  if (pinned !== undefined) {
    digest ??= sha256Hex(bytes);
    if (digest !== pinned) {
      return refuse(`the library's SHA-256 is ${digest}, BINLANE_LIB_SHA256 is ${pinned}`);
    }
  }
  if (digest !== undefined) return undefined;
  // Nothing vouches for this file's bytes, so at least its headers must not send the loader past its end.
  if (!platform) {
    return refuse("binlane cannot check a library's structure on this platform; set BINLANE_LIB_SHA256");
  }
  const malformed = checkLibraryStructure(bytes, platform);
  return malformed === undefined ? undefined : refuse(`the library is malformed: ${malformed}`);
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
 * Checks the library file, then opens it for this runtime, checks its ABI
 * version and reads its struct layout table.
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
  if (runtime !== "deno" && runtime !== "bun") {
    return { ok: false, failure: "no-ffi", detail: `${runtime} has no FFI binlane can use` };
  }
  const location = resolveLibraryPath();
  if (!("path" in location)) return { ok: false, ...location };
  const path = location.path;
  if (!ffiPermitted(path)) {
    return { ok: false, failure: "no-ffi", detail: "Deno was not granted --allow-ffi for the library", path };
  }
  // The library is read and hashed before it is opened, so reading it needs a grant too.
  if (!filePermitted(path, false)) {
    return {
      ok: false,
      failure: "no-ffi",
      detail: "Deno was not granted --allow-read for the library",
      path,
    };
  }
  if (location.manifest !== undefined && !filePermitted(location.manifest, false)) {
    const detail = `Deno was not granted --allow-read for its manifest ${location.manifest}`;
    return { ok: false, failure: "no-ffi", detail, path };
  }
  // A pin that cannot be read must not quietly become no pin for a library of the user's own.
  if (location.manifest === undefined && !envReadable("BINLANE_LIB_SHA256")) {
    const detail =
      "BINLANE_LIB is set, but Deno was not granted --allow-env for BINLANE_LIB_SHA256 to check it";
    return { ok: false, failure: "check-failed", detail, path };
  }
  const pinned = readEnv("BINLANE_LIB_SHA256");
  if (pinned !== undefined && !isSha256Hex(pinned)) {
    return { ok: false, failure: "bad-setting", detail: `BINLANE_LIB_SHA256=${pinned} is not 64 hex digits` };
  }
  const refusal = checkLibraryFile(location, pinned?.toLowerCase());
  if (refusal) return refusal;
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
