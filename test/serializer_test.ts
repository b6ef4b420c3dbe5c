import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeFrame,
  encodeFrame,
  type SerializerSink,
  StreamingSerializer,
  struct,
  u16,
  u32,
  u64,
} from "../mod.ts";
import { randomBytes, seededRandom, test, throwsCode, underBun } from "./harness.ts";

/** A WritableStream that keeps a copy of every chunk (copies, since the serializer reuses its buffer). */
function collector(): { sink: WritableStream<Uint8Array>; chunks: Uint8Array[]; originals: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  const originals: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      originals.push(chunk);
      chunks.push(chunk.slice());
    },
  });
  return { sink, chunks, originals };
}

/** The first index where two byte arrays differ, or -1 (deepEqual's diff of megabytes takes a minute). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  chunks.reduce((at, chunk) => (out.set(chunk, at), at + chunk.length), 0);
  return out;
}

test("serializer: frames, records and bytes arrive in order, in buffer-sized writes, big items copied", async () => {
  const random = seededRandom(0x5e41);
  const Tick = struct({ id: u32, size: u16, ts: u64 });
  const { sink, chunks, originals } = collector();
  const expected: Uint8Array[] = [];
  const big = randomBytes(random, 5000);
  {
    await using out = new StreamingSerializer(sink, { bufferSize: 1024 });
    for (let i = 0; i < 3000; i++) {
      const kind = i % 3;
      if (kind === 0) {
        const payload = randomBytes(random, Math.floor(random() * 300));
        await out.writeFrame(payload, { type: i, timestamp: BigInt(i) });
        expected.push(encodeFrame(payload, { type: i, timestamp: BigInt(i) }));
      } else if (kind === 1) {
        const value = { id: i, size: i & 0xffff, ts: BigInt(i) * 3n };
        await out.writeRecord(Tick, value);
        const record = new Uint8Array(Tick.size);
        Tick.write(record, value);
        expected.push(record);
      } else {
        const bytes = randomBytes(random, Math.floor(random() * 100));
        await out.write(bytes);
        expected.push(bytes);
      }
      if (i === 1500) {
        await out.write(big);
        expected.push(big);
      }
    }
    assert.ok(out.buffered > 0, "something is still gathered before disposal");
  }
  assert.equal(firstDifference(concat(chunks), concat(expected)), -1);
  assert.ok(chunks.every((chunk) => chunk.length <= 1024 || chunk.length === big.length));
  assert.ok(
    !originals.includes(big),
    "the big item went to the sink as a copy, the caller's array stays theirs",
  );
  assert.ok(chunks.length > 100);
});

test("serializer: unawaited writes still come out whole and in order", async () => {
  const { sink, chunks } = collector();
  const out = new StreamingSerializer(sink, { bufferSize: 64, maxPending: 1 << 20 });
  const pending: Promise<void>[] = [];
  const expected: number[] = [];
  for (let i = 0; i < 500; i++) {
    const bytes = new Uint8Array(1 + (i % 40)).fill(i & 0xff);
    pending.push(out.write(bytes));
    expected.push(...bytes);
  }
  await Promise.all(pending);
  await out.close();
  assert.deepEqual([...concat(chunks)], expected);
});

test("serializer: a writer that takes part of each write is driven to the end; a failing sink fails every later write", async () => {
  const received: number[] = [];
  const partial: SerializerSink = {
    write(bytes: Uint8Array) {
      const taken = Math.min(bytes.length, 7);
      received.push(...bytes.subarray(0, taken));
      return Promise.resolve(taken);
    },
  };
  const out = new StreamingSerializer(partial, { bufferSize: 100 });
  const data = Uint8Array.from({ length: 250 }, (_, i) => i);
  await out.write(data.subarray(0, 90));
  await out.write(data.subarray(90));
  await out.close();
  assert.deepEqual(received, [...data]);
  throwsCode(() => out.write(new Uint8Array(1)), "E_DISPOSED");

  let calls = 0;
  const broken: SerializerSink = {
    write() {
      calls += 1;
      throw new Error("disk full");
    },
  };
  const failing = new StreamingSerializer(broken, { bufferSize: 64 });
  await failing.write(new Uint8Array(10));
  await assert.rejects(failing.flush(), /disk full/);
  await assert.rejects(failing.write(new Uint8Array(100)), /disk full/);
  assert.equal(calls, 1, "no write reaches the sink after it failed");
  const lying: SerializerSink = { write: () => 0 };
  const toLiar = new StreamingSerializer(lying);
  await toLiar.write(new Uint8Array(1 << 17));
  await assert.rejects(toLiar.close(), /took no bytes/);
  // A record that fails its checks is refused, and the serializer carries on.
  const { sink, chunks } = collector();
  const Pair = struct({ a: u16, b: u16 });
  const out2 = new StreamingSerializer(sink);
  await assert.rejects(
    out2.writeRecord(Pair, { a: 70000, b: 1 }),
    (error: { code?: string }) => error.code === "E_RANGE",
  );
  await out2.writeRecord(Pair, { a: 1, b: 2 });
  await out2.close();
  assert.deepEqual(concat(chunks), new Uint8Array([1, 0, 2, 0]));
  throwsCode(() => new StreamingSerializer(sink, { bufferSize: 8 }), "E_RANGE");
  throwsCode(() => new StreamingSerializer({} as never), "E_TYPE");
});

test("serializer: frames written to a file (Deno.FsFile or Bun's FileSink) read back intact", async () => {
  const directory = mkdtempSync(join(tmpdir(), "binlane-serializer-"));
  try {
    const path = join(directory, "frames.bin");
    // deno-lint-ignore no-explicit-any
    const anyGlobal = globalThis as any;
    const file = underBun
      ? anyGlobal.Bun.file(path).writer()
      : await anyGlobal.Deno.open(path, { write: true, create: true });
    const payloads = Array.from({ length: 2000 }, (_, i) => new Uint8Array(i % 500).fill(i & 0xff));
    {
      await using out = new StreamingSerializer(file, { bufferSize: 4096 });
      for (const [i, payload] of payloads.entries()) {
        await out.writeFrame(payload, { type: i, timestamp: 0n });
      }
    }
    if (underBun) await file.end();
    else file.close();
    const bytes = new Uint8Array(readFileSync(path));
    let at = 0;
    for (const [i, payload] of payloads.entries()) {
      const frame = decodeFrame(bytes, at);
      assert.equal(frame.type, i);
      assert.deepEqual(frame.payload, payload);
      at += frame.byteLength;
    }
    assert.equal(at, bytes.length);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
