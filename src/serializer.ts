/**
 * Buffered writing of bytes, frames and records to a sink: a
 * `WritableStream`, a `Deno.FsFile` (or any writer whose `write` may write
 * part of what it is given), or a Bun `FileSink`.
 *
 * Every write copies or encodes the caller's bytes before it returns, so the
 * caller may reuse them at once; every chunk a sink is given stays as it was
 * given, unless the sink is one known to copy what it writes (`Deno.FsFile`,
 * Bun's `FileSink`); and the bytes waiting for the sink are bounded by
 * `maxPending`.
 *
 * @module
 */

import { asBytes, type BinaryInput } from "./bytes.ts";
import { BinlaneError } from "./errors.ts";
import {
  checkMaxFrameSize,
  encodeFrameInto,
  FRAME_OPTION_KEYS,
  type FrameOptions,
  frameSize,
} from "./frame.ts";
import { describeValue, readOptions } from "./options.ts";
import { type FieldMap, type RecordValue, Schema } from "./layout/schema.ts";

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
  /**
   * Bytes gathered before they are written, 64 to 2^30. Default 64 KiB.
   * Items this large or larger are copied and written on their own.
   */
  bufferSize?: number;
  /**
   * Bytes that may wait for the sink, at least `bufferSize`. Default four
   * times `bufferSize`. A write made while this many or more wait is
   * refused with `E_BUFFER_TOO_SMALL`; a write's promise (and `ready`)
   * resolves once at most half of it waits.
   */
  maxPending?: number;
}

/** What a {@linkcode StreamingSerializer} has written. */
export interface SerializerStats {
  /** Bytes handed to the sink. */
  bytes: number;
  /** Writes of the gathered buffer. */
  flushes: number;
  /** Items larger than the buffer, written on their own. */
  directWrites: number;
}

const DEFAULT_BUFFER_SIZE = 64 * 1024;
const MAX_BUFFER_SIZE = 2 ** 30;
const OPTION_KEYS: readonly (keyof StreamingSerializerOptions)[] = ["bufferSize", "maxPending"];
/** Buffers kept for reuse by a sink that copies what it writes: one written while the next fills. */
const SPARE_BUFFERS = 2;
const resolved: Promise<void> = Promise.resolve();

interface SinkDriver {
  /** All of these bytes, then resolve. */
  write: (bytes: Uint8Array) => Promise<void>;
  flush: () => Promise<void>;
  release: () => void;
  /** Whether the sink is done with a chunk once its write resolved, so that its buffer may be reused. */
  copies: boolean;
}

const reflectApply = Reflect.apply;
const functionToString = Function.prototype.toString;
const prototypeOf = Object.getPrototypeOf;
const WritableStreamIntrinsic = WritableStream;
const getWriter = WritableStream.prototype.getWriter;
type FsFileClass = { new (...args: never[]): ByteWriter; prototype: ByteWriter };
const fsFileClass: FsFileClass | undefined = (globalThis as { Deno?: { FsFile?: FsFileClass } }).Deno?.FsFile;
/** `Deno.FsFile`'s own write, taken at load. */
const fsFileWrite: unknown = typeof fsFileClass === "function" ? fsFileClass.prototype.write : undefined;
type BunFiles = { file(path: string): { writer(): object } };
const bun: BunFiles | undefined = (globalThis as { Bun?: BunFiles }).Bun;
/** Bun's `FileSink.prototype.write`, looked up the first time a native write is seen; null if it cannot be. */
let fileSinkWrite: unknown = undefined;

/** The genuine `FileSink` write, from a writer on the null device made (and ended) once. */
function bunFileSinkWrite(): unknown {
  if (fileSinkWrite !== undefined || bun === undefined) return fileSinkWrite;
  fileSinkWrite = null;
  try {
    const isWindows = (globalThis as { process?: { platform?: string } }).process?.platform === "win32";
    const writer = bun.file(isWindows ? "NUL" : "/dev/null").writer() as {
      write?: unknown;
      end?: () => unknown;
    };
    fileSinkWrite = (prototypeOf(writer) as { write?: unknown }).write ?? null;
    writer.end?.();
  } catch {
    // Without a genuine FileSink to compare with, every sink is treated as one that may keep its chunks.
  }
  return fileSinkWrite;
}

/**
 * Which of the runtime's own file writers `sink` is, by its write (captured
 * once) being the engine's own: `Deno.FsFile`'s write hands the bytes to the
 * kernel, and Bun's `FileSink` copies them before `write` returns (even when
 * it returns a promise), so neither keeps them. A caller's write, bound or
 * native-looking, is never taken for one.
 */
function fileWriterKind(sink: ByteWriter, write: unknown): "fsFile" | "fileSink" | undefined {
  if (fsFileWrite !== undefined && write === fsFileWrite) {
    return sink instanceof fsFileClass! ? "fsFile" : undefined;
  }
  if (bun === undefined) return undefined;
  // Only a native function can be FileSink's write; a JS one needs no lookup.
  let source: string;
  try {
    source = reflectApply(functionToString, write, []) as string;
  } catch {
    return undefined; // a Proxy of a function
  }
  if (!source.includes("[native code]")) return undefined;
  const genuine = bunFileSinkWrite();
  return genuine !== null && write === genuine ? "fileSink" : undefined;
}

/** `sink[key]`, read once; a throwing getter, or a value that is not a function, is `E_TYPE`. */
function methodOf(sink: object, key: "write" | "flush", optional: boolean): unknown {
  let method: unknown;
  try {
    method = (sink as Record<string, unknown>)[key];
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `reading the sink's ${key} threw`, { cause });
  }
  if (typeof method === "function" || (optional && method == null)) return method;
  throw new BinlaneError(
    "E_TYPE",
    key === "write"
      ? "the sink must be a WritableStream or have a write(bytes) method"
      : `the sink's flush must be a function, got ${describeValue(method)}`,
  );
}

/** The sink's write, as "all of these bytes, then resolve"; its methods are read once, here. */
function driverFor(sink: SerializerSink): SinkDriver {
  if (sink instanceof WritableStreamIntrinsic) {
    let writer: WritableStreamDefaultWriter<Uint8Array>;
    try {
      writer = reflectApply(getWriter, sink, []) as WritableStreamDefaultWriter<Uint8Array>;
    } catch (cause) {
      throw new BinlaneError("E_TYPE", "the sink is not a usable WritableStream (locked, or not one)", {
        cause,
      });
    }
    return {
      write: async (bytes) => {
        await writer.ready;
        await writer.write(bytes);
      },
      flush: () => resolved,
      release: () => writer.releaseLock(),
      // A stream's sink may keep every chunk (a collector, a queue): none is written again.
      copies: false,
    };
  }
  if (sink === null || typeof sink !== "object") {
    throw new BinlaneError("E_TYPE", "the sink must be a WritableStream or have a write(bytes) method");
  }
  const write = methodOf(sink, "write", false) as (bytes: Uint8Array) => number | Promise<number>;
  const flushMethod = methodOf(sink, "flush", true) as (() => unknown) | undefined | null;
  const flush = async (): Promise<void> => {
    if (flushMethod != null) await reflectApply(flushMethod, sink, []);
  };
  const kind = fileWriterKind(sink, write);
  if (kind === "fileSink") {
    return {
      // A FileSink takes every byte; a promise it returns resolves to all it flushed, earlier writes included.
      write: async (bytes) => void await reflectApply(write, sink, [bytes]),
      flush,
      release: () => {},
      copies: true,
    };
  }
  return {
    write: async (bytes) => {
      for (let at = 0; at < bytes.length;) {
        const written = await reflectApply(write, sink, [at === 0 ? bytes : bytes.subarray(at)]);
        if (!Number.isSafeInteger(written) || written < 0 || written > bytes.length - at) {
          throw new BinlaneError(
            "E_INVALID_ARGUMENT",
            `the sink's write reported ${describeValue(written)} bytes written`,
          );
        }
        // A writer that takes nothing would loop forever.
        if (written === 0) throw new BinlaneError("E_INVALID_ARGUMENT", "the sink's write took no bytes");
        at += written;
      }
    },
    flush,
    release: () => {},
    copies: kind === "fsFile",
  };
}

function checkedSize(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number") {
    throw new BinlaneError("E_TYPE", `option ${key} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BinlaneError("E_RANGE", `option ${key} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** The serializer's options, each read once. */
function readSerializerOptions(options: unknown): { bufferSize: number; maxPending: number } {
  const { bufferSize: size, maxPending: pending } = readOptions(options, OPTION_KEYS, "StreamingSerializer");
  const bufferSize = size === undefined
    ? DEFAULT_BUFFER_SIZE
    : checkedSize("bufferSize", size, 64, MAX_BUFFER_SIZE);
  const maxPending = pending === undefined
    ? 4 * bufferSize
    : checkedSize("maxPending", pending, bufferSize, Number.MAX_SAFE_INTEGER);
  return { bufferSize, maxPending };
}

/** A plain copy of a frame's options, each read once, so that no getter runs once the payload is measured. */
function readFrameOptions(options: FrameOptions): FrameOptions {
  if (options === undefined) {
    throw new BinlaneError("E_TYPE", "writeFrame takes options with at least a type");
  }
  const { type, timestamp, fingerprint, maxFrameSize } = readOptions(
    options,
    FRAME_OPTION_KEYS,
    "writeFrame",
  );
  if (typeof type !== "number") {
    throw new BinlaneError("E_TYPE", `frame option type must be a number, got ${describeValue(type)}`);
  }
  const copy: FrameOptions = { type };
  if (timestamp !== undefined) {
    if (typeof timestamp !== "bigint") {
      throw new BinlaneError("E_TYPE", "frame option timestamp must be a bigint");
    }
    copy.timestamp = timestamp;
  }
  if (fingerprint !== undefined) {
    if (typeof fingerprint !== "bigint") {
      throw new BinlaneError("E_TYPE", "frame option fingerprint must be a bigint");
    }
    copy.fingerprint = fingerprint;
  }
  if (maxFrameSize !== undefined) {
    if (typeof maxFrameSize !== "number") {
      throw new BinlaneError("E_TYPE", "frame option maxFrameSize must be a number");
    }
    copy.maxFrameSize = maxFrameSize;
  }
  return copy;
}

/**
 * Gathers small writes into one buffer and writes it to the sink when it is
 * full, on `flush()`, and on disposal (`await using`). Frames and records
 * are encoded straight into the buffer; an item of `bufferSize` bytes or
 * more is copied and written on its own, after what was gathered before it.
 *
 * A write owns its bytes when it returns: they are copied (or encoded)
 * before the call returns, so a caller may refill one scratch array for
 * every write without awaiting any. A chunk handed to a `WritableStream`
 * (or to any other writer) is never written again, so its sink may keep it;
 * only `Deno.FsFile` and Bun's `FileSink`, which copy what they write, get
 * a buffer again once their write resolved.
 *
 * Memory is bounded by `maxPending`: a write's promise resolves once at most
 * half of `maxPending` bytes wait for the sink, and a write made while
 * `maxPending` or more wait throws `E_BUFFER_TOO_SMALL` instead of queueing
 * without end. Awaiting every write (or `ready` before writing) keeps a
 * producer clear of the limit. After the sink fails, every later write,
 * `flush()` and `close()` rejects with its error.
 *
 * @example
 * ```ts
 * import { StreamingSerializer } from "@binlane/binlane";
 *
 * const chunks: Uint8Array[] = [];
 * const sink = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) });
 * const scratch = new Uint8Array(1);
 * {
 *   await using out = new StreamingSerializer(sink, { bufferSize: 64 });
 *   for (let i = 0; i < 100; i++) {
 *     scratch[0] = i;
 *     void out.write(scratch); // copied before write returns: the scratch byte is free again
 *   }
 * }
 * const all = chunks.flatMap((chunk) => [...chunk]);
 * if (all.length !== 100 || all.some((byte, i) => byte !== i)) throw new Error("every byte kept, in order");
 * ```
 */
export class StreamingSerializer {
  /** Counts of what was written. */
  readonly stats: SerializerStats = { bytes: 0, flushes: 0, directWrites: 0 };
  readonly #sink: SinkDriver;
  readonly #capacity: number;
  readonly #maxPending: number;
  #buffer: Uint8Array;
  #filled = 0;
  /** Buffers a copying sink is done with. */
  readonly #spare: Uint8Array[] = [];
  /** Bytes handed to the write chain and not yet taken by the sink. */
  #pending = 0;
  #tail: Promise<void> = resolved;
  #failure: unknown = undefined;
  #closed = false;
  /** A record's value is being read: its getters must not write, flush or close. */
  #encoding = false;
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** Takes the sink's writer (a `WritableStream` is locked until disposal). */
  constructor(sink: SerializerSink, options: StreamingSerializerOptions = {}) {
    const { bufferSize, maxPending } = readSerializerOptions(options);
    this.#sink = driverFor(sink);
    this.#capacity = bufferSize;
    this.#maxPending = maxPending;
    this.#buffer = new Uint8Array(bufferSize);
  }

  /** Bytes gathered in the buffer and not yet handed on to be written. */
  get buffered(): number {
    return this.#filled;
  }

  /** Bytes handed on to be written that the sink has not yet taken. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Resolves once at most half of `maxPending` bytes wait for the sink (at
   * once when that is so already); rejects with the sink's error once it
   * failed. Awaited before each write, it keeps every write clear of
   * `E_BUFFER_TOO_SMALL`.
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * let open = () => {};
   * const gate = new Promise<void>((resolve) => open = resolve);
   * const slow = new WritableStream<Uint8Array>({ write: () => gate });
   * const out = new StreamingSerializer(slow, { bufferSize: 64, maxPending: 64 });
   * void out.write(new Uint8Array(64)); // written on its own; the sink holds on to it
   * let refused = "";
   * try {
   *   void out.write(new Uint8Array(1));
   * } catch (error) {
   *   refused = (error as { code: string }).code;
   * }
   * if (refused !== "E_BUFFER_TOO_SMALL") throw new Error("a write past maxPending is refused");
   * const ready = out.ready;
   * open();
   * await ready;
   * await out.write(new Uint8Array(1)); // accepted now
   * await out.close();
   * ```
   */
  get ready(): Promise<void> {
    return this.#ready();
  }

  /**
   * Appends a copy of `bytes`: into the buffer, or on its own when they are
   * at least `bufferSize` long. The caller may change `bytes` as soon as
   * this returns.
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.write(new Uint8Array(10));
   * if (out.buffered !== 10) throw new Error("10 bytes gathered");
   * ```
   */
  write(bytes: BinaryInput): Promise<void> {
    this.#checkOpen();
    const data = asBytes(bytes);
    this.#checkOpen();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#admit();
    const length = data.byteLength;
    if (length >= this.#capacity) {
      const copy = new Uint8Array(length);
      copy.set(data);
      this.#seal();
      this.#send(copy, true, undefined);
    } else {
      this.#reserve(length);
      this.#buffer.set(data, this.#filled);
      this.#filled += length;
    }
    return this.#ready();
  }

  /**
   * Appends one frame of `payload` (see {@linkcode encodeFrameInto}),
   * encoded in place in the buffer when it fits. Its options are read once,
   * before the payload is measured; an unknown key is refused (`E_TYPE`).
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.writeFrame(new Uint8Array(8), { type: 2 });
   * if (out.buffered !== 48) throw new Error("a 48-byte frame gathered");
   * ```
   */
  writeFrame(payload: BinaryInput, options: FrameOptions): Promise<void> {
    this.#checkOpen();
    let frameOptions: FrameOptions;
    try {
      frameOptions = readFrameOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    // After the options, whose getters may have detached or resized the payload; bad memory throws, as in write.
    const body = asBytes(payload, "the payload");
    this.#checkOpen();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#admit();
    try {
      const length = frameSize(body.byteLength);
      if (length >= this.#capacity) {
        // Refused before its memory is allocated: a payload of gigabytes must not cost gigabytes to refuse.
        const maxFrameSize = checkMaxFrameSize(frameOptions.maxFrameSize);
        if (length > maxFrameSize) {
          throw new BinlaneError(
            "E_FRAME_TOO_LARGE",
            `a ${body.byteLength}-byte payload makes a ${length}-byte frame, above maxFrameSize ${maxFrameSize}`,
          );
        }
        const frame = new Uint8Array(length);
        encodeFrameInto(frame, body, frameOptions);
        this.#seal();
        this.#send(frame, true, undefined);
      } else {
        this.#reserve(length);
        this.#filled += encodeFrameInto(this.#buffer.subarray(this.#filled), body, frameOptions);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ready();
  }

  /**
   * Appends one record of `schema`, written (and checked) in place. The
   * value's getters may not write to, flush or close this serializer
   * (`E_INVALID_ARGUMENT`).
   *
   * @example
   * ```ts
   * import { StreamingSerializer, struct, u16, u32 } from "@binlane/binlane";
   *
   * const Pair = struct({ id: u16, value: u32 });
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.writeRecord(Pair, { id: 1, value: 2 });
   * if (out.buffered !== 8) throw new Error("an 8-byte record gathered");
   * ```
   */
  writeRecord<F extends FieldMap>(schema: Schema<F>, value: RecordValue<F>): Promise<void> {
    this.#checkOpen();
    if (!(schema instanceof Schema)) {
      return Promise.reject(new BinlaneError("E_TYPE", "writeRecord takes a Schema (struct or union)"));
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#admit();
    const size = schema.size;
    try {
      if (size >= this.#capacity) {
        const record = new Uint8Array(size);
        this.#encodeRecord(schema, record, value, 0);
        this.#seal();
        this.#send(record, true, undefined);
      } else {
        this.#reserve(size);
        const at = this.#filled;
        // The buffer is reused: the record's padding is zeroed first, or it would carry earlier bytes.
        this.#buffer.fill(0, at, at + size);
        // A value that fails its checks leaves `buffered` unchanged.
        this.#encodeRecord(schema, this.#buffer, value, at);
        this.#filled = at + size;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ready();
  }

  #encodeRecord<F extends FieldMap>(
    schema: Schema<F>,
    target: Uint8Array,
    value: RecordValue<F>,
    at: number,
  ): void {
    this.#encoding = true;
    try {
      schema.write(target, value, at);
    } finally {
      this.#encoding = false;
    }
  }

  /**
   * Writes what is gathered, and flushes the sink where it buffers;
   * resolves once the sink has taken everything written before.
   *
   * @example
   * ```ts
   * import { StreamingSerializer } from "@binlane/binlane";
   *
   * await using out = new StreamingSerializer(new WritableStream());
   * await out.write(new Uint8Array(3));
   * await out.flush();
   * if (out.buffered !== 0 || out.pending !== 0 || out.stats.flushes !== 1) throw new Error("flushed");
   * ```
   */
  flush(): Promise<void> {
    this.#checkReentry();
    this.#seal();
    return this.#chain(() => this.#sink.flush(), 0);
  }

  /** Flushes, then lets go of the sink (a `WritableStream` is unlocked, not closed). Later writes throw `E_DISPOSED`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#checkReentry();
    this.#closed = true;
    try {
      this.#seal();
      await this.#chain(() => this.#sink.flush(), 0);
    } finally {
      this.#sink.release();
    }
  }

  /** The same as `[Symbol.asyncDispose]()`. */
  close(): Promise<void> {
    return this[Symbol.asyncDispose]();
  }

  /** Makes room for `length` bytes in the buffer, handing on what is gathered when they do not fit. */
  #reserve(length: number): void {
    if (this.#filled + length > this.#capacity) this.#seal();
  }

  /** Hands on what is gathered; the buffer it was gathered in is never written while a sink may read it. */
  #seal(): void {
    const filled = this.#filled;
    if (filled === 0) return;
    const buffer = this.#buffer;
    this.#filled = 0;
    if (this.#sink.copies) {
      this.#buffer = this.#spare.pop() ?? new Uint8Array(this.#capacity);
      this.#send(buffer.subarray(0, filled), false, buffer);
    } else if (filled * 4 >= this.#capacity * 3) {
      // The sink may keep the whole buffer: what a refused record left past `filled` is cleared.
      buffer.fill(0, filled);
      this.#buffer = new Uint8Array(this.#capacity);
      this.#send(buffer.subarray(0, filled), false, undefined);
    } else {
      // A buffer mostly empty is copied out rather than given away, so a kept chunk holds no dead bytes.
      this.#send(buffer.slice(0, filled), false, undefined);
    }
  }

  /** Queues `chunk` for the sink; `spare` is the buffer to reuse once a copying sink has written it. */
  #send(chunk: Uint8Array, direct: boolean, spare: Uint8Array | undefined): void {
    const length = chunk.byteLength;
    void this.#chain(async () => {
      await this.#sink.write(chunk);
      this.stats.bytes += length;
      if (direct) this.stats.directWrites += 1;
      else this.stats.flushes += 1;
      if (spare !== undefined && this.#spare.length < SPARE_BUFFERS) this.#spare.push(spare);
    }, length);
  }

  /**
   * Runs `operation` after every earlier one, counting `bytes` as pending
   * until it ends. After the sink fails, every later operation fails with
   * its error.
   */
  #chain(operation: () => Promise<void>, bytes: number): Promise<void> {
    this.#pending += bytes;
    const result = this.#tail.then(async () => {
      try {
        if (this.#failure !== undefined) throw this.#failure;
        await operation();
      } catch (error) {
        this.#fail(error);
        throw error;
      } finally {
        this.#pending -= bytes;
        this.#wake();
      }
    });
    this.#tail = result.catch(() => {});
    return result;
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(this.#failure);
  }

  #wake(): void {
    if (this.#pending * 2 > this.#maxPending || this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  #ready(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#pending * 2 <= this.#maxPending) return resolved;
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Refuses a write that would queue past `maxPending`: a producer that never waits must hear of it. */
  #admit(): void {
    if (this.#pending >= this.#maxPending) {
      throw new BinlaneError(
        "E_BUFFER_TOO_SMALL",
        `${this.#pending} bytes already wait for the sink (maxPending ${this.#maxPending}): ` +
          "await each write, or await ready before writing",
      );
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new BinlaneError("E_DISPOSED", "this StreamingSerializer has been closed");
    this.#checkReentry();
  }

  #checkReentry(): void {
    if (this.#encoding) {
      throw new BinlaneError(
        "E_INVALID_ARGUMENT",
        "a record's value wrote to, flushed or closed the StreamingSerializer writing it",
      );
    }
  }
}
