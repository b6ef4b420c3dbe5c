import assert from "node:assert/strict";
import { isUtf8 as nodeIsUtf8 } from "node:buffer";
import { backend, isUtf8, NativeBuffer, utf8CodePointCount, utf8ErrorIndex } from "../mod.ts";
import { utf8Thresholds } from "../src/utf8.ts";
import { everyPath, seededRandom, test, throwsCode } from "./harness.ts";

const native = backend().path === "native";
const saved = { ...utf8Thresholds };
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodes(bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The oracle for an error offset, from TextDecoder alone: the bytes before
 * it decode, and no prefix reaching 1 to 4 bytes past it does.
 */
function assertErrorIndex(bytes: Uint8Array, index: number, label: string): void {
  if (index === -1) return assert.ok(decodes(bytes), `${label}: valid per TextDecoder`);
  assert.ok(!decodes(bytes), `${label}: invalid per TextDecoder`);
  assert.ok(decodes(bytes.subarray(0, index)), `${label}: the bytes before ${index} decode`);
  for (let extra = 1; extra <= 4 && index + extra <= bytes.length; extra++) {
    assert.ok(!decodes(bytes.subarray(0, index + extra)), `${label}: no sequence starts validly at ${index}`);
  }
}

/** Mostly valid text of 1- to 4-byte characters, sometimes with one byte replaced. */
function randomText(random: () => number, length: number): Uint8Array {
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const kind = Math.floor(random() * 4);
    const code = kind === 0
      ? Math.floor(random() * 0x80)
      : kind === 1
      ? 0x80 + Math.floor(random() * 0x780)
      : kind === 2
      ? 0xe000 + Math.floor(random() * 0x2000)
      : 0x10000 + Math.floor(random() * 0x100000);
    parts.push(String.fromCodePoint(code));
    size += kind + 1;
  }
  const bytes = new TextEncoder().encode(parts.join("")).subarray(0, length);
  if (random() < 0.5 && length > 0) bytes[Math.floor(random() * length)] = Math.floor(random() * 256);
  return bytes;
}

const edgeCases: [string, number[], number][] = [
  ["ASCII", [0x61, 0x62], -1],
  ["2-byte", [0xc2, 0x80], -1],
  ["3-byte €", [0xe2, 0x82, 0xac], -1],
  ["4-byte 😀", [0xf0, 0x9f, 0x98, 0x80], -1],
  ["U+D7FF", [0xed, 0x9f, 0xbf], -1],
  ["U+E000", [0xee, 0x80, 0x80], -1],
  ["U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf], -1],
  ["overlong NUL", [0xc0, 0x80], 0],
  ["overlong 2-byte", [0x61, 0xc1, 0xbf], 1],
  ["overlong 3-byte", [0xe0, 0x9f, 0xbf], 0],
  ["overlong 4-byte", [0xf0, 0x8f, 0xbf, 0xbf], 0],
  ["surrogate U+D800", [0xed, 0xa0, 0x80], 0],
  ["surrogate U+DFFF", [0x61, 0xed, 0xbf, 0xbf], 1],
  ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
  ["F5 lead", [0xf5, 0x80, 0x80, 0x80], 0],
  ["FF", [0xff], 0],
  ["stray continuation", [0x61, 0x80, 0x61], 1],
  ["two continuations", [0xc2, 0x80, 0x80], 2],
  ["truncated 2-byte at end", [0x61, 0xc2], 1],
  ["truncated 3-byte at end", [0xe2, 0x82], 0],
  ["truncated 4-byte at end", [0x61, 0x62, 0xf0, 0x9f, 0x98], 2],
  ["lead then ASCII", [0xe2, 0x61, 0x62], 0],
  ["4-byte lead then 3 bytes", [0xf0, 0x9f, 0x98, 0x61], 0],
];

test("utf8: the edge table, with TextDecoder and node:buffer isUtf8 as oracles, at every path and block position", () => {
  everyPath(utf8Thresholds, (path) => {
    for (const [name, sequence, expected] of edgeCases) {
      for (const before of [0, 1, 13, 14, 15, 16, 29, 30, 31, 61, 62, 63, 64, 127]) {
        for (const after of [0, 1, 70]) {
          const bytes = new Uint8Array(before + sequence.length + after).fill(0x41);
          bytes.set(sequence, before);
          const index = expected === -1 ? -1 : expected + before;
          assert.equal(utf8ErrorIndex(bytes), index, `${path} ${name} at ${before}+${after}`);
          assert.equal(isUtf8(bytes), index === -1);
          assert.equal(nodeIsUtf8(bytes), index === -1, `node:buffer agrees on ${name}`);
          assertErrorIndex(bytes, index, `${path} ${name}`);
        }
      }
    }
  }, ["validate"]);
});

test("utf8: random text, every length 0..512 at every alignment 0..63, every level and the JS path", () => {
  const random = seededRandom(0x0f8);
  const inputs = Array.from({ length: 513 }, (_, length) => randomText(random, length));
  const expected = inputs.map((bytes, length) => {
    utf8Thresholds.validate = Infinity;
    const index = utf8ErrorIndex(bytes);
    utf8Thresholds.validate = saved.validate;
    assertErrorIndex(bytes, index, `length ${length}`);
    return index;
  });
  assert.ok(expected.filter((index) => index === -1).length > 100, "valid inputs are well represented");
  assert.ok(expected.filter((index) => index !== -1).length > 100, "invalid ones too");
  const pool = new Uint8Array(512 + 64);
  everyPath(utf8Thresholds, (path) => {
    for (let offset = 0; offset < 64; offset++) {
      for (let length = 0; length <= 512; length++) {
        const view = new Uint8Array(pool.buffer, offset, length);
        view.set(inputs[length]);
        assert.equal(utf8ErrorIndex(view), expected[length], `${path} ${offset} ${length}`);
      }
    }
  }, ["validate"]);
});

test("utf8CodePointCount counts code points of valid input and rejects invalid input with its offset", () => {
  const random = seededRandom(0xc0de);
  everyPath(utf8Thresholds, (path) => {
    for (let round = 0; round < 300; round++) {
      const bytes = randomText(random, Math.floor(random() * 700));
      const index = utf8ErrorIndex(bytes);
      if (index === -1) {
        const codePoints = [...new TextDecoder().decode(bytes)].length;
        assert.equal(utf8CodePointCount(bytes), codePoints, `${path} ${bytes.length}`);
      } else {
        try {
          utf8CodePointCount(bytes);
          assert.fail("expected E_INVALID_INPUT");
        } catch (error) {
          assert.equal((error as { code: string }).code, "E_INVALID_INPUT");
          assert.equal((error as { offset: number }).offset, index, path);
        }
      }
    }
  }, ["validate"]);
});

test("utf8: long inputs in native pieces never split a sequence, and find errors across piece boundaries", () => {
  if (!native) return;
  const random = seededRandom(0xc4a);
  try {
    utf8Thresholds.validate = 0;
    for (const chunk of [16, 17, 63, 64, 100]) {
      utf8Thresholds.chunk = chunk;
      for (let round = 0; round < 200; round++) {
        const bytes = randomText(random, 50 + Math.floor(random() * 600));
        utf8Thresholds.validate = Infinity;
        const expected = utf8ErrorIndex(bytes);
        const count = expected === -1 ? utf8CodePointCount(bytes) : -1;
        utf8Thresholds.validate = 0;
        assert.equal(utf8ErrorIndex(bytes), expected, `pieces of ${chunk}, length ${bytes.length}`);
        if (count >= 0) assert.equal(utf8CodePointCount(bytes), count);
      }
    }
  } finally {
    Object.assign(utf8Thresholds, saved);
  }
});

test("utf8: a megabyte of mixed text, valid and with one error near the end, on every path", () => {
  const random = seededRandom(0x3e6);
  const parts: string[] = [];
  for (let i = 0; i < 200_000; i++) parts.push(String.fromCodePoint(Math.floor(random() * 0xd000)));
  const bytes = new TextEncoder().encode(parts.join(""));
  const characters = [...new TextDecoder().decode(bytes)].length;
  const broken = bytes.slice();
  broken[broken.length - 5] = 0xff;
  const index = (() => {
    utf8Thresholds.validate = Infinity;
    try {
      return utf8ErrorIndex(broken);
    } finally {
      utf8Thresholds.validate = saved.validate;
    }
  })();
  assertErrorIndex(broken, index, "one error");
  everyPath(utf8Thresholds, (path) => {
    assert.equal(isUtf8(bytes), true, path);
    assert.equal(utf8CodePointCount(bytes), characters, path);
    assert.equal(utf8ErrorIndex(broken), index, path);
  }, ["validate"]);
});

test("utf8: any view, ArrayBuffer or NativeBuffer; non-binary input is E_TYPE", () => {
  const text = new TextEncoder().encode("héllo wörld, ünïcödé is fine and this is long enough for native");
  assert.equal(isUtf8(new DataView(text.buffer)), true);
  assert.equal(isUtf8(text.buffer), true);
  using buffer = NativeBuffer.alloc(text.length);
  buffer.bytes.set(text);
  assert.equal(utf8CodePointCount(buffer), [...new TextDecoder().decode(text)].length);
  buffer.bytes[2] = 0x41;
  assert.equal(utf8ErrorIndex(buffer), 1, "the é lost its continuation byte");
  throwsCode(() => isUtf8("text" as unknown as Uint8Array), "E_TYPE");
  assert.equal(isUtf8(new Uint8Array(0)), true);
  assert.equal(utf8CodePointCount(new Uint8Array(0)), 0);
});
