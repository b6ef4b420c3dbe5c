import assert from "node:assert/strict";
import process from "node:process";
import {
  encodeFrame,
  type Frame,
  FrameBatchDecoderStream,
  type FrameDecoderOptions,
  FrameDecoderStream,
  FrameEncoderStream,
  frameSize,
} from "../mod.ts";
import { backend, setCpuLevel, supportedCpuLevels } from "../mod.ts";
import { frameScanThresholds } from "../src/frame.ts";
import { collectGarbage, randomBytes, seededRandom, test } from "./harness.ts";

/** `count` frames of random payloads (0..maxPayload bytes), type = index, and their concatenation. */
function frameStream(random: () => number, count: number, maxPayload: number) {
  const payloads = Array.from(
    { length: count },
    () => randomBytes(random, Math.floor(random() * maxPayload)),
  );
  const frames = payloads.map((payload, i) =>
    encodeFrame(payload, { type: i % 65536, timestamp: BigInt(i) })
  );
  const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  let offset = 0;
  const starts = frames.map((frame) => {
    bytes.set(frame, offset);
    offset += frame.length;
    return offset - frame.length;
  });
  return { payloads, frames, bytes, starts };
}

/** `bytes` cut into chunks whose sizes `size()` picks. */
function chunked(bytes: Uint8Array, size: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = Math.max(1, Math.min(size(), bytes.length - at));
    chunks.push(bytes.subarray(at, at + length));
    at += length;
  }
  return chunks;
}

async function decodeAll(chunks: Uint8Array[], options?: FrameDecoderOptions) {
  const decoder = new FrameDecoderStream(options);
  const frames: Frame[] = [];
  let error: unknown;
  try {
    for await (const frame of ReadableStream.from(chunks).pipeThrough(decoder)) frames.push(frame);
  } catch (caught) {
    error = caught;
  }
  return { frames, error: error as { code?: string; offset?: number } | undefined, stats: decoder.stats };
}

test("frame streams: frames split at any chunk boundaries come out whole, copied only when they straddle", async () => {
  const random = seededRandom(0x57e4);
  const { payloads, bytes } = frameStream(random, 300, 300);
  const cuts: [string, () => number][] = [
    ["1-byte chunks", () => 1],
    ["random chunks up to 64 B", () => 1 + Math.floor(random() * 64)],
    ["random chunks up to 4 KiB", () => 1 + Math.floor(random() * 4096)],
    ["one chunk", () => bytes.length],
  ];
  for (const [name, size] of cuts) {
    const chunks = chunked(bytes, size);
    const { frames, error, stats } = await decodeAll(chunks);
    assert.equal(error, undefined, name);
    assert.equal(frames.length, payloads.length, name);
    frames.forEach((frame, i) => {
      assert.equal(frame.type, i, name);
      assert.deepEqual(frame.payload, payloads[i], `${name}: frame ${i}`);
    });
    assert.equal(stats.frames, payloads.length);
    assert.equal(stats.bytes, bytes.length);
    if (name === "one chunk") {
      assert.equal(stats.copied, 0);
      assert.ok(frames.every((frame) => frame.payload.buffer === bytes.buffer), "zero-copy views");
    }
    if (name === "1-byte chunks") {
      assert.equal(stats.copied, payloads.length);
      // Assembled frames share slabs: each at its own 8-aligned place, none overlapping (checked above).
      assert.ok(frames.every((frame) => frame.payload.byteOffset % 8 === 0), "8-aligned payloads");
    }
  }
});

test("frame streams: the encoder stream writes what encodeFrame writes, and round-trips through the decoder", async () => {
  const messages = [
    { payload: new Uint8Array([1, 2, 3]) },
    { payload: new Uint8Array(0), type: 9, timestamp: 5n },
    { payload: new Uint16Array([0xffff]), fingerprint: 77n },
  ];
  const encoded: Uint8Array[] = [];
  for await (
    const frame of ReadableStream.from(messages).pipeThrough(
      new FrameEncoderStream({ type: 2, timestamp: 1n }),
    )
  ) {
    encoded.push(frame);
  }
  assert.deepEqual(encoded[0], encodeFrame(new Uint8Array([1, 2, 3]), { type: 2, timestamp: 1n }));
  assert.deepEqual(encoded[1], encodeFrame(new Uint8Array(0), { type: 9, timestamp: 5n }));
  const { frames } = await decodeAll(encoded);
  assert.deepEqual(frames.map((frame) => [frame.type, frame.timestamp, frame.fingerprint]), [
    [2, 1n, 0n],
    [9, 5n, 0n],
    [2, 1n, 77n],
  ]);
});

test("frame streams: strict mode fails at the exact stream offset; a truncated end is an error", async () => {
  const random = seededRandom(0xbad);
  const { bytes, starts } = frameStream(random, 20, 100);
  // A flipped payload byte in frame 7.
  const damaged = bytes.slice();
  damaged[starts[7] + 32] ^= 0x10;
  const payloadDamage = await decodeAll(chunked(damaged, () => 17));
  assert.equal(payloadDamage.frames.length, 7);
  assert.equal(payloadDamage.error?.code, "E_FRAME_PAYLOAD_CRC");
  assert.equal(payloadDamage.error?.offset, starts[7] + 32);
  // A flipped magic in frame 12.
  const magic = bytes.slice();
  magic[starts[12] + 1] ^= 1;
  const magicDamage = await decodeAll(chunked(magic, () => 1000));
  assert.equal(magicDamage.error?.code, "E_FRAME_MAGIC");
  assert.equal(magicDamage.error?.offset, starts[12]);
  // The stream ends inside frame 19, wherever that cut falls.
  for (const cut of [starts[19] + 1, starts[19] + 31, starts[19] + 32, bytes.length - 1]) {
    const truncated = await decodeAll(chunked(bytes.subarray(0, cut), () => 50));
    assert.equal(truncated.frames.length, 19);
    assert.equal(truncated.error?.code, "E_FRAME_TRUNCATED", `cut at ${cut}`);
    assert.equal(truncated.error?.offset, starts[19]);
  }
  // An oversized header is refused from its 32 bytes: nothing waits for the payload.
  const big = encodeFrame(new Uint8Array(5000), { type: 1 });
  const refused = await decodeAll([big.subarray(0, 40)], { maxFrameSize: 4096 });
  assert.equal(refused.error?.code, "E_FRAME_TOO_LARGE");
  assert.equal(refused.error?.offset, 24);
});

test("frame streams: resync recovers exactly the intact frames of a 10,000-frame stream with random damage and garbage", async () => {
  const random = seededRandom(0x10000);
  const count = 10_000;
  const { payloads, bytes, starts } = frameStream(random, count, 120);
  // Damage about 3% of frames, never two in a row, each with one to three flipped bits anywhere in it.
  const damagedFrames = new Set<number>();
  for (let i = 1; i < count - 1; i++) {
    if (random() < 0.03 && !damagedFrames.has(i - 1)) damagedFrames.add(i);
  }
  const damaged = bytes.slice();
  for (const i of damagedFrames) {
    const length = frameSize(payloads[i].length);
    const flips = 1 + Math.floor(random() * 3);
    for (let f = 0; f < flips; f++) {
      const bit = Math.floor(random() * length * 8);
      damaged[starts[i] + (bit >> 3)] ^= 1 << (bit & 7);
    }
  }
  // And garbage before a few intact frames (which then count as one more damaged stretch each).
  const garbageBefore = new Set(
    [500, 4000, 9000].filter((i) => !damagedFrames.has(i) && !damagedFrames.has(i - 1)),
  );
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (garbageBefore.has(i)) pieces.push(randomBytes(random, 1 + Math.floor(random() * 50)));
    pieces.push(damaged.subarray(starts[i], starts[i] + frameSize(payloads[i].length)));
  }
  const stream = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    stream.set(piece, offset);
    offset += piece.length;
  }
  const { frames, error, stats } = await decodeAll(chunked(stream, () => 1 + Math.floor(random() * 9000)), {
    resync: true,
  });
  assert.equal(error, undefined);
  const expected = payloads.map((_, i) => i).filter((i) => !damagedFrames.has(i));
  assert.deepEqual(frames.map((frame) => frame.type), expected);
  frames.forEach((frame) => assert.deepEqual(frame.payload, payloads[frame.type]));
  assert.equal(stats.droppedFrames, damagedFrames.size + garbageBefore.size);
  assert.ok(damagedFrames.size > 200, `${damagedFrames.size} damaged frames`);
  const intactBytes = frames.reduce((sum, frame) => sum + frame.byteLength, 0);
  assert.equal(stats.droppedBytes, stream.length - intactBytes);
});

/** What a decode produced, in a form `deepEqual` compares whole. */
async function decodeOutcome(chunks: Uint8Array[], options: FrameDecoderOptions) {
  const { frames, error, stats } = await decodeAll(chunks, options);
  return {
    frames: frames.map((f) => ({ ...f, payload: [...f.payload] })),
    error: error === undefined ? undefined : { code: error.code, offset: error.offset },
    stats: { ...stats },
  };
}

test("frame streams: the native bulk check and the JS reading agree on damaged, foreign and oversized frames", async () => {
  const random = seededRandom(0x5ca7);
  const initialLevel = backend().cpu;
  const saved = frameScanThresholds.bytes;
  try {
    for (let round = 0; round < 12; round++) {
      const { payloads, bytes, starts } = frameStream(random, 300, round % 2 === 0 ? 200 : 3000);
      const stream = bytes.slice();
      // A few frames damaged anywhere (header, payload, padding, trailer), one from another layout, garbage.
      for (let k = 0; k < 4; k++) {
        const i = Math.floor(random() * payloads.length);
        const bit = Math.floor(random() * frameSize(payloads[i].length) * 8);
        stream[starts[i] + (bit >> 3)] ^= 1 << (bit & 7);
      }
      const foreign = Math.floor(random() * payloads.length);
      const replaced = encodeFrame(payloads[foreign], {
        type: foreign,
        timestamp: BigInt(foreign),
        fingerprint: 7n,
      });
      stream.set(replaced, starts[foreign]);
      stream.fill(0xa5, starts[250], starts[250] + 5);
      const chunks = chunked(stream, () => 1 + Math.floor(random() * 20000));
      const optionSets: FrameDecoderOptions[] = [
        { resync: true },
        { resync: true, fingerprint: 0n },
        { resync: true, maxFrameSize: 2048 },
        {},
        { fingerprint: 0n, maxFrameSize: 1024 },
      ];
      for (const options of optionSets) {
        frameScanThresholds.bytes = Infinity;
        const js = await decodeOutcome(chunks, options);
        frameScanThresholds.bytes = 0;
        for (const level of supportedCpuLevels()) {
          setCpuLevel(level);
          const native = await decodeOutcome(chunks, options);
          assert.deepEqual(
            native,
            js,
            `round ${round} ${level} ${JSON.stringify(options, (_, v) => String(v))}`,
          );
        }
      }
    }
  } finally {
    frameScanThresholds.bytes = saved;
    if (initialLevel !== "js") setCpuLevel(initialLevel);
  }
});

test("frame streams: transient frames are exact when read, and later exact or detached, never other bytes", async () => {
  const random = seededRandom(0x7a5e);
  // Payloads up to 100 KiB, so that some outgrow the reused memory and some fit it; and small ones byte by byte,
  // whose headers arrive alone and grow in place.
  const large = frameStream(random, 120, 100_000);
  const small = frameStream(random, 40, 3000);
  const cases: [string, Uint8Array[], Uint8Array[]][] = [
    ["1-byte chunks", small.payloads, chunked(small.bytes, () => 1)],
    [
      "random chunks up to 64 KiB",
      large.payloads,
      chunked(large.bytes, () => 1 + Math.floor(random() * 65536)),
    ],
    ["64 KiB chunks", large.payloads, chunked(large.bytes, () => 65536)],
  ];
  for (const batched of [false, true]) {
    for (const [name, payloads, chunks] of cases) {
      const label = `${batched ? "batches" : "frames"}, ${name}`;
      const kept: Frame[] = [];
      const check = (frame: Frame) => {
        const i = kept.length;
        assert.equal(frame.type, i, label);
        assert.deepEqual(frame.payload, payloads[i], `${label}: frame ${i} as read`);
        kept.push(frame);
      };
      const readable = ReadableStream.from(chunks);
      let copied: number;
      if (batched) {
        const decoder = new FrameBatchDecoderStream({ transient: true });
        for await (const batch of readable.pipeThrough(decoder)) batch.forEach(check);
        copied = decoder.stats.copied;
      } else {
        const decoder = new FrameDecoderStream({ transient: true });
        for await (const frame of readable.pipeThrough(decoder)) check(frame);
        copied = decoder.stats.copied;
      }
      assert.equal(kept.length, payloads.length, label);
      let detached = 0;
      kept.forEach((frame, i) => {
        if (frame.payload.length === 0 && payloads[i].length > 0) detached += 1;
        else assert.deepEqual(frame.payload, payloads[i], `${label}: frame ${i} kept`);
      });
      // Copied frames are detached when a later one reuses their memory; views of chunks never are.
      assert.ok(detached >= 1 && detached < copied, `${label}: ${detached} detached of ${copied} copied`);
    }
  }
  // Without the option, kept frames stay whole.
  const { frames } = await decodeAll(chunked(large.bytes, () => 65536));
  frames.forEach((frame, i) => assert.deepEqual(frame.payload, large.payloads[i]));
});

test("frame streams: a slow consumer holds the producer back; nothing is read ahead without limit", async () => {
  const frame = encodeFrame(new Uint8Array(1000), { type: 1 });
  let pulled = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      controller.enqueue(frame);
      if (pulled === 10_000) controller.close();
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new FrameDecoderStream()).getReader();
  for (let i = 0; i < 5; i++) {
    const { value } = await reader.read();
    assert.equal(value?.type, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // Five frames were consumed; the pipe may hold a few more in its queues, never thousands.
  assert.ok(pulled <= 5 + 4, `${pulled} chunks pulled for 5 frames read`);
  await reader.cancel();
});

test(
  "frame streams: 1 GiB streams through the decoder in chunks of every size with memory held flat",
  async () => {
    const random = seededRandom(0x61b);
    // 1 MiB of whole frames of mixed sizes (up to 20 KiB, so that some straddle any chunk), cycled 1024 times.
    const { bytes: base, payloads } = frameStream(random, 2000, 1000);
    const big = encodeFrame(randomBytes(random, 20_000), { type: 65535, timestamp: 0n });
    const ring = new Uint8Array(base.length + big.length);
    ring.set(base);
    ring.set(big, base.length);
    const framesPerRing = payloads.length + 1;
    const passes = Math.ceil(2 ** 30 / ring.length);
    let position = 0;
    let pass = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pass === passes) return controller.close();
        const size = 1 + Math.floor(random() * 200_000);
        const end = Math.min(ring.length, position + size);
        controller.enqueue(ring.subarray(position, end));
        position = end;
        if (position === ring.length) {
          position = 0;
          pass += 1;
        }
      },
    }, { highWaterMark: 0 });
    const decoder = new FrameDecoderStream();
    // Live memory after a full collection: what the decoder holds on to, not what the collector has yet to free.
    const live = () => {
      collectGarbage();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.external;
    };
    const before = live();
    let peak = before;
    let frames = 0;
    let samples = 0;
    let payloadBytes = 0;
    for await (const frame of source.pipeThrough(decoder)) {
      frames += 1;
      payloadBytes += frame.payload.length;
      if (frames % 200_000 === 0) {
        peak = Math.max(peak, live());
        samples += 1;
      }
    }
    assert.equal(frames, passes * framesPerRing);
    assert.equal(decoder.stats.bytes, passes * ring.length);
    assert.ok(decoder.stats.bytes >= 2 ** 30);
    assert.equal(payloadBytes, passes * (payloads.reduce((sum, p) => sum + p.length, 0) + 20_000));
    // Holding the stream would show as 1 GiB; a frame, a chunk and the pipe's queues are well under 64 MiB.
    const grown = peak - before;
    assert.ok(samples >= 5, `memory sampled ${samples} times`);
    assert.ok(grown < 64 * 1024 * 1024, `live memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
  },
  300_000,
);
