/**
 * Finds, checks, opens and handshakes with the native library. Returns what
 * happened as data; src/backend.ts decides what a failure means to the user.
 *
 * Nothing reaches `dlopen` unchecked: the local build must match the size
 * and SHA-256 its `manifest.json` records, a library from binlane's cache
 * must match the package's manifest module (ffi/shipped.ts), a `BINLANE_LIB`
 * must match `BINLANE_LIB_SHA256` when that is set, and otherwise must be a
 * regular file whose headers lie inside it.
 *
 * A package without `ffi/lib/` (JSR, which serves only modules) ships its
 * libraries as modules: this module imports the host's once, with a
 * top-level await, so that loading stays synchronous afterwards.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { openBun } from "./bun.ts";
import { openDeno } from "./deno.ts";
import type { NativeLibrary } from "./library.ts";
import {
  checkLibraryStructure,
  isSha256Hex,
  type LibraryManifest,
  MANIFEST_FILE,
  MAX_LIBRARY_BYTES,
  readManifest,
  readRegularFile,
  sha256Hex,
} from "./library_check.ts";
import { libraryFileName, type PlatformDirectory, platformDirectory } from "./platform.ts";
import { envReadable, ffiPermitted, filePermitted, readEnv, runtimeName } from "./runtime.ts";
import {
  cachedLibraryPath,
  cacheFolder,
  checkCacheFolders,
  importShipped,
  parentFolder,
  type ShippedLibrary,
  unpackEmbedded,
  writeCachedLibrary,
} from "./shipped.ts";
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
  /** The local build's manifest file, which must match the file; absent for `BINLANE_LIB`. */
  readonly manifest?: string;
  /** This machine's platform, whose file format the structure check expects. */
  readonly platform?: PlatformDirectory;
  /** For a library from binlane's cache: the folder, and the shipped library the file must match. */
  readonly cache?: { readonly folder: string; readonly shipped: ShippedLibrary };
}

function localDirectory(platform: PlatformDirectory): URL {
  return new URL(`./lib/${platform}/`, import.meta.url);
}

/**
 * The host's shipped library when this copy of the package has no local
 * build beside it (a remote module URL, or a file copy without `ffi/lib/`),
 * a string saying why a remote copy cannot supply one, or undefined when the
 * local build is the one to load.
 */
async function shippedForThisCopy(): Promise<ShippedLibrary | string | undefined> {
  const runtime = runtimeName();
  if (runtime !== "deno" && runtime !== "bun") return undefined;
  // Nothing would use the module: another library or no library was asked for.
  if (readEnv("BINLANE_LIB") !== undefined || readEnv("BINLANE_BACKEND") === "js") return undefined;
  const { os, arch } = currentPlatform();
  const platform = platformDirectory(os, arch);
  if (!platform) return undefined;
  const directory = localDirectory(platform);
  if (directory.protocol !== "file:") return await importShipped(platform);
  const local = fileUrlToPath(new URL(libraryFileName(platform), directory));
  // A local build, or one the program may not look at, is loaded (or refused) from ffi/lib/ as usual.
  if (!filePermitted(local, false) || existsSync(local)) return undefined;
  const shipped = await importShipped(platform);
  return typeof shipped === "string" ? undefined : shipped;
}

const shipped: ShippedLibrary | string | undefined = await shippedForThisCopy();

/**
 * The library this process should load: `BINLANE_LIB`, else the local build
 * (with its manifest), else, for a copy of the package without one, the
 * shipped library's place in binlane's cache.
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
export function resolveLibraryPath(): LibraryLocation | { failure: LoadFailure; detail: string } {
  const { os, arch } = currentPlatform();
  const platform = platformDirectory(os, arch);
  const fromEnv = readEnv("BINLANE_LIB");
  if (fromEnv) return { path: isAbsolute(fromEnv) ? fromEnv : resolve(fromEnv), platform };
  if (!platform) {
    return { failure: "unsupported-platform", detail: `no native build for ${os}-${arch}` };
  }
  const directory = localDirectory(platform);
  if (typeof shipped === "string") return { failure: "unsupported-platform", detail: shipped };
  if (shipped !== undefined) {
    const found = cacheFolder(anyGlobal.Deno?.build?.os ?? (os === "win32" ? "windows" : os));
    if ("reason" in found) {
      return { failure: found.bad ? "bad-setting" : "no-ffi", detail: found.reason };
    }
    return {
      path: cachedLibraryPath(found.folder, shipped.manifest),
      platform,
      cache: { folder: found.folder, shipped },
    };
  }
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

/** Why a library file may not be opened. */
export type Refusal = {
  readonly ok: false;
  readonly failure: LoadFailure;
  readonly detail: string;
  readonly path?: string;
  /** The file is unreadable or does not match its manifest (rather than failing a pin or a structure check). */
  readonly repairable?: true;
};

/**
 * Reads the file at `location` and checks it against everything that vouches
 * for it; undefined when it may be opened.
 */
function checkLibraryFile(location: LibraryLocation, pinned: string | undefined): Refusal | undefined {
  const { path, manifest: manifestPath, platform, cache } = location;
  const refuse = (detail: string, repairable?: true): Refusal => ({
    ok: false,
    failure: "check-failed",
    detail,
    path,
    repairable,
  });
  const bytes = readRegularFile(path, MAX_LIBRARY_BYTES);
  if (typeof bytes === "string") return refuse(`refused without opening it as a library: ${bytes}`, true);
  let digest: string | undefined;
  let manifest: LibraryManifest | string | undefined = cache?.shipped.manifest;
  if (manifestPath !== undefined) {
    manifest = readManifest(manifestPath);
    if (typeof manifest === "string") {
      return refuse(
        `the local build's manifest ${manifestPath} is unusable (${manifest}); rebuild with \`deno task build\``,
      );
    }
  }
  if (manifest !== undefined) {
    const fileName = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
    const source = manifestPath ?? "the package's manifest module";
    if (manifest.file !== fileName || manifest.platform !== platform) {
      return refuse(`the manifest ${source} describes ${manifest.platform}/${manifest.file}`);
    }
    digest = mismatch(bytes, manifest);
    if (digest.startsWith("the")) return refuse(digest, true);
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

/**
 * The file's SHA-256 when `bytes` match `manifest`, else why they do not
 * (a sentence starting "the", never 64 hex digits).
 */
function mismatch(bytes: Uint8Array, manifest: LibraryManifest): string {
  if (manifest.size !== bytes.length) {
    return `the library is damaged: ${bytes.length} bytes, the manifest says ${manifest.size}`;
  }
  const digest = sha256Hex(bytes);
  if (digest !== manifest.sha256) {
    return `the library is damaged: its SHA-256 is ${digest}, the manifest says ${manifest.sha256}`;
  }
  return digest;
}

/** Writes the library's bytes to its path, or says why it could not; a seam for tests. */
export type CacheWriter = (path: string, bytes: Uint8Array) => string | undefined;

/**
 * Writes the shipped library into binlane's cache again after `refusal`
 * found the file there missing or not matching the manifest, when Deno
 * allows writing there; otherwise refuses with the flag that would allow it.
 * The caller checks the new file again before it is opened.
 */
function repairCache(location: LibraryLocation, refusal: Refusal, write: CacheWriter): Refusal | undefined {
  const { path, cache } = location;
  if (!cache) return refusal;
  const missing = !existsSync(path);
  if (!filePermitted(path, true)) {
    const detail = missing
      ? `the library is not in binlane's cache yet, and writing it there needs --allow-write=${cache.folder}` +
        " (once: later runs only read it)"
      : `the cached library is unusable (${refusal.detail}), and writing it again needs ` +
        `--allow-write=${cache.folder}`;
    return { ok: false, failure: missing ? "no-ffi" : "check-failed", detail, path };
  }
  const bytes = unpackEmbedded(cache.shipped.manifest, cache.shipped.embedded);
  if (typeof bytes === "string") return { ok: false, failure: "check-failed", detail: bytes, path };
  const failed = write(path, bytes);
  return failed === undefined ? undefined : { ok: false, failure: "open-failed", detail: failed, path };
}

/**
 * Checks the file at `location`; a file in binlane's cache is also refused
 * when its folders are not this user's alone, and rewritten (with `write`)
 * when it is missing or damaged, then checked again. Undefined when it may
 * be opened. Internal: exported so tests can make the write fail.
 */
export function checkOrRepairLibrary(
  location: LibraryLocation,
  pinned: string | undefined,
  write: CacheWriter = writeCachedLibrary,
): Refusal | undefined {
  const { cache, path } = location;
  const hashFolder = parentFolder(path);
  // A folder another user may write lets that user swap the file after any check, so it is never read.
  if (cache && existsSync(hashFolder)) {
    const unsafe = checkCacheFolders(cache.folder, hashFolder);
    if (unsafe !== undefined) return { ok: false, failure: "check-failed", detail: unsafe, path };
  }
  const refusal = checkLibraryFile(location, pinned);
  // A cache file is the package's to put right; the check runs again on what was written.
  if (!refusal?.repairable || !cache) return refusal;
  const failed = repairCache(location, refusal, write);
  if (failed === undefined) return checkLibraryFile(location, pinned);
  // A write that failed (Windows refuses a rename over a DLL another process has loaded) may have lost
  // to another process writing the same library: its file is checked before the failure is reported.
  if (failed.failure !== "open-failed" || checkCacheFolders(cache.folder, hashFolder) !== undefined) {
    return failed;
  }
  return checkLibraryFile(location, pinned) === undefined ? undefined : failed;
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
  // A grant of the cache folder suffices, so that is the one to ask for.
  const scope = location.cache ? `=${location.cache.folder}` : "";
  if (!ffiPermitted(path)) {
    const detail = `Deno was not granted --allow-ffi${scope} for the library`;
    return { ok: false, failure: "no-ffi", detail, path };
  }
  // The library is read and hashed before it is opened, so reading it needs a grant too.
  if (!filePermitted(path, false)) {
    const detail = `Deno was not granted --allow-read${scope} for the library`;
    return { ok: false, failure: "no-ffi", detail, path };
  }
  if (location.manifest !== undefined && !filePermitted(location.manifest, false)) {
    const detail = `Deno was not granted --allow-read for its manifest ${location.manifest}`;
    return { ok: false, failure: "no-ffi", detail, path };
  }
  // A pin that cannot be read must not quietly become no pin for a library of the user's own.
  if (location.manifest === undefined && !location.cache && !envReadable("BINLANE_LIB_SHA256")) {
    const detail =
      "BINLANE_LIB is set, but Deno was not granted --allow-env for BINLANE_LIB_SHA256 to check it";
    return { ok: false, failure: "check-failed", detail, path };
  }
  const pinned = readEnv("BINLANE_LIB_SHA256");
  if (pinned !== undefined && !isSha256Hex(pinned)) {
    return { ok: false, failure: "bad-setting", detail: `BINLANE_LIB_SHA256=${pinned} is not 64 hex digits` };
  }
  const refusal = checkOrRepairLibrary(location, pinned?.toLowerCase());
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
