/**
 * Buffered writing of bytes, frames and records to a sink: a
 * `WritableStream`, a `Deno.FsFile` (or any writer whose `write` may write
 * part of what it is given), or a Bun `FileSink`.
 *
 * @module
 */

import { asBytes, type BinaryInput } from "./bytes.ts";
import { BinlaneError } from "./errors.ts";
import { encodeFrameInto, type FrameOptions, frameSize } from "./frame.ts";
import type { FieldMap, RecordValue, Schema } from "./layout/schema.ts";

/** A writer whose `write` may take only part of the bytes (`Deno.FsFile`), or all of them (Bun's `FileSink`). */
export interface ByteWriter {
  /** Writes some or all of `bytes`; returns how many (or a promise of it). */
  write(bytes: Uint8Array): number | Promise<number>;
  /** Pushes buffered bytes down, where the writer buffers (Bun's `FileSink`). */
  flush?(): unknown;
}

/** Where a {@linkcode StreamingSerializer} writes. */
export type SerializerSink = WritableStream<Uint8Array> | ByteWriter;

/** Options for a {@linkcode StreamingSerializer}. */
export interface StreamingSerializerOptions {
  /** Bytes gathered before they are written. Default 64 KiB. Items this large or larger are written directly. */
  bufferSize?: number;
}

/** What a {@linkcode StreamingSerializer} has written. */
export interface SerializerStats {
  /** Bytes handed to the sink. */
  bytes: number;
  /** Writes of the gathered buffer. */
  flushes: number;
  /** Items larger than the buffer, written as they were given. */
  directWrites: number;
}

const DEFAULT_BUFFER_SIZE = 64 * 1024;

type Write = (bytes: Uint8Array) => Promise<void>;

/** The sink's write, as "all of these bytes, then resolve". */
function writerFor(sink: SerializerSink): { write: Write; flush: () => Promise<void>; release: () => void } {
  if (sink instanceof WritableStream) {
    const writer = sink.getWriter();
    return {
      write: async (bytes) => {
        await writer.ready;
        // Resolves once the stream's sink has taken the chunk, so the buffer can be reused after.
        await writer.write(bytes);
      },
      flush: async () => {},
      release: () => writer.releaseLock(),
    };
  }
  if (sink === null || typeof sink !== "object" || typeof sink.write !== "function") {
    throw new BinlaneError("E_TYPE", "the sink must be a WritableStream or have a write(bytes) method");
  }
  return {
    write: async (bytes) => {
      for (let at = 0; at < bytes.length;) {
        const written = await sink.write(at === 0 ? bytes : bytes.subarray(at));
        if (!Number.isSafeInteger(written) || written < 0 || written > bytes.length - at) {
          throw new BinlaneError(
            "E_INVALID_ARGUMENT",
            `the sink's write reported ${String(written)} bytes written`,
          );
        }
        // A writer that takes nothing would loop forever.
        if (written === 0) throw new BinlaneError("E_INVALID_ARGUMENT", "the sink's write took no bytes");
        at += written;
      }
    },
    flush: async () => {
      await sink.flush?.();
    },
    release: () => {},
  };
}

/**
 * Gathers small writes into one buffer and writes it to the sink when it is
 * full, on `flush()`, and on disposal (`await using`). Frames and records
 * are encoded straight into the buffer, so nothing is copied twice; an item
 * of `bufferSize` bytes or more is written on its own, uncopied, after
 * what was gathered before it. Every write waits for the sink, so a slow
 * sink holds its writer back and memory stays at one buffer.
 *
 * @example
 * ```ts
 * import { StreamingSerializer } from "@binlane/binlane";
 *
 * const chunks: Uint8Array[] = [];
 * const sink = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk.slice()) });
 * {
 *   await using out = new StreamingSerializer(sink, { bufferSize: 1024 });
 *   await out.writeFrame(new Uint8Array([1, 2, 3]), { type: 1 });
 *   await out.write(new Uint8Array([9]));
 * }
 * console.log(chunks.length, chunks[0].length); // 1 49
 * ```
 */
export class StreamingSerializer {
  /** Counts of what was written. */
  readonly stats: SerializerStats = { bytes: 0, flushes: 0, directWrites: 0 };
  readonly #buffer: Uint8Array;
  readonly #sink: { write: Write; flush: () => Promise<void>; release: () => void };
  #filled = 0;
  #closed = false;
  #tail: Promise<void> = Promise.resolve();
  #failure: unknown = undefined;

  /** Takes the sink's writer (a `WritableStream` is locked until disposal). */
  constructor(sink: SerializerSink, options: StreamingSerializerOptions = {}) {
    const size = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (!Number.isSafeInteger(size) || size < 64) {
      throw new BinlaneError("E_RANGE", `bufferSize must be an integer of at least 64, got ${String(size)}`);
    }
    this.#sink = writerFor(sink);
    this.#buffer = new Uint8Array(size);
  }

  /** Bytes gathered and not yet written. */
  get buffered(): number {
    return this.#filled;
  }

  /**
   * Appends `bytes`: copied into the buffer, or written directly when they
   * are at least `bufferSize` long.
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.write(new Uint8Array(10));
   * console.log(out.buffered); // 10
   * ```
   */
  write(bytes: BinaryInput): Promise<void> {
    this.#checkOpen();
    const data = asBytes(bytes);
    return this.#run(() => this.#write(data));
  }

  async #write(data: Uint8Array): Promise<void> {
    if (data.length >= this.#buffer.length) {
      await this.#flush();
      await this.#emit(data);
      this.stats.directWrites += 1;
      return;
    }
    await this.#reserve(data.length);
    this.#buffer.set(data, this.#filled);
    this.#filled += data.length;
  }

  /**
   * Appends one frame of `payload` (see {@linkcode encodeFrameInto}),
   * encoded in place in the buffer when it fits.
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.writeFrame(new Uint8Array(8), { type: 2 });
   * console.log(out.buffered); // 48
   * ```
   */
  writeFrame(payload: BinaryInput, options: FrameOptions): Promise<void> {
    this.#checkOpen();
    const body = asBytes(payload);
    return this.#run(() => this.#writeFrame(body, options));
  }

  async #writeFrame(body: Uint8Array, options: FrameOptions): Promise<void> {
    const length = frameSize(body.byteLength);
    if (length >= this.#buffer.length) {
      const frame = new Uint8Array(length);
      encodeFrameInto(frame, body, options);
      await this.#flush();
      await this.#emit(frame);
      this.stats.directWrites += 1;
      return;
    }
    await this.#reserve(length);
    this.#filled += encodeFrameInto(this.#buffer.subarray(this.#filled), body, options);
  }

  /**
   * Appends one record of `schema`, written (and checked) in place.
   *
   * @example
   * ```ts
   * import { StreamingSerializer, struct, u16, u32 } from "@binlane/binlane";
   *
   * const Pair = struct({ id: u16, value: u32 });
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.writeRecord(Pair, { id: 1, value: 2 });
   * console.log(out.buffered); // 8
   * ```
   */
  writeRecord<F extends FieldMap>(schema: Schema<F>, value: RecordValue<F>): Promise<void> {
    this.#checkOpen();
    return this.#run(() => this.#writeRecord(schema, value));
  }

  async #writeRecord<F extends FieldMap>(schema: Schema<F>, value: RecordValue<F>): Promise<void> {
    if (schema.size >= this.#buffer.length) {
      const record = new Uint8Array(schema.size);
      schema.write(record, value);
      await this.#flush();
      await this.#emit(record);
      this.stats.directWrites += 1;
      return;
    }
    await this.#reserve(schema.size);
    // Written at its offset in the buffer; a value that fails its checks leaves `buffered` unchanged.
    // The buffer is reused: its padding bytes are zeroed first, or they would carry an earlier write's data.
    this.#buffer.fill(0, this.#filled, this.#filled + schema.size);
    schema.write(this.#buffer, value, this.#filled);
    this.#filled += schema.size;
  }

  /**
   * Writes what is gathered, and flushes the sink where it buffers.
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.write(new Uint8Array(3));
   * await out.flush();
   * console.log(out.buffered, out.stats.flushes); // 0 1
   * ```
   */
  flush(): Promise<void> {
    return this.#run(() => this.#flush());
  }

  async #flush(): Promise<void> {
    if (this.#filled > 0) {
      await this.#emit(this.#buffer.subarray(0, this.#filled));
      this.#filled = 0;
      this.stats.flushes += 1;
    }
    await this.#sink.flush();
  }

  /** Flushes, then lets go of the sink (a `WritableStream` is unlocked, not closed). Later writes throw `E_DISPOSED`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#run(() => this.#flush());
    } finally {
      this.#sink.release();
    }
  }

  /** The same as `[Symbol.asyncDispose]()`. */
  close(): Promise<void> {
    return this[Symbol.asyncDispose]();
  }

  /**
   * Runs `operation` after every earlier one: callers that do not await
   * each write must still never see the buffer written while the sink reads
   * it. After the sink fails, every later operation fails with its error.
   */
  #run(operation: () => Promise<void>): Promise<void> {
    const result = this.#tail.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
      return operation();
    });
    this.#tail = result.catch(() => {});
    return result;
  }

  async #reserve(length: number): Promise<void> {
    if (this.#filled + length > this.#buffer.length) await this.#flush();
  }

  async #emit(bytes: Uint8Array): Promise<void> {
    try {
      await this.#sink.write(bytes);
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    this.stats.bytes += bytes.length;
  }

  #checkOpen(): void {
    if (this.#closed) throw new BinlaneError("E_DISPOSED", "this StreamingSerializer has been closed");
  }
}
