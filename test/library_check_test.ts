/**
 * The checks a library file passes before anything opens it: structure
 * bounds of every shipped library and of hostile edits of them, the
 * manifest's format, and the regular-file reader. In-process: nothing here
 * hands a file to the dynamic loader (test/load_test.ts does, in children).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkLibraryStructure,
  isSha256Hex,
  parseManifest,
  readRegularFile,
  sha256Hex,
} from "../ffi/library_check.ts";
import { libraryFileName, type PlatformDirectory } from "../ffi/platform.ts";
import { randomBytes, seededRandom, test } from "./harness.ts";

const platforms: readonly PlatformDirectory[] = [
  "linux-x86_64",
  "linux-aarch64",
  "darwin-x86_64",
  "darwin-aarch64",
  "windows-x86_64",
];

/** The built library of a platform, when build.ts has built it here. */
function shipped(platform: PlatformDirectory): Uint8Array | undefined {
  const url = new URL(`../ffi/lib/${platform}/${libraryFileName(platform)}`, import.meta.url);
  return existsSync(url) ? new Uint8Array(readFileSync(url)) : undefined;
}

const built = platforms.filter((platform) => shipped(platform) !== undefined);

test("every built library passes its own platform's structure check and no other's", () => {
  assert.ok(built.length > 0, "no library is built in ffi/lib");
  for (const platform of built) {
    const bytes = shipped(platform)!;
    assert.equal(checkLibraryStructure(bytes, platform), undefined, platform);
    for (const other of platforms) {
      if (other === platform) continue;
      assert.equal(typeof checkLibraryStructure(bytes, other), "string", `${platform} passed as ${other}`);
    }
  }
});

test("every truncation of every built library is refused", () => {
  const random = seededRandom(0x7a11);
  for (const platform of built) {
    const bytes = shipped(platform)!;
    // The ends matter most: the headers at the start, the tables at the end.
    const lengths = [0, 1, 4, 16, 63, 64, 4096, bytes.length >> 1, bytes.length - 1];
    for (let i = 0; i < 200; i++) lengths.push(Math.floor(random() * bytes.length));
    for (let cut = 1; cut <= 64; cut++) lengths.push(bytes.length - cut);
    for (const length of lengths) {
      const refusal = checkLibraryStructure(bytes.subarray(0, length), platform);
      assert.equal(typeof refusal, "string", `${platform} cut to ${length} bytes passed`);
    }
  }
});

test("random edits of a library's headers give a refusal or a pass, never an exception", () => {
  const random = seededRandom(0xbad5eed);
  for (const platform of built) {
    const original = shipped(platform)!;
    for (let round = 0; round < 400; round++) {
      const bytes = original.slice(0, round % 2 === 0 ? original.length : Math.floor(random() * 8192));
      for (let edit = 0; edit < 8; edit++) {
        const at = Math.floor(random() * Math.min(bytes.length, 4096));
        bytes[at] = Math.floor(random() * 256);
      }
      const refusal = checkLibraryStructure(bytes, platform);
      assert.ok(refusal === undefined || typeof refusal === "string");
    }
    assert.equal(typeof checkLibraryStructure(randomBytes(random, 65536), platform), "string");
  }
});

/** The bytes of the host-independent Linux x86-64 build, edited by `edit`. */
function editedElf(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array | undefined {
  const original = shipped("linux-x86_64");
  if (!original) return undefined;
  const bytes = original.slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

interface ElfSegment {
  readonly header: number;
  readonly type: number;
  readonly offset: number;
  readonly filesz: number;
}

function elfSegments(view: DataView): ElfSegment[] {
  const phoff = Number(view.getBigUint64(32, true));
  const segments: ElfSegment[] = [];
  for (let index = 0; index < view.getUint16(56, true); index++) {
    const header = phoff + index * 56;
    segments.push({
      header,
      type: view.getUint32(header, true),
      offset: Number(view.getBigUint64(header + 8, true)),
      filesz: Number(view.getBigUint64(header + 32, true)),
    });
  }
  return segments;
}

test("ELF headers that point past the file or outside the segments are refused", () => {
  const size = shipped("linux-x86_64")?.length;
  if (size === undefined) return;
  const cases: [string, (view: DataView, bytes: Uint8Array) => void, RegExp][] = [
    [
      "program header table past the end",
      (v) => v.setBigUint64(32, BigInt(size - 8), true),
      /program header/,
    ],
    ["PN_XNUM program headers", (v) => v.setUint16(56, 0xffff, true), /65535 program headers/],
    ["odd program header size", (v) => v.setUint16(54, 64, true), /program header size/],
    ["a loadable segment grown past the end", (v) => {
      const load = elfSegments(v).find((segment) => segment.type === 1)!;
      v.setBigUint64(load.header + 32, BigInt(size - load.offset + 1), true);
      v.setBigUint64(load.header + 40, BigInt(size) * 2n, true);
    }, /segment .*outside/],
    ["a segment with more file bytes than memory", (v) => {
      const load = elfSegments(v).find((segment) => segment.type === 1)!;
      v.setBigUint64(load.header + 40, BigInt(load.filesz - 1), true);
    }, /more file bytes than memory/],
    [
      "section header table past the end",
      (v) => v.setBigUint64(40, BigInt(size - 32), true),
      /section header/,
    ],
    ["more sections than the table holds", (v) => v.setUint16(60, 0xfff0, true), /section header table/],
    ["a section past the end", (v) => {
      const shoff = Number(v.getBigUint64(40, true));
      for (let index = 1; index < v.getUint16(60, true); index++) {
        const header = shoff + index * 64;
        if (v.getUint32(header + 4, true) === 8) continue;
        v.setBigUint64(header + 32, BigInt(size), true);
        return;
      }
    }, /section \d+ .*outside/],
    ["a dynamic string table outside every segment", (v) => {
      const dynamic = elfSegments(v).find((segment) => segment.type === 2)!;
      for (let entry = dynamic.offset; entry < dynamic.offset + dynamic.filesz; entry += 16) {
        if (v.getBigUint64(entry, true) === 5n) v.setBigUint64(entry + 8, 1n << 40n, true);
      }
    }, /dynamic entry 5 .*outside every segment/],
    ["another machine", (v) => v.setUint16(18, 183, true), /machine 183 is not x86_64/],
    ["an executable, not a shared object", (v) => v.setUint16(16, 2, true), /ET_DYN/],
    ["a 32-bit class", (_, b) => (b[4] = 1), /64-bit/],
  ];
  for (const [name, edit, expected] of cases) {
    const refusal = checkLibraryStructure(editedElf(edit)!, "linux-x86_64");
    assert.match(refusal ?? "passed", expected, name);
  }
});

test("Mach-O and PE headers that point past the file are refused", () => {
  const dylib = shipped("darwin-aarch64");
  if (dylib) {
    const commands = dylib.slice();
    new DataView(commands.buffer).setUint32(20, dylib.length, true); // sizeofcmds
    assert.match(checkLibraryStructure(commands, "darwin-aarch64") ?? "passed", /load commands/);
    const segment = dylib.slice();
    const view = new DataView(segment.buffer);
    for (let offset = 32, index = 0; index < view.getUint32(16, true); index++) {
      if (view.getUint32(offset, true) === 0x19) {
        const fileoff = Number(view.getBigUint64(offset + 40, true));
        view.setBigUint64(offset + 48, BigInt(dylib.length - fileoff + 1), true); // filesize
        view.setBigUint64(offset + 32, BigInt(dylib.length) * 2n, true); // vmsize
        break;
      }
      offset += view.getUint32(offset + 4, true);
    }
    assert.match(checkLibraryStructure(segment, "darwin-aarch64") ?? "passed", /segment \d+ .*outside/);
    const symbols = dylib.slice();
    const symbolView = new DataView(symbols.buffer);
    for (let offset = 32, index = 0; index < symbolView.getUint32(16, true); index++) {
      if (symbolView.getUint32(offset, true) === 0x2) {
        symbolView.setUint32(offset + 16, dylib.length - 2, true);
      }
      offset += symbolView.getUint32(offset + 4, true);
    }
    assert.match(checkLibraryStructure(symbols, "darwin-aarch64") ?? "passed", /string table/);
    // A universal binary whose slice for this architecture runs past the end.
    const fat = new Uint8Array(8 + 20 + dylib.length);
    const fatView = new DataView(fat.buffer);
    fatView.setUint32(0, 0xcafebabe);
    fatView.setUint32(4, 1);
    fatView.setUint32(8, 0x0100000c);
    fatView.setUint32(16, 28);
    fatView.setUint32(20, dylib.length);
    fat.set(dylib, 28);
    assert.equal(checkLibraryStructure(fat, "darwin-aarch64"), undefined, "a sound universal binary");
    fatView.setUint32(20, dylib.length + 1);
    assert.match(checkLibraryStructure(fat, "darwin-aarch64") ?? "passed", /aarch64 slice/);
  }
  const dll = shipped("windows-x86_64");
  if (dll) {
    const lfanew = dll.slice();
    new DataView(lfanew.buffer).setUint32(0x3c, dll.length - 2, true);
    assert.match(checkLibraryStructure(lfanew, "windows-x86_64") ?? "passed", /outside|PE signature/);
    const section = dll.slice();
    const view = new DataView(section.buffer);
    const coff = view.getUint32(0x3c, true) + 4;
    const table = coff + 20 + view.getUint16(coff + 16, true);
    view.setUint32(table + 20, dll.length - 16, true); // section 0's PointerToRawData
    assert.match(checkLibraryStructure(section, "windows-x86_64") ?? "passed", /section 0 .*outside/);
  }
});

test("a manifest must have exactly its four fields, well formed", () => {
  const good = { platform: "linux-x86_64", file: "libbinlane.so", size: 10, sha256: "AB".repeat(32) };
  const parsed = parseManifest(JSON.stringify(good));
  assert.deepEqual(parsed, { ...good, sha256: "ab".repeat(32) });
  const bad: unknown[] = [
    { ...good, extra: 1 },
    { platform: good.platform, file: good.file, size: good.size },
    { ...good, size: -1 },
    { ...good, size: 1.5 },
    { ...good, size: "10" },
    { ...good, sha256: "ab".repeat(31) },
    { ...good, sha256: "zz".repeat(32) },
    { ...good, file: 7 },
    [good],
    null,
  ];
  for (const value of bad) {
    assert.equal(typeof parseManifest(JSON.stringify(value)), "string", JSON.stringify(value));
  }
  assert.equal(typeof parseManifest("{"), "string");
  assert.ok(
    isSha256Hex("0".repeat(64)) && !isSha256Hex("0".repeat(65)) && !isSha256Hex(" " + "0".repeat(63)),
  );
  assert.equal(
    sha256Hex(new Uint8Array(0)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

test("the reader reads a regular file whole and refuses a directory, a missing file or one too large", () => {
  const directory = mkdtempSync(join(tmpdir(), "binlane-read-"));
  try {
    const file = join(directory, "data.bin");
    const content = randomBytes(seededRandom(3), 100_000);
    writeFileSync(file, content);
    const bytes = readRegularFile(file, content.length);
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual(bytes, content);
    assert.match(String(readRegularFile(file, content.length - 1)), /more than the 99999 allowed/);
    assert.match(String(readRegularFile(directory, 1 << 20)), /a directory, not a regular file/);
    assert.match(String(readRegularFile(join(directory, "absent"), 1 << 20)), /cannot stat/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
