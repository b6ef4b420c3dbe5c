import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type Base64Alphabet,
  base64DecodedLength,
  type Base64DecodeOptions,
  base64EncodedLength,
  decodeBase64,
  decodeBase64Into,
  encodeBase64,
  encodeBase64Into,
  NativeBuffer,
} from "../mod.ts";
import { base64Thresholds } from "../src/base64.ts";
import { everyPath, randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

interface FromBase64Options {
  alphabet?: Base64Alphabet;
  lastChunkHandling?: "loose" | "strict";
}
// deno-lint-ignore no-explicit-any
const anyUint8Array = Uint8Array as any;
const fromBase64 = anyUint8Array.fromBase64 as
  | ((text: string, options?: FromBase64Options) => Uint8Array)
  | undefined;
const toBase64 = anyUint8Array.prototype.toBase64 as
  | ((this: Uint8Array, options?: { alphabet?: Base64Alphabet; omitPadding?: boolean }) => string)
  | undefined;

const alphabets: Base64Alphabet[] = ["base64", "base64url"];

/** The oracle encoder: node:buffer, padded as asked (its base64url never pads). */
function bufferBase64(data: Uint8Array, alphabet: Base64Alphabet, padding: boolean): string {
  const text = Buffer.from(data).toString(alphabet).replace(/=+$/, "");
  return padding ? text.padEnd(Math.ceil(text.length / 4) * 4, "=") : text;
}

type Outcome = { bytes: Uint8Array } | { code: string; offset?: number };

function outcome(fn: () => Uint8Array): Outcome {
  try {
    return { bytes: fn() };
  } catch (error) {
    const { code, offset } = error as { code?: string; offset?: number };
    if (code === undefined) return { code: `not a BinlaneError: ${error}` };
    return { code, offset };
  }
}

/**
 * What fromBase64 makes of `text` under our options: strict mode is its
 * "strict" with whitespace a bad character, and without padding the text
 * must come padded to it (a `=` in it is then an error).
 */
function oracle(text: string, alphabet: Base64Alphabet, options: Base64DecodeOptions): "error" | Uint8Array {
  if (!fromBase64) throw new Error("no fromBase64 here");
  try {
    if (options.mode === "lenient") return fromBase64(text, { alphabet, lastChunkHandling: "loose" });
    if (/[\t\n\f\r ]/.test(text)) return "error";
    if (options.padding === false) {
      if (text.includes("=") || text.length % 4 === 1) return "error";
      return fromBase64(text.padEnd(Math.ceil(text.length / 4) * 4, "="), {
        alphabet,
        lastChunkHandling: "strict",
      });
    }
    return fromBase64(text, { alphabet, lastChunkHandling: "strict" });
  } catch {
    return "error";
  }
}

test("base64: encode equals node:buffer and toBase64 at every length 0..512 and alignment 0..63, on every path", () => {
  const pool = randomBytes(seededRandom(0xb64), 512 + 64);
  everyPath(base64Thresholds, (path) => {
    for (let length = 0; length <= 512; length++) {
      const offset = length < 64 ? length : (length * 13) % 64;
      const data = pool.subarray(offset, offset + length);
      for (const alphabet of alphabets) {
        for (const padding of [true, false]) {
          const expected = bufferBase64(data, alphabet, padding);
          if (toBase64) assert.equal(toBase64.call(data, { alphabet, omitPadding: !padding }), expected);
          const options = { alphabet, padding };
          const label = `${path} ${alphabet} padding=${padding} length ${length}`;
          assert.equal(encodeBase64(data, options), expected, label);
          assert.equal(base64EncodedLength(length, options), expected.length, label);
          const target = new Uint8Array(expected.length + 2).fill(0xee);
          assert.equal(encodeBase64Into(data, target, options), expected.length, label);
          assert.equal(Buffer.from(target.subarray(0, expected.length)).toString("latin1"), expected, label);
          assert.deepEqual(
            [...target.subarray(expected.length)],
            [0xee, 0xee],
            `${label}: nothing past the text`,
          );
        }
      }
    }
  });
});

test("base64: decode round-trips every length 0..400, strings and bytes, both alphabets, padded or not", () => {
  const pool = randomBytes(seededRandom(0xdec0), 400 + 64);
  everyPath(base64Thresholds, (path) => {
    for (let length = 0; length <= 400; length++) {
      const data = pool.subarray(length % 64, length % 64 + length);
      for (const alphabet of alphabets) {
        for (const padding of [true, false]) {
          const text = bufferBase64(data, alphabet, padding);
          const label = `${path} ${alphabet} padding=${padding} length ${length}`;
          for (const mode of ["strict", "lenient"] as const) {
            const options = { alphabet, padding, mode };
            assert.deepEqual(decodeBase64(text, options), data, `${label} ${mode}`);
            assert.equal(base64DecodedLength(text, options), length, label);
          }
          const bytes = new TextEncoder().encode(text);
          assert.deepEqual(decodeBase64(bytes, { alphabet, padding }), data, label);
          const target = new Uint8Array(length + 2).fill(0xee);
          assert.equal(decodeBase64Into(bytes, target, { alphabet, padding }), length, label);
          assert.deepEqual(target.subarray(0, length), data, label);
          assert.deepEqual([...target.subarray(length)], [0xee, 0xee], `${label}: nothing past the bytes`);
        }
      }
    }
  });
});

/** Valid base64 of random bytes with random damage: characters replaced, inserted or removed. */
function damaged(random: () => number, alphabet: Base64Alphabet): string {
  const length = Math.floor(random() * 200);
  let text = bufferBase64(randomBytes(random, length), alphabet, random() < 0.7);
  const noise = [
    "=",
    " ",
    "\n",
    "\t",
    "\r",
    "\f",
    "+",
    "/",
    "-",
    "_",
    "*",
    ".",
    "\0",
    "\u00e9",
    "\ud83d",
    "A",
  ];
  const edits = Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (text.length + 1));
    const what = random();
    const character = noise[Math.floor(random() * noise.length)];
    if (what < 0.4) text = text.slice(0, at) + character + text.slice(at + 1);
    else if (what < 0.8) text = text.slice(0, at) + character + text.slice(at);
    else text = text.slice(0, at) + text.slice(at + 1);
  }
  return text;
}

test("base64: damaged input decodes as fromBase64 decides, with the same error and offset on every path", () => {
  if (!fromBase64) return;
  const random = seededRandom(0xfade);
  const cases = Array.from(
    { length: 3000 },
    (_, i) => ({ text: damaged(random, alphabets[i % 2]), alphabet: alphabets[i % 2] }),
  );
  const modes: Base64DecodeOptions[] = [{ mode: "lenient" }, { mode: "strict" }, {
    mode: "strict",
    padding: false,
  }];
  const results = new Map<string, Outcome[]>();
  everyPath(base64Thresholds, (path) => {
    const outcomes: Outcome[] = [];
    for (const { text, alphabet } of cases) {
      for (const mode of modes) {
        const options = { ...mode, alphabet };
        const expected = oracle(text, alphabet, options);
        const actual = outcome(() => decodeBase64(text, options));
        const label = `${path} ${JSON.stringify(text)} ${JSON.stringify(options)}`;
        if (expected === "error") assert.equal("code" in actual && actual.code, "E_INVALID_INPUT", label);
        else assert.deepEqual(actual, { bytes: expected }, label);
        outcomes.push(actual);
      }
    }
    results.set(path, outcomes);
  });
  const js = results.get("js");
  for (const [path, outcomes] of results) {
    assert.deepEqual(outcomes, js, `${path} agrees with the JS path on every offset`);
  }
});

test("base64: each kind of error at its offset", () => {
  const cases: [string, Base64DecodeOptions, string, number][] = [
    ["Zg", {}, "E_INVALID_INPUT", 2], // padding missing
    ["Zg==", { padding: false }, "E_INVALID_INPUT", 2], // padding not allowed
    ["Zh==", {}, "E_INVALID_INPUT", 1], // non-zero trailing bits
    ["Zm9=", {}, "E_INVALID_INPUT", 2],
    ["Z", { mode: "lenient" }, "E_INVALID_INPUT", 0], // a lone character
    ["Zm9vY", { padding: false }, "E_INVALID_INPUT", 4],
    ["Zg=", { mode: "lenient" }, "E_INVALID_INPUT", 3],
    ["Zg=a", { mode: "lenient" }, "E_INVALID_INPUT", 3],
    ["Zg==Zg==", { mode: "lenient" }, "E_INVALID_INPUT", 4],
    ["Z===", { mode: "lenient" }, "E_INVALID_INPUT", 1],
    ["Zm 9v", {}, "E_INVALID_INPUT", 2],
    ["Zm-_", {}, "E_INVALID_INPUT", 2],
    ["Zm+/", { alphabet: "base64url" }, "E_INVALID_INPUT", 2],
    ["QUJD\u00e9QUJD", {}, "E_INVALID_INPUT", 4],
    ["QUJD\u{1f600}", { mode: "lenient" }, "E_INVALID_INPUT", 4],
    ["QUJDRA==", {}, "", 4], // valid
  ];
  everyPath(base64Thresholds, (path) => {
    for (const [text, options, code, offset] of cases) {
      // Long enough for the native path's vector loops too.
      for (const prefix of ["", "QUJD".repeat(40)]) {
        const result = outcome(() => decodeBase64(prefix + text, options));
        const label = `${path} ${JSON.stringify(text)} ${JSON.stringify(options)}`;
        if (code === "") assert.ok("bytes" in result, label);
        else assert.deepEqual(result, { code, offset: prefix.length + offset }, label);
      }
    }
  });
});

test("base64: lenient text with whitespace every few characters equals fromBase64", () => {
  const random = seededRandom(0x7ab);
  const data = randomBytes(random, 3000);
  const lines = Buffer.from(data).toString("base64").replace(/.{76}/g, "$&\r\n");
  everyPath(base64Thresholds, (path) => {
    assert.deepEqual(decodeBase64(lines, { mode: "lenient" }), data, path);
    throwsCode(() => decodeBase64(lines), "E_INVALID_INPUT");
    const spaced = [...Buffer.from(data.subarray(0, 500)).toString("base64url")].join(" ");
    assert.deepEqual(decodeBase64(spaced, { mode: "lenient", alphabet: "base64url" }), data.subarray(0, 500));
  });
});

test("base64: targets, sizes and bad options are typed errors; in-place decoding; NativeBuffers", () => {
  everyPath(base64Thresholds, (path) => {
    throwsCode(() => encodeBase64Into(new Uint8Array(9), new Uint8Array(11)), "E_LENGTH");
    throwsCode(() => encodeBase64(new Uint8Array(3), { alphabet: "hex" as Base64Alphabet }), "E_TYPE");
    throwsCode(() => decodeBase64("AAAA", { mode: "loose" as "lenient" }), "E_TYPE");
    throwsCode(() => base64EncodedLength(-1), "E_RANGE");
    // A target that runs out names where in the text.
    const full = encodeBase64(new Uint8Array(300).fill(7));
    const small = outcome(() => {
      decodeBase64Into(full, new Uint8Array(100));
      return new Uint8Array();
    });
    assert.deepEqual(small, { code: "E_BUFFER_TOO_SMALL", offset: 132 }, path);
    const data = randomBytes(seededRandom(3), 300);
    const text = new TextEncoder().encode(encodeBase64(data));
    // In place: the bytes land over the text they came from.
    const shared = text.slice();
    assert.equal(decodeBase64Into(shared, shared), 300);
    assert.deepEqual(shared.subarray(0, 300), data);
    // Encoding over its own source.
    const room = new Uint8Array(400);
    room.set(data, 50);
    encodeBase64Into(room.subarray(50, 350), room);
    assert.deepEqual(room, text);
    using native = NativeBuffer.alloc(400);
    encodeBase64Into(data, native);
    assert.deepEqual(decodeBase64(native), data);
    assert.equal(base64DecodedLength(native), 300);
  });
});
