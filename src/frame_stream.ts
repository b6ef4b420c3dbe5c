/**
 * Frames over Web Streams: an encoder from payloads to frame bytes, and a
 * decoder from bytes in chunks of any size back to frames, with bounded
 * memory, backpressure, and an optional resynchronising mode.
 *
 * @module
 */

import { asBytes, type BinaryInput, bytesToOverwrite } from "./bytes.ts";
import { BinlaneError } from "./errors.ts";
import { describeValue, readOptions } from "./options.ts";
import { isDetachedBuffer, transferBuffer } from "./intrinsics.ts";
import {
  checkFingerprint,
  checkHeader,
  checkMaxFrameSize,
  emitWellFormedFrames,
  encodeFrame,
  encodeSettings,
  type Frame,
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  FRAME_OPTION_KEYS,
  frameAfterHeader,
  type FrameHeaderInfo,
  type FrameOptions,
  type HeaderFault,
  headerFaultError,
  isHeaderFault,
  isSharedMemory,
  privateCopy,
} from "./frame.ts";
import { type CopySpan, crc32cCopyAt } from "./crc.ts";
import { indexOfSubarray } from "./search.ts";

/** One message for {@linkcode FrameEncoderStream}: a payload and what its frame says about it. */
export interface FrameMessage extends Partial<FrameOptions> {
  /** The payload bytes. */
  payload: BinaryInput;
}

/**
 * Payloads in, one frame each out: a `TransformStream` over
 * {@linkcode encodeFrame}. Options give defaults that each message may
 * override.
 *
 * @example
 * ```ts
 * import { FrameDecoderStream, FrameEncoderStream } from "@binlane/binlane";
 *
 * const frames = ReadableStream.from([{ payload: new Uint8Array([1, 2]) }])
 *   .pipeThrough(new FrameEncoderStream({ type: 4 }))
 *   .pipeThrough(new FrameDecoderStream());
 * const seen: string[] = [];
 * for await (const frame of frames) seen.push(`${frame.type}:${frame.payload.join()}`);
 * if (seen.join(" ") !== "4:1,2") throw new Error(`one frame of type 4, payload [1, 2]: ${seen}`);
 * ```
 */
export class FrameEncoderStream extends TransformStream<FrameMessage, Uint8Array> {
  /** `defaults` holds the type and anything else messages leave out. */
  constructor(defaults: FrameOptions) {
    if (defaults === undefined) {
      throw new BinlaneError("E_TYPE", "FrameEncoderStream takes default frame options with a type");
    }
    const base = readOptions(defaults, FRAME_OPTION_KEYS, "FrameEncoderStream");
    // Checked now, so that a bad default fails here rather than on the first message.
    encodeSettings({ ...base, type: base.type ?? 0 } as FrameOptions, "FrameEncoderStream");
    super({
      transform(message, controller) {
        if (message === null || typeof message !== "object") {
          throw new BinlaneError(
            "E_TYPE",
            "FrameEncoderStream takes messages of the form { payload, type? }",
          );
        }
        const { payload, ...options } = readOptions(
          message,
          ["payload", ...FRAME_OPTION_KEYS],
          "FrameEncoderStream message",
        );
        // A message's option overrides the stream's default only where the message gives one.
        const merged: Record<string, unknown> = { ...base };
        for (const key of FRAME_OPTION_KEYS) if (options[key] !== undefined) merged[key] = options[key];
        controller.enqueue(encodeFrame(payload as BinaryInput, merged as unknown as FrameOptions));
      },
    });
  }
}

/** Options for {@linkcode FrameDecoderStream}. */
export interface FrameDecoderOptions {
  /** Refuse frames larger than this (`E_FRAME_TOO_LARGE`, or dropped with `resync`). Default 64 MiB. */
  maxFrameSize?: number;
  /** Refuse payloads written with another layout (`E_FRAME_FINGERPRINT`, or dropped with `resync`). */
  fingerprint?: bigint;
  /**
   * Skip damaged data to the next valid frame instead of failing: frames
   * whose header is intact are skipped whole, otherwise bytes are skipped
   * until a header checks out. What was skipped is counted in `stats`.
   * Default false: the first problem errors the stream.
   */
  resync?: boolean;
  /**
   * Assemble frames that straddle chunks in memory the decoder reuses,
   * instead of a new buffer each. Such a frame's memory is reused only once
   * the consumer has read the `payload` of a later such frame: frames that
   * a read-ahead stage holds unread keep theirs. Reading `payload` of a
   * frame whose memory was reused throws `E_DISPOSED`; a payload array kept
   * from before is then detached (length 0, never overwritten). Frames
   * wholly inside a chunk stay views of the chunk. For a consumer that is
   * done with each frame's payload before it reads the next one's. It
   * spares the allocation, which costs more than the copy for frames of 64
   * KiB (bench/frame.bench.ts). Default false.
   */
  transient?: boolean;
}

const DECODER_OPTION_KEYS: readonly (keyof FrameDecoderOptions)[] = [
  "maxFrameSize",
  "fingerprint",
  "resync",
  "transient",
];

/** `value` as a flag: a boolean or undefined (false); anything else would silently read as false. */
function checkFlag(value: unknown, name: string): boolean {
  if (value !== undefined && typeof value !== "boolean") {
    throw new BinlaneError("E_TYPE", `${name} must be a boolean, got ${describeValue(value)}`);
  }
  return value === true;
}

/** What a {@linkcode FrameDecoderStream} has seen. */
export interface FrameDecoderStats {
  /** Frames decoded and passed on. */
  frames: number;
  /** Bytes received. */
  bytes: number;
  /** Frames copied because they straddled chunks. */
  copied: number;
  /** With `resync`: damaged stretches skipped (each a frame, or a run of bytes no frame could start in). */
  droppedFrames: number;
  /** With `resync`: bytes skipped. */
  droppedBytes: number;
}

/** FRAME_MAGIC as it appears in the stream. */
const MAGIC = new Uint8Array([
  FRAME_MAGIC & 0xff,
  (FRAME_MAGIC >>> 8) & 0xff,
  (FRAME_MAGIC >>> 16) & 0xff,
  FRAME_MAGIC >>> 24,
]);

/**
 * Work the decoders have done to resynchronise, summed over all of them:
 * headers checked and searches for a magic. For tests that bound it by the
 * number of chunks and magics, so that a quadratic (or a few-bytes-a-step)
 * resync fails a test without timing anything.
 */
export const resyncWork: { headerChecks: number; searches: number } = { headerChecks: 0, searches: 0 };

/** How far past a bad header the next magic is looked for inline, before one call searches the rest. */
const NEAR_MAGIC = 16;

/**
 * Where the next magic starts in `bytes` from `from` on, or -1. Magic-dense
 * damage (the magic repeated) puts the next one a few bytes on: those are
 * compared here, sparing a search call per candidate.
 */
function nextMagic(bytes: Uint8Array, from: number): number {
  const last = bytes.length - MAGIC.length;
  const near = Math.min(from + NEAR_MAGIC, last + 1);
  for (let i = from; i < near; i++) {
    if (
      bytes[i] === MAGIC[0] && bytes[i + 1] === MAGIC[1] && bytes[i + 2] === MAGIC[2] &&
      bytes[i + 3] === MAGIC[3]
    ) {
      return i;
    }
  }
  if (near > last) return -1;
  resyncWork.searches += 1;
  return indexOfSubarray(bytes, MAGIC, near);
}

/** The same error, its offset moved from the chunk's numbering to the stream's. */
function atStreamOffset(error: unknown, base: number): unknown {
  if (!(error instanceof BinlaneError) || error.offset === undefined) return error;
  const offset = base + error.offset;
  const message = error.message.replace(/ \(byte offset \d+\)$/, "");
  return new BinlaneError(error.code, `${message} (stream byte offset ${offset})`, { offset, cause: error });
}

/** How long {@linkcode failAfterQueued} waits for a consumer that reads none of the queued frames. */
const QUEUED_PATIENCE_MS = 2000;

/**
 * Fails the stream with `error` once the consumer has read what is queued:
 * erroring a stream empties its queue, which would lose the intact frames
 * passed on before the failure. Throws at once when nothing is queued; else
 * polls `desiredSize`, since a transformer hears nothing of reads, until the
 * queue is read or the readable is cancelled. A consumer that reads none of
 * it for QUEUED_PATIENCE_MS gets the error then instead, so that a reader
 * left unread neither keeps the process alive nor hides the failure.
 */
async function failAfterQueued(
  controller: TransformStreamDefaultController<unknown>,
  error: unknown,
): Promise<never> {
  const queued = () => Math.max(0, -(controller.desiredSize ?? 0));
  let left = queued();
  let idle = 0;
  for (let wait = 1; left > 0 && idle < QUEUED_PATIENCE_MS; wait = Math.min(2 * wait, 50)) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    const now = queued();
    idle = now < left ? 0 : idle + wait;
    left = now;
  }
  throw error;
}

/** Runs `step`; if it throws, fails the stream as {@linkcode failAfterQueued} does, after what it queued. */
function failingAfterQueued(
  controller: TransformStreamDefaultController<unknown>,
  step: () => void,
): Promise<never> | undefined {
  try {
    step();
  } catch (error) {
    return failAfterQueued(controller, error);
  }
}

/**
 * Bytes in chunks of any size, frames out. A frame inside one chunk comes
 * out as a zero-copy view of it; only a frame that straddles chunks is
 * copied, into a buffer of its own announced (and limited) size, and a
 * chunk of shared memory is copied whole before it is read. Memory is
 * bounded by `maxFrameSize` and by the stream's backpressure: nothing is
 * read ahead of a slow consumer. A stream that ends inside a frame fails
 * with `E_FRAME_TRUNCATED`; every error's `offset` counts from the start of
 * the stream.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoderStream } from "@binlane/binlane";
 *
 * const bytes = encodeFrame(new Uint8Array([7]), { type: 1 });
 * const chunks = [bytes.subarray(0, 5), bytes.subarray(5)];
 * const payloads: number[][] = [];
 * for await (const frame of ReadableStream.from(chunks).pipeThrough(new FrameDecoderStream())) {
 *   payloads.push([...frame.payload]);
 * }
 * if (JSON.stringify(payloads) !== "[[7]]") throw new Error(`the frame across both chunks: ${payloads}`);
 * ```
 */
export class FrameDecoderStream extends TransformStream<BinaryInput, Frame> {
  /** Counts of what passed through; updated as chunks arrive. */
  readonly stats: FrameDecoderStats;

  /** Checks options now, so that a bad one fails here rather than on the first chunk. */
  constructor(options: FrameDecoderOptions = {}) {
    const decoder = new ChunkDecoder(options, "FrameDecoderStream");
    super({
      transform: (chunk, controller) =>
        failingAfterQueued(
          controller,
          () => decoder.push(asBytes(chunk), (frame) => controller.enqueue(frame)),
        ),
      flush: (controller) => failingAfterQueued(controller, () => decoder.end()),
    });
    this.stats = decoder.stats;
  }
}

/**
 * {@linkcode FrameDecoderStream} that passes on, per input chunk, an array
 * of the frames the chunk completed: one stream read per chunk rather than
 * per frame, for throughput (bench/frame.bench.ts). Chunks that complete no
 * frame pass nothing on. Options, errors, copying and stats are those of
 * `FrameDecoderStream`.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameBatchDecoderStream } from "@binlane/binlane";
 *
 * const a = encodeFrame(new Uint8Array([1]), { type: 1 });
 * const b = encodeFrame(new Uint8Array([2]), { type: 2 });
 * const both = new Uint8Array([...a, ...b]);
 * const batches: number[][] = [];
 * for await (const batch of ReadableStream.from([both]).pipeThrough(new FrameBatchDecoderStream())) {
 *   batches.push(batch.map((frame) => frame.type));
 * }
 * if (JSON.stringify(batches) !== "[[1,2]]") throw new Error(`one batch of both frames: ${batches}`);
 * ```
 */
export class FrameBatchDecoderStream extends TransformStream<BinaryInput, Frame[]> {
  /** Counts of what passed through; updated as chunks arrive. */
  readonly stats: FrameDecoderStats;

  /** Checks options now, so that a bad one fails here rather than on the first chunk. */
  constructor(options: FrameDecoderOptions = {}) {
    const decoder = new ChunkDecoder(options, "FrameBatchDecoderStream");
    super({
      transform: (chunk, controller) => {
        const { batch, failure } = decoder.pushBatch(chunk);
        if (batch.length > 0) controller.enqueue(batch);
        if (failure !== undefined) return failAfterQueued(controller, failure.error);
      },
      flush: (controller) => failingAfterQueued(controller, () => decoder.end()),
    });
    this.stats = decoder.stats;
  }
}

/**
 * The frames that {@linkcode decodeFrameBatches} yields, a batch per chunk,
 * and its running counts.
 */
export interface FrameBatches extends AsyncGenerator<Frame[], void, undefined> {
  /** Counts of what passed through, as for {@linkcode FrameDecoderStream}; updated as chunks arrive. */
  readonly stats: FrameDecoderStats;
}

/**
 * {@linkcode FrameBatchDecoderStream} without a `TransformStream`: reads
 * chunks from any iterable or async iterable (a `ReadableStream`, a file's
 * `readable`, an async generator, an array) and yields, per chunk, an array
 * of the frames it completed. A chunk is read only when the consumer asks
 * for the next batch, so backpressure is the loop itself; leaving the loop
 * early, or an error, ends the source's iteration (a `ReadableStream` is
 * cancelled). Options, errors (thrown from the loop), copying, `transient`
 * and stats are those of `FrameDecoderStream`. It spares the streams'
 * own cost per chunk: an identity `TransformStream` costs 1.3-2.6 us a
 * chunk in Deno, an async generator over the same `ReadableStream` 0.7-1.1
 * (bench/frame.bench.ts, "the streams' own cost").
 *
 * @example
 * ```ts
 * import { decodeFrameBatches, encodeFrame } from "@binlane/binlane";
 *
 * const bytes = encodeFrame(new Uint8Array([7]), { type: 1 });
 * const chunks = ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)]);
 * const batches = decodeFrameBatches(chunks);
 * const payloads: number[][] = [];
 * for await (const batch of batches) payloads.push(...batch.map((frame) => [...frame.payload]));
 * if (JSON.stringify(payloads) !== "[[7]]") throw new Error(`the frame across both chunks: ${payloads}`);
 * if (batches.stats.copied !== 1) throw new Error("the straddling frame was copied once");
 * ```
 */
export function decodeFrameBatches(
  source: AsyncIterable<BinaryInput> | Iterable<BinaryInput>,
  options: FrameDecoderOptions = {},
): FrameBatches {
  const iterable = source as Partial<AsyncIterable<BinaryInput> & Iterable<BinaryInput>> | null;
  if (
    iterable === null || typeof iterable !== "object" ||
    (typeof iterable[Symbol.asyncIterator] !== "function" && typeof iterable[Symbol.iterator] !== "function")
  ) {
    throw new BinlaneError("E_TYPE", "decodeFrameBatches takes an iterable or async iterable of byte chunks");
  }
  if (ArrayBuffer.isView(source)) {
    // Iterable too, but of numbers: one buffer of frames is a source of one chunk.
    throw new BinlaneError("E_TYPE", "decodeFrameBatches takes chunks: pass one buffer as [bytes]");
  }
  const decoder = new ChunkDecoder(options, "decodeFrameBatches");
  return Object.assign(batchesOf(source, decoder), { stats: decoder.stats });
}

async function* batchesOf(
  source: AsyncIterable<BinaryInput> | Iterable<BinaryInput>,
  decoder: ChunkDecoder,
): AsyncGenerator<Frame[], void, undefined> {
  for await (const chunk of source) {
    const { batch, failure } = decoder.pushBatch(chunk);
    if (batch.length > 0) yield batch;
    if (failure !== undefined) throw failure.error;
  }
  decoder.end();
}

const EMPTY = new Uint8Array(0);
/**
 * Straddling frames up to 1/16 of this share one allocation. Over 64 KiB
 * chunks, 4 KiB frames went from 3.3 to 3.8 GB/s (Deno) and from 3.9 to 5.9
 * GB/s (Bun); 64 KiB frames gained nothing, as filling fresh memory costs
 * by the byte (bench/frame.bench.ts, 2026-11-22).
 */
const SLAB_SIZE = 1 << 20;
/** With `transient`, memory for straddling frames comes at least this large, so that one serves small frames. */
const TRANSIENT_MIN_SIZE = 4 << 10;
/**
 * Transient memory is kept for frames at least half its size, or for any
 * frame while it is at most this large. Bun's `transfer()` moves the memory
 * but costs about 0.25 us plus 16 us a MiB (the new buffer's bytes count
 * toward the next collection), so memory far larger than the frames makes
 * every straddling frame pay for the largest one: 64 KiB of memory for 4
 * KiB frames cost Bun 1.5 us a chunk, a quarter of its time (Deno moves
 * memory of any size in 0.2-0.35 us). The bound follows from that cost
 * rather than from a sweep; what it is worth on 4 KiB frames is measured in
 * docs/PERFORMANCE.md ("transient memory the size of its frames").
 */
const TRANSIENT_KEEP_SIZE = 16 << 10;
/**
 * Memory of transient frames held for reuse. A consumer in step is reading
 * frame n when frame n + 1 is assembled, and has read n - 1 only, so frame
 * n - 2's memory is the first it has passed: three rotate. Memory of frames
 * a read-ahead stage holds unread falls out of this list and is never reused.
 */
const TRANSIENT_HELD = 3;

/** What reading a transient frame's payload throws once its memory went to a later frame. */
function reusedError(): BinlaneError {
  return new BinlaneError(
    "E_DISPOSED",
    "this transient frame's payload memory was reused for a later frame: with `transient`, read a frame's " +
      "payload before a later frame's, or decode without `transient`",
  );
}

/** Memory a transient frame went out in, and that frame's number among the transient frames. */
interface HeldMemory {
  readonly buffer: ArrayBuffer;
  readonly sequence: number;
}

/** The decoder's state between chunks: the stream offset, and a partial frame when one straddles. */
class ChunkDecoder {
  readonly stats: FrameDecoderStats = { frames: 0, bytes: 0, copied: 0, droppedFrames: 0, droppedBytes: 0 };
  readonly #maxFrameSize: number;
  readonly #fingerprint: bigint | undefined;
  readonly #resync: boolean;
  /** Stream offset of the first byte not yet consumed: `#carry[0]` when something is carried. */
  #base = 0;
  /** Bytes of a frame not yet whole (a header's first bytes, or a frame being filled), in a buffer of its own. */
  #carry: Uint8Array = EMPTY;
  /** Bytes of `#carry` filled. */
  #filled = 0;
  /** The checked header of the frame being carried, once the carry holds one. */
  #header: FrameHeaderInfo | null = null;
  /** CRC-32C of the carried frame's payload bytes so far. */
  #payloadCrc = 0;
  /** Where #appendFrame copies: one object, refilled for every call. */
  readonly #span: CopySpan = {
    targetAt: 0,
    sourceAt: 0,
    count: 0,
    crcFrom: FRAME_HEADER_SIZE,
    crcTo: 0,
    seed: 0,
  };
  /** The good header #parse last stopped at, its frame incomplete. */
  #incomplete: FrameHeaderInfo | null = null;
  /** With resync: inside a damaged stretch, which is counted once however long it is. */
  #scanning = false;
  /** Memory for straddling frames (see `#allocate`), and how much of it is handed out. */
  #slab: Uint8Array = EMPTY;
  #slabUsed = 0;
  readonly #transient: boolean;
  /** With `transient`: memory of frames passed on, oldest first, each reusable once a later one was read. */
  readonly #held: HeldMemory[] = [];
  /** With `transient`: how many frames went out in memory of the decoder's. */
  #transientSent = 0;
  /** With `transient`: the highest number of such a frame whose payload the consumer has read. */
  #transientRead = 0;
  /** The array `pushBatch` fills, and the one emitter that fills it. */
  #batch: Frame[] = [];
  readonly #collect = (frame: Frame): void => {
    this.#batch.push(frame);
  };

  constructor(options: FrameDecoderOptions, where: string) {
    const read = readOptions(options, DECODER_OPTION_KEYS, where);
    this.#maxFrameSize = checkMaxFrameSize(read.maxFrameSize as number | undefined);
    this.#fingerprint = checkFingerprint(read.fingerprint as bigint | undefined);
    this.#resync = checkFlag(read.resync, "resync");
    this.#transient = checkFlag(read.transient, "transient");
  }

  /**
   * `push` for the batch decoders: the chunk's frames in one array, and what
   * stopped the chunk, if anything, so that the frames before a failure go
   * out before it.
   */
  pushBatch(chunk: BinaryInput): { batch: Frame[]; failure: { error: unknown } | undefined } {
    const batch: Frame[] = [];
    this.#batch = batch;
    try {
      this.push(asBytes(chunk), this.#collect);
      return { batch, failure: undefined };
    } catch (error) {
      return { batch, failure: { error } };
    }
  }

  push(input: Uint8Array, emit: (frame: Frame) => void): void {
    // Memory another thread may write is copied before it is checked: the native scan vouches for bytes the
    // JavaScript then reads again, and payloads are views of what was checked, which must not change after.
    const chunk = isSharedMemory(input) ? privateCopy(input, 0, input.byteLength) : input;
    this.stats.bytes += chunk.length;
    let offset = 0;
    // First complete what is carried, taking from the chunk only what that needs.
    while (this.#filled > 0 && offset < chunk.length) {
      const header = this.#header;
      if (header === null) {
        offset += this.#completeHeader(chunk, offset);
        continue;
      }
      const take = Math.min(header.frameLength - this.#filled, chunk.length - offset);
      this.#appendFrame(chunk, offset, take);
      offset += take;
      if (this.#filled < header.frameLength) return; // the chunk is used up
      this.#finishCarried(header, emit);
    }
    if (offset === chunk.length) return;
    // Nothing is carried: frames wholly inside the chunk go out as views of it.
    const rest = chunk.subarray(offset);
    const used = this.#parse(rest, emit);
    this.#base += used;
    if (used < rest.length) {
      this.#carry = EMPTY;
      this.#filled = 0;
      if (rest.length - used < FRAME_HEADER_SIZE) {
        this.#append(rest.subarray(used), FRAME_HEADER_SIZE);
        return;
      }
      // #parse stops with a header's worth left only at a good header whose frame is incomplete.
      const header = this.#incomplete!;
      this.#startFrame(header);
      this.#appendFrame(rest, used, rest.length - used);
    }
  }

  end(): void {
    if (this.#filled === 0) return;
    if (!this.#resync) {
      throw new BinlaneError(
        "E_FRAME_TRUNCATED",
        `the stream ended ${this.#filled} bytes into a frame (stream byte offset ${this.#base})`,
        { offset: this.#base },
      );
    }
    this.#drop(this.#filled, !this.#scanning);
    this.#filled = 0;
    this.#header = null;
  }

  /**
   * Carries bytes of `chunk` from `offset` until the carry holds a header,
   * then checks it: a good one starts a frame, a bad one fails, or with
   * resync is searched past (`#resyncCarried`). Returns the bytes taken.
   */
  #completeHeader(chunk: Uint8Array, offset: number): number {
    const held = this.#filled;
    const take = Math.min(FRAME_HEADER_SIZE - held, chunk.length - offset);
    this.#append(chunk.subarray(offset, offset + take), FRAME_HEADER_SIZE);
    if (this.#filled < FRAME_HEADER_SIZE) return take;
    const checked = this.#checkHeader(this.#carry, 0);
    if (!isHeaderFault(checked)) {
      this.#startFrame(checked);
      return take;
    }
    if (!this.#resync) throw atStreamOffset(headerFaultError(checked, this.#maxFrameSize), this.#base);
    return this.#resyncCarried(chunk, offset, held);
  }

  /**
   * With resync, after the carried header failed: settles every place a
   * frame may start among the `held` carried bytes, reading on into `chunk`
   * from `offset` only as far as a header there needs. Returns the bytes of
   * the chunk taken; the chunk's own bytes are left to `#parse`, which
   * searches them in place. Re-carrying what is left a header at a time
   * instead would move 29 bytes a step through the rest of the chunk.
   */
  #resyncCarried(chunk: Uint8Array, offset: number, held: number): number {
    const extra = Math.min(chunk.length - offset, FRAME_HEADER_SIZE - 1);
    const exhausted = extra === chunk.length - offset;
    // The carried bytes and enough of the chunk for a header at any of them.
    const joint = new Uint8Array(held + extra);
    joint.set(this.#carry.subarray(0, held));
    joint.set(chunk.subarray(offset, offset + extra), held);
    for (let at = 0;;) {
      const next = nextMagic(joint, at + 1);
      if (next < 0 || next >= held) {
        // No frame starts in the carried bytes, except perhaps one whose magic the next chunk completes.
        const tail = exhausted ? Math.max(at + 1, joint.length - (MAGIC.length - 1)) : held;
        if (tail >= held) {
          this.#skipped(held - at);
          this.#base += held;
          this.#carry = EMPTY;
          this.#filled = 0;
          return 0;
        }
        this.#skipped(tail - at);
        return this.#carryJoint(joint, tail, joint.length, held);
      }
      this.#skipped(next - at);
      if (joint.length - next < FRAME_HEADER_SIZE) return this.#carryJoint(joint, next, joint.length, held);
      const checked = this.#checkHeader(joint, next);
      if (isHeaderFault(checked)) {
        at = next;
        continue;
      }
      const taken = this.#carryJoint(joint, next, next + FRAME_HEADER_SIZE, held);
      this.#startFrame(checked);
      return taken;
    }
  }

  /**
   * Carries `joint[from, end)`, the bytes before `from` skipped; returns how
   * many bytes of the chunk that takes, the first `held` being carried ones.
   */
  #carryJoint(joint: Uint8Array, from: number, end: number, held: number): number {
    this.#base += from;
    this.#carry = joint.subarray(from, end);
    this.#filled = end - from;
    return end - held;
  }

  /** The header at `at` of `bytes`, checked, and counted in {@linkcode resyncWork}. */
  #checkHeader(bytes: Uint8Array, at: number): FrameHeaderInfo | HeaderFault {
    resyncWork.headerChecks += 1;
    return checkHeader(bytes, at, this.#maxFrameSize);
  }

  /** The carry holds the first bytes of a frame with this checked header: make room for all of it. */
  #startFrame(header: FrameHeaderInfo): void {
    this.#header = header;
    this.#payloadCrc = 0;
    this.#reserve(header.frameLength, true);
  }

  /**
   * Appends `count` bytes of `source` from `from` to the frame being
   * carried; the payload's share is checksummed as it is copied, so that
   * the frame is checked without reading it again.
   */
  #appendFrame(source: Uint8Array, from: number, count: number): void {
    const span = this.#span;
    span.targetAt = this.#filled;
    span.sourceAt = from;
    span.count = count;
    span.crcTo = FRAME_HEADER_SIZE + this.#header!.payloadLength;
    span.seed = this.#payloadCrc;
    this.#payloadCrc = crc32cCopyAt(this.#carry, source, span);
    this.#filled += count;
  }

  /** The carried frame is whole: check it against the CRC taken while copying, and pass it on. */
  #finishCarried(header: FrameHeaderInfo, emit: (frame: Frame) => void): void {
    const carry = this.#carry;
    const carried = carry.length === header.frameLength ? carry : carry.subarray(0, header.frameLength);
    let frame: Frame | undefined;
    try {
      frame = frameAfterHeader(carried, 0, header, this.#fingerprint, this.#payloadCrc);
    } catch (error) {
      if (!this.#resync) throw atStreamOffset(error, this.#base);
      // The header checked out, so its length is trusted: the whole frame goes.
      this.#drop(header.frameLength, true);
    }
    this.#scanning = false;
    this.#base += header.frameLength;
    this.#carry = EMPTY;
    this.#filled = 0;
    this.#header = null;
    if (frame === undefined) return;
    this.#passOn(
      this.#transient ? this.#transientFrame(frame, carried.buffer as ArrayBuffer) : frame,
      true,
      emit,
    );
  }

  /**
   * `frame`, whose payload is in `buffer`, memory the decoder will reuse:
   * its `payload` is a getter, which tells the decoder the consumer has
   * reached this frame, and throws `E_DISPOSED` once the memory has gone to
   * a later frame (an own, enumerable property, so that a spread or a
   * structured clone carries it). Whether a frame was read, not whether the
   * decoder took another chunk, decides reuse: a stage that reads ahead
   * takes chunks while the consumer is still frames behind.
   */
  #transientFrame(frame: Frame, buffer: ArrayBuffer): Frame {
    const sequence = ++this.#transientSent;
    const held = this.#held;
    held.push({ buffer, sequence });
    // Memory past the limit is left to its frame: it is not reused, so never detached under it.
    if (held.length > TRANSIENT_HELD) held.shift();
    const payload = frame.payload;
    const length = payload.byteLength;
    // deno-lint-ignore no-this-alias
    const decoder = this;
    return {
      type: frame.type,
      timestamp: frame.timestamp,
      fingerprint: frame.fingerprint,
      byteLength: frame.byteLength,
      get payload(): Uint8Array {
        // Only a detached buffer shortens a view of fixed length.
        if (payload.byteLength !== length) throw reusedError();
        if (sequence > decoder.#transientRead) decoder.#transientRead = sequence;
        return payload;
      },
    };
  }

  /** A checked frame goes out: it ends any damaged stretch, and is counted. */
  #passOn(frame: Frame, copied: boolean, emit: (frame: Frame) => void): void {
    this.#scanning = false;
    this.stats.frames += 1;
    if (copied) this.stats.copied += 1;
    emit(frame);
  }

  #append(bytes: Uint8Array, capacity: number): void {
    this.#reserve(Math.max(capacity, this.#filled + bytes.length));
    this.#carry.set(bytes, this.#filled);
    this.#filled += bytes.length;
  }

  /**
   * Room for `needed` bytes in the carry, keeping what it holds. `wholeFrame`
   * says `needed` is the frame's length, every byte of which is copied in
   * before the frame goes out.
   */
  #reserve(needed: number, wholeFrame = false): void {
    if (this.#carry.length < needed) {
      const grown = this.#allocate(needed, wholeFrame);
      if (this.#filled > 0) grown.set(this.#carry.subarray(0, this.#filled));
      this.#carry = grown;
    }
  }

  /**
   * `size` bytes for a frame that straddles chunks: carved from a shared
   * slab when small, since an allocation costs more than checking a small
   * frame. A payload kept keeps its slab (1 MiB) alive, as any view keeps
   * its buffer: `slice()` payloads kept for long. A slab is zeroed, as its
   * payloads' buffer shows all of it; a large whole frame gets memory of
   * exactly its size, left unzeroed where that is cheaper (Bun), since all
   * of it is written before anything can see it.
   */
  #allocate(size: number, wholeFrame: boolean): Uint8Array {
    if (this.#transient) {
      // A header's first bytes get memory of their own: too few to choose by the frame they announce.
      return size > FRAME_HEADER_SIZE ? this.#reuse(size) : new Uint8Array(size);
    }
    // A whole frame's memory is all written before the frame goes out, so it skips zeroing, which costs Bun
    // page faults (docs/PERFORMANCE.md, "unzeroed memory for large straddling frames").
    if (size > SLAB_SIZE / 16) return wholeFrame ? bytesToOverwrite(size) : new Uint8Array(size);
    const start = this.#slabUsed;
    if (start + size > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#slabUsed = 0;
      return this.#allocate(size, wholeFrame);
    }
    // Frames are multiples of 8 bytes; keeping each start at a multiple of 8 keeps payloads 8-aligned.
    this.#slabUsed = start + ((size + 7) & ~7);
    return this.#slab.subarray(start, start + size);
  }

  /**
   * With `transient`: `size` bytes of memory a frame passed on earlier used,
   * once the consumer has read the payload of a later frame, moved out by
   * `transfer()` so that every view of it, that frame's payload included, is
   * detached rather than overwritten (and its frame's `payload` throws
   * `E_DISPOSED`); new memory when there is none, or it is too small or far
   * too large. Its contents are not zeroed: only the bytes `#append` has
   * filled are ever read.
   */
  #reuse(size: number): Uint8Array {
    const held = this.#held;
    // Held memory is in the order its frames went out: the first not yet passed ends the search.
    while (held.length > 0 && held[0].sequence < this.#transientRead) {
      const { buffer } = held.shift()!;
      const kept = buffer.byteLength; // 0 if the consumer detached it itself
      if (kept >= size && kept <= Math.max(2 * size, TRANSIENT_KEEP_SIZE)) {
        // The engine's own transfer, checked: memory whose old views were not detached is never reused.
        const moved = transferBuffer(buffer);
        if (isDetachedBuffer(buffer)) return new Uint8Array(moved, 0, size);
      }
    }
    return new Uint8Array(new ArrayBuffer(Math.max(size, TRANSIENT_MIN_SIZE)), 0, size);
  }

  /** Frames from the start of `bytes` (at stream offset `#base`); returns the bytes consumed. */
  #parse(bytes: Uint8Array, emit: (frame: Frame) => void): number {
    let at = 0;
    const emitChecked = (frame: Frame) => this.#passOn(frame, false, emit);
    // After a bad header the next candidate is checked here first: most are bad too, and a native call each
    // would cost more than the check.
    let bulk = true;
    while (bytes.length - at >= FRAME_HEADER_SIZE) {
      if (bulk) {
        // Whole, well-formed frames in bulk. It returns at the end or at a frame it will not vouch for, which
        // the JS reading below names: scanning that frame again would only find it so a second time.
        at = emitWellFormedFrames(bytes, at, this.#maxFrameSize, this.#fingerprint, emitChecked);
        if (bytes.length - at < FRAME_HEADER_SIZE) break;
      }
      const header = this.#checkHeader(bytes, at);
      if (isHeaderFault(header)) {
        if (!this.#resync) throw atStreamOffset(headerFaultError(header, this.#maxFrameSize), this.#base);
        at = this.#skip(bytes, at);
        bulk = false;
        continue;
      }
      bulk = true;
      if (bytes.length - at < header.frameLength) {
        this.#incomplete = header;
        break;
      }
      let frame: Frame;
      try {
        frame = frameAfterHeader(bytes, at, header, this.#fingerprint);
      } catch (error) {
        if (!this.#resync) throw atStreamOffset(error, this.#base);
        // The header checked out, so its length is trusted: the whole frame goes.
        this.#drop(header.frameLength, true);
        this.#scanning = false;
        at += header.frameLength;
        continue;
      }
      this.#passOn(frame, false, emit);
      at += frame.byteLength;
    }
    return at;
  }

  /** With resync, after a bad header at `at`: the next place a frame may start (a magic, or near the end). */
  #skip(bytes: Uint8Array, at: number): number {
    const next = nextMagic(bytes, at + 1);
    // Without a magic, keep the last three bytes: they may begin one that the next chunk completes.
    const resume = next >= 0 ? next : Math.max(at + 1, bytes.length - (MAGIC.length - 1));
    this.#skipped(resume - at);
    return resume;
  }

  /** With resync: `bytes` skipped after a bad header, counted as part of the damaged stretch it is in. */
  #skipped(bytes: number): void {
    this.#drop(bytes, !this.#scanning);
    this.#scanning = true;
  }

  #drop(bytes: number, newStretch: boolean): void {
    this.stats.droppedBytes += bytes;
    if (newStretch) this.stats.droppedFrames += 1;
  }
}
