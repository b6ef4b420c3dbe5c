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
  u32,
  u64,
  u8,
} from "../mod.ts";
import { randomBytes, seededRandom, test, throwsCode, underBun } from "./harness.ts";

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  chunks.reduce((at, chunk) => (out.set(chunk, at), at + chunk.length), 0);
  return out;
}

/** The first index where two byte arrays differ, or -1 (deepEqual's diff of megabytes takes a minute). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** A WritableStream that keeps every chunk as it was given, as a queue or a collector does. */
function keeper(delay = false): { sink: WritableStream<Uint8Array>; kept: Uint8Array[] } {
  const kept: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      kept.push(chunk);
      if (delay) await new Promise((resolve) => setTimeout(resolve, 0));
    },
  });
  return { sink, kept };
}

/** The frames in `bytes`, in order; every CRC checked by decodeFrame. */
function framesOf(bytes: Uint8Array): { type: number; payload: Uint8Array }[] {
  const frames = [];
  for (let at = 0; at < bytes.length;) {
    const frame = decodeFrame(bytes, at);
    frames.push({ type: frame.type, payload: frame.payload.slice() });
    at += frame.byteLength;
  }
  return frames;
}

/** A file sink of the runtime (Deno.FsFile, Bun's FileSink) and how to finish and read it. */
async function fileSink(): Promise<{ sink: SerializerSink; finish: () => Promise<Uint8Array> }> {
  const directory = mkdtempSync(join(tmpdir(), "binlane-serializer-own-"));
  const path = join(directory, "out.bin");
  const sink = underBun
    ? anyGlobal.Bun.file(path).writer()
    : await anyGlobal.Deno.open(path, { write: true, create: true });
  return {
    sink,
    finish: async () => {
      if (underBun) await sink.end();
      else sink.close();
      const bytes = new Uint8Array(readFileSync(path));
      rmSync(directory, { recursive: true, force: true });
      return bytes;
    },
  };
}

const Tick = struct({ id: u32, flag: u8, ts: u64 });

function tickBytes(value: { id: number; flag: number; ts: bigint }): Uint8Array {
  const bytes = new Uint8Array(Tick.size);
  Tick.write(bytes, value);
  return bytes;
}

test("serializer: a WritableStream sink that keeps its chunks reads every record as written", async () => {
  const { sink, kept } = keeper();
  const expected: Uint8Array[] = [];
  {
    await using out = new StreamingSerializer(sink, { bufferSize: 64 });
    for (let i = 0; i < 10; i++) {
      const value = { id: 1000 + i, flag: i, ts: BigInt(i) << 40n };
      await out.writeRecord(Tick, value);
      expected.push(tickBytes(value));
      if (i === 6) await out.flush();
    }
    // A value refused on its last field leaves bytes past `buffered`: a kept chunk must not carry them.
    await assert.rejects(
      out.writeRecord(Tick, { id: 0xdeadbeef, flag: 0xee, ts: -1n }),
      (error: { code?: string }) => error.code === "E_RANGE",
    );
  }
  assert.ok(kept.length >= 3, "several chunks reached the sink");
  assert.deepEqual(concat(kept), concat(expected));
  const buffers = new Set(kept.map((chunk) => chunk.buffer));
  assert.equal(buffers.size, kept.length, "no two chunks share memory, so none was written again");
  for (const chunk of kept) {
    const whole = new Uint8Array(chunk.buffer);
    const outside = [
      ...whole.subarray(0, chunk.byteOffset),
      ...whole.subarray(chunk.byteOffset + chunk.length),
    ];
    assert.ok(outside.every((byte) => byte === 0), "a chunk's memory holds nothing but its bytes and zeros");
  }
});

test("serializer: a write(bytes) sink that keeps what it is given sees every write as it was", async () => {
  const kept: Uint8Array[] = [];
  const keeping: SerializerSink = { write: (bytes) => (kept.push(bytes), bytes.length) };
  // A caller's object dressed as the runtime's file writer, with a write of its own, is not trusted to copy.
  const dressed = anyGlobal.Deno?.FsFile
    ? Object.assign(Object.create(anyGlobal.Deno.FsFile.prototype), { write: keeping.write })
    : new (class FileSink {
      write(bytes: Uint8Array): number {
        kept.push(bytes);
        return bytes.length;
      }
    })();
  for (const sink of [keeping, dressed as SerializerSink]) {
    kept.length = 0;
    const random = seededRandom(0x0e1);
    const expected: Uint8Array[] = [];
    const out = new StreamingSerializer(sink, { bufferSize: 256 });
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(random, 1 + Math.floor(random() * 90));
      await out.write(bytes);
      expected.push(bytes);
    }
    await out.close();
    assert.ok(kept.length > 50);
    assert.deepEqual(concat(kept), concat(expected));
  }
});

test("serializer: a caller that never awaits and reuses one scratch array writes N distinct values", async () => {
  const N = 200;
  for (const kind of ["stream", "file"] as const) {
    const { sink, kept } = keeper(true);
    const file = kind === "file" ? await fileSink() : undefined;
    const out = new StreamingSerializer(file?.sink ?? sink, { bufferSize: 256, maxPending: 1 << 24 });
    const small = new Uint8Array(4);
    const big = new Uint8Array(300); // past bufferSize: written on its own
    const value = { id: 0, flag: 0, ts: 0n };
    const writes: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      small.fill(i);
      writes.push(out.write(small));
      big.fill(i);
      writes.push(out.write(big));
      small.fill(i ^ 0x80);
      writes.push(out.writeFrame(small, { type: i, timestamp: 0n }));
      big.fill(i ^ 0x80);
      writes.push(out.writeFrame(big, { type: i, timestamp: 0n }));
      value.id = i;
      value.flag = i & 0xff;
      value.ts = BigInt(i);
      writes.push(out.writeRecord(Tick, value));
    }
    // The scratch memory is scribbled on before any write could have run.
    small.fill(0xff);
    big.fill(0xff);
    value.id = 0xffffffff;
    await Promise.all(writes);
    await out.close();
    const bytes = file ? await file.finish() : concat(kept);
    const expected: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      expected.push(new Uint8Array(4).fill(i), new Uint8Array(300).fill(i));
      expected.push(encodeFrame(new Uint8Array(4).fill(i ^ 0x80), { type: i, timestamp: 0n }));
      expected.push(encodeFrame(new Uint8Array(300).fill(i ^ 0x80), { type: i, timestamp: 0n }));
      expected.push(tickBytes({ id: i, flag: i & 0xff, ts: BigInt(i) }));
    }
    assert.equal(firstDifference(bytes, concat(expected)), -1, `${kind}: every write as it was made`);
  }
});

test("serializer: 200 unawaited 1 MiB writes to a stalled sink are refused past maxPending, not queued", async () => {
  let open = () => {};
  const gate = new Promise<void>((resolve) => open = resolve);
  const received: Uint8Array[] = [];
  const stalled = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      await gate;
      received.push(chunk);
    },
  });
  const bufferSize = 64 * 1024;
  const out = new StreamingSerializer(stalled, { bufferSize });
  const item = new Uint8Array(1 << 20);
  let accepted = 0;
  let refused = 0;
  let maxSeen = 0;
  for (let i = 0; i < 200; i++) {
    item.fill(i);
    try {
      void out.write(item).catch(() => {});
      accepted += 1;
    } catch (error) {
      assert.equal((error as { code?: string }).code, "E_BUFFER_TOO_SMALL");
      assert.match((error as Error).message, /maxPending/);
      refused += 1;
    }
    maxSeen = Math.max(maxSeen, out.pending);
  }
  assert.equal(accepted, 1, "the default maxPending (4 buffers) holds one 1 MiB item, then refuses");
  assert.equal(refused, 199);
  assert.ok(maxSeen <= 4 * bufferSize + item.length, `pending peaked at ${maxSeen}`);
  const ready = out.ready;
  open();
  await ready;
  item.fill(0xaa);
  await out.write(item);
  await out.close();
  assert.deepEqual(received.map((chunk) => [chunk.length, chunk[0], chunk[chunk.length - 1]]), [
    [1 << 20, 0, 0],
    [1 << 20, 0xaa, 0xaa],
  ]);
});

test("serializer: a producer that awaits every write to a slow sink is never refused; pending stays bounded", async () => {
  const random = seededRandom(0xbac);
  const { sink, kept } = keeper(true);
  const bufferSize = 1024;
  const out = new StreamingSerializer(sink, { bufferSize, maxPending: 4096 });
  const expected: Uint8Array[] = [];
  let maxSeen = 0;
  for (let i = 0; i < 600; i++) {
    const bytes = randomBytes(random, Math.floor(random() * 3 * bufferSize));
    await out.write(bytes);
    expected.push(bytes);
    maxSeen = Math.max(maxSeen, out.pending);
    assert.ok(out.pending * 2 <= 4096, "an awaited write resolves once at most half of maxPending waits");
  }
  await out.close();
  assert.ok(maxSeen > 0);
  assert.deepEqual(concat(kept), concat(expected));
});

test("serializer: a sink failing while writes wait rejects ready, every waiting write and every later one", async () => {
  let fail = (_: Error) => {};
  const gate = new Promise<void>((_, reject) => fail = reject);
  const sink = new WritableStream<Uint8Array>({ write: () => gate });
  const out = new StreamingSerializer(sink, { bufferSize: 64, maxPending: 128 });
  const first = out.write(new Uint8Array(200));
  const ready = out.ready;
  fail(new Error("link down"));
  await assert.rejects(first, /link down/);
  await assert.rejects(ready, /link down/);
  await assert.rejects(out.write(new Uint8Array(1)), /link down/);
  await assert.rejects(out.writeFrame(new Uint8Array(1), { type: 1 }), /link down/);
  await assert.rejects(out.flush(), /link down/);
  await assert.rejects(out.close(), /link down/);
});

test("serializer: options are checked, unknown keys refused by name, wrong types E_TYPE", async () => {
  const sink = () => new WritableStream<Uint8Array>();
  const fails = (options: unknown, code: string, pattern?: RegExp) => {
    const error = throwsCode(() => new StreamingSerializer(sink(), options as never), code);
    if (pattern) assert.match(error.message, pattern);
  };
  fails({ bufferSize: 1024, bufferSzie: 4 }, "E_TYPE", /bufferSzie/);
  fails({ transfer: true }, "E_TYPE", /transfer/);
  fails(null, "E_TYPE");
  fails(7, "E_TYPE");
  fails({ bufferSize: "4096" }, "E_TYPE", /bufferSize/);
  fails({ bufferSize: 4096n }, "E_TYPE", /bufferSize/);
  fails({ maxPending: "big" }, "E_TYPE", /maxPending/);
  fails({ bufferSize: 63 }, "E_RANGE");
  fails({ bufferSize: 100.5 }, "E_RANGE");
  fails({ bufferSize: 2 ** 31 }, "E_RANGE");
  fails({ bufferSize: NaN }, "E_RANGE");
  fails({ bufferSize: 1024, maxPending: 1023 }, "E_RANGE", /maxPending/);
  fails({ maxPending: Infinity }, "E_RANGE");

  const { sink: kept, kept: chunks } = keeper();
  const out = new StreamingSerializer(kept, { bufferSize: 128 });
  const rejectsWith = (promise: Promise<void>, code: string, pattern?: RegExp) =>
    assert.rejects(promise, (error: Error & { code?: string }) => {
      assert.equal(error.code, code, error.message);
      if (pattern) assert.match(error.message, pattern);
      return true;
    });
  const payload = new Uint8Array(4);
  await rejectsWith(out.writeFrame(payload, { type: 1, fingerprnt: 5n } as never), "E_TYPE", /fingerprnt/);
  await rejectsWith(out.writeFrame(payload, { type: "1" } as never), "E_TYPE", /type/);
  await rejectsWith(out.writeFrame(payload, { type: 1, timestamp: 5 } as never), "E_TYPE", /timestamp/);
  await rejectsWith(out.writeFrame(payload, { type: 1, fingerprint: "0" } as never), "E_TYPE", /fingerprint/);
  await rejectsWith(
    out.writeFrame(payload, { type: 1, maxFrameSize: "9" } as never),
    "E_TYPE",
    /maxFrameSize/,
  );
  await rejectsWith(out.writeFrame(payload, null as never), "E_TYPE");
  await rejectsWith(out.writeFrame(payload, { type: 70000 }), "E_RANGE");
  // A payload past maxFrameSize is refused as it is, before a frame's worth of memory is taken for it.
  await rejectsWith(
    out.writeFrame(new Uint8Array(5000), { type: 1, maxFrameSize: 4096 }),
    "E_FRAME_TOO_LARGE",
  );
  await rejectsWith(out.writeFrame(new Uint8Array(5000), { type: 1, maxFrameSize: 1 }), "E_RANGE");
  await rejectsWith(out.writeRecord({ size: 4, write() {} } as never, {} as never), "E_TYPE", /Schema/);
  assert.equal(out.buffered, 0, "nothing refused was gathered");
  await out.close();
  assert.equal(chunks.length, 0);
});

test("serializer: a frame's options are read before its payload is measured, once each", async () => {
  const { sink, kept } = keeper();
  const out = new StreamingSerializer(sink, { bufferSize: 256 });
  // A getter that shrinks the payload's buffer: the frame must be of what is left, with a CRC that matches.
  const resizable = new ArrayBuffer(64, { maxByteLength: 64 });
  const tracking = new Uint8Array(resizable).fill(7);
  let reads = 0;
  await out.writeFrame(tracking, {
    get type() {
      reads += 1;
      resizable.resize(3);
      return 9;
    },
    timestamp: 0n,
  });
  assert.equal(reads, 1, "the type is read once");
  // A getter that detaches the payload: E_DISPOSED, not a frame of nothing.
  const doomed = new Uint8Array(32).fill(1);
  throwsCode(() =>
    out.writeFrame(doomed, {
      get type() {
        doomed.buffer.transfer();
        return 10;
      },
    }), "E_DISPOSED");
  await out.close();
  const frames = framesOf(concat(kept));
  assert.deepEqual(frames, [{ type: 9, payload: new Uint8Array([7, 7, 7]) }]);
});

test("serializer: a record's getters cannot write to, flush or close the serializer writing it", async () => {
  const { sink, kept } = keeper();
  const out = new StreamingSerializer(sink, { bufferSize: 256 });
  await out.write(new Uint8Array([0xab]));
  const codes: Promise<string>[] = [];
  const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);
  const attempt = (action: () => Promise<void>) => {
    try {
      codes.push(action().then(() => "accepted", codeOf));
    } catch (error) {
      codes.push(Promise.resolve(codeOf(error)));
    }
  };
  const value = {
    get id() {
      attempt(() => out.write(new Uint8Array(8).fill(0xcc)));
      attempt(() => out.writeRecord(Tick, { id: 1, flag: 1, ts: 1n }));
      attempt(() => out.flush());
      attempt(() => out.close());
      return 5;
    },
    flag: 6,
    ts: 7n,
  };
  await out.writeRecord(Tick, value);
  assert.deepEqual(await Promise.all(codes), [
    "E_INVALID_ARGUMENT",
    "E_INVALID_ARGUMENT",
    "E_INVALID_ARGUMENT",
    "E_INVALID_ARGUMENT",
  ]);
  await out.close();
  assert.deepEqual(concat(kept), concat([new Uint8Array([0xab]), tickBytes({ id: 5, flag: 6, ts: 7n })]));
});

test("serializer: a file sink's buffers are reused only after its write resolved, and the file is intact", async () => {
  const random = seededRandom(0xf11e);
  const file = await fileSink();
  const expected: Uint8Array[] = [];
  const out = new StreamingSerializer(file.sink, { bufferSize: 512, maxPending: 1 << 22 });
  const scratch = new Uint8Array(700);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 3000; i++) {
    const length = Math.floor(random() * 700);
    const bytes = randomBytes(random, length);
    scratch.set(bytes);
    writes.push(out.write(scratch.subarray(0, length)));
    expected.push(bytes);
    if (i % 500 === 0) await out.flush();
  }
  await Promise.all(writes);
  await out.close();
  const bytes = await file.finish();
  const want = concat(expected);
  assert.equal(firstDifference(bytes, want), -1, "the file holds every write as it was made");
  assert.equal(out.stats.bytes, want.length);
});

test("serializer: a sink named FileSink whose write is bound native-looking code is not trusted to copy", async () => {
  const kept: Uint8Array[] = [];
  const keep = function (bytes: Uint8Array): number {
    kept.push(bytes);
    return bytes.length;
  };
  // A bound function prints as "[native code]", and the class is named as Bun's own.
  class FileSink {
    declare write: (bytes: Uint8Array) => number;
  }
  FileSink.prototype.write = keep.bind(undefined);
  const random = seededRandom(0xf5);
  const expected: Uint8Array[] = [];
  const out = new StreamingSerializer(new FileSink() as SerializerSink, { bufferSize: 256 });
  for (let i = 0; i < 200; i++) {
    const bytes = randomBytes(random, 1 + Math.floor(random() * 90));
    await out.write(bytes);
    expected.push(bytes);
  }
  await out.close();
  assert.ok(kept.length > 20);
  assert.equal(firstDifference(concat(kept), concat(expected)), -1, "a kept chunk was overwritten");
});

test("serializer: a sink whose write or flush getter changes after the first read, or a truthy non-function flush", async () => {
  let reads = 0;
  const chunks: Uint8Array[] = [];
  const shifty = {
    get write() {
      reads += 1;
      return reads === 1 ? (bytes: Uint8Array) => (chunks.push(bytes.slice()), bytes.length) : 42;
    },
    get flush() {
      return reads > 1 ? "not a function" : undefined;
    },
  };
  const out = new StreamingSerializer(shifty as unknown as SerializerSink, { bufferSize: 64 });
  for (let i = 0; i < 20; i++) await out.write(new Uint8Array(50).fill(i));
  await out.flush();
  await out.close();
  assert.equal(reads, 1, "write is read once");
  assert.equal(concat(chunks).length, 1000);
  for (const flush of [1, "x", {}, true]) {
    const sink = { write: (bytes: Uint8Array) => bytes.length, flush };
    throwsCode(() => new StreamingSerializer(sink as unknown as SerializerSink), "E_TYPE");
  }
  const throwing = {
    get write(): never {
      throw new Error("getter");
    },
  };
  throwsCode(() => new StreamingSerializer(throwing as unknown as SerializerSink), "E_TYPE");
});
