import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  backend,
  compare,
  countByte,
  equals,
  findAllByte,
  indexOfAny,
  indexOfByte,
  indexOfOther,
  indexOfSubarray,
  lastIndexOfByte,
  mismatch,
} from "../mod.ts";
import { REFUSED } from "../ffi/symbols.ts";
import { nativeLibrary } from "../src/backend.ts";
import { searchThresholds } from "../src/search.ts";
import { everyPath, seededRandom, test, throwsCode } from "./harness.ts";

const native = backend().path === "native";

// Independent oracles: the engine's own indexOf/lastIndexOf, node:buffer, plain loops.
const oracle = {
  count: (bytes: Uint8Array, byte: number) => bytes.reduce((n, value) => n + (value === byte ? 1 : 0), 0),
  any(bytes: Uint8Array, set: number[], from: number) {
    const members = new Set(set);
    for (let i = from; i < bytes.length; i++) if (members.has(bytes[i])) return i;
    return -1;
  },
  other(bytes: Uint8Array, set: number[], from: number) {
    const members = new Set(set);
    for (let i = from; i < bytes.length; i++) if (!members.has(bytes[i])) return i;
    return -1;
  },
  all(bytes: Uint8Array, byte: number) {
    const positions: number[] = [];
    bytes.forEach((value, i) => value === byte && positions.push(i));
    return positions;
  },
  mismatch(a: Uint8Array, b: Uint8Array) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) if (a[i] !== b[i]) return i;
    return a.length === b.length ? -1 : common;
  },
  subarray: (hay: Uint8Array, needle: Uint8Array, from: number) =>
    Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(
      Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength),
      from,
    ),
};

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

test("differential: every length 0..512 at every alignment 0..63, every level and the JS path", () => {
  const random = seededRandom(0x5ea7c4);
  const pool = new Uint8Array(512 + 64 + 16);
  const cases: { data: Uint8Array; byte: number; set: number[]; needle: Uint8Array; from: number }[] = [];
  for (let offset = 0; offset < 64; offset++) {
    for (let length = 0; length <= 512; length++) {
      // A small alphabet that varies with the length: matches are common, and absent sometimes.
      const alphabet = 2 + (length % 23);
      const data = new Uint8Array(pool.buffer, offset, length);
      for (let i = 0; i < length; i++) data[i] = 0x61 + ((random() * alphabet) | 0);
      const copy = data.slice();
      const byte = 0x61 + ((random() * 26) | 0);
      const set = Array.from({ length: (random() * 17) | 0 }, () => 0x61 + ((random() * 30) | 0));
      const start = (random() * (length + 1)) | 0;
      const needle = copy.slice(start, start + ((random() * 9) | 0));
      if (needle.length > 0 && random() < 0.3) needle[(random() * needle.length) | 0] ^= 1;
      const from = random() < 0.2 ? (random() * (length + 4)) | 0 : 0;
      cases.push({ data: copy, byte, set, needle, from });
    }
  }
  // Views at every alignment share one buffer: each case is copied into place before use.
  const expected = cases.map(({ data, byte, set, needle, from }) => ({
    index: data.indexOf(byte, from),
    last: data.lastIndexOf(byte),
    count: oracle.count(data, byte),
    any: oracle.any(data, set, from),
    other: oracle.other(data, set, from),
    all: oracle.all(data, byte),
    sub: oracle.subarray(data, needle, from),
    mismatch: oracle.mismatch(data, needle),
    compare: Buffer.compare(buffer(data), buffer(needle)),
    equals: buffer(data).equals(buffer(needle)),
  }));
  everyPath(searchThresholds as unknown as Record<string, number>, (path) => {
    cases.forEach(({ data, byte, set, needle, from }, i) => {
      const offset = i % 64;
      const view = new Uint8Array(pool.buffer, offset, data.length);
      view.set(data);
      const want = expected[i];
      const where = `${path}, offset ${offset}, length ${data.length}`;
      assert.equal(indexOfByte(view, byte, from), want.index, `indexOfByte ${where}`);
      assert.equal(lastIndexOfByte(view, byte), want.last, `lastIndexOfByte ${where}`);
      assert.equal(countByte(view, byte), want.count, `countByte ${where}`);
      assert.equal(indexOfAny(view, set, from), want.any, `indexOfAny ${where}`);
      assert.equal(indexOfOther(view, set, from), want.other, `indexOfOther ${where}`);
      assert.deepEqual(Array.from(findAllByte(view, byte)), want.all, `findAllByte ${where}`);
      assert.equal(indexOfSubarray(view, needle, from), want.sub, `indexOfSubarray ${where}`);
      assert.equal(mismatch(view, needle), want.mismatch, `mismatch ${where}`);
      assert.equal(compare(view, needle), want.compare, `compare ${where}`);
      assert.equal(equals(view, needle), want.equals, `equals ${where}`);
    });
  });
}, 300_000);

test("indexOfOther: columns of set members with one stranger at every length, offset and set size", () => {
  const random = seededRandom(0x07e5);
  const pool = new Uint8Array(4096 + 64);
  const cases: { data: Uint8Array; set: number[]; want: number }[] = [];
  for (let length = 0; length <= 300; length++) {
    const set = Array.from({ length: 1 + ((random() * 16) | 0) }, () => (random() * 256) | 0);
    const data = Uint8Array.from({ length }, () => set[(random() * set.length) | 0]);
    let want = -1;
    if (length > 0 && random() < 0.7) {
      want = (random() * length) | 0;
      let stranger = (random() * 256) | 0;
      while (set.includes(stranger)) stranger = (stranger + 1) & 0xff;
      data[want] = stranger;
    }
    cases.push({ data, set, want });
  }
  // Long columns, the stranger past every chunk and block size; and one with none at all.
  for (const at of [4095, 3000, 64, 63, -1]) {
    const data = new Uint8Array(4096).fill(2);
    if (at >= 0) data[at] = 9;
    cases.push({ data, set: [0, 1, 2, 5], want: at });
  }
  everyPath(searchThresholds as unknown as Record<string, number>, (path) => {
    cases.forEach(({ data, set, want }, i) => {
      const offset = i % 64;
      const view = new Uint8Array(pool.buffer, offset, data.length);
      view.set(data);
      const where = `${path}, offset ${offset}, length ${data.length}`;
      assert.equal(indexOfOther(view, set), want, where);
      assert.equal(indexOfOther(view, []), data.length > 0 ? 0 : -1, `${where}, empty set`);
      if (want > 0) assert.equal(indexOfOther(view, set, want + 1), oracle.other(data, set, want + 1), where);
    });
  });
});

test("larger inputs: a match at every kind of position, every level and the JS path", () => {
  const random = seededRandom(77);
  const size = 100_003;
  const data = new Uint8Array(size).fill(0x20);
  const positions = [0, 1, 63, 64, 255, 256, 4095, 4096, 65_535, size - 2, size - 1];
  everyPath(searchThresholds as unknown as Record<string, number>, (path) => {
    for (const at of positions) {
      data[at] = 0x0a;
      const twin = data.slice();
      twin[at] = 0x0b;
      assert.equal(indexOfByte(data, 0x0a), at, `${path} ${at}`);
      assert.equal(lastIndexOfByte(data, 0x0a), at, `${path} ${at}`);
      assert.equal(countByte(data, 0x0a), 1, `${path} ${at}`);
      assert.equal(indexOfAny(data, [0x01, 0x0a]), at, `${path} ${at}`);
      assert.deepEqual(Array.from(findAllByte(data, 0x0a)), [at], `${path} ${at}`);
      assert.equal(mismatch(data, twin), at, `${path} ${at}`);
      assert.equal(compare(data, twin), -1, `${path} ${at}`);
      data[at] = 0x20;
    }
    const needle = Uint8Array.from({ length: 40 }, () => 0x41 + ((random() * 3) | 0));
    for (const at of [0, 1000, size - needle.length]) {
      data.set(needle, at);
      assert.equal(indexOfSubarray(data, needle), at, `${path} subarray at ${at}`);
      data.fill(0x20, at, at + needle.length);
    }
    assert.equal(countByte(data, 0x20), size, path);
  });
});

test("`from` reads as in TypedArray indexOf and lastIndexOf", () => {
  const data = new TextEncoder().encode("abcabcabc".repeat(200));
  everyPath(searchThresholds as unknown as Record<string, number>, (path) => {
    for (const from of [0, 1, 3, -1, -3, -2000, 1799, 1800, 5000]) {
      assert.equal(indexOfByte(data, 0x61, from), data.indexOf(0x61, from), `${path} from ${from}`);
      assert.equal(
        lastIndexOfByte(data, 0x61, from),
        data.lastIndexOf(0x61, from),
        `${path} last from ${from}`,
      );
      assert.equal(indexOfAny(data, [0x62], from), data.indexOf(0x62, from), `${path} any from ${from}`);
      const needle = new TextEncoder().encode("cab");
      assert.equal(
        indexOfSubarray(data, needle, from),
        oracle.subarray(data, needle, from),
        `${path} ${from}`,
      );
    }
    assert.equal(indexOfSubarray(data, new Uint8Array(0), 7), 7);
    assert.equal(indexOfSubarray(data, new Uint8Array(0), 99_999), data.length);
  });
});

test("search takes every input type, and bad arguments are typed errors", () => {
  const bytes = new TextEncoder().encode("0123456789");
  const view = new DataView(bytes.buffer, 2, 6);
  assert.equal(indexOfByte(view, 0x35), 3);
  assert.equal(countByte(new Uint16Array(4), 0), 8);
  assert.equal(equals(bytes.buffer, bytes), true);
  for (const byte of ["a", 1n, Symbol("byte"), { valueOf: () => 0x30 }] as unknown as number[]) {
    throwsCode(() => indexOfByte(bytes, byte), "E_TYPE");
    throwsCode(() => indexOfAny(bytes, [byte]), "E_TYPE");
  }
  for (const byte of [-1, 256, 1.5, NaN]) {
    throwsCode(() => indexOfByte(bytes, byte), "E_RANGE");
    throwsCode(() => countByte(bytes, byte), "E_RANGE");
    throwsCode(() => findAllByte(bytes, byte), "E_RANGE");
    throwsCode(() => indexOfAny(bytes, [0x30, byte]), "E_RANGE");
  }
  throwsCode(() => indexOfAny(bytes, new Array(17).fill(0x30)), "E_RANGE");
  throwsCode(() => indexOfOther(bytes, new Array(17).fill(0x30)), "E_RANGE");
  throwsCode(() => indexOfOther(bytes, [0x30, 256]), "E_RANGE");
  throwsCode(() => indexOfOther(bytes, 5 as unknown as number[]), "E_TYPE");
  throwsCode(() => indexOfAny(bytes, 5 as unknown as number[]), "E_TYPE");
  throwsCode(() => indexOfByte(bytes, 0x30, 1.5), "E_RANGE");
  throwsCode(() => lastIndexOfByte(bytes, 0x30, NaN), "E_RANGE");
  throwsCode(() => indexOfByte("text" as unknown as Uint8Array, 0x30), "E_TYPE");
  throwsCode(() => compare(bytes, null as unknown as Uint8Array), "E_TYPE");
});

if (native) {
  test("native search refuses NULL with a length, over-long inputs and oversize sets, without reading", () => {
    const symbols = nativeLibrary()!.symbols;
    const small = new Uint8Array(8);
    const refused = (result: number, status: number) => {
      assert.equal(result, REFUSED);
      assert.equal(symbols.binlane_take_status(), status);
    };
    refused(symbols.binlane_index_of_byte(null, 5, 1), 1);
    refused(symbols.binlane_index_of_byte(small, 2 ** 31, 1), 1);
    refused(symbols.binlane_index_of_byte(small, 8, 256), 1);
    refused(symbols.binlane_count_byte(null, 1, 0), 1);
    refused(symbols.binlane_index_of_any(small, 8, 0, 0, 0, 0, 17), 2);
    refused(symbols.binlane_index_of_other(small, 8, 0, 0, 0, 0, 17), 2);
    refused(symbols.binlane_index_of_other(null, 8, 0, 0, 0, 0, 1), 1);
    refused(symbols.binlane_index_of_subarray(small, 8, null, 3), 1);
    refused(symbols.binlane_find_all_byte(small, 8, 0, null, 4), 1);
    refused(symbols.binlane_mismatch(small, null, 8), 1);
    assert.equal(symbols.binlane_index_of_byte(null, 0, 1), 0xffff_ffff, "(NULL, 0) is empty");
    assert.equal(
      symbols.binlane_find_all_byte(small, 8, 0, new Uint32Array(3), 3),
      3,
      "stops when out is full",
    );
    assert.equal(symbols.binlane_take_status(), 0);
  });

  test("inputs over 1 GiB are searched in chunks, matches straddling a chunk boundary included", () => {
    const size = 2 ** 30 + 5000;
    const data = new Uint8Array(size);
    const needle = new TextEncoder().encode("straddle");
    const boundary = 2 ** 30;
    data.set(needle, boundary - 3);
    data[size - 1] = 0x7e;
    assert.equal(indexOfSubarray(data, needle), boundary - 3);
    assert.equal(indexOfByte(data, 0x7e), size - 1);
    assert.equal(indexOfByte(data, 0x7e, boundary + 10), size - 1);
    assert.equal(lastIndexOfByte(data, 0x73), boundary - 3 + needle.lastIndexOf(0x73));
    const placed = (positions: number[]) => positions.map((p) => p + boundary - 3);
    assert.equal(countByte(data, 0x74), oracle.count(needle, 0x74));
    assert.deepEqual(Array.from(findAllByte(data, 0x64)), placed(oracle.all(needle, 0x64)));
    const twin = data.slice();
    twin[boundary + 100] = 1;
    assert.equal(mismatch(data, twin), boundary + 100);
  }, 120_000);
}

test("small findAllByte results stay independent of each other (Deno pools them)", () => {
  const random = seededRandom(4242);
  const kept: { result: Uint32Array; expected: number[] }[] = [];
  everyPath(searchThresholds as unknown as Record<string, number>, (path) => {
    for (let i = 0; i < 3000; i++) {
      const data = Uint8Array.from({ length: (random() * 200) | 0 }, () => (random() * 4) | 0);
      const result = findAllByte(data, 1);
      kept.push({ result, expected: oracle.all(data, 1) });
      if (i % 7 === 0) result.fill(0xffff_ffff).set(oracle.all(data, 1)); // writes stay inside the result
    }
    kept.forEach(({ result, expected }, i) =>
      assert.deepEqual(Array.from(result), expected, `${path} result ${i}`)
    );
  });
});
