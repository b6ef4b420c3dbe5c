/**
 * Looks at a library file before anything opens it as a library: reads it
 * only if it is a regular file, hashes it, and checks that the headers the
 * dynamic loader follows stay inside the file. A truncated or damaged file
 * handed to `dlopen` crashes the process inside the loader (SIGBUS), where
 * nothing can catch it, so every refusal here is a message instead.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";
import type { PlatformDirectory } from "./platform.ts";

/** Larger than any library binlane builds (about 1.5 MB) by two orders of magnitude. */
export const MAX_LIBRARY_BYTES = 256 * 1024 * 1024;

/** A manifest is a few lines of JSON. */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** What `build.ts` writes beside each library it builds, as `manifest.json`. */
export interface LibraryManifest {
  /** The platform directory, e.g. "linux-x86_64". */
  readonly platform: string;
  /** The library's file name in that directory. */
  readonly file: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Its SHA-256, 64 lowercase hex digits. */
  readonly sha256: string;
}

/** The manifest's file name, in the same directory as the library it describes. */
export const MANIFEST_FILE = "manifest.json";

/**
 * The SHA-256 of `bytes` as 64 lowercase hex digits (synchronous, so that
 * loading stays synchronous).
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./library_check.ts";
 *
 * const digest = sha256Hex(new TextEncoder().encode("abc"));
 * if (!digest.startsWith("ba7816bf")) throw new Error(digest);
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Whether `value` is a SHA-256 written as 64 hex digits. */
export function isSha256Hex(value: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(value);
}

/**
 * Reads a whole file, refusing anything but a regular file of at most
 * `maxBytes` without reading from it: a FIFO, a directory or a device is
 * refused after a `stat`, and the file is opened non-blocking so that one
 * swapped in after the `stat` cannot block either. Returns the bytes, or why
 * it refused.
 *
 * @example
 * ```ts
 * import { readRegularFile } from "./library_check.ts";
 *
 * const bytes = readRegularFile("deno.json", 1 << 20);
 * if (typeof bytes === "string" || bytes.length === 0) throw new Error(String(bytes));
 * ```
 */
export function readRegularFile(path: string, maxBytes: number): Uint8Array | string {
  // Another process may rename a fresh copy into place (racing first runs of a JSR install write the same
  // bytes): a replaced file is looked at again, a few times, never read through the old stat.
  for (let attempt = 1;; attempt++) {
    const result = readRegularFileOnce(path, maxBytes);
    if (result !== REPLACED) return result;
    if (attempt === 3) return "it was replaced while being checked, three times over";
  }
}

const REPLACED = "it was replaced while being checked";

function readRegularFileOnce(path: string, maxBytes: number): Uint8Array | string {
  let before: Stats;
  try {
    before = statSync(path);
  } catch (error) {
    return `cannot stat it: ${messageOf(error)}`;
  }
  if (!before.isFile()) return `it is ${fileKind(before)}, not a regular file`;
  let fd: number;
  try {
    // O_NONBLOCK does not exist on Windows, which has no FIFOs to open by path.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return `cannot open it for reading: ${messageOf(error)}`;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return `it is ${fileKind(stat)}, not a regular file`;
    if (stat.ino !== before.ino || stat.dev !== before.dev) return REPLACED;
    if (stat.size > maxBytes) return `it is ${stat.size} bytes, more than the ${maxBytes} allowed`;
    const bytes = new Uint8Array(stat.size);
    let filled = 0;
    while (filled < bytes.length) {
      const count = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (count === 0) return `it shrank to ${filled} bytes while being read (${stat.size} expected)`;
      filled += count;
    }
    if (readSync(fd, new Uint8Array(1), 0, 1, filled) !== 0) return "it grew while being read";
    return bytes;
  } catch (error) {
    return `cannot read it: ${messageOf(error)}`;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and checks the manifest at `path`: every field present, of its type,
 * and nothing else. Returns the manifest, or why it is unusable.
 *
 * @example
 * ```ts
 * import { parseManifest } from "./library_check.ts";
 *
 * const text = JSON.stringify({ platform: "linux-x86_64", file: "libbinlane.so", size: 3, sha256: "ab".repeat(32) });
 * const manifest = parseManifest(text);
 * if (typeof manifest === "string" || manifest.size !== 3) throw new Error(String(manifest));
 * ```
 */
export function parseManifest(text: string): LibraryManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `it is not JSON: ${messageOf(error)}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "it is not a JSON object";
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort().join();
  if (keys !== "file,platform,sha256,size") {
    return `it has the fields [${keys}], not file, platform, sha256, size`;
  }
  const { platform, file, size, sha256 } = record;
  if (typeof platform !== "string" || typeof file !== "string") return "its platform or file is not a string";
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    return "its size is not a byte count";
  }
  if (typeof sha256 !== "string" || !isSha256Hex(sha256)) return "its sha256 is not 64 hex digits";
  return { platform, file, size, sha256: sha256.toLowerCase() };
}

/**
 * Reads the manifest file at `path` (a regular file only).
 *
 * @example
 * ```ts
 * import { readManifest } from "./library_check.ts";
 *
 * const path = Deno.makeTempFileSync({ suffix: ".json" });
 * const sha256 = "ab".repeat(32);
 * Deno.writeTextFileSync(path, JSON.stringify({ platform: "linux-x86_64", file: "libbinlane.so", size: 3, sha256 }));
 * const manifest = readManifest(path);
 * Deno.removeSync(path);
 * if (typeof manifest === "string" || manifest.sha256 !== sha256) throw new Error(String(manifest));
 * if (typeof readManifest(path) !== "string") throw new Error("a missing file is refused with a reason");
 * ```
 */
export function readManifest(path: string): LibraryManifest | string {
  const bytes = readRegularFile(path, MAX_MANIFEST_BYTES);
  if (typeof bytes === "string") return bytes;
  return parseManifest(new TextDecoder().decode(bytes));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isDirectory()) return "a directory";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "something else";
}

/** Thrown inside the parsers below and turned into the refusal's text. */
class Malformed extends Error {}

/** Little-endian reads that refuse to read past the end instead of throwing a RangeError. */
class Reader {
  readonly view: DataView;
  readonly size: bigint;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = BigInt(bytes.byteLength);
  }
  /** Refuses unless `length` bytes from `offset` lie inside the file. */
  need(offset: bigint, length: bigint, what: string): void {
    if (offset < 0n || length < 0n || offset + length > this.size) {
      throw new Malformed(
        `${what} (bytes ${offset}..${offset + length}) lies outside the ${this.size}-byte file`,
      );
    }
  }
  u16(offset: number): number {
    this.need(BigInt(offset), 2n, "a header field");
    return this.view.getUint16(offset, true);
  }
  u32(offset: number, bigEndian = false): number {
    this.need(BigInt(offset), 4n, "a header field");
    return this.view.getUint32(offset, !bigEndian);
  }
  u64(offset: number): bigint {
    this.need(BigInt(offset), 8n, "a header field");
    return this.view.getBigUint64(offset, true);
  }
}

/** A bigint offset the parsers index with, once it is known to be inside the file. */
function at(value: bigint): number {
  return Number(value);
}

const elfMachines: Partial<Record<string, number>> = { x86_64: 62, aarch64: 183 };
const machoCpus: Partial<Record<string, number>> = { x86_64: 0x01000007, aarch64: 0x0100000c };
const peMachines: Partial<Record<string, number>> = { x86_64: 0x8664, aarch64: 0xaa64 };

/** ELF dynamic tags that hold an address the loader dereferences, with their size tag (0: none). */
const elfAddressTags: ReadonlyMap<bigint, bigint> = new Map([
  [4n, 0n], // DT_HASH
  [5n, 10n], // DT_STRTAB, DT_STRSZ
  [6n, 0n], // DT_SYMTAB
  [7n, 8n], // DT_RELA, DT_RELASZ
  [12n, 0n], // DT_INIT
  [13n, 0n], // DT_FINI
  [17n, 18n], // DT_REL, DT_RELSZ
  [23n, 2n], // DT_JMPREL, DT_PLTRELSZ
  [25n, 27n], // DT_INIT_ARRAY, DT_INIT_ARRAYSZ
  [26n, 28n], // DT_FINI_ARRAY, DT_FINI_ARRAYSZ
  [32n, 33n], // DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ
  [36n, 35n], // DT_RELR, DT_RELRSZ
  [0x6ffffef5n, 0n], // DT_GNU_HASH
  [0x6ffffff0n, 0n], // DT_VERSYM
  [0x6ffffffcn, 0n], // DT_VERDEF
  [0x6ffffffen, 0n], // DT_VERNEED
]);

function checkElf(reader: Reader, arch: string): void {
  if (reader.bytes.length < 64) throw new Malformed("it is shorter than an ELF header");
  const ident = reader.bytes;
  if (ident[4] !== 2) throw new Malformed("it is not a 64-bit ELF file");
  if (ident[5] !== 1) throw new Malformed("it is not a little-endian ELF file");
  if (ident[6] !== 1) throw new Malformed(`its ELF version is ${ident[6]}, not 1`);
  if (reader.u16(16) !== 3) throw new Malformed("it is not an ELF shared object (e_type is not ET_DYN)");
  const machine = reader.u16(18);
  if (machine !== elfMachines[arch]) throw new Malformed(`its ELF machine ${machine} is not ${arch}`);
  const phoff = reader.u64(32);
  const shoff = reader.u64(40);
  const phentsize = reader.u16(54);
  const phnum = reader.u16(56);
  const shentsize = reader.u16(58);
  let shnum = reader.u16(60);
  // PN_XNUM moves the count elsewhere; no library binlane loads needs 65535 headers.
  if (phnum === 0 || phnum === 0xffff) throw new Malformed(`it has ${phnum} program headers`);
  if (phentsize !== 56) throw new Malformed(`its program header size is ${phentsize}, not 56`);
  reader.need(phoff, BigInt(phnum) * 56n, "the program header table");
  const loads: { vaddr: bigint; memsz: bigint; offset: bigint; filesz: bigint }[] = [];
  let dynamic: { offset: bigint; filesz: bigint } | undefined;
  for (let index = 0; index < phnum; index++) {
    const base = at(phoff) + index * 56;
    const type = reader.u32(base);
    const offset = reader.u64(base + 8);
    const vaddr = reader.u64(base + 16);
    const filesz = reader.u64(base + 32);
    const memsz = reader.u64(base + 40);
    reader.need(offset, filesz, `program header ${index}'s segment`);
    if (type === 1) {
      if (filesz > memsz) throw new Malformed(`program header ${index} has more file bytes than memory`);
      loads.push({ vaddr, memsz, offset, filesz });
    }
    if (type === 2) dynamic = { offset, filesz };
  }
  if (loads.length === 0) throw new Malformed("it has no loadable segment");
  if (shoff !== 0n || shnum !== 0) {
    if (shentsize !== 64) throw new Malformed(`its section header size is ${shentsize}, not 64`);
    reader.need(shoff, 64n, "the section header table");
    // A count of 0 with a table means the count is in section 0's sh_size.
    if (shnum === 0) {
      const extended = reader.u64(at(shoff) + 32);
      if (extended > 0xffffffn) throw new Malformed(`it claims ${extended} sections`);
      shnum = Number(extended);
    }
    reader.need(shoff, BigInt(shnum) * 64n, "the section header table");
    for (let index = 0; index < shnum; index++) {
      const base = at(shoff) + index * 64;
      if (reader.u32(base + 4) === 8) continue; // SHT_NOBITS occupies no file bytes
      reader.need(reader.u64(base + 24), reader.u64(base + 32), `section ${index}`);
    }
  }
  if (dynamic) checkElfDynamic(reader, dynamic, loads);
}

/** The loader follows the dynamic section's addresses blindly: each must lie in a loaded segment. */
function checkElfDynamic(
  reader: Reader,
  dynamic: { offset: bigint; filesz: bigint },
  loads: readonly { vaddr: bigint; memsz: bigint; offset: bigint; filesz: bigint }[],
): void {
  const inSegment = (start: bigint, length: bigint) =>
    loads.some((load) => start >= load.vaddr && start + length <= load.vaddr + load.memsz);
  const containing = loads.some((load) =>
    dynamic.offset >= load.offset && dynamic.offset + dynamic.filesz <= load.offset + load.filesz
  );
  if (!containing) throw new Malformed("its dynamic section is not inside a loadable segment");
  const entries = new Map<bigint, bigint>();
  for (let offset = dynamic.offset; offset + 16n <= dynamic.offset + dynamic.filesz; offset += 16n) {
    const tag = reader.u64(at(offset));
    if (tag === 0n) break;
    if (!entries.has(tag)) entries.set(tag, reader.u64(at(offset) + 8));
  }
  for (const [tag, sizeTag] of elfAddressTags) {
    const address = entries.get(tag);
    if (address === undefined) continue;
    const length = sizeTag === 0n ? 1n : entries.get(sizeTag) ?? 1n;
    if (!inSegment(address, length)) {
      throw new Malformed(
        `its dynamic entry ${tag} points at 0x${address.toString(16)}, outside every segment`,
      );
    }
  }
}

/** Mach-O load commands whose body is a `linkedit_data_command` (dataoff, datasize). */
const machoLinkeditCommands: ReadonlySet<number> = new Set([
  0x1d, // LC_CODE_SIGNATURE
  0x1e, // LC_SEGMENT_SPLIT_INFO
  0x26, // LC_FUNCTION_STARTS
  0x29, // LC_DATA_IN_CODE
  0x2b, // LC_DYLIB_CODE_SIGN_DRS
  0x2e, // LC_LINKER_OPTIMIZATION_HINT
  0x80000033, // LC_DYLD_EXPORTS_TRIE
  0x80000034, // LC_DYLD_CHAINED_FIXUPS
]);

/** Mach-O section types that occupy no file bytes. */
const machoZerofill: ReadonlySet<number> = new Set([0x01, 0x0c, 0x12]);

function checkMachO(reader: Reader, arch: string): void {
  const magic = reader.u32(0);
  if (magic === 0xbebafeca) return checkFat(reader, arch);
  if (magic !== 0xfeedfacf) throw new Malformed("it is not a 64-bit little-endian Mach-O file");
  const cpu = reader.u32(4);
  if (cpu !== machoCpus[arch]) {
    throw new Malformed(`its Mach-O CPU type 0x${cpu.toString(16)} is not ${arch}`);
  }
  const fileType = reader.u32(12);
  if (fileType !== 6 && fileType !== 8) {
    throw new Malformed(`its Mach-O file type ${fileType} is not a dylib`);
  }
  const ncmds = reader.u32(16);
  const sizeofcmds = reader.u32(20);
  reader.need(32n, BigInt(sizeofcmds), "the load commands");
  const end = 32 + sizeofcmds;
  let segments = 0;
  let offset = 32;
  for (let index = 0; index < ncmds; index++) {
    if (offset + 8 > end) throw new Malformed(`load command ${index} starts past the load commands`);
    const cmd = reader.u32(offset);
    const cmdsize = reader.u32(offset + 4);
    if (cmdsize < 8 || cmdsize % 8 !== 0 || offset + cmdsize > end) {
      throw new Malformed(`load command ${index} has the size ${cmdsize}`);
    }
    const fits = (minimum: number) => {
      if (cmdsize < minimum) throw new Malformed(`load command ${index} is too short for its kind`);
    };
    const range = (start: number, length: bigint, what: string) =>
      reader.need(BigInt(reader.u32(offset + start)), length, `load command ${index}'s ${what}`);
    if (cmd === 0x19) {
      fits(72);
      segments++;
      const fileoff = reader.u64(offset + 40);
      const filesize = reader.u64(offset + 48);
      reader.need(fileoff, filesize, `segment ${index}`);
      if (filesize > reader.u64(offset + 32)) {
        throw new Malformed(`segment ${index} is larger on file than in memory`);
      }
      const nsects = reader.u32(offset + 64);
      fits(72 + nsects * 80);
      for (let section = 0; section < nsects; section++) {
        const base = offset + 72 + section * 80;
        const flags = reader.u32(base + 64);
        if (!machoZerofill.has(flags & 0xff)) {
          reader.need(
            BigInt(reader.u32(base + 48)),
            reader.u64(base + 40),
            `section ${section} of segment ${index}`,
          );
        }
        const reloff = reader.u32(base + 56);
        reader.need(BigInt(reloff), BigInt(reader.u32(base + 60)) * 8n, `relocations of section ${section}`);
      }
    } else if (cmd === 0x2) {
      fits(24);
      range(8, BigInt(reader.u32(offset + 12)) * 16n, "symbol table");
      range(16, BigInt(reader.u32(offset + 20)), "string table");
    } else if (cmd === 0xb) {
      fits(80);
      const tables: [number, bigint][] = [[32, 8n], [40, 56n], [48, 4n], [56, 4n], [64, 8n], [72, 8n]];
      for (const [field, entry] of tables) {
        range(field, BigInt(reader.u32(offset + field + 4)) * entry, "dynamic symbol table");
      }
    } else if (cmd === 0x22 || cmd === 0x80000022) {
      fits(48);
      for (let field = 8; field < 48; field += 8) {
        range(field, BigInt(reader.u32(offset + field + 4)), "dyld information");
      }
    } else if (machoLinkeditCommands.has(cmd)) {
      fits(16);
      range(8, BigInt(reader.u32(offset + 12)), "link-edit data");
    }
    offset += cmdsize;
  }
  if (segments === 0) throw new Malformed("it has no segment");
}

/** A universal binary: the slice for this architecture is checked as a file of its own. */
function checkFat(reader: Reader, arch: string): void {
  const count = reader.u32(4, true);
  if (count === 0 || count > 64) throw new Malformed(`its universal header lists ${count} architectures`);
  reader.need(8n, BigInt(count) * 20n, "the universal header");
  for (let index = 0; index < count; index++) {
    const base = 8 + index * 20;
    if (reader.u32(base, true) !== machoCpus[arch]) continue;
    const offset = BigInt(reader.u32(base + 8, true));
    const size = BigInt(reader.u32(base + 12, true));
    reader.need(offset, size, `the ${arch} slice`);
    return checkMachO(new Reader(reader.bytes.subarray(at(offset), at(offset + size))), arch);
  }
  throw new Malformed(`its universal binary has no ${arch} slice`);
}

function checkPe(reader: Reader, arch: string): void {
  if (reader.bytes.length < 64 || reader.u16(0) !== 0x5a4d) {
    throw new Malformed("it is not a PE file (no MZ)");
  }
  const pe = reader.u32(0x3c);
  if (reader.u32(pe) !== 0x00004550) throw new Malformed("it is not a PE file (no PE signature)");
  const coff = pe + 4;
  const machine = reader.u16(coff);
  if (machine !== peMachines[arch]) {
    throw new Malformed(`its PE machine 0x${machine.toString(16)} is not ${arch}`);
  }
  const sections = reader.u16(coff + 2);
  const symbols = reader.u32(coff + 8);
  const symbolCount = reader.u32(coff + 12);
  const optionalSize = reader.u16(coff + 16);
  if ((reader.u16(coff + 18) & 0x2000) === 0) throw new Malformed("it is not a DLL");
  if (symbols !== 0) reader.need(BigInt(symbols), BigInt(symbolCount) * 18n, "the COFF symbol table");
  const optional = coff + 20;
  reader.need(BigInt(optional), BigInt(optionalSize), "the optional header");
  if (optionalSize < 112 || reader.u16(optional) !== 0x20b) throw new Malformed("it is not a PE32+ file");
  reader.need(0n, BigInt(reader.u32(optional + 60)), "the headers (SizeOfHeaders)");
  const directories = reader.u32(optional + 108);
  if (112 + directories * 8 > optionalSize) {
    throw new Malformed(`its ${directories} data directories overflow`);
  }
  // The certificate table is the one directory addressed by file offset rather than RVA.
  if (directories > 4) {
    const certificates = reader.u32(optional + 112 + 4 * 8);
    if (certificates !== 0) {
      reader.need(BigInt(certificates), BigInt(reader.u32(optional + 116 + 4 * 8)), "the certificate table");
    }
  }
  const table = optional + optionalSize;
  reader.need(BigInt(table), BigInt(sections) * 40n, "the section table");
  for (let index = 0; index < sections; index++) {
    const base = table + index * 40;
    const rawSize = reader.u32(base + 16);
    if (rawSize !== 0) reader.need(BigInt(reader.u32(base + 20)), BigInt(rawSize), `section ${index}`);
  }
}

/**
 * Checks that the headers a platform's dynamic loader follows lie inside the
 * file: for ELF every program header's segment, the section header table and
 * every section, and the dynamic section's addresses; for Mach-O every load
 * command, segment, section and link-edit table; for PE the headers, the
 * section table and every section's raw data. Also checks the file is a
 * shared library for that platform. Returns why it is refused, or undefined.
 *
 * @example
 * ```ts
 * import { checkLibraryStructure } from "./library_check.ts";
 *
 * const refusal = checkLibraryStructure(new Uint8Array(100), "linux-x86_64");
 * if (refusal === undefined) throw new Error("a file of zeros passed as a library");
 * ```
 */
export function checkLibraryStructure(bytes: Uint8Array, platform: PlatformDirectory): string | undefined {
  const [os, arch] = platform.split("-");
  const reader = new Reader(bytes);
  try {
    if (os === "linux") {
      if (bytes.length < 4 || reader.u32(0, true) !== 0x7f454c46) {
        throw new Malformed("it is not an ELF file");
      }
      checkElf(reader, arch);
    } else if (os === "darwin") {
      if (bytes.length < 32) throw new Malformed("it is shorter than a Mach-O header");
      checkMachO(reader, arch);
    } else {
      checkPe(reader, arch);
    }
  } catch (error) {
    if (error instanceof Malformed) return error.message;
    throw error;
  }
  return undefined;
}
