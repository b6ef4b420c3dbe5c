/**
 * Frames: a 1 KiB-payload message encoded and decoded with JSON, msgpackr
 * and structured clone against binlane frames (encoded fresh, and into a
 * reused buffer; decoded with both CRC-32C checks), and the stream decoders'
 * throughput over 64 KiB chunks of 4 KiB- and 64 KiB-payload frames, beside
 * an identity TransformStream over the same chunks; then, for the
 * message, latency percentiles and bytes allocated per operation
 * (bench/latency.ts). Run:
 * `deno run -A bench/frame.bench.ts` or `bun run bench/frame.bench.ts`.
 *
 * @module
 */

import { pack, unpack } from "msgpackr";
import {
  backend,
  BufferPool,
  decodeFrame,
  decodeFrameBatches,
  encodeFrame,
  encodeFrameInto,
  FrameBatchDecoderStream,
  FrameDecoderStream,
  frameSize,
  NativeBuffer,
} from "../mod.ts";
import { bench } from "mitata";
import { type OpProfile, printProfiles, profileOp } from "./latency.ts";
import { addBench, describe, runAndReport, sizeLabel } from "./report.ts";

const payload = new Uint8Array(1024);
for (let i = 0; i < payload.length; i++) payload[i] = (i * 131) & 0xff;
const message = { type: 7, timestamp: 1_700_000_000_000, payload };
const json = JSON.stringify({ ...message, payload: Array.from(payload) });
const packed = pack(message);
const frame = encodeFrame(payload, { type: 7, timestamp: 1n });
const reused = new Uint8Array(frameSize(payload.length));
const options = { type: 7, timestamp: 1n };

const group = "1 KiB message, encode";
addBench(group, "binlane encodeFrame", 1024, false, () => encodeFrame(payload, options));
addBench(
  group,
  "binlane encodeFrameInto a reused buffer",
  1024,
  false,
  () => encodeFrameInto(reused, payload, options),
);
const pool = new BufferPool({ sizeClasses: [frameSize(payload.length)] });
addBench(group, "binlane encodeFrameInto a pooled block (acquire, encode, release)", 1024, false, () => {
  using block = pool.acquire(frameSize(payload.length));
  return encodeFrameInto(block.bytes, payload, options);
});
addBench(
  group,
  "JSON.stringify",
  1024,
  true,
  () => JSON.stringify({ ...message, payload: Array.from(payload) }),
);
addBench(group, "msgpackr pack", 1024, true, () => pack(message));
addBench(group, "structuredClone", 1024, true, () => structuredClone(message));

// Where a pool pays: blocks whose allocation costs more than revoking and re-viewing a retained one.
for (const size of [1024, 65536, 1 << 20]) {
  const blocks = new BufferPool({ sizeClasses: [size] });
  const blockGroup = `a ${size / 1024} KiB buffer, got and given back`;
  addBench(blockGroup, "BufferPool acquire + release", size, false, () => blocks.acquire(size).release());
  addBench(blockGroup, "NativeBuffer.alloc + dispose", size, false, () => NativeBuffer.alloc(size).dispose());
  addBench(blockGroup, "new Uint8Array (left to the GC)", size, true, () => new Uint8Array(size));
}

const decodeGroup = "1 KiB message, decode";
addBench(decodeGroup, "binlane decodeFrame (both CRCs checked)", 1024, false, () => decodeFrame(frame));
addBench(decodeGroup, "JSON.parse", 1024, true, () => JSON.parse(json));
addBench(decodeGroup, "msgpackr unpack", 1024, true, () => unpack(packed));

// The stream decoders over 64 KiB chunks: 16 MiB of frames, as a file or socket would deliver them.
function streamOf(payloadLength: number): { bytes: Uint8Array; chunks: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  for (let total = 0; total < 16 << 20; total += frameSize(payloadLength)) {
    frames.push(encodeFrame(new Uint8Array(payloadLength).fill(total & 0xff), { type: 1, timestamp: 1n }));
  }
  const bytes = new Uint8Array(frames.reduce((sum, f) => sum + f.length, 0));
  frames.reduce((at, f) => (bytes.set(f, at), at + f.length), 0);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 65536) chunks.push(bytes.subarray(at, at + 65536));
  return { bytes, chunks };
}

/**
 * Counts a batch's frames by reading each payload, as a consumer does: a
 * transient frame's memory is reused only once a later frame's payload was read.
 */
function readPayloads(batch: readonly { payload: Uint8Array }[]): number {
  let frames = 0;
  for (const frame of batch) frames += frame.payload.byteLength > 0 ? 1 : 0;
  return frames;
}

async function decodeStream(chunks: Uint8Array[]): Promise<number> {
  let frames = 0;
  for await (const frame of ReadableStream.from(chunks).pipeThrough(new FrameDecoderStream())) {
    frames += frame.payload.byteLength > 0 ? 1 : 0;
  }
  return frames;
}

async function decodeStreamBatched(chunks: Uint8Array[], transient = false): Promise<number> {
  let frames = 0;
  const decoder = new FrameBatchDecoderStream({ transient });
  for await (const batch of ReadableStream.from(chunks).pipeThrough(decoder)) frames += readPayloads(batch);
  return frames;
}

/** decodeFrameBatches over the same ReadableStream: the decoder without a TransformStream. */
async function decodeIterated(chunks: Uint8Array[], transient = false): Promise<number> {
  let frames = 0;
  for await (const batch of decodeFrameBatches(ReadableStream.from(chunks), { transient })) {
    frames += readPayloads(batch);
  }
  return frames;
}

/** decodeFrameBatches over the chunks themselves: the decoder without a stream source's cost per chunk. */
async function decodeIteratedArray(chunks: Uint8Array[]): Promise<number> {
  let frames = 0;
  for await (const batch of decodeFrameBatches(chunks, { transient: true })) frames += readPayloads(batch);
  return frames;
}

/** The same chunks through a TransformStream that only passes them on: the stream machinery's own cost. */
async function passThrough(chunks: Uint8Array[]): Promise<number> {
  let seen = 0;
  const identity = new TransformStream<Uint8Array, Uint8Array[]>({
    transform: (chunk, controller) => controller.enqueue([chunk]),
  });
  for await (const batch of ReadableStream.from(chunks).pipeThrough(identity)) seen += batch.length;
  return seen;
}

/** The same chunks through an async generator that only passes them on: decodeFrameBatches' own cost. */
async function passThroughGenerator(chunks: Uint8Array[]): Promise<number> {
  async function* identity(source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) yield [chunk];
  }
  let seen = 0;
  for await (const batch of identity(ReadableStream.from(chunks))) seen += batch.length;
  return seen;
}

/** decodeFrame in a loop over one buffer: the decoder's ceiling without stream machinery. */
function decodeLoop(bytes: Uint8Array): number {
  let frames = 0;
  for (let at = 0; at < bytes.length; frames++) at += decodeFrame(bytes, at).byteLength;
  return frames;
}

for (const payloadLength of [4096, 65536]) {
  const { bytes, chunks } = streamOf(payloadLength);
  const group = `16 MiB of ${payloadLength / 1024} KiB-payload frames in 64 KiB chunks ${
    sizeLabel(bytes.length)
  }`;
  const entry = (name: string) => describe({ group, name, bytes: bytes.length, peer: false });
  // Async bodies, which mitata awaits; `addBench`'s isolated wrapper is for synchronous bodies.
  bench(entry("FrameDecoderStream"), async () => {
    await decodeStream(chunks);
  });
  bench(entry("FrameBatchDecoderStream"), async () => {
    await decodeStreamBatched(chunks);
  });
  bench(entry("FrameBatchDecoderStream, transient"), async () => {
    await decodeStreamBatched(chunks, true);
  });
  bench(entry("decodeFrameBatches over the ReadableStream, transient"), async () => {
    await decodeIterated(chunks, true);
  });
  bench(entry("decodeFrameBatches over the array of chunks, transient (no stream source)"), async () => {
    await decodeIteratedArray(chunks);
  });
  bench(entry("decodeFrame loop over one buffer (no stream)"), () => decodeLoop(bytes));
  bench(entry("an identity TransformStream (no decoding: the streams' own cost)"), async () => {
    await passThrough(chunks);
  });
  bench(entry("an identity async generator over the ReadableStream (the streams' own cost)"), async () => {
    await passThroughGenerator(chunks);
  });
}

const info = backend();
await runAndReport(`Frame benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`);

// Latency percentiles for the 1 KiB message, which averages hide.
const profiles: [string, OpProfile][] = [
  ["encode: binlane encodeFrame", profileOp(() => encodeFrame(payload, options))],
  [
    "encode: binlane encodeFrameInto a reused buffer",
    profileOp(() => encodeFrameInto(reused, payload, options)),
  ],
  [
    "encode: binlane encodeFrameInto a pooled block",
    profileOp(() => {
      using block = pool.acquire(frameSize(payload.length));
      return encodeFrameInto(block.bytes, payload, options);
    }),
  ],
  ["encode: msgpackr pack", profileOp(() => pack(message))],
  ["encode: structuredClone", profileOp(() => structuredClone(message))],
  [
    "encode: JSON.stringify",
    profileOp(() => JSON.stringify({ ...message, payload: Array.from(payload) }), 20_000),
  ],
  ["decode: binlane decodeFrame (both CRCs)", profileOp(() => decodeFrame(frame))],
  ["decode: msgpackr unpack", profileOp(() => unpack(packed))],
  ["decode: JSON.parse", profileOp(() => JSON.parse(json), 20_000)],
  // A known size, to show the allocation columns can be trusted: exactly 1024 ArrayBuffer bytes.
  ["calibration: new Uint8Array(1024)", profileOp(() => new Uint8Array(1024))],
];
printProfiles(`1 KiB message, per operation (${info.runtime})`, profiles);
