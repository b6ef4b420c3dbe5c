import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { BufferPool, NativeBuffer, pipeline, WorkerPool, workerStage } from "../mod.ts";
import type { HostileRequest } from "./fixtures/stage_hostile.ts";
import { prepareForPost } from "../src/worker_protocol.ts";
import { seededRandom, test, throwsCode, underBun } from "./harness.ts";

const hostile = new URL("./fixtures/stage_hostile.ts", import.meta.url);
const attack = new URL("./fixtures/stage_attack.ts", import.meta.url).pathname;

interface Outcome {
  value?: unknown;
  code?: string;
  message?: string;
  ms: number;
}

/** Runs a scenario of stage_attack.ts in a child, which must print its report and end by itself. */
function runAttack(...args: string[]): Record<string, unknown> {
  const runtimeArgs = underBun ? ["run", attack] : ["run", "--allow-all", "--v8-flags=--expose-gc", attack];
  const child = spawnSync(process.execPath, [...runtimeArgs, ...args], { encoding: "utf8", timeout: 30_000 });
  const where = `${args.join(" ")}: status ${child.status}, signal ${child.signal}\n${child.stderr}`;
  assert.equal(child.signal, null, `the child was killed (a crash, or a hang past 30 s): ${where}`);
  assert.equal(child.status, 0, where);
  const lines = child.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const ends = ["close", "process-exit", "really-exit", "uncaught", ...(underBun ? [] : ["deno-exit"])];
for (const op of ends) {
  test(`workerStage: a worker that ends itself (${op}) fails the stage with E_WORKER, and the process ends`, () => {
    const { result } = runAttack("end", op) as { result: Outcome };
    assert.equal(result.code, "E_WORKER", JSON.stringify(result));
    // The stage's timeoutMs (3 s) is only a net: the end itself must be what is reported.
    assert.match(
      result.message!,
      op === "uncaught" ? /thrown outside any chunk/ : /ended its worker|the worker ended/,
    );
  });
}

for (const kind of ["workerStage", "pool"]) {
  test(`${kind}: a worker that ends while the source sends nothing errors the stage at once`, () => {
    const report = runAttack("stalled", kind) as { first: Outcome; second: Outcome };
    assert.deepEqual(report.first.value, { value: 0, done: false }, "the result before the end comes out");
    assert.equal(report.second.code, "E_WORKER", JSON.stringify(report.second));
    assert.match(report.second.message!, /ended its worker/);
  });
}

test("workerStage: a chunk past timeoutMs fails with E_WORKER, its worker is ended, the process ends", () => {
  const { result } = runAttack("timeout") as { result: Outcome };
  assert.equal(result.code, "E_WORKER", JSON.stringify(result));
  assert.match(result.message!, /chunk 1 did not finish within timeoutMs \(300 ms\)/);
  // Load only delays a timer, so the lower bound holds on a busy machine; a hang is the spawn timeout's.
  assert.ok(result.ms >= 250, `failed after ${result.ms} ms, before its timeout`);
});

for (const op of ["spin", "block"]) {
  test(`workerStage and WorkerPool: a chunk that never yields its thread (${op}) fails, the process ends`, () => {
    // runAttack fails unless the child exits by itself: a worker left spinning must not hold the process.
    const report = runAttack("busy", op) as { result: Outcome; pooled: Outcome; after: Outcome };
    for (const failed of [report.result, report.pooled]) {
      assert.equal(failed.code, "E_WORKER", JSON.stringify(failed));
      assert.match(failed.message!, /did not finish within timeoutMs \(300 ms\)/);
    }
    assert.deepEqual(report.after.value, [5], "the pool serves the next stage on a new worker");
  });
}

test("workerStage (Bun): a worker that runs out of memory, with no timeoutMs, fails the stage with E_WORKER", () => {
  // Deno's V8 aborts the whole process on a worker's out-of-memory, by design, so only Bun can report it.
  if (!underBun || process.platform !== "linux") return;
  // The child's address space is capped at 2 GB so that the allocation fails there, not on the machine.
  const script = 'ulimit -v 2000000 && exec "$0" run "$@"';
  const child = spawnSync("sh", ["-c", script, process.execPath, attack, "oom"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  const where = `status ${child.status}, signal ${child.signal}\n${child.stderr}`;
  assert.equal(child.signal, null, `the child was killed (a crash, or a hang past 30 s): ${where}`);
  assert.equal(child.status, 0, where);
  const { result } = JSON.parse(child.stdout.trim().split("\n").pop()!) as { result: Outcome };
  assert.equal(result.code, "E_WORKER", JSON.stringify(result));
  assert.match(result.message!, /Out of memory/);
});

test("WorkerPool: a hung chunk and a worker that ends itself fail their stages; the pool serves the next", () => {
  const report = runAttack("pool") as { hung: Outcome; ended: Outcome; after: Outcome; closed: boolean };
  assert.equal(report.hung.code, "E_WORKER");
  assert.match(report.hung.message!, /did not finish within timeoutMs/);
  assert.equal(report.ended.code, "E_WORKER");
  assert.match(report.ended.message!, /ended its worker/);
  assert.deepEqual(report.after.value, [5, 6]);
  assert.equal(report.closed, false);
});

test("workerStage: memory binlane owns is copied to workers, never moved: freed at once, the copies stay whole", () => {
  const report = runAttack("owned-in") as { senderLengths: number[]; match: boolean; result: Outcome };
  assert.deepEqual(report.senderLengths, [4 << 20, 4 << 20, 4 << 20], "the owner's views were not emptied");
  assert.equal(report.match, true, JSON.stringify(report.result));
});

test("workerStage: a worker's own NativeBuffer comes back as a copy of its bytes, whole after the worker frees it", () => {
  const report = runAttack("owned-out");
  assert.deepEqual(report, {
    scenario: "owned-out",
    viewFilled: true,
    handleType: "[object Uint8Array]",
    handleFilled: true,
  });
});

// Measured here in Deno, 800 chunks: 555-619 MiB of growth before received buffers were collected, 93-203 after.
test("workerStage: memory stays flat over 800 chunks of 4 MiB with one in flight", () => {
  const report = runAttack("memory", "800") as { before: number; growth: number };
  assert.ok(report.growth < 320, `RSS grew ${report.growth} MiB from ${report.before} MiB over 3.2 GiB`);
});

test("workerStage: replies a stage module forges (self.postMessage, patched built-ins) replace no result", async () => {
  const random = seededRandom(91);
  const requests: HostileRequest[] = Array.from(
    { length: 24 },
    (_, n) => ({ op: "forge", n, ms: random() * 6 }),
  );
  const expected = requests.map((r) => r.n);
  const out = await Array.fromAsync(pipeline(requests, workerStage(hostile, { workers: 2, maxInFlight: 6 })));
  assert.deepEqual(out, expected);
  using pool = new WorkerPool(hostile, { workers: 2 });
  const [a, b] = await Promise.all([
    Array.fromAsync(pipeline(requests, pool.stage({ maxInFlight: 3 }))),
    Array.fromAsync(pipeline(requests, pool.stage({ maxInFlight: 5, timeoutMs: 10_000 }))),
  ]);
  assert.deepEqual(a, expected);
  assert.deepEqual(b, expected);
});

test("workerStage and WorkerPool: unknown option keys and wrong types are E_TYPE, out of range E_RANGE", () => {
  const unknown = throwsCode(() => workerStage(hostile, { workers: 1, timeout: 5 } as never), "E_TYPE");
  assert.match(unknown.message, /"timeout"/);
  using pool = new WorkerPool(hostile, { workers: 1 });
  assert.match(throwsCode(() => pool.stage({ workers: 2 } as never), "E_TYPE").message, /"workers"/);
  assert.match(
    throwsCode(() => new WorkerPool(hostile, { maxInFlight: 1 } as never), "E_TYPE").message,
    /"maxInFlight"/,
  );
  for (const options of [null, 5, "x", [1]]) {
    throwsCode(() => workerStage(hostile, options as never), "E_TYPE");
    throwsCode(() => pool.stage(options as never), "E_TYPE");
  }
  for (const wrong of ["2", 2n, true, {}]) {
    throwsCode(() => workerStage(hostile, { workers: wrong } as never), "E_TYPE");
    throwsCode(() => workerStage(hostile, { maxInFlight: wrong } as never), "E_TYPE");
    throwsCode(() => pool.stage({ timeoutMs: wrong } as never), "E_TYPE");
  }
  for (const timeoutMs of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) {
    throwsCode(() => workerStage(hostile, { timeoutMs }), "E_RANGE");
    throwsCode(() => pool.stage({ timeoutMs }), "E_RANGE");
  }
  assert.ok(pool.stage({ timeoutMs: 2 ** 31 - 1, maxInFlight: 1 }) instanceof TransformStream);
});

test("workerStage: a released pool block or a disposed NativeBuffer as a chunk is E_DISPOSED, never sent", async () => {
  const blocks = new BufferPool();
  const block = blocks.acquire(100);
  block.release();
  const native = NativeBuffer.alloc(64);
  native.dispose();
  for (const chunk of [block, native]) {
    const stage = workerStage<unknown, unknown>(hostile, { workers: 1 });
    await assert.rejects(Array.fromAsync(pipeline([chunk], stage)), (error: { code?: string }) => {
      assert.equal(error.code, "E_DISPOSED");
      return true;
    });
  }
  blocks[Symbol.dispose]();
});

test("workerStage: whatever a transform throws fails that chunk alone with E_WORKER; made-up codes are not kept", async () => {
  const cases: [string, RegExp][] = [
    ["null", /: Error: null$/],
    ["undefined", /: Error: undefined$/],
    ["null-prototype", /: Error: no prototype$/],
    ["bare-null-prototype", /: Error: a value that cannot be shown$/],
    ["throwing-getters", /: Error: a value that cannot be shown$/],
    ["revoked-proxy", /: Error: a value that cannot be shown$/],
    ["fake-code", /: BinlaneError: made up$/],
    ["inherited-code", /: BinlaneError: a key of Object.prototype$/],
  ];
  using pool = new WorkerPool(hostile, { workers: 1 });
  for (const [throws, message] of cases) {
    const requests: HostileRequest[] = [{ op: "throw", throws }];
    await assert.rejects(
      Array.fromAsync(pipeline(requests, pool.stage({ timeoutMs: 20_000 }))),
      (error: { code?: string; message?: string }) => {
        assert.equal(error.code, "E_WORKER", `${throws}: ${error.message}`);
        assert.match(error.message!, message, throws);
        return true;
      },
    );
  }
  const real: HostileRequest[] = [{ op: "throw", throws: "real-code" }];
  await assert.rejects(
    Array.fromAsync(pipeline(real, pool.stage())),
    (error: { code?: string; offset?: number }) => error.code === "E_RANGE" && error.offset === 3,
  );
  const after: HostileRequest[] = [{ op: "echo", n: 4 }, { op: "echo", n: 5 }];
  assert.deepEqual(await Array.fromAsync(pipeline(after, pool.stage())), [4, 5]);
});

test("prepareForPost: a view that lies (subclass slice(), own buffer/byteOffset/byteLength) never lists owned memory", () => {
  using native = NativeBuffer.alloc(64);
  native.bytes.fill(9);
  const ownedBuffer = native.bytes.buffer;
  class Liar extends Uint8Array {
    override slice(): Uint8Array<ArrayBuffer> {
      return native.bytes; // the memory binlane frees, offered as "a copy"
    }
    override get byteOffset(): number {
      return 0;
    }
  }
  const plain = new ArrayBuffer(32);
  new Uint8Array(plain).fill(3);
  const part = new Liar(plain, 8, 16);
  const lying = new Uint8Array(plain, 4, 4);
  Object.defineProperty(lying, "buffer", { value: ownedBuffer });
  Object.defineProperty(lying, "byteLength", { value: 64 });
  const ownedView = native.bytes.subarray(0, 64);
  Object.defineProperty(ownedView, "buffer", { value: new ArrayBuffer(64) });
  const dataView = new DataView(plain, 2, 6);
  Object.defineProperty(dataView, "buffer", { value: ownedBuffer });
  const sent = prepareForPost({ part, lying, ownedView, dataView, list: [part] });
  for (const buffer of sent.transfer) {
    assert.notEqual(buffer, ownedBuffer, "binlane's own buffer listed for transfer");
    assert.equal(buffer.byteLength <= 64, true);
  }
  const value = sent.value as Record<string, ArrayBufferView>;
  const bytesOf = (
    view: ArrayBufferView,
  ) => [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];
  assert.deepEqual(bytesOf(value.part), new Array(16).fill(3), "the part's own bytes, compacted");
  assert.equal(value.part.buffer.byteLength, 16);
  assert.deepEqual(bytesOf(value.lying), [3, 3, 3, 3]);
  assert.deepEqual(bytesOf(value.ownedView), new Array(64).fill(9), "owned memory crosses as a copy");
  assert.notEqual(value.ownedView.buffer, ownedBuffer);
  assert.ok(value.dataView instanceof DataView && value.dataView.byteLength === 6);
  assert.equal(native.bytes.byteLength, 64, "the owner's view is untouched");
});

test("prepareForPost: a __proto__ key and an array subclass are rebuilt as plain data, read once", () => {
  let reads = 0;
  class Species extends Array {
    static override get [Symbol.species](): ArrayConstructor {
      throw new Error("species ran");
    }
  }
  const list = Species.from([new Uint8Array(8).subarray(2, 4)]);
  const object = JSON.parse('{"__proto__": 1}');
  Object.defineProperty(object, "view", {
    enumerable: true,
    get: () => (reads += 1, new Uint8Array(8).subarray(1, 3)),
  });
  const sent = prepareForPost({ list, object });
  const value = sent.value as { list: Uint8Array[]; object: Record<string, unknown> };
  assert.equal(value.list[0].buffer.byteLength, 2);
  assert.ok(Object.hasOwn(value.object, "__proto__"), "__proto__ stays an own key");
  assert.equal(Object.getPrototypeOf(value.object), Object.prototype);
  assert.equal(reads, 1);
});

test("prepareForPost: detached, resizable and shared views cross without a raw error", () => {
  const shared = new Uint8Array(new SharedArrayBuffer(8));
  const resizable = new Uint8Array(new ArrayBuffer(8, { maxByteLength: 16 }));
  const detached = new ArrayBuffer(8);
  const empty = new Uint8Array(detached);
  detached.transfer();
  const sent = prepareForPost({ shared, resizable, empty, view: new DataView(new ArrayBuffer(8)) });
  const value = sent.value as { shared: Uint8Array; resizable: Uint8Array; empty: Uint8Array };
  assert.equal(value.shared, shared, "shared memory is shared as it is");
  assert.equal(value.resizable.byteLength, 8);
  assert.equal(value.empty.byteLength, 0);
  assert.equal(sent.transfer.length, 3);
  structuredClone(sent.value, { transfer: sent.transfer });
});
