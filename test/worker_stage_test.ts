import assert from "node:assert/strict";
import { crc32c, encodeFrame, pipeline, WorkerPool, workerStage } from "../mod.ts";
import { prepareForPost } from "../src/worker_protocol.ts";
import type { StageRequest } from "./fixtures/stage.ts";
import { randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

const stage = new URL("./fixtures/stage.ts", import.meta.url);

async function run<O>(requests: StageRequest[], options = {}): Promise<O[]> {
  return await Array.fromAsync(
    pipeline(requests, workerStage<StageRequest, O>(stage, { workers: 2, ...options })),
  );
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code?: string; message?: string; offset?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error("expected a rejection");
}

test("workerStage: results come out in input order whatever order the workers finish in", async () => {
  const random = seededRandom(71);
  const requests: StageRequest[] = Array.from(
    { length: 60 },
    (_, n) => ({ op: "sleep", n, ms: random() * 8 }),
  );
  assert.deepEqual(await run<number>(requests), requests.map((r) => r.n));
  assert.deepEqual(await run<number>(requests.slice(0, 5), { workers: 1, maxInFlight: 1 }), [0, 1, 2, 3, 4]);
  assert.deepEqual(await run<number>([]), []);
});

test("workerStage: binlane runs inside the workers, with the same results as on the main thread", async () => {
  const random = seededRandom(72);
  const batches = Array.from({ length: 12 }, (_, b) => {
    const payloads = Array.from({ length: 1 + b % 5 }, () => randomBytes(random, (random() * 5000) | 0));
    const bytes = new Uint8Array(payloads.reduce((sum, p) => sum + encodeFrame(p, { type: 1 }).length, 0));
    let at = 0;
    for (const payload of payloads) {
      const frame = encodeFrame(payload, { type: 1 });
      bytes.set(frame, at);
      at += frame.length;
    }
    return { payloads, bytes };
  });
  const expected = batches.map(({ payloads }) => payloads.map((p) => crc32c(p)));
  const results = await run<number[]>(batches.map(({ bytes }) => ({ op: "frames", frames: bytes })));
  assert.deepEqual(results, expected);
});

test("workerStage: a whole buffer moves (the sender's views empty), part of one is copied, shared memory is shared", async () => {
  const whole = randomBytes(seededRandom(73), 10_000);
  const wholeCrc = crc32c(whole);
  const alias = new Uint32Array(whole.buffer);
  const big = randomBytes(seededRandom(74), 100_000);
  const part = big.subarray(1000, 3000);
  const partCrc = crc32c(part);
  const shared = new Uint8Array(new SharedArrayBuffer(64));
  const [movedInfo, partInfo, written, back] = await run<Record<string, unknown>>([
    { op: "describe", bytes: whole },
    { op: "describe", bytes: part },
    { op: "write-shared", bytes: shared },
    { op: "return-bytes", n: 4096 },
  ]);
  assert.deepEqual(movedInfo, { length: 10_000, bufferLength: 10_000, shared: false, crc: wholeCrc });
  assert.equal(whole.length, 0, "the sender can no longer write what the worker reads");
  assert.equal(alias.length, 0);
  assert.deepEqual(partInfo, { length: 2000, bufferLength: 2000, shared: false, crc: partCrc });
  assert.equal(big.length, 100_000, "a partial view's buffer stays with the sender");
  assert.equal(crc32c(part), partCrc);
  assert.equal(written, "written");
  assert.ok(shared.every((byte) => byte === 0x5a));
  assert.deepEqual(back, new Uint8Array(4096).fill(9));
});

test("prepareForPost: finds views in arrays and plain objects, copies only what it must", () => {
  const whole = new Uint8Array(16);
  const backing = new Uint8Array(256);
  const part = backing.subarray(16, 48);
  const view = new DataView(backing.buffer, 100, 10);
  const input = { a: [whole, { part, view }], n: 5, untouched: { x: 1 } };
  const { value, transfer } = prepareForPost(input);
  const out = value as typeof input;
  assert.notEqual(out, input);
  assert.equal(out.a[0], whole);
  assert.equal(out.untouched, input.untouched, "unchanged objects are not copied");
  const inner = out.a[1] as { part: Uint8Array; view: DataView };
  assert.equal(inner.part.buffer.byteLength, 32);
  assert.equal(inner.view.buffer.byteLength, 10);
  assert.equal(transfer.length, 3);
  assert.ok(transfer.includes(whole.buffer));
  assert.equal((input.a[1] as { part: Uint8Array }).part, part, "the input is not modified");
  const same = { n: 1, s: "x" };
  assert.equal(prepareForPost(same).value, same);
  assert.deepEqual(prepareForPost(same).transfer, []);
});

test("workerStage: a transform's BinlaneError keeps its code and offset; anything else is E_WORKER", async () => {
  const thrown = await rejection(run([{ op: "sleep", n: 1, ms: 0 }, { op: "throw" }]));
  assert.equal(thrown.code, "E_INVALID_INPUT");
  assert.equal(thrown.offset, 7);
  assert.match(thrown.message!, /asked to throw/);
  assert.equal((await rejection(run([{ op: "map-missing" }]))).code, "E_NOT_FOUND");
  const failed = await rejection(run([{ op: "fail" }]));
  assert.equal(failed.code, "E_WORKER");
  assert.match(failed.message!, /RangeError: a plain error/);
  const missing = await rejection(run([{ op: "describe" }], {}).then(() => undefined));
  assert.equal(missing.code, "E_WORKER"); // `bytes` missing: a TypeError in the worker
  const noExport = new URL("./fixtures/stage_without_export.ts", import.meta.url);
  const unusable = await rejection(Array.fromAsync(pipeline([1], workerStage(noExport, { workers: 1 }))));
  assert.equal(unusable.code, "E_WORKER");
  assert.match(unusable.message!, /no default function/);
  const nowhere = new URL("./fixtures/no_such_stage.ts", import.meta.url);
  assert.equal(
    (await rejection(Array.fromAsync(pipeline([1], workerStage(nowhere, { workers: 1 }))))).code,
    "E_WORKER",
  );
});

test("workerStage: a chunk that cannot cross is E_TYPE; bad options are refused", async () => {
  const unsendable = await rejection(
    Array.fromAsync(pipeline([() => 1], workerStage(stage, { workers: 1 }))),
  );
  assert.equal(unsendable.code, "E_TYPE");
  for (const workers of [0, -1, 1.5, 257, NaN]) throwsCode(() => workerStage(stage, { workers }), "E_RANGE");
  throwsCode(() => workerStage(stage, { maxInFlight: 0 }), "E_RANGE");
  throwsCode(() => workerStage("", {}), "E_TYPE");
  throwsCode(() => workerStage(42 as unknown as string), "E_TYPE");
});

test("workerStage: memory stays bounded: no more than maxInFlight chunks are taken ahead of the reader", async () => {
  let pulled = 0;
  const source = new ReadableStream<StageRequest>({
    pull(controller) {
      controller.enqueue({ op: "sleep", n: pulled++, ms: 0 });
    },
  }, { highWaterMark: 0 });
  const reader = pipeline(source, workerStage<StageRequest, number>(stage, { workers: 2, maxInFlight: 3 }))
    .getReader();
  for (let i = 0; i < 5; i++) assert.equal((await reader.read()).value, i);
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Read 5; in flight at most 3; one waiting in each of the two stream queues.
  assert.ok(pulled <= 5 + 3 + 2, `${pulled} pulled for 5 read`);
  await reader.cancel();
});

test("WorkerPool: one set of workers serves stages one after another and at once; a failed chunk ends only its stage", async () => {
  using pool = new WorkerPool(stage, { workers: 2 });
  const sleepers = (from: number, n: number): StageRequest[] =>
    Array.from({ length: n }, (_, i) => ({ op: "sleep", n: from + i, ms: (i * 7) % 5 }));
  for (let round = 0; round < 3; round++) {
    const out = await Array.fromAsync(pipeline(sleepers(round * 10, 10), pool.stage<StageRequest, number>()));
    assert.deepEqual(out, sleepers(round * 10, 10).map((r) => r.n));
  }
  const [a, b, failed] = await Promise.allSettled([
    Array.fromAsync(pipeline(sleepers(0, 20), pool.stage<StageRequest, number>({ maxInFlight: 3 }))),
    Array.fromAsync(pipeline(sleepers(100, 20), pool.stage<StageRequest, number>())),
    Array.fromAsync(
      pipeline([{ op: "sleep", ms: 1, n: 1 }, { op: "fail" }], pool.stage<StageRequest, number>()),
    ),
  ]);
  assert.deepEqual(a, { status: "fulfilled", value: sleepers(0, 20).map((r) => r.n) });
  assert.deepEqual(b, { status: "fulfilled", value: sleepers(100, 20).map((r) => r.n) });
  assert.equal(failed.status, "rejected");
  assert.equal(((failed as PromiseRejectedResult).reason as { code: string }).code, "E_WORKER");
  assert.equal(pool.closed, false);
  const after = await Array.fromAsync(pipeline(sleepers(7, 2), pool.stage<StageRequest, number>()));
  assert.deepEqual(after, [7, 8]);
});

test("WorkerPool: disposal ends the workers and fails the stages still running, and later ones", async () => {
  const pool = new WorkerPool(stage, { workers: 1 });
  const running = Array.fromAsync(
    pipeline([{ op: "sleep", ms: 2000, n: 1 }], pool.stage<StageRequest, number>()),
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  pool[Symbol.dispose]();
  assert.equal(pool.closed, true);
  assert.equal((await rejection(running)).code, "E_WORKER");
  const later = await rejection(Array.fromAsync(pipeline([{ op: "sleep", ms: 0, n: 1 }], pool.stage())));
  assert.equal(later.code, "E_WORKER");
  pool.terminate(); // a second release does nothing
  const broken = new WorkerPool(new URL("./fixtures/stage_without_export.ts", import.meta.url), {
    workers: 2,
  });
  assert.equal((await rejection(Array.fromAsync(pipeline([1, 2], broken.stage())))).code, "E_WORKER");
  assert.equal(broken.closed, true, "a stage module that cannot load ends the pool");
});
