import assert from "node:assert/strict";
import { BufferPool, NativeBuffer, nativeStats } from "../mod.ts";
import { test, throwsCode } from "./harness.ts";

test("buffer pool: blocks come from the smallest class that holds them, aligned, and are reused", () => {
  using pool = new BufferPool({ sizeClasses: [256, 4096], maxRetained: 4 });
  const first = pool.acquire(100);
  assert.equal(first.bytes.length, 100);
  assert.equal(first.bytes.byteOffset, 0);
  assert.equal(first.bytes.buffer.byteLength, 256, "the 256-byte class");
  first.bytes.fill(0xab);
  first.release();
  const second = pool.acquire(200);
  // The same memory came back (its old contents show, since zeroOnRelease is off) through a new view.
  assert.equal(second.bytes[99], 0xab);
  assert.equal(second.bytes.length, 200);
  assert.deepEqual(pool.stats(), {
    hits: 1,
    misses: 1,
    retained: 0,
    retainedBytes: 0,
    outstanding: 1,
    closed: false,
  });
  const large = pool.acquire(4000);
  assert.equal(large.bytes.buffer.byteLength, 4096);
  second.release();
  large.release();
  assert.equal(pool.stats().retained, 2);
  assert.equal(pool.stats().retainedBytes, 256 + 4096);
});

test("buffer pool: a released block's views are revoked before its memory is reused, and release is single", () => {
  using pool = new BufferPool({ sizeClasses: [64] });
  const block = pool.acquire(64);
  const view = block.bytes;
  view.fill(1);
  block.release();
  assert.equal(view.length, 0, "the old view reads as empty: it cannot see the next user's data");
  throwsCode(() => block.bytes, "E_DISPOSED");
  assert.equal(block.released, true);
  block.release(); // a second release does nothing
  assert.equal(pool.stats().retained, 1);
  {
    using again = pool.acquire(10);
    again.bytes[0] = 2;
  }
  assert.equal(pool.stats().outstanding, 0);
  // A scope that throws still releases.
  assert.throws(() => {
    using _scoped = pool.acquire(8);
    throw new Error("boom");
  }, /boom/);
  assert.equal(pool.stats().outstanding, 0);
});

test("buffer pool: zeroOnRelease hands out clean memory; maxRetained bounds what is kept", () => {
  using pool = new BufferPool({ sizeClasses: [128], maxRetained: 2, zeroOnRelease: true });
  const blocks = [pool.acquire(128), pool.acquire(128), pool.acquire(128)];
  for (const block of blocks) block.bytes.fill(0xff);
  const live = nativeStats().liveAllocations;
  for (const block of blocks) block.release();
  assert.equal(pool.stats().retained, 2);
  assert.equal(nativeStats().liveAllocations, live - 1, "the third was freed");
  const reused = pool.acquire(128);
  assert.ok(reused.bytes.every((byte) => byte === 0));
  reused.release();
});

test("buffer pool: oversized requests are unpooled; disposal frees what is retained and never what is out", () => {
  const live = nativeStats().liveAllocations;
  const pool = new BufferPool({ sizeClasses: [1024] });
  const big = pool.acquire(5000);
  assert.equal(big.bytes.length, 5000);
  const out = pool.acquire(10);
  const kept = pool.acquire(20);
  kept.release();
  big.release(); // freed, not retained
  assert.equal(pool.stats().retained, 1);
  assert.equal(nativeStats().liveAllocations, live + 2);
  pool.dispose();
  assert.equal(nativeStats().liveAllocations, live + 1, "the retained block was freed");
  assert.equal(pool.stats().outstanding, 1);
  assert.equal(pool.stats().closed, true);
  out.bytes.fill(3); // still usable: the pool did not free it under its holder
  assert.equal(out.bytes[9], 3);
  out.release();
  assert.equal(nativeStats().liveAllocations, live);
  throwsCode(() => pool.acquire(1), "E_DISPOSED");
  pool.dispose(); // a second disposal does nothing
});

test("buffer pool: 100,000 acquire/release cycles over mixed sizes allocate only what is retained", () => {
  const live = nativeStats().liveAllocations;
  {
    using pool = new BufferPool({ sizeClasses: [64, 1024, 16384], maxRetained: 8 });
    let seed = 1;
    const held: { release(): void }[] = [];
    for (let i = 0; i < 100_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      held.push(pool.acquire(seed % 16000));
      if (held.length > 6 || seed % 3 === 0) held.splice(seed % held.length, 1)[0].release();
    }
    for (const block of held) block.release();
    const stats = pool.stats();
    assert.equal(stats.outstanding, 0);
    assert.ok(stats.hits > 90_000, `${stats.hits} hits`);
    assert.ok(stats.retained <= 3 * 8);
  }
  assert.equal(nativeStats().liveAllocations, live);
});

test("buffer pool: bad options and sizes are typed errors; renew moves memory between handles", () => {
  throwsCode(() => new BufferPool({ sizeClasses: [] }), "E_RANGE");
  throwsCode(() => new BufferPool({ sizeClasses: [64, 32] }), "E_RANGE");
  throwsCode(() => new BufferPool({ sizeClasses: [0] }), "E_RANGE");
  throwsCode(() => new BufferPool({ maxRetained: -1 }), "E_RANGE");
  throwsCode(() => new BufferPool(null as never), "E_TYPE");
  using pool = new BufferPool();
  throwsCode(() => pool.acquire(-1), "E_RANGE");
  throwsCode(() => pool.acquire(1.5), "E_RANGE");
  pool.acquire(0).release();
  // renew: the old handle and its views are dead, the memory and its contents live on.
  const { liveAllocations: live, rejectedFrees: rejected } = nativeStats();
  const first = NativeBuffer.alloc(32);
  first.bytes.set([1, 2, 3]);
  const view = first.bytes;
  const second = first.renew();
  assert.equal(view.length, 0);
  assert.equal(first.disposed, true);
  throwsCode(() => first.renew(), "E_DISPOSED");
  first.dispose(); // already released by renew: nothing to free twice
  assert.deepEqual([...second.bytes.subarray(0, 3)], [1, 2, 3]);
  assert.equal(nativeStats().liveAllocations, live + 1);
  second.dispose();
  assert.equal(nativeStats().liveAllocations, live);
  assert.equal(nativeStats().rejectedFrees, rejected, "no free was refused: each happened once");
});
