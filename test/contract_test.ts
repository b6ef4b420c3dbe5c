/**
 * The contract of every entry that takes options or a number, string or
 * bigint from the caller, attacked as a hostile caller would: `null`
 * options, an unknown key, a Symbol or a BigInt where a number goes, an
 * object whose `toString`, `valueOf` and `Symbol.toPrimitive` throw (and
 * must never be called, not even to build the message), a getter that
 * throws, a getter that detaches or shrinks the input. Each must be a
 * `BinlaneError` with a stable code, never a raw `TypeError` or caller code
 * run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BinlaneError,
  BufferPool,
  crc32,
  crc32c,
  createXxh3,
  createXxh64,
  decodeFrame,
  decodeFrameBatches,
  encodeFrame,
  encodeFrameInto,
  FrameBatchDecoderStream,
  FrameDecoderStream,
  FrameEncoderStream,
  frameSize,
  mapFile,
  NativeBuffer,
  readFrameHeader,
  StreamingSerializer,
  WorkerPool,
  workerStage,
  xxh3,
  xxh64,
} from "../mod.ts";
import { test } from "./harness.ts";

/** An object whose every conversion to a primitive throws and is recorded. */
function trap(): { value: object; ran: () => boolean } {
  let ran = false;
  const fail = (): never => {
    ran = true;
    throw new Error("caller code ran");
  };
  const value = { toString: fail, valueOf: fail, [Symbol.toPrimitive]: fail, toJSON: fail };
  return { value, ran: () => ran };
}

/** Asserts that `fn` throws a BinlaneError (not a raw TypeError) with `code`, and returns it. */
function refuses(fn: () => unknown, code: string, what: string): BinlaneError {
  let thrown: unknown;
  try {
    const result = fn();
    release(result);
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof BinlaneError, `${what}: expected a BinlaneError ${code}, got ${thrown}`);
  assert.equal(thrown.code, code, `${what}: ${thrown.message}`);
  return thrown;
}

/** Disposes what an entry returned, if it holds anything. */
function release(result: unknown): void {
  if (typeof result === "object" && result !== null && Symbol.dispose in result) {
    (result as Disposable)[Symbol.dispose]();
  }
}

/** A temporary directory with a 64-byte file, for mapFile. */
const directory = mkdtempSync(join(tmpdir(), "binlane-contract-"));
const file = join(directory, "data");
writeFileSync(file, new Uint8Array(64).fill(7));

const frame = encodeFrame(new Uint8Array(16).fill(1), { type: 3, timestamp: 1n });
const stage = new URL("./fixtures/stage.ts", import.meta.url);
const sink = { write: (bytes: Uint8Array) => bytes.length };

/** One entry and the kinds of value each of its options takes. */
interface Entry {
  name: string;
  /** Calls the entry with `options` in its options slot. */
  call: (options: unknown) => unknown;
  /** Options it accepts (checked to work, so that each refusal below is of the one bad value). */
  valid: Record<string, unknown>;
  /** Whether `undefined` options are accepted. */
  optional: boolean;
  numbers?: string[];
  strings?: string[];
  booleans?: string[];
  /** Keys where a bigint goes, and the code a non-bigint gets there. */
  bigints?: { keys: string[]; code: string };
}

const entries: Entry[] = [
  {
    name: "encodeFrame",
    call: (options) => encodeFrame(new Uint8Array(8), options as never),
    valid: { type: 1, timestamp: 2n, fingerprint: 3n, maxFrameSize: 4096 },
    optional: false,
    numbers: ["type", "maxFrameSize"],
    bigints: { keys: ["timestamp", "fingerprint"], code: "E_RANGE" },
  },
  {
    name: "encodeFrameInto",
    call: (options) => encodeFrameInto(new Uint8Array(frameSize(8)), new Uint8Array(8), options as never),
    valid: { type: 1, timestamp: 2n, fingerprint: 3n, maxFrameSize: 4096 },
    optional: false,
    numbers: ["type", "maxFrameSize"],
    bigints: { keys: ["timestamp", "fingerprint"], code: "E_RANGE" },
  },
  {
    name: "decodeFrame",
    call: (options) => decodeFrame(frame, options as never),
    valid: { byteOffset: 0, maxFrameSize: 4096, fingerprint: 0n },
    optional: true,
    numbers: ["byteOffset", "maxFrameSize"],
    bigints: { keys: ["fingerprint"], code: "E_RANGE" },
  },
  {
    name: "readFrameHeader",
    call: (options) => readFrameHeader(frame, options as never),
    valid: { byteOffset: 0, maxFrameSize: 4096 },
    optional: true,
    numbers: ["byteOffset", "maxFrameSize"],
  },
  ...([
    ["FrameDecoderStream", (options: unknown) => new FrameDecoderStream(options as never)],
    ["FrameBatchDecoderStream", (options: unknown) => new FrameBatchDecoderStream(options as never)],
    ["decodeFrameBatches", (options: unknown) => decodeFrameBatches([frame], options as never)],
  ] as const).map(([name, call]): Entry => ({
    name,
    call,
    valid: { maxFrameSize: 4096, fingerprint: 0n, resync: true, transient: false },
    optional: true,
    numbers: ["maxFrameSize"],
    booleans: ["resync", "transient"],
    bigints: { keys: ["fingerprint"], code: "E_RANGE" },
  })),
  {
    name: "FrameEncoderStream",
    call: (options) => new FrameEncoderStream(options as never),
    valid: { type: 1, timestamp: 2n, fingerprint: 3n, maxFrameSize: 4096 },
    optional: false,
    numbers: ["type", "maxFrameSize"],
    bigints: { keys: ["timestamp", "fingerprint"], code: "E_RANGE" },
  },
  {
    name: "mapFile",
    call: (options) => mapFile(file, options as never),
    valid: { mode: "read", size: 16 },
    optional: true,
    numbers: ["size"],
    strings: ["mode"],
  },
  {
    name: "NativeBuffer.alloc",
    call: (options) => NativeBuffer.alloc(64, options as never),
    valid: { align: 8, zero: true },
    optional: true,
    numbers: ["align"],
    booleans: ["zero"],
  },
  {
    name: "BufferPool",
    call: (options) => new BufferPool(options as never),
    valid: { sizeClasses: [64, 128], maxRetained: 2, zeroOnRelease: true },
    optional: true,
    numbers: ["maxRetained"],
    booleans: ["zeroOnRelease"],
  },
  {
    name: "StreamingSerializer",
    call: (options) => new StreamingSerializer(sink, options as never),
    valid: { bufferSize: 256, maxPending: 1024 },
    optional: true,
    numbers: ["bufferSize", "maxPending"],
  },
  {
    name: "WorkerPool",
    call: (options) => new WorkerPool(stage, options as never),
    valid: { workers: 1 },
    optional: true,
    numbers: ["workers"],
  },
  {
    name: "workerStage",
    // Refusals only: a stage that was made would start a worker for its first chunk.
    call: (options) => workerStage(stage, options as never),
    valid: {},
    optional: true,
    numbers: ["workers", "maxInFlight", "timeoutMs"],
  },
];

test("every entry: null, a non-object or an unknown key as options is E_TYPE naming the key", () => {
  for (const entry of entries) {
    release(entry.call(entry.valid));
    if (entry.optional) release(entry.call(undefined));
    else refuses(() => entry.call(undefined), "E_TYPE", `${entry.name}(undefined)`);
    // A number is decodeFrame's byte offset.
    const others = entry.name === "decodeFrame"
      ? [null, "type", Symbol("o"), 5n, [1]]
      : [null, 5, "type", Symbol("o"), 5n, [1]];
    for (const options of others) {
      refuses(() => entry.call(options), "E_TYPE", `${entry.name}(${typeof options})`);
    }
    const unknown = refuses(
      () => entry.call({ ...entry.valid, bogusKey: 1 }),
      "E_TYPE",
      `${entry.name} unknown key`,
    );
    assert.match(unknown.message, /bogusKey/, entry.name);
  }
});

test("every entry: a Symbol, a BigInt or a hostile object where a number goes is E_TYPE, its code never run", () => {
  for (const entry of entries) {
    for (const key of entry.numbers ?? []) {
      for (const bad of [Symbol("n"), 5n, "5", true]) {
        refuses(() => entry.call({ ...entry.valid, [key]: bad }), "E_TYPE", `${entry.name} ${key}`);
      }
      const { value, ran } = trap();
      refuses(() => entry.call({ ...entry.valid, [key]: value }), "E_TYPE", `${entry.name} ${key} object`);
      assert.equal(ran(), false, `${entry.name} ${key}: the caller's conversion ran`);
    }
  }
});

test("every entry: a hostile object where a string, boolean or bigint goes is refused without running it", () => {
  for (const entry of entries) {
    const slots: [string, string][] = [
      ...(entry.strings ?? []).map((key): [string, string] => [key, "E_TYPE"]),
      ...(entry.booleans ?? []).map((key): [string, string] => [key, "E_TYPE"]),
      ...(entry.bigints?.keys ?? []).map((key): [string, string] => [key, entry.bigints!.code]),
    ];
    for (const [key, code] of slots) {
      const { value, ran } = trap();
      refuses(() => entry.call({ ...entry.valid, [key]: value }), code, `${entry.name} ${key} object`);
      refuses(() => entry.call({ ...entry.valid, [key]: Symbol("s") }), code, `${entry.name} ${key} symbol`);
      assert.equal(ran(), false, `${entry.name} ${key}: the caller's conversion ran`);
    }
    for (const key of entry.booleans ?? []) {
      for (const bad of ["yes", 1]) {
        refuses(() => entry.call({ ...entry.valid, [key]: bad }), "E_TYPE", `${entry.name} ${key}`);
      }
    }
  }
});

test("every entry: a getter that throws is E_TYPE with it as the cause; each option is read once", () => {
  for (const entry of entries) {
    for (const key of Object.keys(entry.valid)) {
      const hostile = { ...entry.valid };
      const thrown = new Error("getter");
      Object.defineProperty(hostile, key, {
        enumerable: true,
        get() {
          throw thrown;
        },
      });
      const error = refuses(() => entry.call(hostile), "E_TYPE", `${entry.name} ${key} getter`);
      assert.equal(error.cause, thrown, entry.name);
    }
    if (entry.name === "workerStage") continue;
    const reads = new Map<string, number>();
    const counted = {};
    for (const [key, value] of Object.entries(entry.valid)) {
      Object.defineProperty(counted, key, {
        enumerable: true,
        get() {
          reads.set(key, (reads.get(key) ?? 0) + 1);
          return value;
        },
      });
    }
    release(entry.call(counted));
    for (const key of Object.keys(entry.valid)) assert.equal(reads.get(key), 1, `${entry.name} ${key}`);
  }
});

test("positional numbers and bigints: the wrong type is E_TYPE, a hostile object never converted", () => {
  const { value, ran } = trap();
  const bytes = new Uint8Array(100).fill(5);
  for (const seed of [Symbol("s"), 5, value, "1", null]) {
    for (
      const [name, call] of [
        ["xxh64", () => xxh64(bytes, seed as never)],
        ["xxh3", () => xxh3(bytes, seed as never)],
        ["createXxh64", () => createXxh64(seed as never)],
        ["createXxh3", () => createXxh3(seed as never)],
      ] as const
    ) {
      refuses(call, "E_TYPE", `${name} seed ${typeof seed}`);
    }
  }
  for (const seed of [-1n, 2n ** 64n]) refuses(() => xxh3(bytes, seed), "E_RANGE", "xxh3 seed");
  for (const seed of [Symbol("s"), 5n, value, "1"]) {
    refuses(() => crc32(bytes, seed as never), "E_TYPE", "crc32 seed");
    refuses(() => crc32c(bytes, seed as never), "E_TYPE", "crc32c seed");
  }
  for (const size of [Symbol("s"), 5n, value, "8"]) {
    refuses(() => NativeBuffer.alloc(size as never), "E_TYPE", "alloc size");
    refuses(() => frameSize(size as never), "E_TYPE", "frameSize");
    using pool = new BufferPool();
    refuses(() => pool.acquire(size as never), "E_TYPE", "acquire size");
  }
  refuses(() => decodeFrame(frame, value as never), "E_TYPE", "decodeFrame offset object");
  refuses(() => decodeFrame(frame, 5n as never), "E_TYPE", "decodeFrame offset bigint");
  refuses(() => new BufferPool({ sizeClasses: [64, value] as never }), "E_TYPE", "sizeClasses element");
  refuses(() => new BufferPool({ sizeClasses: [64, 5n] as never }), "E_TYPE", "sizeClasses bigint");
  refuses(() => new BufferPool({ sizeClasses: value as never }), "E_TYPE", "sizeClasses object");
  refuses(() => new BufferPool({ sizeClasses: new Array(1 << 20) }), "E_RANGE", "sizeClasses length");
  assert.equal(ran(), false, "the caller's conversion ran");
});

test("paths and modules: a hostile object or a URL look-alike is E_TYPE, its code never run", () => {
  const { value, ran } = trap();
  class LyingUrl extends URL {
    override get href(): string {
      throw new Error("caller getter ran");
    }
    override get protocol(): string {
      throw new Error("caller getter ran");
    }
  }
  refuses(() => mapFile(value as never), "E_TYPE", "mapFile path object");
  refuses(() => mapFile(Symbol("p") as never), "E_TYPE", "mapFile path symbol");
  refuses(() => mapFile(new Proxy(new URL(`file://${file}`), {}) as never), "E_TYPE", "mapFile proxy URL");
  refuses(() => mapFile(new URL("file://elsewhere/data")), "E_TYPE", "mapFile remote file URL");
  refuses(() => new WorkerPool(value as never), "E_TYPE", "WorkerPool module object");
  refuses(() => workerStage(Symbol("m") as never), "E_TYPE", "workerStage module symbol");
  assert.equal(ran(), false, "the caller's conversion ran");
  // A genuine URL of a subclass is read with URL's own getter, so its own never runs.
  using mapped = mapFile(new LyingUrl(`file://${file}`));
  assert.equal(mapped.bytes.length, 64);
  using pool = new WorkerPool(new LyingUrl(stage.href), { workers: 1 });
  assert.equal(pool.module, stage.href);
  const named = refuses(() => mapFile("", { mode: "readwrite" }), "E_TYPE", "empty path");
  assert.match(named.message, /""/, "a string path is named as a string");
});

/** Options with `attack` run when `key` is read; the other keys plain. */
function attacking<T extends Record<string, unknown>>(options: T, key: string, attack: () => void): T {
  const hostile = { ...options };
  Object.defineProperty(hostile, key, {
    enumerable: true,
    get() {
      attack();
      return options[key];
    },
  });
  return hostile;
}

function detach(bytes: Uint8Array): void {
  const buffer = bytes.buffer as ArrayBuffer;
  if (!buffer.detached) buffer.transfer();
}

test("frame entries: an options getter that detaches the input is E_DISPOSED, nothing written", () => {
  for (const key of ["type", "timestamp", "fingerprint", "maxFrameSize"]) {
    const options = { type: 1, timestamp: 2n, fingerprint: 3n, maxFrameSize: 1 << 20 };
    const payload = new Uint8Array(256).fill(9);
    refuses(
      () => encodeFrame(payload, attacking(options, key, () => detach(payload)) as never),
      "E_DISPOSED",
      key,
    );
    const target = new Uint8Array(frameSize(256)).fill(0xee);
    const second = new Uint8Array(256).fill(9);
    refuses(
      () => encodeFrameInto(target, second, attacking(options, key, () => detach(second)) as never),
      "E_DISPOSED",
      key,
    );
    assert.ok(target.every((byte) => byte === 0xee), "target untouched");
    const victim = new Uint8Array(frameSize(256));
    refuses(
      () => encodeFrameInto(victim, payload.buffer.detached ? second : payload, {} as never),
      "E_TYPE",
      "no type",
    );
    refuses(
      () =>
        encodeFrameInto(victim, new Uint8Array(256), attacking(options, key, () => detach(victim)) as never),
      "E_DISPOSED",
      key,
    );
  }
  for (const key of ["byteOffset", "maxFrameSize"]) {
    const options = { byteOffset: 0, maxFrameSize: 4096 };
    const copy = frame.slice();
    refuses(() => decodeFrame(copy, attacking(options, key, () => detach(copy))), "E_DISPOSED", key);
    const other = frame.slice();
    refuses(() => readFrameHeader(other, attacking(options, key, () => detach(other))), "E_DISPOSED", key);
  }
});

test("frame entries: an options getter that shrinks the input gets a result of its new length", () => {
  const memory = new ArrayBuffer(1000, { maxByteLength: 1000 });
  const payload = new Uint8Array(memory);
  payload.fill(4);
  const shrunk = encodeFrame(payload, attacking({ type: 2, timestamp: 1n }, "type", () => memory.resize(24)));
  assert.equal(shrunk.length, frameSize(24));
  assert.equal(decodeFrame(shrunk).payload.length, 24);

  memory.resize(1000);
  const target = new Uint8Array(frameSize(1000)).fill(0xee);
  const written = encodeFrameInto(
    target,
    payload,
    attacking({ type: 2, timestamp: 1n }, "timestamp", () => memory.resize(8)) as never,
  );
  assert.equal(written, frameSize(8));
  assert.ok(target.subarray(written).every((byte) => byte === 0xee), "nothing written past the frame");

  // A frame buffer shrunk under decodeFrame is read at its new length: truncated, not read past its end.
  const frames = new ArrayBuffer(frame.length, { maxByteLength: frame.length });
  new Uint8Array(frames).set(frame);
  const error = refuses(
    () =>
      decodeFrame(
        new Uint8Array(frames),
        attacking({ byteOffset: 0 }, "byteOffset", () => frames.resize(20)),
      ),
    "E_FRAME_TRUNCATED",
    "decodeFrame shrunk",
  );
  assert.equal(error.offset, 0);
  frames.resize(frame.length);
  new Uint8Array(frames).set(frame);
  const header = readFrameHeader(
    new Uint8Array(frames),
    attacking({ maxFrameSize: 4096 }, "maxFrameSize", () => frames.resize(32)),
  );
  assert.equal(header.frameLength, frame.length, "the 32 bytes left still hold the header");
  const nothing = refuses(
    () =>
      readFrameHeader(
        new Uint8Array(frames),
        attacking({ maxFrameSize: 4096 }, "maxFrameSize", () => frames.resize(0)),
      ),
    "E_FRAME_TRUNCATED",
    "readFrameHeader shrunk to nothing",
  );
  assert.equal(nothing.offset, 0);
});

test("FrameEncoderStream and writeFrame: a getter that detaches or shrinks the payload is seen", async () => {
  const payload = new Uint8Array(64).fill(3);
  const message = attacking({ payload, type: 5 }, "type", () => detach(payload));
  const writer = new FrameEncoderStream({ type: 1 });
  const out = writer.readable.getReader();
  const input = writer.writable.getWriter();
  const written = input.write(message as never);
  await assert.rejects(out.read(), (error: unknown) => (error as BinlaneError).code === "E_DISPOSED");
  await written.catch(() => {});
  assert.throws(
    () => new FrameEncoderStream({ type: 1, typo: 2 } as never),
    (error: unknown) => (error as BinlaneError).code === "E_TYPE",
  );

  const chunks: Uint8Array[] = [];
  const serializer = new StreamingSerializer({
    write: (bytes: Uint8Array) => (chunks.push(bytes.slice()), bytes.length),
  }, {
    bufferSize: 64,
  });
  const memory = new ArrayBuffer(500, { maxByteLength: 500 });
  const body = new Uint8Array(memory).fill(6);
  await serializer.writeFrame(
    body,
    attacking({ type: 7, timestamp: 1n }, "type", () => memory.resize(10)) as never,
  );
  const gone = new Uint8Array(32);
  // As `write` does for bad memory, writeFrame throws for a payload its options' getter detached.
  refuses(
    () => serializer.writeFrame(gone, attacking({ type: 7 }, "type", () => detach(gone))),
    "E_DISPOSED",
    "writeFrame detached",
  );
  for (const bad of [null, { type: 1, bogus: 1 }, { type: 5n }, { type: 1, maxFrameSize: Symbol("m") }]) {
    await assert.rejects(
      serializer.writeFrame(new Uint8Array(1), bad as never),
      (error: unknown) => (error as BinlaneError).code === "E_TYPE",
    );
  }
  await serializer.close();
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  chunks.reduce((at, chunk) => (all.set(chunk, at), at + chunk.length), 0);
  assert.equal(all.length, frameSize(10));
  assert.equal(decodeFrame(all).payload.length, 10);
});

test("contract: the temporary directory is removed", () => {
  rmSync(directory, { recursive: true, force: true });
});
