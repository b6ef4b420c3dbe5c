import assert from "node:assert/strict";
import {
  decodeFrame,
  decodeFrameBatches,
  encodeFrame,
  type Frame,
  type FrameDecoderStats,
  FrameDecoderStream,
  readFrameHeader,
} from "../mod.ts";
import { resyncWork } from "../src/frame_stream.ts";
import { randomBytes, seededRandom, test } from "./harness.ts";

const MAGIC = [0x42, 0x4c, 0x4e, 0x46];

/**
 * Resync over one whole buffer, from docs/FORMAT.md's reading rules and the
 * public single-frame reader alone: a bad header skips to the next magic, a
 * good header over a bad body skips the frame. The stream decoder must give
 * the same frames and counts however the bytes are cut.
 */
function resyncOracle(bytes: Uint8Array, maxFrameSize?: number) {
  const types: number[] = [];
  const payloads: Uint8Array[] = [];
  let droppedBytes = 0;
  let droppedFrames = 0;
  let scanning = false;
  const drop = (count: number, newStretch: boolean) => {
    droppedBytes += count;
    if (newStretch) droppedFrames += 1;
  };
  const magicFrom = (from: number) => {
    for (let i = from; i + 4 <= bytes.length; i++) {
      if (MAGIC.every((byte, k) => bytes[i + k] === byte)) return i;
    }
    return -1;
  };
  let at = 0;
  while (bytes.length - at >= 32) {
    let frameLength: number;
    try {
      frameLength = readFrameHeader(bytes, { byteOffset: at, maxFrameSize }).frameLength;
    } catch {
      const next = magicFrom(at + 1);
      const resume = next >= 0 ? next : Math.max(at + 1, bytes.length - 3);
      drop(resume - at, !scanning);
      scanning = true;
      at = resume;
      continue;
    }
    if (bytes.length - at < frameLength) break;
    try {
      const frame = decodeFrame(bytes, { byteOffset: at, maxFrameSize });
      types.push(frame.type);
      payloads.push(frame.payload);
    } catch {
      drop(frameLength, true);
    }
    scanning = false;
    at += frameLength;
  }
  if (at < bytes.length) drop(bytes.length - at, !scanning);
  return { types, payloads, droppedBytes, droppedFrames };
}

/** A stream built to resync through: frames, random garbage, the magic repeated, lone magics, bad headers. */
function hostileStream(random: () => number, pieces: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < pieces; i++) {
    const kind = Math.floor(random() * 7);
    const payload = randomBytes(random, Math.floor(random() * 200));
    const frame = encodeFrame(payload, { type: i, timestamp: BigInt(i) });
    if (kind <= 1) parts.push(frame);
    else if (kind === 2) parts.push(randomBytes(random, 1 + Math.floor(random() * 300)));
    else if (kind === 3) {
      // The magic over and over, sometimes with a stray byte between: a candidate every few bytes.
      const run: number[] = [];
      for (let k = Math.floor(random() * 40); k > 0; k--) {
        run.push(...MAGIC);
        if (random() < 0.3) run.push((random() * 256) | 0);
      }
      parts.push(new Uint8Array(run));
    } else if (kind === 4) {
      // A frame with one flipped bit: a bad header (skipped to the next magic) or a bad body (skipped whole).
      const bit = Math.floor(random() * frame.length * 8);
      frame[bit >> 3] ^= 1 << (bit & 7);
      parts.push(frame);
    } else if (kind === 5) {
      // A magic's first bytes, then a frame: the partial magic must not hide the frame behind it.
      parts.push(new Uint8Array(MAGIC.slice(0, 1 + Math.floor(random() * 3))), frame);
    } else {
      // A frame cut short, then the rest of the stream: its header is good, its length swallows what follows.
      parts.push(frame.subarray(0, 32 + Math.floor(random() * (frame.length - 32))));
    }
  }
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

function cut(bytes: Uint8Array, size: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = Math.max(1, Math.min(size(), bytes.length - at));
    chunks.push(bytes.subarray(at, at + length));
    at += length;
  }
  return chunks;
}

async function decodeBatches(chunks: Uint8Array[], maxFrameSize?: number) {
  const batches = decodeFrameBatches(chunks, { resync: true, maxFrameSize });
  const frames: Frame[] = [];
  for await (const batch of batches) frames.push(...batch);
  return { frames, stats: batches.stats };
}

function assertLikeOracle(
  frames: Frame[],
  stats: FrameDecoderStats,
  oracle: ReturnType<typeof resyncOracle>,
  label: string,
) {
  assert.deepEqual(frames.map((frame) => frame.type), oracle.types, label);
  frames.forEach((frame, i) => assert.deepEqual(frame.payload, oracle.payloads[i], `${label}: frame ${i}`));
  assert.equal(stats.droppedBytes, oracle.droppedBytes, `${label}: dropped bytes`);
  assert.equal(stats.droppedFrames, oracle.droppedFrames, `${label}: dropped stretches`);
}

test("resync: every cut of a hostile stream gives the oracle's frames, dropped bytes and stretches", async () => {
  const random = seededRandom(0x5e5c);
  for (let round = 0; round < 6; round++) {
    const bytes = hostileStream(random, 150);
    const maxFrameSize = round % 3 === 2 ? 160 : undefined;
    const oracle = resyncOracle(bytes, maxFrameSize);
    assert.ok(
      oracle.types.length > 20 && oracle.droppedFrames > 20,
      `round ${round}: a stream worth testing`,
    );
    const cuts: [string, () => number][] = [
      ["one chunk", () => bytes.length],
      ["1-byte chunks", () => 1],
      ["3-byte chunks", () => 3],
      ["31-byte chunks", () => 31],
      ["33-byte chunks", () => 33],
      ["random chunks up to 100 B", () => 1 + Math.floor(random() * 100)],
      ["random chunks up to 5000 B", () => 1 + Math.floor(random() * 5000)],
    ];
    for (const [name, size] of cuts) {
      const { frames, stats } = await decodeBatches(cut(bytes, size), maxFrameSize);
      assertLikeOracle(frames, stats, oracle, `round ${round}, ${name}`);
    }
    // The per-frame stream class shares the decoder; one cut of it is enough.
    const decoder = new FrameDecoderStream({ resync: true, maxFrameSize });
    const frames = await Array.fromAsync(ReadableStream.from(cut(bytes, () => 7)).pipeThrough(decoder));
    assertLikeOracle(frames, decoder.stats, oracle, `round ${round}, FrameDecoderStream, 7-byte chunks`);
  }
});

test("resync: garbage in chunks costs a few header checks and searches a chunk, not one per 29 bytes", async () => {
  const random = seededRandom(0x9a7b);
  const garbage = randomBytes(random, 2 << 20);
  for (const size of [65536, 4096, 333]) {
    const chunks = cut(garbage, () => size);
    resyncWork.headerChecks = 0;
    resyncWork.searches = 0;
    const { frames, stats } = await decodeBatches(chunks);
    assert.equal(frames.length, 0);
    assert.equal(stats.droppedBytes, garbage.length);
    assert.equal(stats.droppedFrames, 1);
    // Random bytes hold a magic about once in 4 GiB: what is left is the work per chunk boundary.
    const label =
      `${size}-byte chunks: ${resyncWork.headerChecks} header checks, ${resyncWork.searches} searches`;
    assert.ok(resyncWork.headerChecks <= 3 * chunks.length, label);
    assert.ok(resyncWork.searches <= 3 * chunks.length, label);
  }
});

test("resync: the magic repeated costs a header check per magic and a search per chunk, whatever the cut", async () => {
  // "BLNF" and a stray byte, over and over: a candidate every five bytes, each failing its header CRC.
  const unit = [...MAGIC, 0x00];
  const bytes = new Uint8Array(unit.length * 100_000).map((_, i) => unit[i % unit.length]);
  const magics = bytes.length / unit.length;
  for (const size of [bytes.length, 65536, 100, 7]) {
    const chunks = cut(bytes, () => size);
    resyncWork.headerChecks = 0;
    resyncWork.searches = 0;
    const { frames, stats } = await decodeBatches(chunks);
    assert.equal(frames.length, 0);
    assert.equal(stats.droppedBytes, bytes.length);
    const label =
      `${size}-byte chunks: ${resyncWork.headerChecks} header checks, ${resyncWork.searches} searches`;
    assert.ok(resyncWork.headerChecks <= magics + 3 * chunks.length, label);
    assert.ok(resyncWork.searches <= 3 * chunks.length, label);
  }
});
