import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { decodeHex, decodeHexInto, encodeHex, encodeHexInto, NativeBuffer } from "../mod.ts";
import { hexThresholds } from "../src/hex.ts";
import { everyPath, randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

// deno-lint-ignore no-explicit-any
const builtinToHex = (Uint8Array.prototype as any).toHex as ((this: Uint8Array) => string) | undefined;
// deno-lint-ignore no-explicit-any
const builtinFromHex = (Uint8Array as any).fromHex as ((text: string) => Uint8Array) | undefined;

/** The error a call throws, or undefined. */
function caught(fn: () => unknown): { code?: string; offset?: number } | undefined {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; offset?: number };
  }
  return undefined;
}

test("hex: encode equals Buffer and toHex at every length 0..512 and alignment 0..63, on every path", () => {
  const random = seededRandom(0x4e7);
  const pool = randomBytes(random, 512 + 64);
  everyPath(hexThresholds, (path) => {
    for (let length = 0; length <= 512; length++) {
      const offset = length < 64 ? length : (length * 7) % 64;
      const data = pool.subarray(offset, offset + length);
      const expected = Buffer.from(data).toString("hex");
      if (builtinToHex) assert.equal(builtinToHex.call(data), expected);
      assert.equal(encodeHex(data), expected, `${path} length ${length}`);
      const target = new Uint8Array(2 * length + 3).fill(0xee);
      assert.equal(encodeHexInto(data, target), 2 * length);
      assert.equal(Buffer.from(target.subarray(0, 2 * length)).toString("latin1"), expected);
      assert.deepEqual(
        [...target.subarray(2 * length)],
        [0xee, 0xee, 0xee],
        `${path}: nothing past the digits`,
      );
    }
  });
});

test("hex: decode round-trips in both cases, from strings and from bytes, on every path", () => {
  const random = seededRandom(0xdec);
  const pool = randomBytes(random, 600);
  everyPath(hexThresholds, (path) => {
    for (let length = 0; length <= 300; length++) {
      const data = pool.subarray(length % 64, length % 64 + length);
      const lower = Buffer.from(data).toString("hex");
      const mixed = [...lower].map((c, i) => (i % 3 === 0 ? c.toUpperCase() : c)).join("");
      if (builtinFromHex) assert.deepEqual(builtinFromHex(mixed), data);
      assert.deepEqual(decodeHex(mixed), data, `${path} length ${length}`);
      assert.deepEqual(decodeHex(new TextEncoder().encode(lower)), data);
      const target = new Uint8Array(length + 2).fill(0xee);
      assert.equal(decodeHexInto(mixed, target), length);
      assert.deepEqual(target.subarray(0, length), data);
      assert.deepEqual([...target.subarray(length)], [0xee, 0xee]);
    }
  });
});

test("hex: every bad character is E_INVALID_INPUT at its offset, as fromHex rejects it; an odd end too", () => {
  const random = seededRandom(0xbad);
  const bad = ["g", "G", "/", ":", "@", "`", " ", "\n", "\u00e9", "\u20ac", "\ud800", "\u{1f600}", "\0", "-"];
  everyPath(hexThresholds, (path) => {
    for (let length = 1; length <= 200; length += 1 + (length >> 4)) {
      const text = Buffer.from(randomBytes(random, length)).toString("hex");
      for (const character of bad) {
        const at = Math.floor(random() * text.length);
        const broken = text.slice(0, at) + character + text.slice(at + 1);
        if (builtinFromHex) assert.throws(() => builtinFromHex(broken), SyntaxError);
        const error = caught(() => decodeHex(broken));
        assert.equal(error?.code, "E_INVALID_INPUT", `${path}: ${JSON.stringify(character)} at ${at}`);
        // An astral character is two code units: the string is odd after it, but it comes first.
        assert.equal(error?.offset, at, `${path}: ${JSON.stringify(character)} at ${at}`);
        // The same from bytes, where the offset is a byte offset.
        if (character.charCodeAt(0) < 0x80) {
          assert.equal(caught(() => decodeHex(new TextEncoder().encode(broken)))?.offset, at);
        }
      }
      const odd = caught(() => decodeHex(text + "a"));
      assert.equal(odd?.code, "E_INVALID_INPUT");
      assert.equal(odd?.offset, text.length, `${path}: odd length`);
      // A bad pair comes before the odd end.
      assert.equal(caught(() => decodeHex("zz" + text + "a"))?.offset, 0);
    }
  });
});

test("hex: targets too small are E_LENGTH; in-place and overlapping calls are exact; NativeBuffers work", () => {
  everyPath(hexThresholds, () => {
    throwsCode(() => encodeHexInto(new Uint8Array(10), new Uint8Array(19)), "E_LENGTH");
    throwsCode(() => decodeHexInto("00112233", new Uint8Array(3)), "E_LENGTH");
    const data = randomBytes(seededRandom(7), 200);
    const expected = Buffer.from(data).toString("hex");
    // Encoding over its own source: the source is read before it is overwritten.
    const shared = new Uint8Array(400);
    shared.set(data);
    encodeHexInto(shared.subarray(0, 200), shared);
    assert.equal(Buffer.from(shared).toString("latin1"), expected);
    // Decoding in place.
    assert.equal(decodeHexInto(shared, shared), 200);
    assert.deepEqual(shared.subarray(0, 200), data);
    // Decoding to a place after the text's start.
    shared.set(new TextEncoder().encode(expected));
    assert.equal(decodeHexInto(shared.subarray(0, 400), shared.subarray(100, 300)), 200);
    assert.deepEqual(shared.subarray(100, 300), data);
    using native = NativeBuffer.alloc(400);
    assert.equal(encodeHexInto(data, native), 400);
    assert.equal(Buffer.from(native.bytes).toString("latin1"), expected);
    assert.deepEqual(decodeHex(native), data);
  });
});
