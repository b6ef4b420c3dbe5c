import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  asNumber,
  decodeFrame,
  encodeFrame,
  encodeFrameInto,
  enumOf,
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  FrameHeader,
  frameSize,
  readFrameHeader,
  struct,
  u16,
  u32,
  u32be,
  u64,
  u8,
} from "../mod.ts";
import { REFUSED } from "../ffi/symbols.ts";
import { nativeLibrary } from "../src/backend.ts";
import { emitWellFormedFrames } from "../src/frame.ts";
import { randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

/** CRC-32C a bit at a time (Castagnoli, reflected 0x82F63B78): an oracle that shares no code with binlane. */
function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A frame built field by field from docs/FORMAT.md, without binlane. */
function frameByHand(
  payload: Uint8Array,
  type: number,
  timestamp: bigint,
  fingerprint: bigint,
  version = 1,
  flags = 0,
): Uint8Array {
  const padded = Math.ceil(payload.length / 8) * 8;
  const out = new Uint8Array(32 + padded + 8);
  const view = new DataView(out.buffer);
  out.set([0x42, 0x4c, 0x4e, 0x46], 0); // "BLNF"
  view.setUint8(4, version);
  view.setUint8(5, flags);
  view.setUint16(6, type, true);
  view.setBigUint64(8, fingerprint, true);
  view.setBigUint64(16, timestamp, true);
  view.setUint32(24, payload.length, true);
  view.setUint32(28, bitwiseCrc32c(out.subarray(0, 28)), true);
  out.set(payload, 32);
  view.setUint32(32 + padded, bitwiseCrc32c(payload), true);
  return out;
}

/** The error code and offset a call throws, or undefined when it returns. */
function failure(run: () => unknown): { code: string; offset: number } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    const { code, offset } = error as { code: string; offset: number };
    return { code, offset };
  }
}

test("frame: the header has the layout docs/FORMAT.md gives, and frames match a hand-built oracle byte for byte", () => {
  assert.equal(FrameHeader.size, 32);
  assert.equal(FrameHeader.align, 8);
  const offsets = FrameHeader.fields.map((field) => `${field.name}@${field.offset}`).join(" ");
  assert.equal(
    offsets,
    "magic@0 version@4 flags@5 type@6 fingerprint@8 timestamp@16 payloadLength@24 headerCrc@28",
  );
  assert.equal(FRAME_MAGIC, new DataView(new TextEncoder().encode("BLNF").buffer).getUint32(0, true));
  const random = seededRandom(0xf4a3e);
  for (let length = 0; length <= 300; length++) {
    const payload = randomBytes(random, length);
    const type = Math.floor(random() * 65536);
    const timestamp = BigInt(Math.floor(random() * 2 ** 53)) * 1000n;
    const fingerprint = (BigInt(Math.floor(random() * 2 ** 32)) << 32n) |
      BigInt(Math.floor(random() * 2 ** 32));
    const frame = encodeFrame(payload, { type, timestamp, fingerprint });
    assert.deepEqual(frame, frameByHand(payload, type, timestamp, fingerprint), `payload of ${length} bytes`);
    assert.equal(frame.length, frameSize(length));
    assert.equal(frame.length % 8, 0);
    const decoded = decodeFrame(frame);
    assert.equal(decoded.type, type);
    assert.equal(decoded.timestamp, timestamp);
    assert.equal(decoded.fingerprint, fingerprint);
    assert.equal(decoded.byteLength, frame.length);
    assert.deepEqual(decoded.payload, payload);
    assert.equal(decoded.payload.buffer, frame.buffer, "the payload is a view, not a copy");
  }
  // One large payload crosses the native CRC threshold.
  const big = randomBytes(random, 1 << 20);
  assert.deepEqual(encodeFrame(big, { type: 1, timestamp: 2n }), frameByHand(big, 1, 2n, 0n));
});

test("frame: frames back to back decode by byteLength, at any offset, into any target", () => {
  const random = seededRandom(0xb2b);
  const payloads = Array.from({ length: 50 }, () => randomBytes(random, Math.floor(random() * 200)));
  const total = payloads.reduce((sum, payload) => sum + frameSize(payload.length), 0);
  const stream = new Uint8Array(total + 3);
  let offset = 3;
  payloads.forEach((payload, i) => {
    offset += encodeFrameInto(stream.subarray(offset), payload, { type: i, timestamp: BigInt(i) });
  });
  assert.equal(offset, stream.length);
  offset = 3;
  payloads.forEach((payload, i) => {
    const frame = decodeFrame(stream, offset);
    assert.equal(frame.type, i);
    assert.deepEqual(frame.payload, payload);
    offset += frame.byteLength;
  });
  assert.equal(decodeFrame(stream, { byteOffset: 3 }).type, 0);
  // The timestamp defaults to now, in nanoseconds.
  const before = BigInt(Date.now()) * 1_000_000n;
  const stamped = decodeFrame(encodeFrame(new Uint8Array(1), { type: 0 })).timestamp;
  assert.ok(stamped >= before && stamped <= BigInt(Date.now()) * 1_000_000n);
});

test("frame: every single-bit flip is caught, with the code and offset of the damaged part", () => {
  const payload = new TextEncoder().encode("hello");
  const frame = encodeFrame(payload, { type: 3, timestamp: 99n, fingerprint: 7n });
  let flips = 0;
  for (let bit = 0; bit < frame.length * 8; bit++) {
    const damaged = frame.slice();
    damaged[bit >> 3] ^= 1 << (bit & 7);
    const byte = bit >> 3;
    const expected = byte < 4
      ? { code: "E_FRAME_MAGIC", offset: 0 }
      : byte < 32
      ? { code: "E_FRAME_HEADER_CRC", offset: 28 }
      : byte < 32 + payload.length
      ? { code: "E_FRAME_PAYLOAD_CRC", offset: 32 }
      : byte < 40
      ? { code: "E_FRAME_MALFORMED", offset: byte }
      : byte < 44
      ? { code: "E_FRAME_PAYLOAD_CRC", offset: 32 }
      : { code: "E_FRAME_MALFORMED", offset: 44 };
    assert.deepEqual(failure(() => decodeFrame(damaged)), expected, `bit ${bit}`);
    flips++;
  }
  assert.equal(flips, 48 * 8);
});

test("frame: every truncation is E_FRAME_TRUNCATED at the frame's start; oversized, unknown and foreign frames are refused", () => {
  const frame = encodeFrame(new Uint8Array(20).fill(1), { type: 1, timestamp: 1n });
  const padded = new Uint8Array(frame.length + 5);
  padded.set(frame, 5);
  for (let end = 5; end < padded.length; end++) {
    assert.deepEqual(failure(() => decodeFrame(padded.subarray(0, end), 5)), {
      code: "E_FRAME_TRUNCATED",
      offset: 5,
    });
  }
  // A header announcing a 1 GiB payload is refused from its 32 bytes, before any payload is awaited.
  const huge = frameByHand(new Uint8Array(0), 1, 1n, 0n);
  const view = new DataView(huge.buffer);
  view.setUint32(24, 2 ** 30, true);
  view.setUint32(28, bitwiseCrc32c(huge.subarray(0, 28)), true);
  assert.deepEqual(failure(() => readFrameHeader(huge.subarray(0, 32))), {
    code: "E_FRAME_TOO_LARGE",
    offset: 24,
  });
  assert.equal(readFrameHeader(huge.subarray(0, 32), { maxFrameSize: 2 ** 31 }).payloadLength, 2 ** 30);
  throwsCode(() => encodeFrame(new Uint8Array(100), { type: 1, maxFrameSize: 120 }), "E_FRAME_TOO_LARGE");
  encodeFrame(new Uint8Array(100), { type: 1, maxFrameSize: 144 });
  // Version 2 and flags: checksummed correctly, and still refused.
  const v2 = frameByHand(new Uint8Array(4), 1, 1n, 0n, 2);
  assert.deepEqual(failure(() => decodeFrame(v2)), { code: "E_FRAME_UNSUPPORTED", offset: 4 });
  const flagged = frameByHand(new Uint8Array(4), 1, 1n, 0n, 1, 0x80);
  assert.deepEqual(failure(() => decodeFrame(flagged)), { code: "E_FRAME_UNSUPPORTED", offset: 5 });
  // A reader that knows its layout refuses payloads written with another.
  const Tick = struct({ price: u64, size: u32 });
  const written = encodeFrame(new Uint8Array(Tick.size), { type: 1, fingerprint: Tick.fingerprint });
  decodeFrame(written, { fingerprint: Tick.fingerprint });
  const Other = struct({ price: u64, size: u32be });
  assert.deepEqual(failure(() => decodeFrame(written, { fingerprint: Other.fingerprint })), {
    code: "E_FRAME_FINGERPRINT",
    offset: 8,
  });
});

test("frame: bad arguments are typed errors, and a short target is left untouched", () => {
  const payload = new Uint8Array(10);
  const target = new Uint8Array(frameSize(10) - 1).fill(0xee);
  throwsCode(() => encodeFrameInto(target, payload, { type: 1 }), "E_BUFFER_TOO_SMALL");
  assert.ok(target.every((byte) => byte === 0xee));
  for (const type of [-1, 65536, 1.5, NaN]) throwsCode(() => encodeFrame(payload, { type }), "E_RANGE");
  throwsCode(() => encodeFrame(payload, { type: 1, timestamp: -1n }), "E_RANGE");
  throwsCode(() => encodeFrame(payload, { type: 1, fingerprint: 2n ** 64n }), "E_RANGE");
  throwsCode(() => encodeFrame(payload, { type: 1, timestamp: 5 as unknown as bigint }), "E_RANGE");
  throwsCode(() => encodeFrame(payload, null as never), "E_TYPE");
  const shared = new Uint8Array(200);
  throwsCode(() => encodeFrameInto(shared, shared.subarray(40, 50), { type: 1 }), "E_INVALID_ARGUMENT");
  // Only the frame's own bytes count: a payload just past them in the same buffer is fine, one byte in is not.
  const frameBytes = frameSize(10);
  throwsCode(
    () => encodeFrameInto(shared.subarray(3), shared.subarray(frameBytes + 2, frameBytes + 12), { type: 1 }),
    "E_INVALID_ARGUMENT",
  );
  shared.subarray(frameBytes + 3, frameBytes + 13).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const written = encodeFrameInto(
    shared.subarray(3),
    shared.subarray(frameBytes + 3, frameBytes + 13),
    { type: 9, timestamp: 5n },
  );
  assert.equal(written, frameBytes);
  const back = decodeFrame(shared, 3);
  assert.deepEqual([back.type, back.timestamp, Array.from(back.payload)], [9, 5n, [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
  ]]);
  assert.deepEqual(shared.subarray(3, 3 + frameBytes), encodeFrame(back.payload, { type: 9, timestamp: 5n }));
  throwsCode(() => decodeFrame(new Uint8Array(64), 65), "E_RANGE");
  throwsCode(() => decodeFrame(new Uint8Array(64), { maxFrameSize: 8 }), "E_RANGE");
  throwsCode(() => frameSize(-1), "E_RANGE");
  assert.equal(FRAME_HEADER_SIZE, 32);
});

test("layout fingerprint: equal for equal layouts, different for any change a reader would see", () => {
  const base = struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 2 }), qty: u16, ts: u64 });
  assert.equal(
    base.fingerprint,
    struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 2 }), qty: u16, ts: u64 }).fingerprint,
  );
  const variants = [
    struct({ id: u32be, side: enumOf(u8, { BUY: 1, SELL: 2 }), qty: u16, ts: u64 }),
    struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 3 }), qty: u16, ts: u64 }),
    struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 2 }), qty: u16, ts: asNumber(u64) }),
    struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 2 }), qty: u16, ts: u64 }, { pack: 1 }),
    struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 2 }), quantity: u16, ts: u64 }),
    struct({ id: u32, side: enumOf(u8, { BUY: 1, SELL: 2 }), ts: u64, qty: u16 }),
  ];
  const all = new Set([base.fingerprint, ...variants.map((variant) => variant.fingerprint)]);
  assert.equal(all.size, variants.length + 1);
});

test("frame: the test vector in docs/FORMAT.md is what the encoder and the hand-built oracle write", () => {
  const text = readFileSync(new URL("../docs/FORMAT.md", import.meta.url), "utf8");
  const block = text.slice(text.indexOf("## Test vector"));
  const hex = block.slice(block.indexOf("```") + 3, block.indexOf("```", block.indexOf("```") + 3));
  const vector = Uint8Array.from(hex.trim().split(/\s+/), (byte) => parseInt(byte, 16));
  assert.equal(vector.length, 48);
  const payload = new TextEncoder().encode("hello");
  const options = { type: 3, timestamp: 1_700_000_000_000_000_000n, fingerprint: 0x0123456789abcdefn };
  assert.deepEqual(encodeFrame(payload, options), vector);
  assert.deepEqual(frameByHand(payload, options.type, options.timestamp, options.fingerprint), vector);
  assert.equal(bitwiseCrc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

if (nativeLibrary() !== undefined) {
  test("native frame scan: reports whole, well-formed frames and refuses bad arguments without touching memory", () => {
    const symbols = nativeLibrary()!.symbols;
    const a = encodeFrame(new Uint8Array([1, 2, 3]), { type: 1 });
    const b = encodeFrame(new Uint8Array(100), { type: 2 });
    const bytes = new Uint8Array([...a, ...b, ...b.subarray(0, 50)]);
    const starts = new Uint32Array(4).fill(0xeeee);
    const out = new Uint8Array(starts.buffer);
    assert.equal(
      symbols.binlane_frame_scan(bytes, bytes.length, 1 << 20, out, 16),
      2,
      "the third is incomplete",
    );
    assert.deepEqual([...starts], [0, a.length, 0xeeee, 0xeeee]);
    assert.equal(
      symbols.binlane_frame_scan(bytes, bytes.length, 1 << 20, out, 4),
      1,
      "a full table stops it",
    );
    assert.equal(
      symbols.binlane_frame_scan(bytes, bytes.length, a.length, out, 16),
      1,
      "b is above the maximum",
    );
    const before = [...starts];
    assert.equal(symbols.binlane_frame_scan(null, 8, 1 << 20, out, 16), REFUSED, "NULL with a length");
    assert.equal(
      symbols.binlane_frame_scan(bytes, bytes.length, 1 << 20, out, 15),
      REFUSED,
      "a partial slot",
    );
    assert.equal(symbols.binlane_frame_scan(bytes, bytes.length, 1 << 20, out.subarray(1, 9), 8), REFUSED);
    assert.equal(
      symbols.binlane_frame_scan(bytes, bytes.length, 39, out, 16),
      REFUSED,
      "no frame fits the maximum",
    );
    assert.equal(symbols.binlane_take_status(), 1);
    assert.deepEqual([...starts], before, "refusals write nothing");
    assert.equal(symbols.binlane_frame_scan(bytes, bytes.length, 1 << 20, new Uint8Array(0), 0), 0);
    assert.equal(symbols.binlane_frame_scan(new Uint8Array(0), 0, 1 << 20, out, 16), 0);
  });
}

test("emitWellFormedFrames: an emit that decodes other frames leaves the outer scan intact", () => {
  const framesOf = (first: number, count: number, payload: number) => {
    const frames = Array.from(
      { length: count },
      (_, i) => encodeFrame(new Uint8Array(payload), { type: first + i }),
    );
    return new Uint8Array(frames.flatMap((frame) => [...frame]));
  };
  const outer = framesOf(0, 20, 300);
  const inner = framesOf(100, 20, 100);
  const seen: number[] = [];
  const end = emitWellFormedFrames(outer, 0, 1 << 20, undefined, (frame) => {
    seen.push(frame.type);
    if (frame.type === 3) emitWellFormedFrames(inner, 0, 1 << 20, undefined, (f) => seen.push(f.type));
  });
  const expected = [
    0,
    1,
    2,
    3,
    ...Array.from({ length: 20 }, (_, i) => 100 + i),
    ...Array.from({ length: 16 }, (_, i) => 4 + i),
  ];
  // On the JS path nothing is emitted here: the stream decoder reads those frames itself.
  assert.deepEqual(seen, nativeLibrary() === undefined ? [] : expected);
  assert.equal(end, nativeLibrary() === undefined ? 0 : outer.length);
});
