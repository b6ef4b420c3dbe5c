/**
 * Memory-mapped files, in Deno and Bun alike, released once with `using`.
 *
 * The contracts:
 * - Lifetime: disposal revokes every view (`transfer(0)` detaches the one
 *   buffer all views share) before it unmaps, so no view outlives the
 *   mapping. A native mapping never disposed stays mapped (leaked and
 *   counted in `nativeStats().leakedAllocations`) once the handle and its
 *   views are collected, since a view's holder may have moved it to a live
 *   buffer unseen; a copy (the JS path, Windows) is the engine's memory.
 * - Truncation: a file truncated under its mapping does not crash the
 *   process. Pages past the new end read as zeros, and from then on
 *   `check()`, `flush()` and disposal throw `E_TRUNCATED`, so the zeros
 *   never pass silently as data. Read what matters, then `check()`.
 * - Modes: `"read"` maps copy-on-write: the file is never changed, and a
 *   write to `bytes` stays in this process. `"readwrite"` maps the file
 *   shared: writes reach the file (other processes see them at once, the
 *   disk after `flush()` or in the operating system's own time).
 * - Without the native library (the JS path, or Windows), the same API
 *   reads the file into memory instead (`mapped` is false), and a writer's
 *   bytes are written back on `flush()` and disposal.
 * - Only regular files: a FIFO, device or directory is `E_NOT_A_FILE`, and
 *   is never opened in a way that could wait. A file that reports size 0
 *   but reads (procfs, sysfs) is read into memory (`mapped` is false); a
 *   writer of one is `E_NOT_A_FILE`, and so is one whose first byte cannot
 *   be read (`/proc/self/mem`), which is no empty file.
 *
 * @module
 */

import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from "node:fs";
import { fileURLToPath } from "node:url";
import { filePermitted } from "../ffi/runtime.ts";
import { MAP_WHOLE_FILE, MapFlag, type NativeSymbols } from "../ffi/symbols.ts";
import type { NativeLibrary } from "../ffi/library.ts";
import { memoryLibrary } from "./backend.ts";
import { AllocResultStruct, wordIndex } from "./crossing.ts";
import { BinlaneError, type BinlaneErrorCode, errorFromStatus } from "./errors.ts";
import { Lifetime, maxViewBytes } from "./lifetime.ts";
import { describeValue, readOptions } from "./options.ts";
import { markOwned } from "./owned.ts";

/** How a file is mapped. */
export type MapMode = "read" | "readwrite";

/** Options for {@linkcode mapFile}. */
export interface MapFileOptions {
  /** `"read"` (default): copy-on-write, the file never changes. `"readwrite"`: writes reach the file. */
  mode?: MapMode;
  /**
   * Bytes to map. Default: the whole file. A reader may map a prefix but not
   * past the end (`E_LENGTH`). A writer grows the file to `size` when it is
   * shorter, and creates it when it does not exist; it never shrinks a file.
   * A call that fails leaves the file as it found it: not grown, not created.
   */
  size?: number;
}

/** Native statuses with a meaning of their own here (native-zig/status.zig). */
const Status = {
  length: 2,
  outOfMemory: 3,
  osError: 13,
  truncated: 14,
  notRegularFile: 15,
  unsupportedPlatform: 16,
} as const;
const ALLOC_RESULT_SIZE: number = AllocResultStruct.layout.size;
const resultHandle: number = wordIndex(AllocResultStruct, "handle");
const resultAddress: number = wordIndex(AllocResultStruct, "address");
const resultSize: number = wordIndex(AllocResultStruct, "size");
const MAX_SIZE = 2 ** 48;

/** errno values with a code of their own; the same numbers on Linux and macOS. */
const errnoCodes: ReadonlyMap<number, BinlaneErrorCode> = new Map([
  [1, "E_PERMISSION_DENIED"], // EPERM
  [2, "E_NOT_FOUND"], // ENOENT
  [13, "E_PERMISSION_DENIED"], // EACCES
  [20, "E_NOT_FOUND"], // ENOTDIR
  [21, "E_NOT_A_FILE"], // EISDIR
  [30, "E_PERMISSION_DENIED"], // EROFS
]);
/** The same for node:fs error codes, on the copying path. */
const nodeCodes: Readonly<Record<string, BinlaneErrorCode>> = {
  EPERM: "E_PERMISSION_DENIED",
  ENOENT: "E_NOT_FOUND",
  EACCES: "E_PERMISSION_DENIED",
  ENOTDIR: "E_NOT_FOUND",
  EISDIR: "E_NOT_A_FILE",
  EROFS: "E_PERMISSION_DENIED",
};

interface NativeMapping {
  readonly kind: "native";
  readonly handle: bigint;
  readonly size: number;
  readonly symbols: NativeSymbols;
}

interface CopiedFile {
  readonly kind: "copy";
  readonly fd: number;
  readonly size: number;
  readonly writable: boolean;
}

type Backing = NativeMapping | CopiedFile;

/** Unmaps a mapping, or closes a copy's file: the lifetime's release, which returns a status. */
function releaseBacking(backing: Backing): number {
  if (backing.kind === "native") {
    return backing.symbols.binlane_map_close(backing.handle, BigInt(backing.size));
  }
  closeQuietly(backing.fd);
  return 0;
}

/** Open flags that keep `open(2)` from waiting on a FIFO or taking a terminal. */
const NO_WAIT: number = (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch { /* already closed */ }
}

function truncatedError(path: string, size: number): BinlaneError {
  return new BinlaneError(
    "E_TRUNCATED",
    `${path} was truncated below the ${size} bytes mapped: bytes past its new end read as zeros and are not data`,
  );
}

/** The private constructor, for {@linkcode mapFile}. */
let construct: (path: string, mode: MapMode, backing: Backing, buffer: ArrayBuffer) => MappedFile;

/**
 * A file mapped into memory by {@linkcode mapFile}. `bytes` is a zero-copy
 * view of it; dispose with `using` (or `dispose()`), which revokes every view
 * and then unmaps.
 *
 * @example
 * ```ts
 * import { crc32c, mapFile } from "@binlane/binlane";
 *
 * using file = mapFile("README.md");
 * console.log(file.byteLength, crc32c(file));
 * file.check(); // throws E_TRUNCATED if the file shrank under the mapping
 * ```
 */
export class MappedFile {
  /** The path as given (a `file:` URL as its path). */
  readonly path: string;
  /** How the file is mapped. */
  readonly mode: MapMode;
  /** True when the memory is a real mapping; false when it is a copy (no native library). */
  readonly mapped: boolean;
  readonly #backing: Backing;
  readonly #bytes: Uint8Array<ArrayBuffer>;
  readonly #lifetime: Lifetime;
  #disposed = false;

  private constructor(path: string, mode: MapMode, backing: Backing, buffer: ArrayBuffer) {
    this.path = path;
    this.mode = mode;
    this.mapped = backing.kind === "native";
    this.#backing = backing;
    this.#bytes = new Uint8Array(buffer);
    // A copy is the engine's memory, and an empty mapping maps nothing: a transfer of either is harmless.
    const engineMemory = backing.kind === "copy" || backing.size === 0;
    this.#lifetime = new Lifetime(this, buffer, () => releaseBacking(backing), {
      size: backing.size,
      engineMemory,
    });
    markOwned(buffer);
  }

  static {
    construct = (path, mode, backing, buffer) => new MappedFile(path, mode, backing, buffer);
  }

  /** The file's bytes, zero-copy. Throws `E_DISPOSED` after disposal. */
  get bytes(): Uint8Array<ArrayBuffer> {
    this.#checkLive();
    const bytes = this.#bytes;
    // Only an empty view pays: a transfer seen here leaves the file mapped now, never unmapped later.
    if (bytes.byteLength === 0 && this.#backing.size !== 0) this.#lifetime.noticeTransfer();
    return bytes;
  }

  /** Bytes mapped. Throws `E_DISPOSED` after disposal. */
  get byteLength(): number {
    this.#checkLive();
    return this.#backing.size;
  }

  /** Whether the mapping has been released. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Throws `E_TRUNCATED` if the file is now shorter than the mapping, or
   * was at any moment when a page past its end was read (those bytes read
   * as zeros). Call it after reading, to know that what was read is data.
   *
   * @example
   * ```ts
   * import { mapFile } from "@binlane/binlane";
   *
   * using file = mapFile("deno.json");
   * const text = new TextDecoder().decode(file.bytes);
   * file.check();
   * console.log(JSON.parse(text).name); // "@binlane/binlane"
   * ```
   */
  check(): void {
    this.#checkLive();
    const backing = this.#backing;
    if (backing.kind === "native") {
      const status = backing.symbols.binlane_map_check(backing.handle, BigInt(backing.size));
      if (status !== 0) throw this.#error(status, backing.symbols, "binlane_map_check");
    } else if (backing.writable && fstatSync(backing.fd).size < backing.size) {
      // A copy of a reader's file is a snapshot and cannot be truncated; a writer's is written back.
      throw truncatedError(this.path, backing.size);
    }
  }

  /**
   * Writes a writer's changes to the file and waits until they are on
   * disk (`msync`), then checks as {@linkcode MappedFile.check} does. For a
   * reader it only checks.
   *
   * @example
   * ```ts
   * import { mapFile } from "@binlane/binlane";
   *
   * const path = Deno.makeTempFileSync();
   * using file = mapFile(path, { mode: "readwrite", size: 4 });
   * file.bytes.set([1, 2, 3, 4]);
   * file.flush();
   * console.log(Deno.readFileSync(path)); // Uint8Array(4) [ 1, 2, 3, 4 ]
   * ```
   */
  flush(): void {
    this.#checkLive();
    const backing = this.#backing;
    if (backing.kind === "native") {
      const status = backing.symbols.binlane_map_sync(backing.handle, BigInt(backing.size));
      if (status !== 0) throw this.#error(status, backing.symbols, "binlane_map_sync");
    } else if (backing.writable) {
      this.check();
      writeBack(backing, this.#bytes, this.path);
    }
  }

  /**
   * Revokes every view, then unmaps and closes the file; a copy's changes
   * are written back first. A second call does nothing. Throws
   * `E_TRUNCATED` (after releasing everything) if zeros were ever read in
   * place of truncated bytes, or, for a writer, if writes were lost.
   */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const backing = this.#backing;
    const what = `the buffer of ${this.path}`;
    if (backing.kind === "native") {
      const status = this.#lifetime.end(what);
      if (status !== 0) throw this.#error(status, backing.symbols, "binlane_map_close");
      return;
    }
    // A writer's copy is written back while its bytes are still viewable; the file is closed in every case.
    this.#lifetime.end(what, () => {
      if (!backing.writable) return;
      if (fstatSync(backing.fd).size < backing.size) throw truncatedError(this.path, backing.size);
      writeBack(backing, this.#bytes, this.path);
    });
  }

  /** The same as `[Symbol.dispose]()`, for code that cannot use `using`. */
  dispose(): void {
    this[Symbol.dispose]();
  }

  #checkLive(): void {
    if (this.#disposed) {
      throw new BinlaneError("E_DISPOSED", `the mapping of ${this.path} has been disposed`);
    }
  }

  #error(status: number, symbols: NativeSymbols, call: string): BinlaneError {
    if (status === Status.truncated) return truncatedError(this.path, this.#backing.size);
    if (status === Status.osError) return osError(symbols.binlane_last_os_error(), this.path, call);
    return errorFromStatus(status, call);
  }
}

function osError(errno: number, path: string, call: string): BinlaneError {
  const code = errnoCodes.get(errno) ?? "E_IO";
  return new BinlaneError(code, `${call}(${path}) failed with errno ${errno} (${code})`);
}

function openNative(
  library: NativeLibrary,
  path: string,
  mode: MapMode,
  size: number | undefined,
): { backing: NativeMapping; buffer: ArrayBuffer } | undefined {
  const symbols = library.symbols;
  const name = new TextEncoder().encode(path);
  let flags = mode === "readwrite" ? MapFlag.readwrite : 0;
  if (mode === "readwrite" && size !== undefined) flags |= MapFlag.create;
  const result = new BigUint64Array(ALLOC_RESULT_SIZE / 8);
  const wanted = size === undefined ? MAP_WHOLE_FILE : BigInt(size);
  const status = symbols.binlane_map_open(name, name.length, flags, wanted, result, ALLOC_RESULT_SIZE);
  if (status === Status.unsupportedPlatform) return undefined; // the caller copies instead
  if (status !== 0) {
    if (status === Status.osError) throw osError(symbols.binlane_last_os_error(), path, "open");
    if (status === Status.notRegularFile) {
      throw new BinlaneError("E_NOT_A_FILE", `${path} is not a regular file`);
    }
    if (status === Status.length) throw tooShort(path, size);
    if (status === Status.outOfMemory) {
      throw new BinlaneError("E_OUT_OF_MEMORY", `cannot map ${path}: too many files mapped at once`);
    }
    throw errorFromStatus(status, `binlane_map_open(${path})`);
  }
  const handle = result[resultHandle];
  const byteLength = Number(result[resultSize]);
  const backing: NativeMapping = { kind: "native", handle, size: byteLength, symbols };
  if (byteLength > maxViewBytes()) {
    // Only a whole file gets here (a size was checked before): nothing was grown.
    symbols.binlane_map_close(handle, BigInt(byteLength));
    throw overViewLimit(path, byteLength);
  }
  if (byteLength === 0) return { backing, buffer: new ArrayBuffer(0) };
  try {
    return { backing, buffer: library.arrayBufferAt(result[resultAddress], byteLength) };
  } catch (error) {
    symbols.binlane_map_close(handle, BigInt(byteLength));
    throw new BinlaneError("E_OUT_OF_MEMORY", `cannot view the ${byteLength} bytes mapped from ${path}`, {
      cause: error,
    });
  }
}

function overViewLimit(path: string, size: number): BinlaneError {
  return new BinlaneError(
    "E_LENGTH",
    `${path}: ${size} bytes is past this runtime's limit of ${maxViewBytes()} bytes for one ArrayBuffer`,
  );
}

function tooShort(path: string, size: number | undefined): BinlaneError {
  return new BinlaneError(
    "E_LENGTH",
    `${path} is shorter than the ${size} bytes asked for (a reader cannot grow it)`,
  );
}

const MAP_OPTION_KEYS: readonly (keyof MapFileOptions)[] = ["mode", "size"];

/** URL's own `href` getter: it throws for anything but a genuine URL (a Proxy of one included). */
const urlHref = Object.getOwnPropertyDescriptor(URL.prototype, "href")!.get! as (this: unknown) => string;

/**
 * The file path `path` names, or undefined: a string as it is, a genuine
 * `file:` URL through a new URL of its `href`, read with URL's own getter so
 * that a subclass's or a Proxy's code never runs.
 */
function pathOf(path: unknown): string | undefined {
  if (typeof path === "string") return path;
  if (typeof path !== "object" || path === null) return undefined;
  let href: string;
  try {
    href = urlHref.call(path);
  } catch {
    return undefined;
  }
  const url = new URL(href);
  if (url.protocol !== "file:") return undefined;
  try {
    return fileURLToPath(url);
  } catch {
    return undefined; // a host other than localhost, or an encoded slash: no local path
  }
}

function fsError(error: unknown, path: string): BinlaneError {
  const errorCode = (error as { code?: string }).code ?? "";
  const code = nodeCodes[errorCode] ?? "E_IO";
  return new BinlaneError(code, `cannot open ${path}: ${errorCode || String(error)} (${code})`, {
    cause: error,
  });
}

function notAFile(path: string): BinlaneError {
  return new BinlaneError("E_NOT_A_FILE", `${path} is not a regular file`);
}

/** A file that says it is empty but reads (procfs, sysfs) cannot be mapped nor written back. */
function pseudoFile(path: string): BinlaneError {
  return new BinlaneError(
    "E_NOT_A_FILE",
    `${path} reports a size of 0 but has content (a procfs or sysfs file): it can be read, not written back`,
  );
}

/**
 * The most read into memory from a file that reports a size of 0: procfs and sysfs text is far smaller, and
 * `/proc/self/pagemap` would otherwise be read until memory or the view limit ran out.
 */
const MAX_UNSIZED = 256 * 2 ** 20;

function tooLargeUnsized(path: string): BinlaneError {
  return new BinlaneError(
    "E_LENGTH",
    `${path} reports a size of 0 but reads past ${MAX_UNSIZED} bytes: a special file, not one to read whole`,
  );
}

/**
 * A file that reports a size of 0 and fails to read from its start (`/proc/self/mem`, `/proc/self/pagemap`)
 * is a special file, not an empty one: an empty regular file reads 0 bytes without error.
 */
function unreadable(path: string, error: unknown): BinlaneError {
  const errorCode = (error as { code?: string }).code;
  return new BinlaneError(
    "E_NOT_A_FILE",
    `${path} reports a size of 0 but cannot be read from its start (${
      typeof errorCode === "string" ? errorCode : describeValue(error)
    }): a special file, not an empty one`,
    { cause: error },
  );
}

/**
 * Reads a whole file from `fd` that reported a size of 0, to its end:
 * procfs and sysfs files report 0 and generate their content when read.
 */
function readToEnd(fd: number, path: string): ArrayBuffer {
  return readUnsized((bytes, offset, length) => readSync(fd, bytes, offset, length, null), path);
}

/**
 * Reads with `read` (which fills `length` bytes of `bytes` from `offset`
 * and returns how many it read, 0 at the end) until the end, growing the
 * buffer by doubling; refuses with `E_LENGTH` a source that reads past
 * `MAX_UNSIZED` bytes (256 MiB), and with `E_NOT_A_FILE` one whose first
 * read fails. Exported for its tests only.
 *
 * @example
 * ```ts
 * import { readUnsized } from "./mapped_file.ts";
 *
 * const source = new Uint8Array(5000).fill(3);
 * let at = 0;
 * const buffer = readUnsized((bytes, offset, length) => {
 *   const n = Math.min(length, source.length - at);
 *   bytes.set(source.subarray(at, at + n), offset);
 *   at += n;
 *   return n;
 * }, "source");
 * if (buffer.byteLength !== 5000) throw new Error("read to the end");
 * ```
 */
export function readUnsized(
  read: (bytes: Uint8Array, offset: number, length: number) => number,
  path: string,
): ArrayBuffer {
  let bytes = new Uint8Array(4096);
  let done = 0;
  for (;;) {
    if (done === bytes.length) {
      // One byte past the limit is room enough to tell a source of exactly MAX_UNSIZED bytes from a longer one.
      if (bytes.length > MAX_UNSIZED) throw tooLargeUnsized(path);
      const grown = new Uint8Array(Math.min(bytes.length * 2, MAX_UNSIZED + 1));
      grown.set(bytes);
      bytes = grown;
    }
    let count: number;
    try {
      // One byte first, as the mapping path probes: a file that reads only in larger units is refused alike.
      count = read(bytes, done, done === 0 ? 1 : bytes.length - done);
    } catch (error) {
      if (done === 0) throw unreadable(path, error);
      throw error;
    }
    if (count === 0) break;
    done += count;
  }
  return bytes.buffer.slice(0, done);
}

/**
 * Whether the regular file at `path`, which mapped as empty, has content all
 * the same; `E_NOT_A_FILE` if its first byte cannot be read, which no empty
 * file does.
 */
function readsPastZero(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NO_WAIT);
  } catch {
    return false; // gone or unreadable since it was mapped: the empty mapping stands
  }
  try {
    if (!fstatSync(fd).isFile()) return false;
    try {
      return readSync(fd, new Uint8Array(1), 0, 1, 0) > 0;
    } catch (error) {
      throw unreadable(path, error);
    }
  } catch (error) {
    if (error instanceof BinlaneError) throw error;
    return false;
  } finally {
    closeQuietly(fd);
  }
}

function openCopy(
  path: string,
  mode: MapMode,
  size: number | undefined,
): { backing: CopiedFile; buffer: ArrayBuffer } {
  const writable = mode === "readwrite";
  // Checked before open(2), which would wait forever on a FIFO; fstat below catches a swap in between.
  try {
    if (!statSync(path).isFile()) throw notAFile(path);
  } catch (error) {
    if (error instanceof BinlaneError) throw error;
    const missing = (error as { code?: string }).code === "ENOENT";
    if (!(missing && writable && size !== undefined)) throw fsError(error, path);
  }
  let flags = (writable ? constants.O_RDWR : constants.O_RDONLY) | NO_WAIT;
  if (writable && size !== undefined) flags |= constants.O_CREAT;
  let fd: number;
  try {
    fd = openSync(path, flags, 0o644);
  } catch (error) {
    throw fsError(error, path);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notAFile(path);
    if (stat.size === 0 && size === undefined) {
      const buffer = readToEnd(fd, path);
      if (buffer.byteLength > 0 && writable) throw pseudoFile(path);
      return { backing: { kind: "copy", fd, size: buffer.byteLength, writable }, buffer };
    }
    const length = size ?? stat.size;
    if (length > stat.size) {
      if (!writable) throw tooShort(path, size);
      ftruncateSync(fd, length);
    }
    const buffer = new ArrayBuffer(length);
    const bytes = new Uint8Array(buffer);
    for (let done = 0; done < length;) {
      const read = readSync(fd, bytes, done, length - done, done);
      if (read === 0) throw truncatedError(path, length);
      done += read;
    }
    return { backing: { kind: "copy", fd, size: length, writable }, buffer };
  } catch (error) {
    closeQuietly(fd);
    throw error instanceof BinlaneError ? error : fsError(error, path);
  }
}

function writeBack(backing: CopiedFile, bytes: Uint8Array, path: string): void {
  try {
    for (let done = 0; done < backing.size;) {
      done += writeSync(backing.fd, bytes, done, backing.size - done, done);
    }
    fsyncSync(backing.fd);
  } catch (error) {
    throw new BinlaneError("E_IO", `cannot write ${path} back: ${String(error)}`, { cause: error });
  }
}

/**
 * Maps the file at `path` into memory. `mode: "read"` (the default) maps it
 * copy-on-write; `mode: "readwrite"` maps it shared, so writes to `bytes`
 * reach the file; `size` maps a prefix, or grows (and creates) a writer's
 * file. Paths are checked against Deno's `--allow-read`/`--allow-write`.
 *
 * Errors: `E_NOT_FOUND`, `E_PERMISSION_DENIED`, `E_NOT_A_FILE` (not a
 * regular file, a writer of a procfs file, or a file that reports a size of
 * 0 and cannot be read, as `/proc/self/mem`), `E_LENGTH` (a reader asking
 * for more than the file has, or a size past the runtime's view limit:
 * Bun's 4 GiB, checked before the file grows), `E_RANGE` (a bad size),
 * `E_IO`.
 *
 * @example
 * ```ts
 * import { mapFile } from "@binlane/binlane";
 *
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "hello, mapped world");
 * {
 *   using file = mapFile(path);
 *   console.log(new TextDecoder().decode(file.bytes.subarray(0, 5))); // "hello"
 * }
 * {
 *   using file = mapFile(path, { mode: "readwrite" });
 *   file.bytes[0] = 0x48; // "H"
 * }
 * console.log(Deno.readTextFileSync(path)); // "Hello, mapped world"
 * ```
 */
export function mapFile(path: string | URL, options: MapFileOptions = {}): MappedFile {
  const read = readOptions(options, MAP_OPTION_KEYS, "mapFile");
  const mode = read.mode ?? "read";
  if (mode !== "read" && mode !== "readwrite") {
    throw new BinlaneError("E_TYPE", `mode must be "read" or "readwrite", got ${describeValue(mode)}`);
  }
  const size = read.size;
  if (size !== undefined && typeof size !== "number") {
    throw new BinlaneError("E_TYPE", `size must be a number, got ${describeValue(size)}`);
  }
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0 || size > MAX_SIZE)) {
    throw new BinlaneError("E_RANGE", `size must be an integer from 0 to 2^48, got ${describeValue(size)}`);
  }
  const filePath = pathOf(path);
  if (filePath === undefined || filePath === "" || filePath.includes("\0")) {
    throw new BinlaneError(
      "E_TYPE",
      `path must be a non-empty string or file: URL without NUL, got ${
        typeof path === "string" ? JSON.stringify(path) : describeValue(path)
      }`,
    );
  }
  if (!filePermitted(filePath, mode === "readwrite")) {
    throw new BinlaneError(
      "E_PERMISSION_DENIED",
      `Deno has not granted ${mode === "readwrite" ? "read and write" : "read"} access to ${filePath}`,
    );
  }
  if (size !== undefined && size > maxViewBytes()) throw overViewLimit(filePath, size); // before any growth
  const library = memoryLibrary();
  let mapped = library ? openNative(library, filePath, mode, size) : undefined;
  if (mapped !== undefined && mapped.backing.size === 0 && size === undefined) {
    let content: boolean;
    try {
      content = readsPastZero(filePath);
    } catch (error) {
      mapped.backing.symbols.binlane_map_close(mapped.backing.handle, 0n);
      throw error;
    }
    if (content) {
      // A procfs or sysfs file maps as empty: read it instead (`mapped: false`), or refuse a writer.
      mapped.backing.symbols.binlane_map_close(mapped.backing.handle, 0n);
      if (mode === "readwrite") throw pseudoFile(filePath);
      mapped = undefined;
    }
  }
  const { backing, buffer } = mapped ?? openCopy(filePath, mode, size);
  return construct(filePath, mode, backing, buffer);
}
