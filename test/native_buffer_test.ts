import assert from "node:assert/strict";
import { backend, crc32c, NativeBuffer, nativeStats } from "../mod.ts";
import { nativeLibrary } from "../src/backend.ts";
import { collectGarbage, test, throwsCode } from "./harness.ts";

const native = backend().path === "native";

test("alloc gives zeroed, aligned memory of the size asked for", () => {
  // The JS path refuses an alignment the engine's placement cannot promise (lifetime_test.ts).
  for (const align of native ? [1, 8, 64, 4096] : [1, 8]) {
    using buffer = NativeBuffer.alloc(10_000, { align });
    assert.equal(buffer.byteLength, 10_000);
    assert.equal(buffer.bytes.byteLength, 10_000);
    assert.ok(buffer.bytes.every((byte) => byte === 0));
    if (native) assert.equal(nativeLibrary()!.addressOf(buffer.bytes) % BigInt(align), 0n, `align ${align}`);
  }
  using empty = NativeBuffer.alloc(0);
  assert.equal(empty.byteLength, 0);
  assert.equal(crc32c(empty), 0);
  using raw = NativeBuffer.alloc(100, { zero: false });
  raw.bytes.fill(0xab);
  assert.ok(raw.bytes.every((byte) => byte === 0xab));
});

test("bad sizes and alignments are typed errors", () => {
  for (const size of [-1, 1.5, NaN, 2 ** 53]) {
    throwsCode(() => NativeBuffer.alloc(size), "E_RANGE");
  }
  throwsCode(() => NativeBuffer.alloc("8" as unknown as number), "E_TYPE");
  for (const align of [0, 3, 48, 8192, -64, 1.5]) {
    throwsCode(() => NativeBuffer.alloc(16, { align }), "E_ALIGNMENT");
  }
  if (native) throwsCode(() => NativeBuffer.alloc(2 ** 49), "E_LENGTH");
});

test("dispose revokes every view, frees once; double dispose is harmless; use after is E_DISPOSED", () => {
  const before = nativeStats();
  const buffer = NativeBuffer.alloc(256);
  const view = buffer.bytes;
  const sub = view.subarray(10, 20);
  const words = new Uint32Array(view.buffer, 0, 64);
  view.fill(1);
  assert.equal(nativeStats().liveAllocations, before.liveAllocations + 1);
  buffer[Symbol.dispose]();
  assert.equal(buffer.disposed, true);
  assert.equal(view.byteLength, 0);
  assert.equal(sub.byteLength, 0);
  assert.equal(words.length, 0);
  assert.equal(view[0], undefined, "a revoked view reads nothing");
  buffer[Symbol.dispose]();
  buffer.dispose();
  throwsCode(() => buffer.bytes, "E_DISPOSED");
  throwsCode(() => buffer.byteLength, "E_DISPOSED");
  const after = nativeStats();
  assert.equal(after.liveAllocations, before.liveAllocations);
  assert.equal(after.totalFrees, before.totalFrees + 1);
  assert.equal(after.rejectedFrees, before.rejectedFrees);
});

test("`using` releases when the scope throws", () => {
  const before = nativeStats().liveAllocations;
  let escaped: NativeBuffer | undefined;
  assert.throws(() => {
    using buffer = NativeBuffer.alloc(64);
    escaped = buffer;
    throw new Error("boom");
  }, /boom/);
  assert.equal(escaped!.disposed, true);
  assert.equal(nativeStats().liveAllocations, before);
});

test("100,000 alloc/dispose cycles leave the allocator where it was", () => {
  const before = nativeStats();
  for (let i = 0; i < 100_000; i++) {
    using buffer = NativeBuffer.alloc((i % 1024) + 1, { zero: i % 2 === 0 });
    buffer.bytes[0] = i;
  }
  const after = nativeStats();
  assert.equal(after.liveAllocations, before.liveAllocations);
  assert.equal(after.liveBytes, before.liveBytes);
  assert.equal(after.totalAllocations - before.totalAllocations, 100_000);
  assert.equal(after.totalFrees - before.totalFrees, 100_000);
  assert.equal(after.rejectedFrees, before.rejectedFrees);
}, 120_000);

test("the allocator refuses double, stale and made-up handles without touching memory", () => {
  if (!native) return;
  const symbols = nativeLibrary()!.symbols;
  const result = new BigUint64Array(3);
  assert.equal(symbols.binlane_alloc(32n, 64, 1, result, 24), 0);
  const handle = result[0];
  const before = nativeStats().rejectedFrees;
  assert.equal(symbols.binlane_free(handle, 31n), 4, "wrong size");
  assert.equal(symbols.binlane_free(handle, 32n), 0);
  assert.equal(symbols.binlane_free(handle, 32n), 4, "double free");
  assert.equal(symbols.binlane_free(0n, 0n), 4, "null handle");
  assert.equal(symbols.binlane_free(0xdead_beef_0000_0001n, 32n), 4, "stale generation");
  assert.equal(symbols.binlane_free(0xffff_ffffn, 32n), 4, "index out of range");
  assert.equal(nativeStats().rejectedFrees, before + 5);
  assert.equal(symbols.binlane_alloc(32n, 64, 1, result, 23), 2, "out-struct size checked");
  assert.equal(symbols.binlane_alloc(32n, 64, 1, null, 24), 1);
  assert.equal(symbols.binlane_alloc(32n, 64, 2, result, 24), 1);
  assert.equal(symbols.binlane_alloc(32n, 3, 1, result, 24), 7);
  assert.equal(symbols.binlane_stats(new BigUint64Array(5), 39), 2);
});

test("memory transferred away from its NativeBuffer is never freed under it", () => {
  const before = nativeStats();
  const buffer = NativeBuffer.alloc(128);
  buffer.bytes.fill(5);
  const moved = buffer.bytes.buffer.transfer();
  throwsCode(() => buffer.dispose(), "E_TRANSFERRED");
  assert.equal(buffer.disposed, true);
  assert.equal(new Uint8Array(moved)[127], 5, "the transferred buffer still reads its bytes");
  const after = nativeStats();
  // The JS path's memory is the engine's: it went with the transfer, and only the count is released.
  assert.equal(after.totalFrees, before.totalFrees + (native ? 0 : 1), "nothing was freed");
  assert.equal(after.leakedAllocations, before.leakedAllocations + (native ? 1 : 0), "the leak is counted");
});

async function settleFinalizers(until: () => boolean): Promise<boolean> {
  for (let round = 0; round < 50; round++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (until()) return true;
  }
  return until();
}

function allocateAndDrop(count: number, size: number): void {
  for (let i = 0; i < count; i++) NativeBuffer.alloc(size).bytes.fill(i);
}

/** Holds only a view, drops its handle, and checks GC leaves the memory alone. */
async function viewOutlivesHandle(before: number): Promise<void> {
  const view = NativeBuffer.alloc(4096).bytes;
  view.fill(0x5a);
  await settleFinalizers(() => false);
  assert.equal(view.byteLength, 4096, "the handle is gone but the view keeps the memory");
  assert.ok(view.every((byte) => byte === 0x5a));
  assert.equal(nativeStats().liveAllocations, before + 1);
}

test("a collected undisposed buffer: engine memory is released once; native memory is leaked and counted, never freed", async () => {
  // A holder of a view may have moved native memory away unseen before the buffer was collected.
  const engine = backend().memory === "js";
  const before = nativeStats();
  const ended = () => engine ? after().totalFrees >= 10 : after().leakedAllocations >= 10;
  const after = () => {
    const now = nativeStats();
    return {
      totalFrees: now.totalFrees - before.totalFrees,
      leakedAllocations: now.leakedAllocations - before.leakedAllocations,
    };
  };
  allocateAndDrop(10, 1024);
  assert.ok(await settleFinalizers(ended), "unreachable buffers were finalized");
  await viewOutlivesHandle(before.liveAllocations + (engine ? 0 : 10));
  // The view's frame is gone: now its buffer may be finalized. (JSC scans
  // the stack conservatively, so a variable set to undefined in this frame
  // could still hold it; a returned frame cannot.)
  const all = await settleFinalizers(() =>
    engine ? after().totalFrees === 11 : after().leakedAllocations === 11
  );
  assert.ok(all, "the last view gone, its buffer was finalized");
  const now = nativeStats();
  assert.equal(
    now.totalFrees - before.totalFrees,
    engine ? 11 : 0,
    "engine memory released once, native never freed",
  );
  assert.equal(
    now.leakedAllocations - before.leakedAllocations,
    engine ? 0 : 11,
    "each native leak counted once",
  );
  assert.equal(now.rejectedFrees, before.rejectedFrees, "no double free");
  assert.equal(now.finalizerFailures, before.finalizerFailures);
});
