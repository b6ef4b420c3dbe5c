import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { crc32 as zlibCrc32 } from "node:zlib";
import { backend, crc32, mapFile, type MapMode, nativeStats, struct, u16, u32 } from "../mod.ts";
import { nativeLibrary } from "../src/backend.ts";
import { randomBytes, seededRandom, test, throwsCode, underBun } from "./harness.ts";

const native = backend().path === "native";

function withDirectory(body: (directory: string) => void): void {
  const directory = mkdtempSync(join(tmpdir(), "binlane-map-"));
  try {
    body(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

test("mapFile maps every size of file byte-exact, and kernels read it in place", () => {
  withDirectory((directory) => {
    const random = seededRandom(61);
    for (const size of [0, 1, 7, 4095, 4096, 4097, 65_537, (1 << 20) + 3]) {
      const data = randomBytes(random, size);
      const path = join(directory, `f${size}`);
      writeFileSync(path, data);
      using file = mapFile(path);
      assert.equal(file.mapped, native);
      assert.equal(file.mode, "read");
      assert.equal(file.byteLength, size);
      assert.deepEqual(file.bytes, data);
      assert.equal(crc32(file), zlibCrc32(data), `size ${size}`);
      file.check();
    }
  });
});

test("layout views of a mapping read the file in place and, once it is disposed, name the mapping", () => {
  withDirectory((directory) => {
    const Row = struct({ id: u32, len: u16 });
    const random = seededRandom(62);
    const data = randomBytes(random, Row.size * 64);
    const path = join(directory, "rows");
    writeFileSync(path, data);
    const file = mapFile(path);
    const plain = new DataView(data.buffer);
    const views = [];
    for (let at = 0; at + Row.size <= data.length; at += 5) {
      const view = Row.view(file, at);
      assert.equal(view.id, plain.getUint32(at, true), `at ${at}`);
      assert.equal(Row.read(file, at).len, plain.getUint16(at + 4, true));
      views.push(view, Row.arrayView(file).at(Math.floor(at / Row.size))!);
    }
    file.dispose();
    for (const view of views) {
      assert.match(
        throwsCode(() => view.id, "E_DISPOSED").message,
        /MappedFile under this view has been disposed/,
      );
    }
    assert.match(
      throwsCode(() => Row.read(file, 0), "E_DISPOSED").message,
      /mapping of .* has been disposed/,
    );
    assert.match(throwsCode(() => Row.view(file, 0).id, "E_DISPOSED").message, /MappedFile under this view/);
  });
});

test("a file: URL maps the same file as its path", () => {
  withDirectory((directory) => {
    const path = join(directory, "url file");
    writeFileSync(path, "by URL");
    using file = mapFile(pathToFileURL(path));
    assert.equal(new TextDecoder().decode(file.bytes), "by URL");
    assert.equal(file.path, path);
  });
});

test("a reader's writes stay in memory: the file never changes", () => {
  withDirectory((directory) => {
    const path = join(directory, "ro");
    const data = randomBytes(seededRandom(62), 10_000);
    writeFileSync(path, data);
    {
      using file = mapFile(path);
      file.bytes.fill(0xee, 100, 9000);
      assert.equal(file.bytes[5000], 0xee);
      file.flush();
    }
    assert.deepEqual(new Uint8Array(readFileSync(path)), data);
  });
});

test("a writer's writes reach the file: on flush, and on dispose without one", () => {
  withDirectory((directory) => {
    const path = join(directory, "rw");
    const data = randomBytes(seededRandom(63), 20_000);
    writeFileSync(path, data);
    const expected = data.slice();
    {
      using file = mapFile(path, { mode: "readwrite" });
      file.bytes.fill(1, 0, 10);
      expected.fill(1, 0, 10);
      file.flush();
      assert.deepEqual(new Uint8Array(readFileSync(path)), expected);
      file.bytes.set([9, 8, 7], 19_997);
      expected.set([9, 8, 7], 19_997);
    }
    assert.deepEqual(new Uint8Array(readFileSync(path)), expected);
  });
});

if (native) {
  test("two writers of one file share its memory", () => {
    withDirectory((directory) => {
      const path = join(directory, "shared");
      writeFileSync(path, new Uint8Array(8192));
      using first = mapFile(path, { mode: "readwrite" });
      using second = mapFile(path, { mode: "readwrite" });
      first.bytes[5000] = 42;
      assert.equal(second.bytes[5000], 42);
    });
  });
}

test("size: a reader maps a prefix; a writer grows or creates the file, never shrinks it", () => {
  withDirectory((directory) => {
    const path = join(directory, "sized");
    const data = randomBytes(seededRandom(64), 5000);
    writeFileSync(path, data);
    {
      using prefix = mapFile(path, { size: 100 });
      assert.deepEqual(prefix.bytes, data.subarray(0, 100));
    }
    throwsCode(() => mapFile(path, { size: 5001 }), "E_LENGTH");
    {
      using grown = mapFile(path, { mode: "readwrite", size: 12_345 });
      assert.deepEqual(grown.bytes.subarray(0, 5000), data);
      assert.ok(grown.bytes.subarray(5000).every((byte) => byte === 0));
      grown.bytes[12_344] = 5;
    }
    assert.equal(statSync(path).size, 12_345);
    assert.equal(readFileSync(path)[12_344], 5);
    {
      using prefix = mapFile(path, { mode: "readwrite", size: 10 });
      assert.equal(prefix.byteLength, 10);
    }
    assert.equal(statSync(path).size, 12_345);
    const created = join(directory, "new");
    {
      using file = mapFile(created, { mode: "readwrite", size: 3 });
      file.bytes.set([1, 2, 3]);
    }
    assert.deepEqual(new Uint8Array(readFileSync(created)), new Uint8Array([1, 2, 3]));
    using empty = mapFile(join(directory, "empty"), { mode: "readwrite", size: 0 });
    assert.equal(empty.byteLength, 0);
    empty.flush();
  });
});

test("bad paths, modes and sizes are typed errors", () => {
  withDirectory((directory) => {
    const path = join(directory, "f");
    writeFileSync(path, "x");
    throwsCode(() => mapFile(join(directory, "missing")), "E_NOT_FOUND");
    throwsCode(() => mapFile(join(directory, "missing"), { mode: "readwrite" }), "E_NOT_FOUND");
    throwsCode(
      () => mapFile(join(directory, "no", "such", "dir"), { mode: "readwrite", size: 1 }),
      "E_NOT_FOUND",
    );
    throwsCode(() => mapFile(join(path, "under a file")), "E_NOT_FOUND");
    mkdirSync(join(directory, "dir"));
    throwsCode(() => mapFile(join(directory, "dir")), "E_NOT_A_FILE");
    throwsCode(() => mapFile(join(directory, "dir"), { mode: "readwrite" }), "E_NOT_A_FILE");
    throwsCode(() => mapFile("/dev/null"), "E_NOT_A_FILE");
    throwsCode(() => mapFile(`${path}\0tail`), "E_TYPE");
    throwsCode(() => mapFile(""), "E_TYPE");
    throwsCode(() => mapFile(new URL("https://example.com/f")), "E_TYPE");
    throwsCode(() => mapFile(42 as unknown as string), "E_TYPE");
    throwsCode(() => mapFile(path, { mode: "write" as MapMode }), "E_TYPE");
    throwsCode(() => mapFile(path, { mode: "readwrite", size: "3" as unknown as number }), "E_TYPE");
    for (const size of [-1, 1.5, NaN, 2 ** 48 + 1]) {
      throwsCode(() => mapFile(path, { mode: "readwrite", size }), "E_RANGE");
    }
    if (process.getuid?.() !== 0) { // root opens any file
      chmodSync(path, 0o444);
      throwsCode(() => mapFile(path, { mode: "readwrite" }), "E_PERMISSION_DENIED");
    }
  });
});

test("disposal revokes every view, then releases the mapping once", () => {
  withDirectory((directory) => {
    const path = join(directory, "f");
    writeFileSync(path, randomBytes(seededRandom(65), 70_000));
    const file = mapFile(path);
    const bytes = file.bytes;
    const sub = bytes.subarray(10, 20);
    file.dispose();
    assert.equal(file.disposed, true);
    assert.equal(bytes.length, 0);
    assert.equal(sub.length, 0);
    throwsCode(() => file.bytes, "E_DISPOSED");
    throwsCode(() => file.byteLength, "E_DISPOSED");
    throwsCode(() => file.check(), "E_DISPOSED");
    throwsCode(() => file.flush(), "E_DISPOSED");
    throwsCode(() => crc32(file), "E_DISPOSED");
    file.dispose(); // a second release does nothing
    file[Symbol.dispose]();
  });
});

test("a mapping whose buffer was transferred away is never unmapped under it", () => {
  withDirectory((directory) => {
    const path = join(directory, "f");
    writeFileSync(path, "keep me");
    const file = mapFile(path);
    const moved = file.bytes.buffer.transfer();
    throwsCode(() => crc32(file), "E_TRANSFERRED"); // not the checksum of nothing
    throwsCode(() => file.dispose(), "E_TRANSFERRED");
    assert.equal(new TextDecoder().decode(new Uint8Array(moved)), "keep me");
  });
});

test("10,000 maps and unmaps leave no mapping, file or allocation behind", () => {
  withDirectory((directory) => {
    const path = join(directory, "f");
    writeFileSync(path, randomBytes(seededRandom(66), 5000));
    const before = nativeStats();
    for (let i = 0; i < 10_000; i++) {
      using file = mapFile(path, { mode: i % 2 === 0 ? "read" : "readwrite" });
      assert.equal(file.byteLength, 5000);
    }
    // More than the native table's 1024 slots and the usual 1024 open files: both were reused.
    assert.equal(nativeStats().liveAllocations, before.liveAllocations);
  });
}, 120_000);

test("a writer's mapFile that fails leaves the file as it was: not grown, not created", () => {
  if (!native) return; // the copying fallback has no table to fill
  withDirectory((directory) => {
    const held = join(directory, "held");
    writeFileSync(held, new Uint8Array(10));
    const existing = join(directory, "existing");
    writeFileSync(existing, new Uint8Array([1, 2, 3]));
    const open: Disposable[] = [];
    try {
      // Fill the native table (1024 slots), so that the next mapping fails after the file was grown.
      for (;;) {
        try {
          open.push(mapFile(held));
        } catch (error) {
          assert.equal((error as { code?: string }).code, "E_OUT_OF_MEMORY");
          break;
        }
        assert.ok(open.length <= 1024, "the table holds 1024 mappings");
      }
      // Other tests in this process may hold a slot or two (one on purpose: a transferred-away mapping).
      assert.ok(open.length > 1000, `${open.length} mappings filled the table`);
      throwsCode(() => mapFile(existing, { mode: "readwrite", size: 100_000 }), "E_OUT_OF_MEMORY");
      assert.equal(statSync(existing).size, 3, "the failed call did not grow the file");
      assert.deepEqual(new Uint8Array(readFileSync(existing)), new Uint8Array([1, 2, 3]));
      const fresh = join(directory, "fresh");
      throwsCode(() => mapFile(fresh, { mode: "readwrite", size: 100 }), "E_OUT_OF_MEMORY");
      assert.equal(existsSync(fresh), false, "a file the failed call created is removed");
    } finally {
      for (const file of open) file[Symbol.dispose]();
    }
    // With a slot free again, the same calls succeed and grow and create.
    {
      using grown = mapFile(existing, { mode: "readwrite", size: 100_000 });
      assert.equal(grown.byteLength, 100_000);
    }
    assert.equal(statSync(existing).size, 100_000);
  });
});

interface TruncationReport {
  mapped: boolean;
  before: number[];
  checkBefore: string;
  inside: number;
  pastEnd: number[];
  crc: number;
  viewed: number;
  written: number;
  check: string;
  flush: string;
  dispose: string;
  revoked: number;
}

const fixture = new URL("./fixtures/map_truncate.ts", import.meta.url).pathname;

function runFixture(path: string, mode: MapMode, action = "") {
  const runtimeArgs = underBun
    ? ["run", fixture]
    : ["run", "--allow-read", "--allow-write", "--allow-ffi", "--allow-env", fixture];
  return spawnSync(process.execPath, [...runtimeArgs, path, mode, ...(action ? [action] : [])], {
    encoding: "utf8",
    timeout: 30_000,
  });
}

for (const mode of ["read", "readwrite"] as const) {
  test(`a file truncated under a ${mode} mapping reads as zeros and fails the checks, never crashes`, () => {
    withDirectory((directory) => {
      const path = join(directory, "victim");
      const data = randomBytes(seededRandom(67), 1 << 20).map((byte) => byte | 1); // no zero bytes
      writeFileSync(path, data);
      const result = runFixture(path, mode);
      assert.equal(result.status, 0, `exit ${result.status} signal ${result.signal}: ${result.stderr}`);
      const report = JSON.parse(result.stdout) as TruncationReport;
      assert.equal(report.mapped, native);
      assert.deepEqual(report.before, Array.from(data.subarray(0, 4)));
      assert.equal(report.checkBefore, "ok");
      assert.equal(report.inside, data[100]);
      assert.equal(report.revoked, 0);
      if (native || mode === "readwrite") {
        // Past the new end: zeros in place of data, and every check says so.
        if (native) {
          assert.deepEqual(report.pastEnd, [0, 0, 0]);
          const zeros = new Uint8Array(data.length);
          zeros.set(data.subarray(0, 4096));
          assert.equal(report.crc, crc32cOf(zeros));
          assert.equal(report.viewed, 0);
        }
        assert.equal(report.written, 0xab);
        assert.equal(report.check, "E_TRUNCATED");
        assert.equal(report.flush, "E_TRUNCATED");
        assert.equal(report.dispose, "E_TRUNCATED");
      } else {
        // The JS path's reader holds a copy: a snapshot that truncation cannot touch.
        assert.deepEqual(report.pastEnd, [data[4096], data[512 * 1024], data[data.length - 1]]);
        assert.equal(report.crc, crc32cOf(data));
        assert.equal(report.check, "ok");
        assert.equal(report.dispose, "ok");
      }
    });
  }, 60_000);
}

if (native) {
  test("a SIGBUS that no mapping explains meets the runtime's own handling, as without binlane", () => {
    withDirectory((directory) => {
      const path = join(directory, "f");
      writeFileSync(path, new Uint8Array(8192).fill(3));
      const outcome = (action: string) => {
        const result = runFixture(path, "read", action);
        return { status: result.status, signal: result.signal, alive: /still alive/.test(result.stdout) };
      };
      const without = outcome("sigbus-unmapped");
      assert.deepEqual(outcome("sigbus"), without);
      // Bun dies of it; Deno handles it and lives on.
      assert.equal(without.alive, !underBun);
    });
  }, 60_000);
}

/** A bitwise CRC-32C, independent of binlane's. */
function crc32cOf(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

if (native) {
  test("the map exports refuse bad arguments, stale handles and second closes with a status", () => {
    const symbols = nativeLibrary()!.symbols;
    withDirectory((directory) => {
      const path = join(directory, "f");
      writeFileSync(path, new Uint8Array(100));
      const name = new TextEncoder().encode(path);
      const out = new BigUint64Array(3);
      const open = (bytes: Uint8Array | null, length: number, flags: number, size: bigint, outSize = 24) =>
        symbols.binlane_map_open(bytes, length, flags, size, out, outSize);
      const whole = 2n ** 64n - 1n;
      assert.equal(open(null, 5, 0, whole), 1, "NULL path with a length");
      assert.equal(open(name, 0, 0, whole), 1, "empty path");
      assert.equal(open(new TextEncoder().encode(`${path}\0x`), name.length + 2, 0, whole), 1, "NUL inside");
      assert.equal(open(new Uint8Array(5000).fill(0x61), 5000, 0, whole), 1, "longer than PATH_MAX");
      assert.equal(open(name, name.length, 2, whole), 1, "create without readwrite");
      assert.equal(open(name, name.length, 4, whole), 1, "unknown flag");
      assert.equal(open(name, name.length, 0, 2n ** 48n + 1n), 2, "over 2^48 bytes");
      assert.equal(open(name, name.length, 0, 101n), 2, "a reader past the end");
      assert.equal(open(name, name.length, 0, whole, 16), 2, "out-struct of the wrong size");
      assert.equal(open(name, name.length, 0, whole), 0);
      const [handle, , size] = out;
      assert.equal(size, 100n);
      assert.equal(symbols.binlane_map_check(handle, 99n), 4, "the wrong size names no mapping");
      assert.equal(symbols.binlane_map_check(handle + (1n << 32n), 100n), 4, "another generation");
      assert.equal(symbols.binlane_map_check(0n, 0n), 4);
      assert.equal(symbols.binlane_map_close(handle, 100n), 0);
      assert.equal(symbols.binlane_map_close(handle, 100n), 4, "a second close");
      assert.equal(symbols.binlane_map_sync(handle, 100n), 4);
      assert.equal(symbols.binlane_map_check(handle, 100n), 4);
    });
  });
}

if (!underBun) {
  test("Deno's --allow-read and --allow-write hold for mapped files, as for any other", () => {
    withDirectory((directory) => {
      const path = join(directory, "guarded");
      writeFileSync(path, "guarded");
      const script = new URL("./fixtures/map_permission.ts", import.meta.url).pathname;
      const root = new URL("..", import.meta.url).pathname;
      const codeWith = (readable: string, mode: MapMode) => {
        const args = ["run", "--allow-ffi", "--allow-env", `--allow-read=${readable}`, script, path, mode];
        const result = spawnSync(process.execPath, args, { encoding: "utf8" });
        assert.equal(result.status, 0, result.stderr);
        return result.stdout.trim();
      };
      assert.equal(codeWith(root, "read"), "E_PERMISSION_DENIED");
      assert.equal(codeWith(`${root},${directory}`, "readwrite"), "E_PERMISSION_DENIED");
      assert.equal(codeWith(`${root},${directory}`, "read"), "mapped");
    });
  });
}
