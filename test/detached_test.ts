/**
 * Memory detached under an argument (an `ArrayBuffer` transferred, or a
 * NativeBuffer disposed) is refused by every entry that reads or writes
 * caller memory with `E_DISPOSED`: never a stray TypeError, and never read
 * as empty, which would checksum, sum or decode nothing without a word.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type BinaryInput,
  byteSwap16,
  byteSwap32,
  byteSwap64,
  columnsToRows,
  compare,
  countByte,
  crc32,
  crc32c,
  createXxh3,
  createXxh64,
  decodeBase64,
  decodeBase64Into,
  decodeFrame,
  decodeHex,
  decodeHexInto,
  decodeNumbers,
  decodeNumbersInto,
  deltaDecode,
  deltaEncode,
  encodeBase64,
  encodeBase64Into,
  encodeFrame,
  encodeFrameInto,
  encodeHex,
  encodeHexInto,
  encodeNumbers,
  encodeNumbersInto,
  equals,
  findAllByte,
  indexOfAny,
  indexOfByte,
  indexOfOther,
  indexOfSubarray,
  isUtf8,
  lastIndexOfByte,
  minMax,
  mismatch,
  NativeBuffer,
  readFrameHeader,
  rowsToColumns,
  struct,
  sum,
  u16,
  u32,
  utf8CodePointCount,
  utf8ErrorIndex,
  varintDecode,
  varintDecodeInto,
  varintEncode,
  varintEncodedLength,
  varintEncodeInto,
  xxh3,
  xxh64,
  zigzagDecode,
  zigzagEncode,
} from "../mod.ts";
import { test, throwsCode } from "./harness.ts";

const Pair = struct({ a: u32, b: u32 });
const Small = struct({ id: u16 });
const frame = encodeFrame(new Uint8Array([1, 2, 3, 4]), { type: 1, timestamp: 0n });
const EIGHT = new Uint8Array([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37]); // "01234567": hex, base64 and UTF-8

type Kind = "Uint8Array" | "Uint16Array" | "DataView" | "ArrayBuffer" | "NativeBuffer";
const KINDS: readonly Kind[] = ["Uint8Array", "Uint16Array", "DataView", "ArrayBuffer", "NativeBuffer"];

/** `content` as `kind`, live or with its memory detached (a NativeBuffer disposed). */
function input(kind: Kind, content: Uint8Array, detach: boolean): BinaryInput {
  if (kind === "NativeBuffer") {
    const buffer = NativeBuffer.alloc(content.byteLength);
    buffer.bytes.set(content);
    if (detach) buffer[Symbol.dispose]();
    return buffer;
  }
  const memory = new ArrayBuffer(content.byteLength);
  new Uint8Array(memory).set(content);
  const made = kind === "Uint8Array"
    ? new Uint8Array(memory)
    : kind === "Uint16Array"
    ? new Uint16Array(memory)
    : kind === "DataView"
    ? new DataView(memory)
    : memory;
  if (detach) memory.transfer();
  return made;
}

/** One entry, called with the argument under test (whose live content is `content`) in its place. */
interface Case {
  name: string;
  content: Uint8Array;
  call: (argument: BinaryInput) => unknown;
}

const cases: Case[] = [
  { name: "crc32", content: EIGHT, call: (x) => crc32(x) },
  { name: "crc32c", content: EIGHT, call: (x) => crc32c(x) },
  { name: "xxh64", content: EIGHT, call: (x) => xxh64(x) },
  { name: "xxh3", content: EIGHT, call: (x) => xxh3(x) },
  { name: "createXxh64().update", content: EIGHT, call: (x) => createXxh64().update(x).digest() },
  { name: "createXxh3().update", content: EIGHT, call: (x) => createXxh3().update(x).digest() },
  { name: "isUtf8", content: EIGHT, call: (x) => isUtf8(x) },
  { name: "utf8ErrorIndex", content: EIGHT, call: (x) => utf8ErrorIndex(x) },
  { name: "utf8CodePointCount", content: EIGHT, call: (x) => utf8CodePointCount(x) },
  { name: "encodeHex", content: EIGHT, call: (x) => encodeHex(x) },
  { name: "decodeHex", content: EIGHT, call: (x) => decodeHex(x) },
  { name: "encodeBase64", content: EIGHT, call: (x) => encodeBase64(x) },
  { name: "decodeBase64", content: EIGHT, call: (x) => decodeBase64(x) },
  { name: "encodeHexInto, the target", content: new Uint8Array(16), call: (x) => encodeHexInto(EIGHT, x) },
  { name: "decodeHexInto, the target", content: EIGHT, call: (x) => decodeHexInto("00ff", x) },
  {
    name: "encodeBase64Into, the target",
    content: new Uint8Array(12),
    call: (x) => encodeBase64Into(EIGHT, x),
  },
  { name: "decodeBase64Into, the target", content: EIGHT, call: (x) => decodeBase64Into("AAAA", x) },
  { name: "indexOfByte", content: EIGHT, call: (x) => indexOfByte(x, 0x31) },
  { name: "lastIndexOfByte", content: EIGHT, call: (x) => lastIndexOfByte(x, 0x31) },
  { name: "countByte", content: EIGHT, call: (x) => countByte(x, 0x31) },
  { name: "findAllByte", content: EIGHT, call: (x) => findAllByte(x, 0x31) },
  { name: "indexOfAny", content: EIGHT, call: (x) => indexOfAny(x, [0x31, 0x32]) },
  { name: "indexOfOther", content: EIGHT, call: (x) => indexOfOther(x, [0x30]) },
  {
    name: "indexOfSubarray, the haystack",
    content: EIGHT,
    call: (x) => indexOfSubarray(x, EIGHT.subarray(2, 4)),
  },
  {
    name: "indexOfSubarray, the needle",
    content: EIGHT.subarray(2, 4),
    call: (x) => indexOfSubarray(EIGHT, x),
  },
  { name: "mismatch", content: EIGHT, call: (x) => mismatch(x, EIGHT) },
  { name: "equals", content: EIGHT, call: (x) => equals(EIGHT, x) },
  { name: "compare", content: EIGHT, call: (x) => compare(x, EIGHT) },
  { name: "byteSwap16", content: EIGHT, call: (x) => byteSwap16(x) },
  { name: "byteSwap32", content: EIGHT, call: (x) => byteSwap32(x) },
  { name: "byteSwap64", content: EIGHT, call: (x) => byteSwap64(x) },
  { name: "decodeNumbers", content: EIGHT, call: (x) => decodeNumbers(x, "uint16") },
  {
    name: "decodeNumbersInto, the bytes",
    content: EIGHT,
    call: (x) => decodeNumbersInto(x, new Uint16Array(4)),
  },
  {
    name: "encodeNumbersInto, the target",
    content: EIGHT,
    call: (x) => encodeNumbersInto(new Uint16Array(4), x),
  },
  { name: "varintDecode", content: EIGHT, call: (x) => varintDecode(x) },
  {
    name: "varintDecodeInto, the bytes",
    content: EIGHT,
    call: (x) => varintDecodeInto(x, new Uint32Array(8)),
  },
  {
    name: "varintEncodeInto, the target",
    content: EIGHT,
    call: (x) => varintEncodeInto(new Uint32Array([1, 2]), x),
  },
  { name: "decodeFrame", content: frame, call: (x) => decodeFrame(x) },
  { name: "readFrameHeader", content: frame, call: (x) => readFrameHeader(x) },
  { name: "encodeFrame, the payload", content: EIGHT, call: (x) => encodeFrame(x, { type: 1 }) },
  {
    name: "encodeFrameInto, the target",
    content: new Uint8Array(frame.byteLength),
    call: (x) => encodeFrameInto(x, new Uint8Array([1, 2, 3, 4]), { type: 1 }),
  },
  {
    name: "rowsToColumns, the rows",
    content: EIGHT,
    call: (x) => rowsToColumns(x, 4, [{ offset: 0, size: 4 }]),
  },
  {
    name: "rowsToColumns, a target column",
    content: EIGHT,
    call: (x) => rowsToColumns(EIGHT, 4, [{ offset: 0, size: 4 }], { columns: [x] }),
  },
  {
    name: "columnsToRows, a column",
    content: EIGHT,
    call: (x) => columnsToRows([x], 4, [{ offset: 0, size: 4 }]),
  },
  { name: "Schema.read", content: EIGHT, call: (x) => Pair.read(x) },
  { name: "Schema.write", content: EIGHT, call: (x) => Pair.write(x, { a: 1, b: 2 }) },
  { name: "Schema.view", content: EIGHT, call: (x) => Pair.view(x).a },
  { name: "Schema.arrayView", content: EIGHT, call: (x) => Pair.arrayView(x).at(0)?.b },
  { name: "Schema.toColumns", content: EIGHT, call: (x) => Pair.toColumns(x) },
  { name: "Schema.validate", content: EIGHT, call: (x) => Pair.validate(x) },
];

test("detached memory: every entry refuses bytes detached under it with E_DISPOSED, and serves them live", () => {
  for (const { name, content, call } of cases) {
    for (const kind of KINDS) {
      if (kind === "Uint16Array" && content.byteLength % 2 !== 0) continue;
      assert.doesNotThrow(() => call(input(kind, content, false)), `${name} over a live ${kind}`);
      const error = throws(() => call(input(kind, content, true)), `${name} over a detached ${kind}`);
      assert.equal(
        (error as { code?: string }).code,
        "E_DISPOSED",
        `${name} over a detached ${kind}: ${error}`,
      );
    }
  }
});

/** The error `fn` throws; fails the test, naming `what`, when it throws none. */
function throws(fn: () => unknown, what: string): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  assert.fail(`${what}: nothing was thrown`);
}

/** A typed array, live or with its buffer transferred away. */
function typed<T extends ArrayBufferView>(make: () => T, detach: boolean): T {
  const array = make();
  if (detach) (array.buffer as ArrayBuffer).transfer();
  return array;
}

interface ArrayCase {
  name: string;
  call: (detach: boolean) => unknown;
}

const u32s = () => new Uint32Array([1, 300, 7]);
const arrayCases: ArrayCase[] = [
  { name: "sum", call: (d) => sum(typed(u32s, d)) },
  { name: "sum of BigInt64Array", call: (d) => sum(typed(() => new BigInt64Array([1n, -2n]), d)) },
  { name: "minMax", call: (d) => minMax(typed(() => new Float64Array([1, -2]), d)) },
  { name: "deltaEncode", call: (d) => deltaEncode(typed(u32s, d)) },
  { name: "deltaDecode", call: (d) => deltaDecode(typed(u32s, d)) },
  { name: "deltaEncode, the target", call: (d) => deltaEncode(u32s(), { target: typed(u32s, d) }) },
  { name: "zigzagEncode", call: (d) => zigzagEncode(typed(() => new Int32Array([1, -1]), d)) },
  { name: "zigzagDecode", call: (d) => zigzagDecode(typed(u32s, d)) },
  { name: "varintEncode", call: (d) => varintEncode(typed(u32s, d)) },
  { name: "varintEncodedLength", call: (d) => varintEncodedLength(typed(u32s, d)) },
  { name: "varintEncodeInto, the values", call: (d) => varintEncodeInto(typed(u32s, d), new Uint8Array(8)) },
  {
    name: "varintDecodeInto, the target",
    call: (d) => varintDecodeInto(new Uint8Array([1, 2]), typed(u32s, d)),
  },
  { name: "encodeNumbers", call: (d) => encodeNumbers(typed(u32s, d)) },
  {
    name: "encodeNumbersInto, the array",
    call: (d) => encodeNumbersInto(typed(u32s, d), new Uint8Array(12)),
  },
  {
    name: "decodeNumbersInto, the target",
    call: (d) => decodeNumbersInto(new Uint8Array(12), typed(u32s, d)),
  },
  {
    name: "Schema.toColumns into caller columns",
    call: (d) => Small.toColumns(new Uint8Array(6), { into: { id: typed(() => new Uint16Array(3), d) } }),
  },
  { name: "Schema.fromColumns", call: (d) => Small.fromColumns({ id: typed(() => new Uint16Array(3), d) }) },
];

test("detached memory: every entry taking typed arrays refuses detached ones with E_DISPOSED, not as empty", () => {
  for (const { name, call } of arrayCases) {
    assert.doesNotThrow(() => call(false), `${name}, live`);
    const error = throws(() => call(true), name);
    assert.equal((error as { code?: string }).code, "E_DISPOSED", `${name}: ${error}`);
    assert.match(error.message, /detached/, name);
  }
});

test("detached memory: an empty array that is merely empty stays an empty input", () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(sum(new Uint8Array(0)), 0);
  assert.equal(sum(new Uint32Array(0)), 0n);
  assert.equal(minMax(new Float64Array(0)), undefined);
  assert.equal(isUtf8(new ArrayBuffer(0)), true);
  assert.equal(Pair.arrayView(new DataView(new ArrayBuffer(0))).length, 0);
});

test("detached memory: views past the end of a shrunk resizable buffer read as empty, a DataView as a typed array", () => {
  const memory = new ArrayBuffer(8, { maxByteLength: 16 });
  const typedTail = new Uint8Array(memory, 4, 4);
  const viewTail = new DataView(memory, 4, 4);
  memory.resize(2);
  for (const tail of [typedTail, viewTail]) {
    assert.equal(crc32(tail), 0);
    assert.equal(encodeHex(tail), "");
    assert.equal(isUtf8(tail), true);
    assert.equal(Pair.arrayView(tail).length, 0);
  }
});

test("detached memory: a NativeBuffer whose memory was transferred away is E_TRANSFERRED, renewed ones read on", () => {
  const buffer = NativeBuffer.alloc(16);
  Pair.write(buffer, { a: 1, b: 2 }, 8);
  assert.deepEqual(Pair.read(buffer, 8), { a: 1, b: 2 }, "served once, its DataView is kept");
  const early = Pair.view(buffer, 8);
  const next = buffer.renew();
  // Disposed, it says so itself, not that some memory is gone.
  assert.match(
    throwsCode(() => Pair.read(buffer, 8), "E_DISPOSED").message,
    /NativeBuffer has been disposed/,
  );
  // Served before, the schema makes the view without looking at the memory; its accesses name the owner.
  const late = Pair.view(buffer, 8);
  for (const view of [early, late]) {
    assert.match(
      throwsCode(() => view.b, "E_DISPOSED").message,
      /NativeBuffer under this view has been disposed/,
    );
  }
  // Never served, `view` looks up the input and refuses it itself.
  const Fresh = struct({ a: u32, b: u32 });
  assert.match(
    throwsCode(() => Fresh.view(buffer, 8), "E_DISPOSED").message,
    /NativeBuffer has been disposed/,
  );
  assert.deepEqual(Pair.read(next, 8), { a: 1, b: 2 }, "the renewed buffer has the bytes");
  assert.equal(Pair.view(next, 8).b, 2);
  const before = Pair.view(next, 8);
  const moved = next.bytes.buffer.transfer();
  for (
    const call of [() => crc32(next), () => Pair.read(next, 8), () => Fresh.view(next), () => isUtf8(next)]
  ) {
    throwsCode(call, "E_TRANSFERRED");
  }
  for (const view of [before, Pair.view(next, 8)]) {
    assert.match(
      throwsCode(() => view.a, "E_TRANSFERRED").message,
      /NativeBuffer under this view was transferred/,
    );
  }
  assert.equal(new Uint8Array(moved)[8], 1, "the bytes went with the transfer");
  throwsCode(() => next.dispose(), "E_TRANSFERRED");
});
