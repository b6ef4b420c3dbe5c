import assert from "node:assert/strict";
import {
  decodeFrame,
  decodeFrameBatches,
  encodeFrame,
  encodeFrameInto,
  type Frame,
  FrameBatchDecoderStream,
  FrameDecoderStream,
  frameSize,
  readFrameHeader,
} from "../mod.ts";
import { frameScanThresholds } from "../src/frame.ts";
import { randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

/** Detaches the memory under `bytes`, once. */
function detach(bytes: Uint8Array): void {
  const buffer = bytes.buffer as ArrayBuffer;
  if (!buffer.detached) buffer.transfer();
}

/** Options whose every read runs `attack` first, counting the reads. */
function hostileOptions<T extends object>(
  options: T,
  attack: () => void,
): { options: T; reads: () => number } {
  let reads = 0;
  const hostile = {} as T;
  for (const key of Object.keys(options) as (keyof T)[]) {
    Object.defineProperty(hostile, key, {
      enumerable: true,
      get() {
        reads += 1;
        attack();
        return options[key];
      },
    });
  }
  return { options: hostile, reads: () => reads };
}

test("encodeFrame: a payload detached by an options getter is E_DISPOSED, not a frame sized for the old one", () => {
  for (const key of ["type", "timestamp", "fingerprint", "maxFrameSize"]) {
    const payload = new Uint8Array(1024).fill(9);
    const all = { type: 1, timestamp: 2n, fingerprint: 3n, maxFrameSize: 1 << 20 };
    const { options } = hostileOptions(all, () => detach(payload));
    // Only the one getter attacks: the others are plain values.
    const mixed = { ...all, ...Object.fromEntries([[key, undefined]]) };
    Object.defineProperty(mixed, key, Object.getOwnPropertyDescriptor(options, key)!);
    throwsCode(() => encodeFrame(payload, mixed), "E_DISPOSED");
  }
});

test("encodeFrame, encodeFrameInto: a payload shrunk by a getter is framed at its new length", () => {
  const memory = new ArrayBuffer(1000, { maxByteLength: 1000 });
  // A view that tracks its buffer's length.
  const payload = new Uint8Array(memory);
  payload.forEach((_, i) => payload[i] = i & 0xff);
  const { options, reads } = hostileOptions({ type: 4, timestamp: 1n }, () => memory.resize(100));
  const frame = encodeFrame(payload, options);
  assert.equal(reads(), 2, "each option read once");
  assert.equal(frame.length, frameSize(100));
  assert.deepEqual(decodeFrame(frame).payload, payload.subarray(0, 100));

  memory.resize(1000);
  const target = new Uint8Array(frameSize(1000)).fill(0xee);
  const into = hostileOptions({ type: 4, timestamp: 1n }, () => memory.resize(40));
  assert.equal(encodeFrameInto(target, new Uint8Array(memory), into.options), frameSize(40));
  assert.deepEqual(decodeFrame(target).payload, new Uint8Array(memory));
  assert.ok(target.subarray(frameSize(40)).every((byte) => byte === 0xee), "nothing written past the frame");
});

test("encodeFrameInto: a target or payload detached by a getter is E_DISPOSED, nothing written", () => {
  for (const victim of ["target", "payload"] as const) {
    const target = new Uint8Array(frameSize(64)).fill(0xee);
    const payload = new Uint8Array(64).fill(1);
    const keep = victim === "payload" ? target : payload;
    const { options } = hostileOptions({ type: 1 }, () => detach(victim === "target" ? target : payload));
    throwsCode(() => encodeFrameInto(target, payload, options), "E_DISPOSED");
    if (victim === "payload") assert.ok(keep.every((byte) => byte === 0xee), "target untouched");
  }
});

test("decodeFrame, readFrameHeader: input detached by a getter is E_DISPOSED; each option read once", () => {
  for (const key of ["byteOffset", "maxFrameSize", "fingerprint"] as const) {
    const frame = encodeFrame(new Uint8Array(100).fill(3), { type: 2 });
    const { options, reads } = hostileOptions({ byteOffset: 0, maxFrameSize: 4096, fingerprint: 0n }, () => {
      detach(frame);
    });
    const only = { byteOffset: 0, maxFrameSize: 4096, fingerprint: 0n };
    Object.defineProperty(only, key, Object.getOwnPropertyDescriptor(options, key)!);
    throwsCode(() => decodeFrame(frame, only), "E_DISPOSED");
    assert.equal(reads(), 1, key);
    if (key === "fingerprint") continue;
    const again = encodeFrame(new Uint8Array(100), { type: 2 });
    const header = hostileOptions({ byteOffset: 0, maxFrameSize: 4096 }, () => {
      detach(again);
    });
    throwsCode(() => readFrameHeader(again, header.options), "E_DISPOSED");
  }
  // A getter that rewrites the header after the byte offset is read cannot split the check from the read:
  // everything is read before the frame is looked at.
  const frame = encodeFrame(new Uint8Array([1, 2, 3]), { type: 5 });
  const rewriting = hostileOptions({ fingerprint: 0n }, () => frame.fill(0, 0, 4));
  throwsCode(() => decodeFrame(frame, rewriting.options), "E_FRAME_MAGIC");
});

test("frame readers: a fingerprint that is not a u64 bigint is E_RANGE, not a filter that drops every frame", async () => {
  const frame = encodeFrame(new Uint8Array(8), { type: 1, fingerprint: 5n });
  for (const bad of [5, "5", -1n, 2n ** 64n, null]) {
    const fingerprint = bad as unknown as bigint;
    throwsCode(() => decodeFrame(frame, { fingerprint }), "E_RANGE");
    throwsCode(() => new FrameDecoderStream({ fingerprint, resync: true }), "E_RANGE");
    throwsCode(() => decodeFrameBatches([frame], { fingerprint }), "E_RANGE");
  }
  throwsCode(() => decodeFrame(frame, "0" as unknown as number), "E_TYPE");
  throwsCode(() => readFrameHeader(frame, null as unknown as object), "E_TYPE");
  assert.equal(decodeFrame(frame, { fingerprint: 5n }).fingerprint, 5n);
  const batches = await Array.fromAsync(decodeFrameBatches([frame], { fingerprint: 5n }));
  assert.equal(batches[0][0].fingerprint, 5n);
});

/** `frames` back to back in a SharedArrayBuffer. */
function sharedFrames(frames: Uint8Array[]): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(frames.reduce((sum, frame) => sum + frame.length, 0)));
  frames.reduce((at, frame) => (shared.set(frame, at), at + frame.length), 0);
  return shared;
}

test("decodeFrame, readFrameHeader: shared memory gives a private payload of the checked bytes, same errors", () => {
  const random = seededRandom(0x5ab);
  const payloads = [0, 5, 300, 5000].map((length) => randomBytes(random, length));
  const frames = payloads.map((payload, i) => encodeFrame(payload, { type: i, timestamp: BigInt(i) }));
  const shared = sharedFrames(frames);
  let at = 0;
  payloads.forEach((payload, i) => {
    const frame = decodeFrame(shared, at);
    assert.ok(frame.payload.buffer instanceof ArrayBuffer, `frame ${i}: not a view of the shared memory`);
    assert.deepEqual(frame.payload, payload);
    assert.equal(readFrameHeader(shared, { byteOffset: at }).payloadLength, payload.length);
    // Another thread writing the shared bytes afterwards changes nothing delivered.
    shared.fill(0xff, at, at + frame.byteLength);
    assert.deepEqual(frame.payload, payload, `frame ${i} after the shared bytes changed`);
    shared.set(frames[i], at);
    at += frame.byteLength;
  });
  // Damage reads the same from shared and private memory: code and absolute offset.
  const plain = shared.slice();
  for (let bit = 0; bit < frames[2].length * 8; bit += 7) {
    const start = frames[0].length + frames[1].length;
    const damagedShared = sharedFrames([shared]);
    const damagedPlain = plain.slice();
    damagedShared[start + (bit >> 3)] ^= 1 << (bit & 7);
    damagedPlain[start + (bit >> 3)] ^= 1 << (bit & 7);
    const outcome = (bytes: Uint8Array) => {
      try {
        return decodeFrame(bytes, { byteOffset: start, fingerprint: 0n }).payload.length;
      } catch (error) {
        const { code, offset } = error as { code: string; offset: number };
        return { code, offset };
      }
    };
    assert.deepEqual(outcome(damagedShared), outcome(damagedPlain), `bit ${bit}`);
  }
  // A frame cut short in shared memory is truncated, from its header or its body.
  throwsCode(() => decodeFrame(shared.subarray(0, frames[0].length - 1)), "E_FRAME_TRUNCATED");
  throwsCode(() => decodeFrame(shared.subarray(0, 20)), "E_FRAME_TRUNCATED");
});

test("frame decoders: chunks of shared memory give private payloads that a later write cannot change", async () => {
  const random = seededRandom(0x5ab2);
  const payloads = Array.from({ length: 60 }, () => randomBytes(random, Math.floor(random() * 700)));
  const frames = payloads.map((payload, i) => encodeFrame(payload, { type: i, timestamp: 0n }));
  const shared = sharedFrames(frames);
  const original = shared.slice();
  const starts = frames.map((_, i) => frames.slice(0, i).reduce((sum, frame) => sum + frame.length, 0));
  starts.push(shared.length);
  const saved = frameScanThresholds.bytes;
  try {
    // The native bulk check (every chunk) and the JS reading both.
    for (const threshold of [0, Infinity]) {
      frameScanThresholds.bytes = threshold;
      for (const size of [shared.length, 1000, 33]) {
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < shared.length; at += size) chunks.push(shared.subarray(at, at + size));
        const results: [string, Frame[]][] = [];
        // A writer that races the consumer: the bytes of every frame delivered change at once.
        const overwrite = (delivered: number) => shared.fill(0, 0, starts[delivered]);
        const batches: Frame[] = [];
        for await (const batch of decodeFrameBatches(chunks)) {
          batches.push(...batch);
          overwrite(batches.length);
        }
        shared.set(original);
        results.push(["decodeFrameBatches", batches]);
        const streamed: Frame[] = [];
        for await (const frame of ReadableStream.from(chunks).pipeThrough(new FrameDecoderStream())) {
          streamed.push(frame);
          overwrite(streamed.length);
        }
        shared.set(original);
        results.push(["FrameDecoderStream", streamed]);
        const batched = await Array.fromAsync(
          ReadableStream.from(chunks).pipeThrough(new FrameBatchDecoderStream()),
        );
        shared.fill(0);
        results.push(["FrameBatchDecoderStream", batched.flat()]);
        for (const [name, decoded] of results) {
          const label = `${name}, ${size}-byte chunks, threshold ${threshold}`;
          assert.equal(decoded.length, payloads.length, label);
          decoded.forEach((frame, i) => {
            assert.ok(!(frame.payload.buffer instanceof SharedArrayBuffer), `${label}: frame ${i} private`);
            assert.deepEqual(frame.payload, payloads[i], `${label}: frame ${i}`);
          });
        }
        shared.set(original);
      }
    }
  } finally {
    frameScanThresholds.bytes = saved;
  }
});

test("encodeFrame: a shared payload's CRC is of the bytes copied into the frame", () => {
  const payload = new Uint8Array(new SharedArrayBuffer(4096)).fill(0x5a);
  const frame = encodeFrame(payload, { type: 1 });
  assert.deepEqual(decodeFrame(frame).payload, payload);
  assert.ok(frame.buffer instanceof ArrayBuffer);
});

test("decodeFrame, decoders: a thread rewriting shared memory meanwhile never gets unchecked bytes delivered", async () => {
  const payload = randomBytes(seededRandom(0x7ace), 4096);
  const frame = encodeFrame(payload, { type: 1, timestamp: 0n });
  const shared = sharedFrames([frame]);
  const control = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./fixtures/shared_writer.ts", import.meta.url), { type: "module" });
  let started = (): void => {};
  const running = new Promise<void>((resolve) => started = resolve);
  const writes = new Promise<number>((resolve) => {
    worker.onmessage = (event) => typeof event.data === "number" ? resolve(event.data) : started();
  });
  worker.postMessage({ memory: shared.buffer, control: control.buffer, from: 32, to: 32 + payload.length });
  try {
    // A writer that never starts leaves this to the test's timeout.
    await running;
    let delivered = 0;
    let refused = 0;
    const check = (frame: Frame) => {
      // Read again after a pause: a view of the shared bytes would have changed under it by now.
      const copy = frame.payload.slice();
      for (const until = performance.now() + 0.05; performance.now() < until;);
      assert.deepEqual(frame.payload, copy, "the payload changed after delivery");
      assert.deepEqual(frame.payload, payload, "a payload other than the checked one");
      delivered += 1;
    };
    // Some rounds at least, and on a busy machine until the writer has been caught at work once.
    const minRounds = 50;
    const maxRounds = 200_000;
    for (let round = 0; round < minRounds || (refused === 0 && round < maxRounds); round++) {
      try {
        check(decodeFrame(shared));
      } catch (error) {
        if ((error as { code?: string }).code !== "E_FRAME_PAYLOAD_CRC") throw error;
        refused += 1;
      }
      try {
        for await (const batch of decodeFrameBatches([shared])) batch.forEach(check);
      } catch (error) {
        if ((error as { code?: string }).code !== "E_FRAME_PAYLOAD_CRC") throw error;
        refused += 1;
      }
    }
    // A torn payload refused shows the writer raced the reads; whole ones, when caught, were checked above.
    assert.ok(refused > 0, `${refused} refused, ${delivered} delivered`);
  } finally {
    Atomics.store(control, 0, 2);
    await writes;
    worker.terminate();
  }
});
