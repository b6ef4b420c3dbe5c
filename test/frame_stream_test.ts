import assert from "node:assert/strict";
import process from "node:process";
import {
  decodeFrameBatches,
  encodeFrame,
  type Frame,
  FRAME_HEADER_SIZE,
  FrameBatchDecoderStream,
  type FrameDecoderOptions,
  type FrameDecoderStats,
  FrameDecoderStream,
  FrameEncoderStream,
  frameSize,
} from "../mod.ts";
import { backend, type BinaryInput, NativeBuffer, setCpuLevel, supportedCpuLevels } from "../mod.ts";
import { frameScanThresholds } from "../src/frame.ts";
import { collectGarbage, randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

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

/** The three decoders over chunks: a stream of frames, a stream of batches, and batches from an iterator. */
type Decoder = "frames" | "batches" | "iterator";
const decoders: Decoder[] = ["frames", "batches", "iterator"];

/** Everything `via` decodes from `chunks`, and the error that ended it; `pause` ms between frames read. */
async function decodeAll(
  chunks: Uint8Array[],
  options?: FrameDecoderOptions,
  { via = "frames", pause = 0 }: { via?: Decoder; pause?: number } = {},
) {
  const frames: Frame[] = [];
  const take = async (frame: Frame) => {
    frames.push(frame);
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  };
  let stats: FrameDecoderStats;
  let error: unknown;
  try {
    if (via === "frames") {
      const decoder = new FrameDecoderStream(options);
      stats = decoder.stats;
      for await (const frame of ReadableStream.from(chunks).pipeThrough(decoder)) await take(frame);
    } else if (via === "batches") {
      const decoder = new FrameBatchDecoderStream(options);
      stats = decoder.stats;
      for await (const batch of ReadableStream.from(chunks).pipeThrough(decoder)) {
        for (const frame of batch) await take(frame);
      }
    } else {
      const batches = decodeFrameBatches(ReadableStream.from(chunks), options);
      stats = batches.stats;
      for await (const batch of batches) {
        for (const frame of batch) await take(frame);
      }
    }
  } catch (caught) {
    error = caught;
  }
  return { frames, error: error as { code?: string; offset?: number } | undefined, stats: stats! };
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
  for (const [cut, size] of cuts) {
    for (const via of decoders) {
      const chunks = chunked(bytes, size);
      const name = `${cut}, ${via}`;
      const { frames, error, stats } = await decodeAll(chunks, {}, { via });
      assert.equal(error, undefined, name);
      assert.equal(frames.length, payloads.length, name);
      frames.forEach((frame, i) => {
        assert.equal(frame.type, i, name);
        assert.deepEqual(frame.payload, payloads[i], `${name}: frame ${i}`);
      });
      assert.equal(stats.frames, payloads.length);
      assert.equal(stats.bytes, bytes.length);
      if (cut === "one chunk") {
        assert.equal(stats.copied, 0);
        assert.ok(frames.every((frame) => frame.payload.buffer === bytes.buffer), "zero-copy views");
      }
      if (cut === "1-byte chunks") {
        assert.equal(stats.copied, payloads.length);
        // Assembled frames share slabs: each at its own 8-aligned place, none overlapping (checked above).
        assert.ok(frames.every((frame) => frame.payload.byteOffset % 8 === 0), "8-aligned payloads");
      }
    }
  }
});

test("frame streams: a large straddling frame's memory holds exactly its frame, every byte copied in", async () => {
  // Above 64 KiB a frame gets memory of its own, which Bun does not zero: its buffer must be the frame alone,
  // so that nothing the decoder did not write shows through `payload.buffer`.
  const random = seededRandom(0xa110c);
  const payloads = [65_529, 70_001, 131_072, 0, 99_999].map((length) => randomBytes(random, length));
  const encoded = payloads.map((payload, i) => encodeFrame(payload, { type: i, timestamp: BigInt(i) }));
  const bytes = new Uint8Array(encoded.reduce((sum, frame) => sum + frame.length, 0));
  encoded.reduce((at, frame) => (bytes.set(frame, at), at + frame.length), 0);
  const cuts: [string, () => number][] = [
    ["64 KiB chunks", () => 65536],
    ["random chunks up to 20 KiB", () => 1 + Math.floor(random() * 20_000)],
    ["a header's first bytes, then the rest", () => (random() < 0.5 ? 7 : 90_000)],
  ];
  for (const [cut, size] of cuts) {
    for (const via of decoders) {
      const name = `${cut}, ${via}`;
      const { frames, error } = await decodeAll(chunked(bytes, size), {}, { via });
      assert.equal(error, undefined, name);
      assert.equal(frames.length, payloads.length, name);
      let ownMemory = 0;
      frames.forEach((frame, i) => {
        assert.deepEqual(frame.payload, payloads[i], `${name}: frame ${i}`);
        if (frame.payload.buffer === bytes.buffer || encoded[i].length <= 65536) return;
        assert.equal(frame.payload.buffer.byteLength, encoded[i].length, `${name}: frame ${i}'s memory`);
        assert.deepEqual(new Uint8Array(frame.payload.buffer), encoded[i], `${name}: frame ${i}'s bytes`);
        ownMemory++;
      });
      assert.ok(ownMemory >= 2, `${name}: ${ownMemory} frames copied to memory of their own`);
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

test("frame streams: strict mode fails at the exact stream offset, after every frame before it; a truncated end is an error", async () => {
  const random = seededRandom(0xbad);
  const { payloads, bytes, starts } = frameStream(random, 20, 100);
  // A flipped payload byte in frame 7 and a flipped magic in frame 12, each cut small, large and not at all.
  const damaged = bytes.slice();
  damaged[starts[7] + 32] ^= 0x10;
  const magic = bytes.slice();
  magic[starts[12] + 1] ^= 1;
  const cases: [string, Uint8Array, number, string, number][] = [
    ["payload", damaged, 7, "E_FRAME_PAYLOAD_CRC", starts[7] + 32],
    ["magic", magic, 12, "E_FRAME_MAGIC", starts[12]],
  ];
  // The stream ends inside frame 19, wherever that cut falls.
  for (const cut of [starts[19] + 1, starts[19] + 31, starts[19] + 32, bytes.length - 1]) {
    cases.push([`cut at ${cut}`, bytes.subarray(0, cut), 19, "E_FRAME_TRUNCATED", starts[19]]);
  }
  for (const [name, stream, intact, code, offset] of cases) {
    for (const size of [17, 50, 1000, stream.length]) {
      for (const via of decoders) {
        // A consumer slower than the decoder too: frames queued ahead of the failure must still reach it.
        for (const pause of via === "iterator" || size < 1000 ? [0] : [0, 2]) {
          const label = `${name}, ${size}-byte chunks, ${via}, pause ${pause}`;
          const outcome = await decodeAll(chunked(stream, () => size), {}, { via, pause });
          assert.equal(outcome.frames.length, intact, label);
          outcome.frames.forEach((frame, i) => assert.deepEqual(frame.payload, payloads[i], label));
          assert.equal(outcome.error?.code, code, label);
          assert.equal(outcome.error?.offset, offset, label);
        }
      }
    }
  }
  // An oversized header is refused from its 32 bytes: nothing waits for the payload.
  const big = encodeFrame(new Uint8Array(5000), { type: 1 });
  const refused = await decodeAll([big.subarray(0, 40)], { maxFrameSize: 4096 });
  assert.equal(refused.error?.code, "E_FRAME_TOO_LARGE");
  assert.equal(refused.error?.offset, 24);
});

test("frame streams: frames queued before a failure wait for their reader, but not for one who left", async () => {
  const { bytes, starts } = frameStream(seededRandom(0x1eff), 6, 50);
  const damaged = bytes.slice();
  damaged[starts[5]] ^= 1; // frame 5's magic: five good frames, then a failure, all in one chunk
  const decoders: [string, () => TransformStream<Uint8Array, unknown>][] = [
    ["FrameDecoderStream", () => new FrameDecoderStream()],
    ["FrameBatchDecoderStream", () => new FrameBatchDecoderStream()],
  ];
  for (const [name, decoder] of decoders) {
    // A reader that takes one read and cancels: the stream ends at once, with nothing left waiting.
    const cancelling = ReadableStream.from([damaged]).pipeThrough(decoder()).getReader();
    assert.equal((await cancelling.read()).done, false);
    await cancelling.cancel("enough");
    assert.equal((await cancelling.read()).done, true);
    // A reader that takes one read and walks away: the stream still fails, once its patience runs out.
    const leaving = ReadableStream.from([damaged]).pipeThrough(decoder()).getReader();
    assert.equal((await leaving.read()).done, false);
    const started = performance.now();
    const failure = await leaving.closed.then(() => undefined, (error) => error);
    assert.equal(failure?.code, "E_FRAME_MAGIC", name);
    assert.ok(performance.now() - started < 10_000, "the failure came within its patience");
  }
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
  const chunks = chunked(stream, () => 1 + Math.floor(random() * 9000));
  const [{ frames, error, stats }, ...others] = await Promise.all(
    decoders.map((via) => decodeAll(chunks, { resync: true }, { via })),
  );
  for (const other of others) {
    assert.deepEqual(other.stats, stats);
    assert.deepEqual(other.frames.map((frame) => frame.type), frames.map((frame) => frame.type));
  }
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

test("frame streams: transient frames are exact when read, and later exact or E_DISPOSED, never other bytes", async () => {
  const random = seededRandom(0x7a5e);
  // Payloads up to 100 KiB, so that some outgrow the reused memory, some fit it and some are far smaller than it;
  // and small ones byte by byte, whose headers arrive alone.
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
  for (const via of decoders) {
    for (const [name, payloads, chunks] of cases) {
      const label = `${via}, ${name}`;
      const kept: Frame[] = [];
      const check = (frame: Frame) => {
        const i = kept.length;
        assert.equal(frame.type, i, label);
        assert.deepEqual(frame.payload, payloads[i], `${label}: frame ${i} as read`);
        const memory = frame.payload.buffer.byteLength;
        if (frame.payload.buffer !== chunks[0].buffer) {
          // Reused memory stays near the size of the frames that use it (Bun's transfer() copies all of it).
          assert.ok(
            memory <= Math.max(2 * frame.byteLength, 16384),
            `${label}: frame ${i} in ${memory} bytes`,
          );
        }
        kept.push(frame);
      };
      const readable = ReadableStream.from(chunks);
      let copied: number;
      if (via === "batches") {
        const decoder = new FrameBatchDecoderStream({ transient: true });
        for await (const batch of readable.pipeThrough(decoder)) batch.forEach(check);
        copied = decoder.stats.copied;
      } else if (via === "iterator") {
        const batches = decodeFrameBatches(readable, { transient: true });
        for await (const batch of batches) batch.forEach(check);
        copied = batches.stats.copied;
      } else {
        const decoder = new FrameDecoderStream({ transient: true });
        for await (const frame of readable.pipeThrough(decoder)) check(frame);
        copied = decoder.stats.copied;
      }
      assert.equal(kept.length, payloads.length, label);
      let detached = 0;
      kept.forEach((frame, i) => {
        let payload: Uint8Array;
        try {
          payload = frame.payload;
        } catch (error) {
          // Memory reused for a later frame: an error, never an empty or different payload.
          assert.equal((error as { code?: string }).code, "E_DISPOSED", `${label}: frame ${i} kept`);
          detached += 1;
          return;
        }
        assert.deepEqual(payload, payloads[i], `${label}: frame ${i} kept`);
      });
      // Copied frames are detached when a later one reuses their memory; views of chunks never are.
      assert.ok(detached >= 1 && detached < copied, `${label}: ${detached} detached of ${copied} copied`);
    }
  }
  // Without the option, kept frames stay whole.
  const { frames } = await decodeAll(chunked(large.bytes, () => 65536));
  frames.forEach((frame, i) => assert.deepEqual(frame.payload, large.payloads[i]));
});

test("decodeFrameBatches: reads any iterable of any binary chunks, one chunk per batch asked for", async () => {
  const random = seededRandom(0x17e4);
  const { payloads, bytes } = frameStream(random, 50, 500);
  const chunks = chunked(bytes, () => 1 + Math.floor(random() * 700));
  const natives: NativeBuffer[] = [];
  const native = (chunk: Uint8Array) => {
    const buffer = NativeBuffer.alloc(chunk.length);
    buffer.bytes.set(chunk);
    natives.push(buffer);
    return buffer;
  };
  const asTypes: BinaryInput[] = chunks.map((chunk, i) => {
    if (i % 4 === 0) return chunk;
    if (i % 4 === 1) return new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (i % 4 === 2) return chunk.slice().buffer;
    return native(chunk);
  });
  async function* generated() {
    yield* asTypes;
  }
  const sources: [string, () => AsyncIterable<BinaryInput> | Iterable<BinaryInput>][] = [
    ["an array", () => asTypes],
    ["a Set", () => new Set(asTypes)],
    ["an async generator", generated],
    ["a ReadableStream", () => ReadableStream.from(asTypes)],
  ];
  for (const [name, source] of sources) {
    const batches = decodeFrameBatches(source());
    const types: number[] = [];
    for await (const batch of batches) {
      assert.ok(batch.length > 0, `${name}: no empty batches`);
      for (const frame of batch) {
        assert.deepEqual(frame.payload, payloads[frame.type], name);
        types.push(frame.type);
      }
    }
    assert.deepEqual(types, payloads.map((_, i) => i), name);
    assert.equal(batches.stats.frames, payloads.length, name);
    assert.equal(batches.stats.bytes, bytes.length, name);
  }
  natives.forEach((buffer) => buffer.dispose());
  // Pull-based: a chunk is read only when the consumer asks for the next batch.
  const oneFramePerChunk = frameStream(random, 10, 100);
  let pulled = 0;
  async function* counted() {
    for (let i = 0; i < oneFramePerChunk.frames.length; i++) {
      pulled += 1;
      yield oneFramePerChunk.frames[i];
    }
  }
  const reader = decodeFrameBatches(counted());
  for (let i = 0; i < 3; i++) {
    const { value } = await reader.next();
    assert.equal(value?.[0].type, i);
    assert.equal(pulled, i + 1);
  }
  // Leaving early ends the source: an async generator's `finally` runs, a ReadableStream is cancelled.
  let finished = false;
  async function* endless() {
    try {
      for (;;) yield oneFramePerChunk.frames[0];
    } finally {
      finished = true;
    }
  }
  for await (const _ of decodeFrameBatches(endless())) break;
  assert.ok(finished, "the source's iteration was ended");
  let cancelled: unknown;
  const stream = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(oneFramePerChunk.frames[0]),
    cancel: (reason) => {
      cancelled = reason ?? "cancelled";
    },
  });
  for await (const _ of decodeFrameBatches(stream)) break;
  assert.ok(cancelled !== undefined, "the ReadableStream was cancelled");
});

test("decodeFrameBatches: bad sources, options and chunks are refused with typed errors", async () => {
  for (const source of [null, undefined, 5, "frames", {}, new Uint8Array(40)]) {
    throwsCode(() => decodeFrameBatches(source as unknown as Iterable<Uint8Array>), "E_TYPE");
  }
  throwsCode(() => decodeFrameBatches([], null as unknown as FrameDecoderOptions), "E_TYPE");
  throwsCode(() => decodeFrameBatches([], { maxFrameSize: -1 }), "E_RANGE");
  // A chunk that is not bytes fails the loop after the frames before it.
  const frame = encodeFrame(new Uint8Array([1]), { type: 3 });
  const types: number[] = [];
  let error: unknown;
  try {
    for await (const batch of decodeFrameBatches([frame, "text" as unknown as Uint8Array, frame])) {
      types.push(...batch.map((f) => f.type));
    }
  } catch (caught) {
    error = caught;
  }
  assert.deepEqual(types, [3]);
  assert.equal((error as { code?: string }).code, "E_TYPE");
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

test("frame streams: a chunk over 4 GiB, past the native calls' u32 lengths, decodes like any other", async () => {
  let chunk: Uint8Array;
  try {
    // Untouched pages cost no memory. Bun's typed arrays stop short of 4 GiB, so only Deno can make this input.
    chunk = new Uint8Array(2 ** 32 + 8192);
  } catch (error) {
    assert.ok(error instanceof RangeError && process.versions.bun !== undefined, String(error));
    return;
  }
  const payloads = [0, 1, 2].map((i) => randomBytes(seededRandom(0xb16 + i), 1000 + i * 8));
  const frames = payloads.map((payload, i) => encodeFrame(payload, { type: i }));
  // One at the start, one across 2^32, one cut by the chunk's end and finished by a second chunk.
  const across = 2 ** 32 - 504;
  chunk.set(frames[0], 0);
  chunk.set(frames[1], across);
  chunk.set(frames[2].subarray(0, 600), chunk.length - 600);
  for (const via of decoders) {
    for (const transient of [false, true]) {
      const label = `${via}, transient ${transient}`;
      const { frames: got, stats, error } = await decodeAll(
        [chunk, frames[2].subarray(600)],
        { resync: true, transient },
        { via },
      );
      assert.equal(error, undefined, label);
      assert.deepEqual(got.map((frame) => frame.type), [0, 1, 2], label);
      got.forEach((frame, i) => assert.deepEqual(frame.payload, payloads[i], `${label}: frame ${i}`));
      assert.equal(got[1].payload.byteOffset, across + FRAME_HEADER_SIZE, label);
      assert.deepEqual(
        { droppedFrames: stats.droppedFrames, droppedBytes: stats.droppedBytes, copied: stats.copied },
        {
          droppedFrames: 2,
          droppedBytes: across - frames[0].length + (chunk.length - 600) - (across + frames[1].length),
          copied: 1,
        },
        label,
      );
    }
  }
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
    // Live memory after a full collection: what the decoder holds on to, not what the collector has yet to free.
    const live = () => {
      collectGarbage();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.external;
    };
    for (const via of ["frames", "iterator"] as const) {
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
      const before = live();
      let peak = before;
      let frames = 0;
      let samples = 0;
      let payloadBytes = 0;
      const take = (frame: Frame) => {
        frames += 1;
        payloadBytes += frame.payload.length;
        if (frames % 200_000 === 0) {
          peak = Math.max(peak, live());
          samples += 1;
        }
      };
      let stats: FrameDecoderStats;
      if (via === "frames") {
        const decoder = new FrameDecoderStream();
        stats = decoder.stats;
        for await (const frame of source.pipeThrough(decoder)) take(frame);
      } else {
        const batches = decodeFrameBatches(source);
        stats = batches.stats;
        for await (const batch of batches) batch.forEach(take);
      }
      assert.equal(frames, passes * framesPerRing, via);
      assert.equal(stats.bytes, passes * ring.length, via);
      assert.ok(stats.bytes >= 2 ** 30, via);
      assert.equal(payloadBytes, passes * (payloads.reduce((sum, p) => sum + p.length, 0) + 20_000), via);
      // Holding the stream would show as 1 GiB; a frame, a chunk and the pipe's queues are well under 64 MiB.
      const grown = peak - before;
      assert.ok(samples >= 5, `${via}: memory sampled ${samples} times`);
      assert.ok(grown < 64 * 1024 * 1024, `${via}: live memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
    }
  },
  300_000,
);
