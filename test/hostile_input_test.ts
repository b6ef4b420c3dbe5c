/**
 * A hostile caller: objects that lie about their length, offset or buffer
 * (own properties, subclasses, species, Proxies, fakes), options that are
 * null, unknown, of the wrong type or that run code (getters that detach or
 * shrink the input, `toString`s that throw). Every entry must answer as for
 * the honest object or throw a `BinlaneError`; never trust a lie, read past
 * memory, throw a raw `TypeError` or run the caller's `toString`.
 *
 * The attacks that could corrupt memory run in a child process
 * (test/fixtures/hostile_child.ts), so a regression fails this test rather
 * than killing the suite.
 *
 * @module
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  base64DecodedLength,
  base64EncodedLength,
  BinlaneError,
  columnsToRows,
  crc32,
  crc32c,
  decodeBase64,
  decodeBase64Into,
  decodeHex,
  decodeNumbers,
  decodeNumbersInto,
  deltaDecode,
  deltaEncode,
  encodeBase64,
  encodeBase64Into,
  encodeNumbers,
  encodeNumbersInto,
  indexOfAny,
  indexOfByte,
  lastIndexOfByte,
  rowsToColumns,
  setCpuLevel,
  sum,
  varintDecode,
  varintEncode,
  zigzagDecode,
  zigzagEncode,
} from "../mod.ts";
import { onEveryPath } from "./fixtures/hostile_child.ts";
import { attacks, entries, tryAttack } from "./hostile.ts";
import { seededRandom, test, throwsCode, underBun } from "./harness.ts";

const child = fileURLToPath(new URL("./fixtures/hostile_child.ts", import.meta.url));

test("memory attacks on every entry, every path (in a child process): lies are not trusted", () => {
  const args = underBun ? [child] : ["run", "--allow-all", child];
  const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 240_000 });
  assert.equal(result.signal, null, `the child was killed by ${result.signal}: ${result.stderr}`);
  assert.equal(result.status, 0, `the child failed: ${result.stderr}`);
  const { failures } = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { failures: string[] };
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
}, 300_000);

test("attacks that cannot crash, in process: shared buffers, revoked Proxies, detached buffers that lie", () => {
  const random = seededRandom(13);
  const failures: string[] = [];
  onEveryPath((path) => {
    for (const entry of entries) {
      for (const attack of attacks.filter((a) => !a.memory)) {
        const failure = tryAttack(entry, attack, random, 96);
        if (failure !== undefined) failures.push(`${path}: ${failure}`);
      }
    }
  });
  assert.deepEqual(failures, []);
});

const data = new TextEncoder().encode("0123456789abcdef".repeat(8));
const fields = [{ offset: 0, size: 4 as const }];

/** Every entry that takes options, called with `options`. */
const withOptions: [string, (options: unknown) => unknown][] = [
  ["encodeBase64", (o) => encodeBase64(data, o as never)],
  ["encodeBase64Into", (o) => encodeBase64Into(data, new Uint8Array(256), o as never)],
  ["decodeBase64", (o) => decodeBase64("QUJD", o as never)],
  ["decodeBase64Into", (o) => decodeBase64Into("QUJD", new Uint8Array(8), o as never)],
  ["base64EncodedLength", (o) => base64EncodedLength(9, o as never)],
  ["base64DecodedLength", (o) => base64DecodedLength("QUJD", o as never)],
  ["encodeNumbers", (o) => encodeNumbers(new Uint16Array(4), o as never)],
  ["encodeNumbersInto", (o) => encodeNumbersInto(new Uint16Array(4), new Uint8Array(8), o as never)],
  ["decodeNumbers", (o) => decodeNumbers(data, "uint16", o as never)],
  ["decodeNumbersInto", (o) => decodeNumbersInto(data, new Uint16Array(64), o as never)],
  ["deltaEncode", (o) => deltaEncode(new Int32Array(4), o as never)],
  ["deltaDecode", (o) => deltaDecode(new Int32Array(4), o as never)],
  ["zigzagEncode", (o) => zigzagEncode(new Int32Array(4), o as never)],
  ["zigzagDecode", (o) => zigzagDecode(new Uint32Array(4), o as never)],
  ["varintDecode", (o) => varintDecode(new Uint8Array([1, 2]), o as never)],
  ["rowsToColumns", (o) => rowsToColumns(data, 8, fields, o as never)],
  ["columnsToRows", (o) => columnsToRows([new Uint8Array(8)], 4, fields, o as never)],
];

/** Asserts a BinlaneError with `code` whose message contains `text`. */
function refuses(call: () => unknown, code: string, text?: string): void {
  const error = throwsCode(call, code);
  assert.ok(error instanceof BinlaneError);
  if (text !== undefined) assert.ok(error.message.includes(text), `"${error.message}" names ${text}`);
}

test("options: undefined and {} are no options; null, numbers, arrays and unknown keys are E_TYPE naming the key", () => {
  for (const [name, call] of withOptions) {
    call(undefined);
    call({});
    for (const bad of [null, 5, "strict", [], () => {}]) refuses(() => call(bad), "E_TYPE", name);
    refuses(() => call({ bogus: 1 }), "E_TYPE", '"bogus"');
  }
  // A misspelt key is refused, rather than ignored while new columns are allocated silently.
  refuses(() => rowsToColumns(data, 8, fields, { into: [new Uint8Array(64)] } as never), "E_TYPE", '"into"');
});

test("options: a getter that throws is E_TYPE with its error as the cause, read once", () => {
  for (const [, call] of withOptions) {
    let reads = 0;
    const cause = new Error("caller getter");
    const options = Object.defineProperty({}, "count", {
      enumerable: true,
      get() {
        reads++;
        throw cause;
      },
    });
    const error = throwsCode(() => call(options), "E_TYPE");
    // An entry without a count refuses the key before reading it.
    if (reads > 0) assert.equal(error.cause, cause);
    assert.ok(reads <= 1);
  }
});

test("options: a Proxy whose ownKeys trap throws is E_TYPE", () => {
  const trap = new Proxy({}, {
    ownKeys() {
      throw new Error("trap");
    },
  });
  for (const [, call] of withOptions) throwsCode(() => call(trap), "E_TYPE");
});

/** A value whose toString and valueOf throw: describing it must not call them. */
const hostileString = {
  toString(): string {
    throw new Error("caller toString ran");
  },
  valueOf(): number {
    throw new Error("caller valueOf ran");
  },
  [Symbol.toPrimitive](): never {
    throw new Error("caller toPrimitive ran");
  },
};

test("a hostile toString, BigInt or Symbol where a value goes is a BinlaneError, never the caller's exception", () => {
  const bads = [hostileString, 1n, Symbol("x")];
  for (const bad of bads) {
    for (
      const call of [
        () => crc32(data, bad as never),
        () => crc32c(data, bad as never),
        () => indexOfByte(data, bad as never),
        () => indexOfByte(data, 1, bad as never),
        () => lastIndexOfByte(data, 1, bad as never),
        () => indexOfAny(data, [bad as never]),
        () => encodeBase64(data, { alphabet: bad as never }),
        () => encodeBase64(data, { padding: bad as never }),
        () => decodeBase64("QUJD", { mode: bad as never }),
        () => base64EncodedLength(bad as never),
        () => encodeNumbers(new Uint16Array(2), { endian: bad as never }),
        () => decodeNumbers(data, bad as never),
        () => varintDecode(data, { count: bad as never }),
        () => varintDecode(data, { type: bad as never }),
        () => rowsToColumns(data, bad as never, fields),
        () => rowsToColumns(data, 8, [{ offset: bad as never, size: 4 }]),
        () => rowsToColumns(data, 8, [{ offset: 0, size: bad as never }]),
        () => rowsToColumns(data, 8, fields, { count: bad as never }),
        () => columnsToRows([new Uint8Array(8)], 4, fields, { count: bad as never }),
        () => setCpuLevel(bad as never),
        () => crc32(bad as never),
        () => decodeHex(bad as never),
      ]
    ) {
      try {
        call();
        assert.fail("a hostile value was accepted");
      } catch (error) {
        assert.ok(error instanceof BinlaneError, `${call}: got ${error}`);
        assert.ok(error.code === "E_TYPE" || error.code === "E_RANGE", `${call}: ${error.code}`);
      }
    }
  }
});

test("a getter in options that detaches the input is seen: E_DISPOSED, never an empty result", () => {
  const detaching = <T>(bytes: Uint8Array, key: string, value: T) =>
    Object.defineProperty({}, key, {
      enumerable: true,
      get() {
        (bytes.buffer as ArrayBuffer).transfer();
        return value;
      },
    });
  const fresh = () => data.slice();
  let input = fresh();
  throwsCode(() => encodeBase64(input, detaching(input, "alphabet", "base64")), "E_DISPOSED");
  input = fresh();
  throwsCode(
    () => encodeBase64Into(input, new Uint8Array(512), detaching(input, "padding", true)),
    "E_DISPOSED",
  );
  input = fresh();
  throwsCode(() => decodeNumbers(input, "uint32", detaching(input, "endian", "big")), "E_DISPOSED");
  input = fresh();
  throwsCode(() => encodeNumbers(input, detaching(input, "endian", "big")), "E_DISPOSED");
  input = fresh();
  throwsCode(() => varintDecode(input, detaching(input, "count", 1)), "E_DISPOSED");
  input = fresh();
  throwsCode(() => rowsToColumns(input, 8, fields, detaching(input, "count", 2)), "E_DISPOSED");
  const target = new Uint8Array(64);
  throwsCode(() => decodeBase64Into("QUJD", target, detaching(target, "mode", "strict")), "E_DISPOSED");
  const values = new Int32Array(8);
  throwsCode(
    () => deltaEncode(values, detaching(new Uint8Array(values.buffer), "target", undefined)),
    "E_DISPOSED",
  );
});

test("a getter in options that shrinks a resizable input is seen: results sized for the new length", () => {
  const shrinking = (buffer: ArrayBuffer, to: number, key: string, value: unknown) =>
    Object.defineProperty({}, key, {
      enumerable: true,
      get() {
        buffer.resize(to);
        return value;
      },
    });
  const make = () => {
    const buffer = new ArrayBuffer(64, { maxByteLength: 64 });
    const bytes = new Uint8Array(buffer); // tracks the buffer's length
    bytes.fill(0x41);
    return { buffer, bytes };
  };
  let { buffer, bytes } = make();
  assert.equal(encodeBase64(bytes, shrinking(buffer, 3, "alphabet", "base64")), "QUFB");
  ({ buffer, bytes } = make());
  assert.equal(decodeNumbers(bytes, "uint16", shrinking(buffer, 4, "endian", "big")).length, 2);
  ({ buffer, bytes } = make());
  assert.equal(encodeNumbers(new Uint16Array(buffer), shrinking(buffer, 6, "endian", "big")).length, 6);
  ({ buffer, bytes } = make());
  bytes.fill(1);
  assert.equal(varintDecode(bytes, shrinking(buffer, 5, "type", "uint32")).length, 5);
  // A fixed-length view past the new end reads as empty, as the engine's own methods read it.
  ({ buffer } = make());
  const tail = new Uint8Array(buffer, 32, 32);
  assert.equal(encodeBase64(tail, shrinking(buffer, 16, "padding", true)), "");
});

test("element arrays: a Proxy, a DataView or a fake where a typed array goes is E_TYPE", () => {
  const fake = { length: 4, byteLength: 16, buffer: new ArrayBuffer(16), BYTES_PER_ELEMENT: 4 };
  for (const bad of [new Proxy(new Uint32Array(4), {}), new DataView(new ArrayBuffer(16)), fake]) {
    throwsCode(() => sum(bad as never), "E_TYPE");
    throwsCode(() => varintEncode(bad as never), "E_TYPE");
    throwsCode(() => deltaEncode(bad as never), "E_TYPE");
    throwsCode(() => zigzagDecode(bad as never), "E_TYPE");
    throwsCode(() => encodeNumbers(bad as never), "E_TYPE");
    throwsCode(() => deltaEncode(new Uint32Array(4), { target: bad as never }), "E_TYPE");
    throwsCode(() => decodeNumbersInto(new Uint8Array(16), bad as never), "E_TYPE");
  }
  // A caller's BYTES_PER_ELEMENT is not the element size: the engine's kind is.
  const words = new Uint32Array([0x01020304]);
  Object.defineProperty(words, "BYTES_PER_ELEMENT", { value: 1 });
  assert.deepEqual([...encodeNumbers(words, { endian: "big" })], [1, 2, 3, 4]);
});

test("a set given as a Proxy of an array is read once; a lying length is E_TYPE", () => {
  let reads = 0;
  const set = new Proxy([0x33], {
    get(target, key, receiver) {
      if (key === "0") reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  assert.equal(indexOfAny(data, set), 3);
  assert.equal(reads, 1);
  const lying = new Proxy([0x33], { get: (t, k) => k === "length" ? 1n : Reflect.get(t, k) });
  throwsCode(() => indexOfAny(data, lying), "E_TYPE");
});
