import assert from "node:assert/strict";
import {
  decodeFrameBatches,
  encodeFrame,
  type Frame,
  FrameBatchDecoderStream,
  FrameDecoderStream,
} from "../mod.ts";
import { randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

/** 40 frames of 3000-byte payloads cut in 1000-byte chunks: every frame straddles chunks. */
function straddling(seed: number) {
  const random = seededRandom(seed);
  const payloads = Array.from({ length: 40 }, () => randomBytes(random, 3000));
  const frames = payloads.map((payload, i) => encodeFrame(payload, { type: i, timestamp: 0n }));
  const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  frames.reduce((at, frame) => (bytes.set(frame, at), at + frame.length), 0);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 1000) chunks.push(bytes.subarray(at, at + 1000));
  return { payloads, chunks };
}

/** The three ways to decode with `transient`, each as a stream of single frames. */
function transientFrames(chunks: Uint8Array[], via: string): ReadableStream<Frame> {
  const source = ReadableStream.from(chunks);
  const flat = () =>
    new TransformStream<Frame[], Frame>({ transform: (batch, c) => batch.forEach((f) => c.enqueue(f)) });
  if (via === "frames") return source.pipeThrough(new FrameDecoderStream({ transient: true }));
  if (via === "batches") {
    return source.pipeThrough(new FrameBatchDecoderStream({ transient: true })).pipeThrough(flat());
  }
  return ReadableStream.from(decodeFrameBatches(source, { transient: true })).pipeThrough(flat());
}

const vias = ["frames", "batches", "iterator"];

/** A stage that reads up to 16 frames ahead of its consumer. */
const readAhead = () => new TransformStream<Frame, Frame>({}, { highWaterMark: 16 }, { highWaterMark: 16 });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("transient frames behind a read-ahead stage are all exact, for a slow consumer and a late one", async () => {
  const { payloads, chunks } = straddling(0x7a1);
  for (const via of vias) {
    // Slow: one frame a millisecond, while the stage ahead keeps pulling chunks through the decoder.
    let i = 0;
    for await (const frame of transientFrames(chunks, via).pipeThrough(readAhead())) {
      await sleep(1);
      assert.deepEqual(frame.payload, payloads[i], `${via}, slow consumer: frame ${i}`);
      i += 1;
    }
    assert.equal(i, payloads.length, via);
    // Late: every frame is decoded and queued before the consumer reads any.
    const all = await Array.fromAsync(transientFrames(chunks, via));
    all.forEach((frame, k) => assert.deepEqual(frame.payload, payloads[k], `${via}, collected: frame ${k}`));
  }
});

test("transient: a payload held across awaits stays exact until the consumer reads a later frame's", async () => {
  const { payloads, chunks } = straddling(0x7a2);
  for (const via of vias) {
    let i = 0;
    for await (const frame of transientFrames(chunks, via).pipeThrough(readAhead())) {
      const payload = frame.payload;
      // The stage ahead takes chunks meanwhile: they must not take this frame's memory.
      await sleep(1);
      await sleep(0);
      assert.deepEqual(payload, payloads[i], `${via}: frame ${i} after its awaits`);
      i += 1;
    }
    assert.equal(i, payloads.length);
  }
});

test("transient: memory is reused for a consumer in step, and a frame read after that is E_DISPOSED", async () => {
  const { payloads, chunks } = straddling(0x7a3);
  for (const via of vias) {
    const kept: Frame[] = [];
    for await (const frame of transientFrames(chunks, via)) {
      assert.deepEqual(frame.payload, payloads[kept.length], `${via}: frame ${kept.length} as read`);
      kept.push(frame);
    }
    let reused = 0;
    kept.forEach((frame, i) => {
      try {
        assert.deepEqual(frame.payload, payloads[i], `${via}: frame ${i} later`);
      } catch (error) {
        assert.equal((error as { code?: string }).code, "E_DISPOSED", `${via}: frame ${i} later`);
        reused += 1;
      }
    });
    // The memory saved is the point of the option: most frames' memory went to later ones.
    assert.ok(reused >= payloads.length / 2, `${via}: ${reused} of ${payloads.length} reused`);
    // The last two are still held for reuse, not yet given to a frame.
    assert.deepEqual(kept.at(-1)!.payload, payloads.at(-1));
  }
});

test("transient: a spread or a clone of a frame carries its payload; a consumer detaching one breaks nothing", async () => {
  const { payloads, chunks } = straddling(0x7a4);
  let i = 0;
  for await (const frame of transientFrames(chunks, "frames")) {
    const copy = { ...frame };
    assert.deepEqual(copy.payload, payloads[i]);
    assert.deepEqual(structuredClone(frame).payload, payloads[i]);
    // A consumer that takes the memory away itself: the decoder must not fail on the next chunks.
    if (i % 3 === 0) (frame.payload.buffer as ArrayBuffer).transfer();
    if (i % 3 === 0) throwsCode(() => frame.payload, "E_DISPOSED");
    i += 1;
  }
  assert.equal(i, payloads.length);
});
