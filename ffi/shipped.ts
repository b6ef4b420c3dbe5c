/**
 * The libraries a published package carries as modules, and the per-user
 * cache folder the host's library is written into before it is opened.
 *
 * JSR serves only module-graph files, so `build.ts` generates
 * `ffi/embedded/<os>-<arch>.ts` (the library gzipped and base64-encoded)
 * and `ffi/embedded/manifest.ts` (every library's size and SHA-256); Deno
 * caches, vendors, locks and integrity-checks them like any module. Only the
 * host's module is imported, once, when the package runs from a remote URL
 * (or from a copy without `ffi/lib/`). On first use its library is written
 * to `<cache>/<sha256>/<file>` through a temporary file and a rename, where
 * `<cache>` is `BINLANE_CACHE_DIR`, else the platform's user cache folder
 * followed by `binlane`; `ffi/load.ts` checks it against the manifest on
 * every load before `dlopen`, and refuses it unless both folders are this
 * user's alone (see {@link checkCacheFolders}).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { LibraryManifest } from "./library_check.ts";
import { libraryFileName, type PlatformDirectory } from "./platform.ts";
import { envReadable, filePermitted, readEnv } from "./runtime.ts";
import { sha256Hex } from "./library_check.ts";

/** A library carried in a generated module: its manifest fields and its bytes, gzipped and base64-encoded. */
export interface EmbeddedLibrary extends LibraryManifest {
  readonly gzipBase64: string;
}

/** The generated manifest module's table: each shipped platform's library manifest. */
export type ShippedManifest = Readonly<Partial<Record<PlatformDirectory, LibraryManifest>>>;

/** The host's shipped library: what the manifest module pins and the module that carries it. */
export interface ShippedLibrary {
  readonly manifest: LibraryManifest;
  readonly embedded: EmbeddedLibrary;
}

/** Literal specifiers, so `deno install`, vendoring and `--cached-only` see every platform's module. */
async function importEmbedded(platform: PlatformDirectory): Promise<EmbeddedLibrary> {
  switch (platform) {
    case "linux-x86_64":
      return (await import("./embedded/linux-x86_64.ts")).library;
    case "linux-aarch64":
      return (await import("./embedded/linux-aarch64.ts")).library;
    case "darwin-x86_64":
      return (await import("./embedded/darwin-x86_64.ts")).library;
    case "darwin-aarch64":
      return (await import("./embedded/darwin-aarch64.ts")).library;
    case "windows-x86_64":
      return (await import("./embedded/windows-x86_64.ts")).library;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Imports the manifest module and the host's library module, and checks
 * that they agree. Returns them, or why the package cannot supply a library.
 *
 * @example
 * ```ts
 * import { importShipped } from "./shipped.ts";
 *
 * const shipped = await importShipped("linux-x86_64");
 * if (typeof shipped !== "string" && shipped.embedded.sha256 !== shipped.manifest.sha256) {
 *   throw new Error("the module and the manifest disagree");
 * }
 * ```
 */
export async function importShipped(platform: PlatformDirectory): Promise<ShippedLibrary | string> {
  let pinned: ShippedManifest;
  try {
    pinned = (await import("./embedded/manifest.ts")).manifest;
  } catch (error) {
    return `the package's library manifest module cannot be imported: ${messageOf(error)}`;
  }
  const manifest = pinned[platform];
  if (manifest === undefined) return `the package ships no library for ${platform}`;
  let embedded: EmbeddedLibrary;
  try {
    embedded = await importEmbedded(platform);
  } catch (error) {
    return `the package's ${platform} library module cannot be imported: ${messageOf(error)}`;
  }
  const agrees = embedded.platform === manifest.platform && embedded.file === manifest.file &&
    embedded.size === manifest.size && embedded.sha256 === manifest.sha256 &&
    manifest.file === libraryFileName(platform) && typeof embedded.gzipBase64 === "string";
  if (!agrees) return `the package's ${platform} library module does not match its manifest`;
  return { manifest, embedded };
}

/**
 * Unpacks an embedded library and checks it against its manifest: the bytes,
 * or why they cannot be used.
 *
 * @example
 * ```ts
 * import { Buffer } from "node:buffer";
 * import { gzipSync } from "node:zlib";
 * import { unpackEmbedded } from "./shipped.ts";
 * import { sha256Hex } from "./library_check.ts";
 *
 * const bytes = new TextEncoder().encode("library");
 * const manifest = { platform: "linux-x86_64", file: "libbinlane.so", size: 7, sha256: sha256Hex(bytes) };
 * const gzipBase64 = Buffer.from(gzipSync(bytes)).toString("base64");
 * const unpacked = unpackEmbedded(manifest, { ...manifest, gzipBase64 });
 * if (typeof unpacked === "string" || unpacked.length !== 7) throw new Error(String(unpacked));
 * ```
 */
export function unpackEmbedded(manifest: LibraryManifest, embedded: EmbeddedLibrary): Uint8Array | string {
  let bytes: Uint8Array;
  try {
    // The output bound stops a hostile module from inflating without end.
    bytes = gunzipSync(Buffer.from(embedded.gzipBase64, "base64"), { maxOutputLength: manifest.size + 1 });
  } catch (error) {
    return `the embedded ${manifest.platform} library does not unpack: ${messageOf(error)}`;
  }
  if (bytes.length !== manifest.size) {
    return `the embedded library unpacks to ${bytes.length} bytes, the manifest says ${manifest.size}`;
  }
  const digest = sha256Hex(bytes);
  if (digest !== manifest.sha256) {
    return `the embedded library's SHA-256 is ${digest}, the manifest says ${manifest.sha256}`;
  }
  return bytes;
}

/** The cache folder, or why it cannot be found; `bad` marks a setting that cannot mean anything. */
export type CacheFolder = { readonly folder: string } | { readonly reason: string; readonly bad?: true };

const isAbsolutePath = (path: string): boolean => path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path);

/**
 * binlane's per-user cache folder: `BINLANE_CACHE_DIR`, else
 * `%LOCALAPPDATA%\binlane` on Windows, `~/Library/Caches/binlane` on macOS,
 * `$XDG_CACHE_HOME/binlane` or `~/.cache/binlane` elsewhere. An environment
 * variable Deno may not read is a reason, never a silent fallback to
 * another folder.
 *
 * @example
 * ```ts
 * import { cacheFolder } from "./shipped.ts";
 *
 * const found = cacheFolder("linux");
 * if ("folder" in found && !found.folder.endsWith("binlane") && !Deno.env.get("BINLANE_CACHE_DIR")) {
 *   throw new Error(found.folder);
 * }
 * ```
 */
export function cacheFolder(os: string): CacheFolder {
  const lookup = (name: string): string | { reason: string } | undefined => {
    if (!envReadable(name)) {
      return {
        reason: `Deno was not granted --allow-env=${name}, which binlane reads to find its cache folder`,
      };
    }
    return readEnv(name);
  };
  const own = lookup("BINLANE_CACHE_DIR");
  if (typeof own === "object") return own;
  if (own !== undefined) {
    if (!isAbsolutePath(own)) {
      return { reason: `BINLANE_CACHE_DIR=${own} is not an absolute path`, bad: true };
    }
    return { folder: own };
  }
  const chain: [string, string][] = os === "windows"
    ? [["LOCALAPPDATA", "binlane"]]
    : os === "darwin"
    ? [["HOME", "Library/Caches/binlane"]]
    : [["XDG_CACHE_HOME", "binlane"], ["HOME", ".cache/binlane"]];
  const separator = os === "windows" ? "\\" : "/";
  for (const [name, below] of chain) {
    const value = lookup(name);
    if (typeof value === "object") return value;
    // The XDG specification says a relative XDG_CACHE_HOME is to be ignored.
    if (value === undefined || !isAbsolutePath(value)) continue;
    return { folder: `${value.replace(/[\\/]+$/, "")}${separator}${below.replaceAll("/", separator)}` };
  }
  return { reason: `no cache folder: set BINLANE_CACHE_DIR (none of ${chain.map(([n]) => n)} is set)` };
}

/** Where the host's library lives in the cache: a folder named by its hash, so versions never collide. */
export function cachedLibraryPath(folder: string, manifest: LibraryManifest): string {
  const separator = folder.includes("\\") && !folder.includes("/") ? "\\" : "/";
  return `${folder}${separator}${manifest.sha256}${separator}${manifest.file}`;
}

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;

/**
 * This process's user id when it can be learnt without a prompt: Bun's
 * `process.getuid`, Deno's `Deno.uid` only under `--allow-sys=uid`.
 */
function knownUserId(): number | undefined {
  const deno = anyGlobal.Deno;
  if (deno?.permissions?.querySync) {
    if (deno.permissions.querySync({ name: "sys", kind: "uid" }).state !== "granted") return undefined;
    const uid = deno.uid();
    return typeof uid === "number" ? uid : undefined;
  }
  const uid = anyGlobal.process?.getuid?.();
  return typeof uid === "number" ? uid : undefined;
}

/**
 * Refuses the cache folder and the hash folder below it unless each is a
 * real directory (not a symlink) that no group or other user may write and
 * that this user owns, so that no other user can swap the library between
 * its check and `dlopen`. Without the user id (Deno without
 * `--allow-sys=uid`) both folders must have one owner and the hash folder
 * no group or other access at all, as binlane creates it, which only its
 * owner (or root) can read into. Returns why, or undefined; POSIX only.
 *
 * @example
 * ```ts
 * import { checkCacheFolders } from "./shipped.ts";
 *
 * const folder = Deno.makeTempDirSync();
 * Deno.mkdirSync(`${folder}/hash`, { mode: 0o700 });
 * Deno.chmodSync(folder, 0o700);
 * if (Deno.build.os !== "windows" && checkCacheFolders(folder, `${folder}/hash`) !== undefined) {
 *   throw new Error("an own 0700 folder was refused");
 * }
 * Deno.chmodSync(`${folder}/hash`, 0o777);
 * if (Deno.build.os !== "windows" && checkCacheFolders(folder, `${folder}/hash`) === undefined) {
 *   throw new Error("a world-writable folder was accepted");
 * }
 * Deno.removeSync(folder, { recursive: true });
 * ```
 */
export function checkCacheFolders(cache: string, hashFolder: string): string | undefined {
  const os = anyGlobal.Deno?.build?.os ?? anyGlobal.process?.platform;
  if (os === "windows" || os === "win32") return undefined;
  const uid = knownUserId();
  const owners: number[] = [];
  for (const folder of [cache, hashFolder]) {
    let stat;
    try {
      stat = lstatSync(folder);
    } catch (error) {
      return `binlane's cache folder ${folder} cannot be inspected: ${messageOf(error)}`;
    }
    const refuse = (why: string) =>
      `binlane's cache folder ${folder} ${why}, so another user could swap the library in it; ` +
      "remove it or set BINLANE_CACHE_DIR to a folder of your own";
    if (stat.isSymbolicLink()) return refuse("is a symbolic link");
    if (!stat.isDirectory()) return refuse("is not a directory");
    if ((stat.mode & 0o022) !== 0) {
      return refuse(`is writable by its group or others (mode ${(stat.mode & 0o777).toString(8)})`);
    }
    if (uid !== undefined && stat.uid !== uid) return refuse(`is owned by uid ${stat.uid}, not ${uid}`);
    owners.push(stat.uid);
  }
  if (uid === undefined) {
    if (owners[0] !== owners[1]) {
      return `binlane's cache folders ${cache} (uid ${owners[0]}) and ${hashFolder} (uid ${owners[1]}) ` +
        "have different owners, so another user could swap the library in them";
    }
    const mode = lstatSync(hashFolder).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return `binlane's cache folder ${hashFolder} is open to its group or others (mode ${
        mode.toString(8)
      }) ` +
        "and its owner cannot be compared with this user's without --allow-sys=uid";
    }
  }
  return undefined;
}

/** The folder a path lies in, whichever separator it uses. */
export function parentFolder(path: string): string {
  return path.slice(0, Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")));
}

/**
 * Writes the embedded library to `path` through a temporary file in the same
 * folder and a rename, so no reader ever sees a partial file and a process
 * that has an old copy mapped keeps it intact. Returns why it could not, or
 * undefined. The caller checks write permission first. Both folders are
 * checked with {@link checkCacheFolders} once they exist.
 */
export function writeCachedLibrary(path: string, bytes: Uint8Array): string | undefined {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const folder = path.slice(0, cut);
  const temporary = `${folder}${path[cut]}.${path.slice(cut + 1)}.${crypto.randomUUID()}.tmp`;
  if (!filePermitted(temporary, true)) return `Deno was not granted --allow-write for ${folder}`;
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // mkdir accepts a folder someone else created first, so it is inspected before anything goes in.
    const unsafe = checkCacheFolders(parentFolder(folder), folder);
    if (unsafe !== undefined) return unsafe;
    // "wx": a file planted at the temporary name is never written through.
    writeFileSync(temporary, bytes, { flag: "wx", mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch { /* nothing was written */ }
    return `cannot write the library into binlane's cache (${path}): ${messageOf(error)}`;
  }
  return undefined;
}
