import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { backend, BufferPool, createXxh3, decodeHex, mapFile, NativeBuffer, nativeStats } from "../mod.ts";
import { test, throwsCode, underBun } from "./harness.ts";

const native = backend().path === "native";
const linux = process.platform === "linux";

function withDirectory(body: (directory: string) => void): void {
  const directory = mkdtempSync(join(tmpdir(), "binlane-lifetime-"));
  try {
    body(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Runs a fixture in a child of this runtime, on this process's backend, bounded in time. */
function runChild(fixture: string, args: string[], timeout = 60_000) {
  const script = new URL(`./fixtures/${fixture}`, import.meta.url).pathname;
  const runtimeArgs = underBun ? ["run", script] : ["run", "-A", "--v8-flags=--expose-gc", script];
  return spawnSync(process.execPath, [...runtimeArgs, ...args], { encoding: "utf8", timeout });
}

function childReport(fixture: string, args: string[], timeout?: number): Record<string, unknown> {
  const result = runChild(fixture, args, timeout);
  assert.equal(
    result.status,
    0,
    `${fixture} ${args.join(" ")}: exit ${result.status} signal ${result.signal}\n${result.stderr}`,
  );
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

for (
  const attack of [
    "transfer",
    "structured-clone",
    "renew",
    "pool",
    "view-then-transfer",
    "view-then-prototype-transfer",
    "view-then-reflect-transfer",
    "view-then-structured-clone",
  ]
) {
  test(
    `memory moved away (${attack}), its handle dropped and collected, still reads in place: no free`,
    () => {
      const report = childReport("lifetime_attack.ts", [attack]);
      assert.equal(report.intact, true, "every byte read back through the buffer it moved to");
      if (native) {
        assert.equal(report.frees, 0, "the finalizer freed nothing");
        assert.equal(report.leaked, 1, "the leak is counted");
        assert.equal(report.live, 1);
      }
      if (attack === "renew" || attack === "pool") assert.equal(report.code, "E_TRANSFERRED");
    },
    60_000,
  );
}

test("a mapping's buffer moved away, the MappedFile dropped and collected: the file stays mapped", () => {
  withDirectory((directory) => {
    const path = join(directory, "mapped");
    writeFileSync(path, new Uint8Array(4 << 20).fill(0x61));
    const report = childReport("lifetime_attack.ts", ["mapping", path]);
    assert.equal(report.intact, true);
    if (native) assert.equal(report.leaked, 1);
  });
}, 60_000);

test("ArrayBuffer.prototype.transfer replaced after load: disposal still revokes every view, then frees", () => {
  const original = ArrayBuffer.prototype.transfer;
  const before = nativeStats();
  const buffer = NativeBuffer.alloc(4096);
  const view = buffer.bytes;
  view.fill(1);
  try {
    ArrayBuffer.prototype.transfer = function (this: ArrayBuffer, length?: number): ArrayBuffer {
      return this.slice(0, length ?? this.byteLength); // copies, never detaches
    };
    buffer.dispose();
  } finally {
    ArrayBuffer.prototype.transfer = original;
  }
  assert.equal(view.length, 0, "the live view was revoked by the engine's own transfer");
  assert.equal(nativeStats().totalFrees, before.totalFrees + 1);
  assert.equal(nativeStats().liveAllocations, before.liveAllocations);
});

for (const attack of ["prototype-replaced", "prototype-and-getter-replaced"]) {
  test(
    `ArrayBuffer builtins replaced before load (${attack}): disposal refuses to free under a live view`,
    () => {
      const report = childReport("lifetime_attack.ts", [attack]);
      assert.equal(report.code, "E_INVALID_ARGUMENT", "disposal says the views could not be revoked");
      assert.equal(report.intact, true, "the view still reads its memory");
      if (native) {
        assert.equal(report.frees, 0, "nothing was freed, by disposal or the finalizer");
        assert.equal(report.leaked, 1);
      }
    },
    60_000,
  );
}

test("a transfer seen by `bytes` is counted once; disposal then throws E_TRANSFERRED and frees nothing", () => {
  const before = nativeStats();
  const buffer = NativeBuffer.alloc(64);
  const moved = buffer.bytes.buffer.transfer();
  assert.equal(buffer.bytes.length, 0);
  assert.equal(buffer.bytes.length, 0);
  throwsCode(() => buffer.renew(), "E_TRANSFERRED");
  buffer.dispose(); // does nothing: the failed renew disposed the handle
  const after = nativeStats();
  assert.equal(after.leakedAllocations - before.leakedAllocations, native ? 1 : 0);
  assert.equal(after.totalFrees - before.totalFrees, native ? 0 : 1, "the JS path's memory went along");
  assert.equal(new Uint8Array(moved).length, 64);
});

test("renew of a buffer moved away throws only after unregistering, and leaves the memory alone", () => {
  const before = nativeStats();
  const buffer = NativeBuffer.alloc(32);
  const moved = buffer.bytes.buffer.transfer();
  throwsCode(() => buffer.renew(), "E_TRANSFERRED");
  assert.equal(buffer.disposed, true);
  throwsCode(() => buffer.bytes, "E_DISPOSED");
  assert.equal(nativeStats().totalFrees - before.totalFrees, native ? 0 : 1);
  assert.equal(moved.byteLength, 32);
});

test("renewed handles and pool blocks keep their buffers marked owned", async () => {
  const { isOwned } = await import("../src/owned.ts");
  const first = NativeBuffer.alloc(128);
  assert.ok(isOwned(first.bytes.buffer));
  using second = first.renew();
  assert.ok(isOwned(second.bytes.buffer));
  using pool = new BufferPool({ sizeClasses: [128] });
  pool.acquire(128).release();
  using block = pool.acquire(128);
  assert.ok(isOwned(block.bytes.buffer), "a reused block's renewed buffer");
});

test("hashers keep one paired release through the shared lifetime", () => {
  const before = nativeStats();
  const hasher = createXxh3();
  hasher.update(new Uint8Array([1, 2, 3]));
  hasher.dispose();
  hasher.dispose();
  throwsCode(() => hasher.digest(), "E_DISPOSED");
  assert.equal(nativeStats().rejectedFrees, before.rejectedFrees);
});

test("small decode results never share a buffer a caller can detach", () => {
  const first = decodeHex("0102") as Uint8Array<ArrayBuffer>;
  const second = decodeHex("0304");
  try {
    first.buffer.transfer();
  } catch (error) {
    assert.ok(error instanceof TypeError, "a shared buffer refuses to be detached");
  }
  try {
    structuredClone(first, { transfer: [first.buffer] });
  } catch (error) {
    assert.ok(error instanceof TypeError || (error as Error).name === "DataCloneError");
  }
  assert.deepEqual(Array.from(second), [3, 4], "the sibling result is intact");
});

test("mapFile of a FIFO is E_NOT_A_FILE at once, never a wait in open(2)", () => {
  if (!linux && process.platform !== "darwin") return;
  withDirectory((directory) => {
    const fifo = join(directory, "fifo");
    const made = spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, "mkfifo");
    const result = runChild("map_fifo.ts", [fifo], 20_000);
    assert.equal(result.signal, null, "the child was not killed by the timeout: it did not block");
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split("\n"), ["E_NOT_A_FILE", "E_NOT_A_FILE"]);
  });
}, 60_000);

test("a procfs file (size 0 in stat, content when read) is read, not mapped as empty; a writer is refused", () => {
  if (!linux) return;
  using file = mapFile("/proc/self/status");
  assert.equal(file.mapped, false, "read into memory");
  const text = new TextDecoder().decode(file.bytes);
  assert.match(text, /^Name:/);
  assert.equal(file.byteLength, file.bytes.length);
  file.check();
  throwsCode(() => mapFile("/proc/self/status", { mode: "readwrite" }), "E_NOT_A_FILE");
  withDirectory((directory) => {
    const empty = join(directory, "empty");
    writeFileSync(empty, "");
    using mapped = mapFile(empty);
    assert.equal(mapped.byteLength, 0);
    assert.equal(mapped.mapped, native, "a really empty file is still mapped");
  });
});

test("a size-0 special file that cannot be read (/proc/self/mem, pagemap) is E_NOT_A_FILE, not an empty file", () => {
  if (!linux) return;
  for (const path of ["/proc/self/mem", "/proc/self/pagemap"]) {
    for (const mode of ["read", "readwrite"] as const) {
      const error = throwsCode(() => mapFile(path, { mode }), "E_NOT_A_FILE");
      assert.match(error.message, /cannot be read from its start/);
    }
  }
  // More refusals than the native table's 1024 slots: a refused file keeps no mapping and no slot.
  for (let i = 0; i < 1100; i++) throwsCode(() => mapFile("/proc/self/mem"), "E_NOT_A_FILE");
  withDirectory((directory) => {
    const path = join(directory, "after");
    writeFileSync(path, "still maps");
    using file = mapFile(path);
    assert.equal(new TextDecoder().decode(file.bytes), "still maps");
  });
});

test("a size past the runtime's view limit is refused before the file grows", () => {
  withDirectory((directory) => {
    const path = join(directory, "sparse");
    writeFileSync(path, new Uint8Array([1]));
    const limit = underBun ? 2 ** 32 : 2 ** 48;
    const code = underBun ? "E_LENGTH" : "E_RANGE";
    throwsCode(() => mapFile(path, { mode: "readwrite", size: limit + 4096 }), code);
    assert.equal(statSync(path).size, 1, "the refused call left the file as it was");
    if (underBun && native) throwsCode(() => NativeBuffer.alloc(2 ** 32 + 1), "E_LENGTH");
  });
});

test(
  "NativeBuffer.alloc of 1 TiB is E_OUT_OF_MEMORY (or E_LENGTH past Bun's view limit), never a kill",
  () => {
    if (!linux) return;
    const report = childReport("alloc_huge.ts", [String(2 ** 40)], 30_000);
    const expected = underBun && native ? ["E_LENGTH"] : ["E_OUT_OF_MEMORY", "ok"];
    assert.ok(expected.includes(report.code as string), `got ${report.code}`);
    if (report.code === "ok") assert.ok((report.grown as number) < 64 << 20, "nothing committed");
  },
  60_000,
);

test("NativeBuffer.alloc of 4 GiB zeroed commits nothing until touched", () => {
  if (!linux || !native) return;
  const report = childReport("alloc_huge.ts", [String(2 ** 32)], 30_000);
  assert.equal(report.code, "ok");
  // A memset of the 4 GiB would commit it all: the resident set, not the clock, says it was not written.
  assert.ok((report.grown as number) < 64 << 20, `resident set grew ${report.grown} bytes`);
}, 60_000);

test("align holds or is refused: native addresses are multiples; the JS path refuses more than 8", async () => {
  if (native) {
    for (const align of [1, 8, 64, 4096]) {
      using buffer = NativeBuffer.alloc(3 << 20, { align }); // fresh pages too
      assert.equal(nativeLibraryAddress(buffer.bytes) % BigInt(align), 0n);
    }
    return;
  }
  for (const align of [16, 64, 4096]) throwsCode(() => NativeBuffer.alloc(16, { align }), "E_ALIGNMENT");
  // What the JS path promises, checked at the address the engine chose, for many sizes.
  const address = await engineAddressOf();
  for (let size = 1; size < 5000; size += 97) {
    using byDefault = NativeBuffer.alloc(size);
    using eight = NativeBuffer.alloc(size, { align: 8 });
    assert.equal(address(byDefault.bytes) % 8n, 0n, `size ${size}`);
    assert.equal(address(eight.bytes) % 8n, 0n, `size ${size}`);
  }
  using pool = new BufferPool();
  assert.equal(pool.acquire(10).bytes.length, 10, "the pool asks the JS path for what it can give");
});

test("alloc options are checked: unknown keys and a non-boolean zero are E_TYPE", () => {
  throwsCode(() => NativeBuffer.alloc(8, { alignment: 64 } as never), "E_TYPE");
  throwsCode(() => NativeBuffer.alloc(8, { zero: "yes" } as never), "E_TYPE");
  throwsCode(() => NativeBuffer.alloc(8, null as never), "E_TYPE");
});

/** The address of a view's first byte, through the runtime's own FFI (no binlane library needed). */
async function engineAddressOf(): Promise<(view: Uint8Array) => bigint> {
  if (underBun) {
    const name = "bun:ffi"; // a variable, so that Deno's type check does not resolve Bun's module
    const ffi = await import(name) as { ptr(view: Uint8Array): number };
    return (view) => BigInt(ffi.ptr(view));
  }
  return (view) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
}

let addressOf: ((view: Uint8Array) => bigint) | undefined;
function nativeLibraryAddress(view: Uint8Array): bigint {
  return addressOf!(view);
}
if (native) {
  const { nativeLibrary } = await import("../src/backend.ts");
  addressOf = (view) => nativeLibrary()!.addressOf(view);
}
