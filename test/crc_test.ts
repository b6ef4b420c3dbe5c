import assert from "node:assert/strict";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  backend,
  type CpuLevel,
  crc32,
  crc32c,
  NativeBuffer,
  setCpuLevel,
  supportedCpuLevels,
} from "../mod.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { readEnv } from "../ffi/runtime.ts";
import { nativeLibrary } from "../src/backend.ts";
import {
  type CopySpan,
  crc32cCopy,
  crc32cCopyAt,
  crc32cJs,
  crc32cNative,
  crc32cRange,
  crc32Js,
  crc32Native,
} from "../src/crc.ts";
import { randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

/** The oracle for CRC-32C: bit at a time, straight from the definition. */
function bitwiseCrc32c(bytes: Uint8Array, seed = 0): number {
  let reg = ~seed;
  for (const byte of bytes) {
    reg ^= byte;
    for (let bit = 0; bit < 8; bit++) reg = reg & 1 ? (reg >>> 1) ^ 0x82f63b78 : reg >>> 1;
  }
  return ~reg >>> 0;
}

function oracleCrc32(bytes: Uint8Array, seed = 0): number {
  return zlibCrc32(bytes, seed);
}

const levels: CpuLevel[] = supportedCpuLevels();
const native = backend().path === "native";

function eachLevel(body: (level: CpuLevel) => void): void {
  const initial = backend().cpu;
  try {
    for (const level of levels) {
      setCpuLevel(level);
      body(level);
    }
  } finally {
    if (initial !== "js") setCpuLevel(initial);
  }
}

const encoder = new TextEncoder();

test("check values: '123456789', empty, zeros, 0xFF (RFC 3720 B.4 for CRC-32C)", () => {
  const check = encoder.encode("123456789");
  const zeros = new Uint8Array(32);
  const ones = new Uint8Array(32).fill(0xff);
  const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
  const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
  const cases: [Uint8Array, number, number][] = [
    [check, 0xcbf43926, 0xe3069283],
    [new Uint8Array(0), 0, 0],
    [zeros, 0x190a55ad, 0x8a9136aa],
    [ones, 0xff6cab0b, 0x62a8ab43],
    [ascending, oracleCrc32(ascending), 0x46dd794e],
    [descending, oracleCrc32(descending), 0x113fdb5c],
  ];
  for (const [bytes, expected32, expected32c] of cases) {
    assert.equal(crc32(bytes), expected32);
    assert.equal(crc32c(bytes), expected32c);
    assert.equal(crc32Js(bytes, 0), expected32);
    assert.equal(crc32cJs(bytes, 0), expected32c);
    assert.equal(oracleCrc32(bytes), expected32);
    assert.equal(bitwiseCrc32c(bytes), expected32c);
    eachLevel((level) => {
      assert.equal(crc32Native(bytes, 0), expected32, `crc32 ${level}`);
      assert.equal(crc32cNative(bytes, 0), expected32c, `crc32c ${level}`);
    });
  }
  const big = new Uint8Array(1 << 20).fill(0xff);
  eachLevel((level) => {
    assert.equal(crc32Native(big, 0), oracleCrc32(big), level);
    assert.equal(crc32cNative(big, 0), bitwiseCrc32c(big), level);
  });
});

test("the backend is the one asked for: native with every CPU level, unless BINLANE_BACKEND=js", () => {
  // The suite must exercise native code; a silent fallback would hide it.
  if (readEnv("BINLANE_BACKEND") === "js") {
    assert.equal(backend().path, "js");
    assert.deepEqual(levels, []);
    return;
  }
  assert.equal(backend().path, "native", backend().reason);
  assert.ok(levels.includes("scalar"));
  assert.ok(levels.length >= 2, `only ${levels} supported`);
});

test("differential: random lengths 0..4096 at every offset 0..63, every level, JS and native", () => {
  const random = seededRandom(0xc0ffee);
  const pool = randomBytes(random, 4096 + 64);
  for (let offset = 0; offset < 64; offset++) {
    const lengths = [0, 1, 15, 16, 63, 64, 255, 256, 4096 - offset];
    for (let i = 0; i < 24; i++) lengths.push((random() * 4097) | 0);
    for (const length of lengths) {
      const bytes = pool.subarray(offset, offset + length);
      const seed = (random() * 2 ** 32) >>> 0;
      const expected32 = oracleCrc32(bytes, seed);
      const expected32c = bitwiseCrc32c(bytes, seed);
      const where = `offset ${offset} length ${length}`;
      assert.equal(crc32Js(bytes, seed), expected32, `js ${where}`);
      assert.equal(crc32cJs(bytes, seed), expected32c, `js ${where}`);
      assert.equal(crc32(bytes, seed), expected32, `public ${where}`);
      assert.equal(crc32c(bytes, seed), expected32c, `public ${where}`);
      eachLevel((level) => {
        assert.equal(crc32Native(bytes, seed), expected32, `crc32 ${level} ${where}`);
        assert.equal(crc32cNative(bytes, seed), expected32c, `crc32c ${level} ${where}`);
      });
    }
  }
});

test("every length 0..1024 at offsets 0..15: every level equals the JS path", () => {
  const random = seededRandom(7);
  const pool = randomBytes(random, 1024 + 16);
  eachLevel((level) => {
    for (let offset = 0; offset < 16; offset++) {
      for (let length = 0; length <= 1024; length++) {
        const bytes = pool.subarray(offset, offset + length);
        if (crc32Native(bytes, length) !== crc32Js(bytes, length)) {
          assert.fail(`crc32 ${level} offset ${offset} length ${length}`);
        }
        if (crc32cNative(bytes, length) !== crc32cJs(bytes, length)) {
          assert.fail(`crc32c ${level} offset ${offset} length ${length}`);
        }
      }
    }
  });
});

test("large inputs cross every block size of every level", () => {
  const random = seededRandom(99);
  const bytes = randomBytes(random, 3 * 8192 * 3 + 3 * 256 * 2 + 1000);
  const sizes = [24575, 24576, 24577, 49152 + 768 + 5, 65536, bytes.length];
  for (const size of sizes) {
    const part = bytes.subarray(3, 3 + Math.min(size, bytes.length - 3));
    const expected32 = oracleCrc32(part);
    const expected32c = crc32cJs(part, 0);
    eachLevel((level) => {
      assert.equal(crc32Native(part, 0), expected32, `crc32 ${level} ${size}`);
      assert.equal(crc32cNative(part, 0), expected32c, `crc32c ${level} ${size}`);
    });
  }
});

test("inputs over 1 GiB go to native code in chunks, and the checksum continues across them", () => {
  if (!native) return;
  const size = 2 ** 30 + 4099;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = i / 4096;
  bytes[size - 1] = 0xee;
  const split = 2 ** 30 - 77;
  for (
    const [name, whole, part] of [["crc32", crc32Native, crc32], ["crc32c", crc32cNative, crc32c]] as const
  ) {
    const expected = part(bytes.subarray(split), part(bytes.subarray(0, split)));
    assert.equal(whole(bytes, 0), expected, name);
  }
}, 120_000);

test("incremental equals one-shot for random split points, on every path", () => {
  const random = seededRandom(1234);
  const bytes = randomBytes(random, 20_000);
  const expected32 = oracleCrc32(bytes);
  const expected32c = crc32cJs(bytes, 0);
  eachLevel((level) => {
    for (let trial = 0; trial < 50; trial++) {
      const cuts = Array.from({ length: 1 + (trial % 6) }, () => (random() * bytes.length) | 0)
        .sort((a, b) => a - b);
      let running32 = 0;
      let running32c = 0;
      let start = 0;
      for (const end of [...cuts, bytes.length]) {
        const piece = bytes.subarray(start, end);
        running32 = trial % 2 ? crc32(piece, running32) : crc32Native(piece, running32)!;
        running32c = trial % 2 ? crc32c(piece, running32c) : crc32cNative(piece, running32c)!;
        start = end;
      }
      assert.equal(running32, expected32, `${level} cuts ${cuts}`);
      assert.equal(running32c, expected32c, `${level} cuts ${cuts}`);
    }
  });
});

test("accepts every ArrayBufferView, ArrayBuffer, SharedArrayBuffer and NativeBuffer without copying", () => {
  const random = seededRandom(5);
  const source = randomBytes(random, 3000);
  const expected = oracleCrc32(source.subarray(1, 2001));
  const expectedC = bitwiseCrc32c(source.subarray(1, 2001));
  const backing = new ArrayBuffer(3000);
  new Uint8Array(backing).set(source);
  const shared = new SharedArrayBuffer(3000);
  new Uint8Array(shared).set(source);
  const inputs: [string, Parameters<typeof crc32>[0]][] = [
    ["Uint8Array subarray", source.subarray(1, 2001)],
    ["DataView", new DataView(backing, 1, 2000)],
    ["Int8Array", new Int8Array(backing, 1, 2000)],
    ["Uint16Array at an odd byte offset", new Uint16Array(backing.slice(1, 2001))],
    ["Float64Array", new Float64Array(backing.slice(1, 2001))],
    ["SharedArrayBuffer view", new Uint8Array(shared, 1, 2000)],
    ["ArrayBuffer", backing.slice(1, 2001)],
    [
      "SharedArrayBuffer",
      (() => {
        const s = new SharedArrayBuffer(2000);
        new Uint8Array(s).set(source.subarray(1, 2001));
        return s;
      })(),
    ],
  ];
  for (const [name, input] of inputs) {
    assert.equal(crc32(input), expected, name);
    assert.equal(crc32c(input), expectedC, name);
  }
  using buffer = NativeBuffer.alloc(2000);
  buffer.bytes.set(source.subarray(1, 2001));
  assert.equal(crc32(buffer), expected);
  assert.equal(crc32c(buffer), expectedC);
  assert.equal(crc32(buffer.bytes.subarray(500)), oracleCrc32(source.subarray(501, 2001)));
});

test("bad input is a typed error, never a wrong answer", () => {
  const bytes = new Uint8Array(100);
  for (const value of ["text", 42, null, undefined, {}, [1, 2, 3]]) {
    throwsCode(() => crc32(value as unknown as Uint8Array), "E_TYPE");
    throwsCode(() => crc32c(value as unknown as Uint8Array), "E_TYPE");
  }
  for (const seed of [-1, 2 ** 32, 1.5, NaN, Infinity]) {
    throwsCode(() => crc32(bytes, seed), "E_RANGE");
    throwsCode(() => crc32c(bytes, seed), "E_RANGE");
  }
  const disposed = NativeBuffer.alloc(100);
  disposed.dispose();
  throwsCode(() => crc32(disposed), "E_DISPOSED");
});

test("a detached buffer is E_DISPOSED, not the checksum of nothing; the boundary reads it as empty", () => {
  const bytes = new Uint8Array(4096).fill(9);
  bytes.buffer.transfer();
  assert.equal(bytes.byteLength, 0);
  throwsCode(() => crc32(bytes), "E_DISPOSED");
  throwsCode(() => crc32c(bytes), "E_DISPOSED");
  // Below the argument checks, Deno passes NULL for it: the empty input, never a read.
  if (native) assert.equal(crc32cNative(bytes, 0), 0);
});

test("native boundary refuses NULL with a length instead of reading it", () => {
  if (!native) return;
  // Deno passes NULL for an empty buffer: (NULL, 0) is valid, (NULL, n) is not.
  const symbols = nativeCalls();
  assert.equal(symbols.binlane_take_status(), 0);
  assert.equal(symbols.binlane_crc32(null, 0, 1234), 1234);
  assert.equal(symbols.binlane_take_status(), 0, "(NULL, 0) is the empty input");
  assert.equal(symbols.binlane_crc32c(null, 16, 99), 99, "refused: the seed comes back");
  assert.equal(symbols.binlane_take_status(), 1, "the refusal is reported");
  assert.equal(symbols.binlane_take_status(), 0, "and reported once");
  assert.equal(symbols.binlane_crc32(null, 1, 5), 5);
  assert.equal(symbols.binlane_take_status(), 1);
});

test("a non-empty input whose checksum equals its seed is not mistaken for a refusal", () => {
  // CRC is affine: for data d, crc(d, s) = s holds for one seed in 2^32;
  // find it by solving with the JS path, then check the native path agrees.
  const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const fixedPoint = findFixedPoint(data);
  assert.equal(crc32Js(data, fixedPoint), fixedPoint);
  assert.equal(crc32(data, fixedPoint), fixedPoint);
  if (native) assert.equal(crc32Native(data, fixedPoint), fixedPoint);
});

/**
 * The seed s with crc32(data, s) = s. The checksum is affine in its seed,
 * f(s) = M s + c over GF(2), so s solves (M + I) s = c.
 */
function findFixedPoint(data: Uint8Array): number {
  const c = crc32Js(data, 0);
  const columns = Array.from({ length: 32 }, (_, j) => (crc32Js(data, (1 << j) >>> 0) ^ c ^ (1 << j)) >>> 0);
  const rows = Array.from({ length: 32 }, (_, i) => {
    let row = 0;
    for (let j = 0; j < 32; j++) row |= ((columns[j] >>> i) & 1) << j;
    return row >>> 0;
  });
  const rhs = Array.from({ length: 32 }, (_, i) => (c >>> i) & 1);
  const pivotColumns: number[] = [];
  for (let j = 0; j < 32; j++) {
    const rank = pivotColumns.length;
    const pivot = rows.findIndex((row, index) => index >= rank && ((row >>> j) & 1) === 1);
    if (pivot < 0) continue;
    [rows[rank], rows[pivot]] = [rows[pivot], rows[rank]];
    [rhs[rank], rhs[pivot]] = [rhs[pivot], rhs[rank]];
    for (let r = 0; r < 32; r++) {
      if (r !== rank && ((rows[r] >>> j) & 1) === 1) {
        rows[r] = (rows[r] ^ rows[rank]) >>> 0;
        rhs[r] ^= rhs[rank];
      }
    }
    pivotColumns.push(j);
  }
  let seed = 0;
  pivotColumns.forEach((column, row) => {
    if (rhs[row]) seed |= 1 << column;
  });
  return seed >>> 0;
}

function nativeCalls(): NativeSymbols {
  return nativeLibrary()!.symbols;
}

test("crc32cRange equals crc32c of the same subarray, for every range of a 40-byte buffer", () => {
  const bytes = randomBytes(seededRandom(0x2a), 40);
  for (let start = 0; start <= bytes.length; start++) {
    for (let end = start; end <= bytes.length; end++) {
      assert.equal(crc32cRange(bytes, start, end), crc32c(bytes.subarray(start, end)), `${start}..${end}`);
    }
  }
});

/** crc32cCopy into a fresh target at `to`: the CRC, and whether every byte landed where it should and only there. */
function copyAndCheck(source: Uint8Array, to: number, seed: number, where: string): void {
  const target = new Uint8Array(to + source.length + 40).fill(0xa5);
  const crc = crc32cCopy(target.subarray(to), source, seed);
  assert.equal(crc, bitwiseCrc32c(source, seed), `crc ${where}`);
  for (let i = 0; i < target.length; i++) {
    const expected = i >= to && i < to + source.length ? source[i - to] : 0xa5;
    if (target[i] !== expected) assert.fail(`byte ${i} of the target ${where}`);
  }
}

test("crc32cCopy copies exactly and checksums as crc32c: lengths 0..600 and long, random offsets, every level", () => {
  const random = seededRandom(0xc0b1);
  const pool = randomBytes(random, 3 * 65536 + 64);
  const lengths = [...Array.from({ length: 601 }, (_, i) => i), 4095, 4096, 4097, 65535, 65536, 3 * 65536];
  const body = (path: string) => {
    for (const length of lengths) {
      const from = (random() * 64) | 0;
      const to = (random() * 64) | 0;
      const seed = (random() * 2 ** 32) >>> 0;
      copyAndCheck(
        pool.subarray(from, from + length),
        to,
        seed,
        `${path} length ${length} from ${from} to ${to}`,
      );
    }
  };
  body(backend().cpu);
  eachLevel(body);
});

test("crc32cCopy refuses a short target and overlapping views, writing nothing", () => {
  const source = randomBytes(seededRandom(5), 100);
  for (const length of [10, 100]) {
    const short = new Uint8Array(length - 1);
    const error = throwsCode(() => crc32cCopy(short, source.subarray(0, length), 0), "E_LENGTH");
    assert.match(error.message, new RegExp(`${length}-byte source does not fit a ${length - 1}-byte target`));
    assert.ok(short.every((byte) => byte === 0));
  }
  const shared = new Uint8Array(200).fill(3);
  throwsCode(() => crc32cCopy(shared.subarray(50), shared.subarray(0, 100), 0), "E_INVALID_ARGUMENT");
  throwsCode(() => crc32cCopy(shared.subarray(0, 100), shared.subarray(99, 199), 0), "E_INVALID_ARGUMENT");
  throwsCode(() => crc32cCopy(shared.subarray(0, 100), shared.subarray(0, 100), 0), "E_INVALID_ARGUMENT");
  assert.ok(shared.every((byte) => byte === 3));
  // Adjacent views share no byte.
  assert.equal(
    crc32cCopy(shared.subarray(100), shared.subarray(0, 100), 0),
    crc32cJs(shared.subarray(0, 100), 0),
  );
  // Only the bytes written count: a longer target whose tail overlaps the source is allowed, on every path.
  const original = randomBytes(seededRandom(6), 300);
  for (const length of [10, 100]) {
    const source = original.subarray(250 - length, 250);
    const copyInto = () => {
      const bytes = original.slice();
      const crc = crc32cCopy(bytes.subarray(0, 200), bytes.subarray(250 - length, 250), 0);
      assert.equal(crc, crc32cJs(source, 0));
      assert.deepEqual(bytes.subarray(0, length), source);
      assert.deepEqual(bytes.subarray(length), original.subarray(length));
    };
    copyInto();
    eachLevel(copyInto);
  }
  throwsCode(() => crc32cCopy(new Uint8Array(4), new Uint8Array(2), -1), "E_RANGE");
});

/** The oracle for crc32cCopyAt: the window's bytes, clipped to those copied, checksummed bit by bit. */
function expectedCopyAt(source: Uint8Array, span: CopySpan): number {
  const start = Math.min(Math.max(span.crcFrom, span.targetAt), span.targetAt + span.count);
  const end = Math.min(Math.max(span.crcTo, span.targetAt), span.targetAt + span.count);
  const from = span.sourceAt - span.targetAt;
  return bitwiseCrc32c(source.subarray(from + start, from + end), span.seed);
}

test("crc32cCopyAt copies exactly and checksums only its window: random spans and windows, every level", () => {
  const random = seededRandom(0xc0a7);
  const source = randomBytes(random, 5000);
  const pick = (limit: number) => Math.floor(random() * (limit + 1));
  const spans: CopySpan[] = [];
  for (let i = 0; i < 400; i++) {
    const count = i < 100 ? i : pick(i < 380 ? 600 : 4500);
    const targetAt = pick(64);
    // Windows before, across the start, inside, across the end, after and around the bytes copied, and empty.
    const a = pick(targetAt + count + 64);
    const b = pick(targetAt + count + 64);
    spans.push({
      targetAt,
      sourceAt: pick(source.length - count),
      count,
      crcFrom: Math.min(a, b),
      crcTo: i % 17 === 0 ? Math.min(a, b) : Math.max(a, b),
      seed: (random() * 2 ** 32) >>> 0,
    });
  }
  // A frame assembled in three pieces equals the frame, and the pieces' CRC that of its payload.
  const body = (where: string) => {
    for (const span of spans) {
      const target = new Uint8Array(span.targetAt + span.count + 40).fill(0xa5);
      const label = `${where}: ${JSON.stringify(span)}`;
      assert.equal(crc32cCopyAt(target, source, span), expectedCopyAt(source, span), label);
      for (let i = 0; i < target.length; i++) {
        const inside = i >= span.targetAt && i < span.targetAt + span.count;
        const expected = inside ? source[span.sourceAt + i - span.targetAt] : 0xa5;
        if (target[i] !== expected) assert.fail(`byte ${i} of the target, ${label}`);
      }
    }
    const frame = new Uint8Array(1000);
    let crc = 0;
    for (const [at, count] of [[0, 123], [123, 700], [823, 177]]) {
      crc = crc32cCopyAt(frame, source.subarray(at), {
        targetAt: at,
        sourceAt: 0,
        count,
        crcFrom: 40,
        crcTo: 992,
        seed: crc,
      });
    }
    assert.deepEqual(frame, source.subarray(0, 1000), where);
    assert.equal(crc, bitwiseCrc32c(source.subarray(40, 992)), where);
  };
  body(backend().cpu);
  eachLevel(body);
});

test("crc32cCopyAt refuses spans past either buffer, overlap and bad offsets, writing nothing", () => {
  const source = randomBytes(seededRandom(7), 100);
  const target = new Uint8Array(100);
  const span = (change: Partial<CopySpan>): CopySpan => ({
    targetAt: 0,
    sourceAt: 0,
    count: 100,
    crcFrom: 0,
    crcTo: 100,
    seed: 0,
    ...change,
  });
  throwsCode(() => crc32cCopyAt(target, source, span({ targetAt: 1 })), "E_LENGTH");
  throwsCode(() => crc32cCopyAt(target, source, span({ sourceAt: 1 })), "E_LENGTH");
  throwsCode(() => crc32cCopyAt(target, source, span({ count: 101 })), "E_LENGTH");
  throwsCode(() => crc32cCopyAt(target, source, span({ targetAt: 2 ** 32 - 1, count: 1 })), "E_LENGTH");
  throwsCode(() => crc32cCopyAt(target, source, span({ crcFrom: 50, crcTo: 49 })), "E_RANGE");
  throwsCode(() => crc32cCopyAt(target, source, span({ count: -1 })), "E_RANGE");
  throwsCode(() => crc32cCopyAt(target, source, span({ sourceAt: 0.5 })), "E_RANGE");
  throwsCode(() => crc32cCopyAt(target, source, span({ crcTo: 2 ** 53 })), "E_RANGE");
  throwsCode(() => crc32cCopyAt(target, source, span({ seed: -1 })), "E_RANGE");
  assert.ok(target.every((byte) => byte === 0));
  const shared = new Uint8Array(200).fill(3);
  throwsCode(() => crc32cCopyAt(shared, shared, span({ targetAt: 50 })), "E_INVALID_ARGUMENT");
  throwsCode(() => crc32cCopyAt(shared, shared, span({ sourceAt: 99 })), "E_INVALID_ARGUMENT");
  assert.ok(shared.every((byte) => byte === 3));
  // A window past 2^32-1, beyond the native call's u32s, is clipped to the bytes copied like any other.
  const wide = new Uint8Array(100);
  assert.equal(
    crc32cCopyAt(wide, source, span({ crcFrom: 60, crcTo: 2 ** 40 })),
    crc32cJs(source.subarray(60), 0),
  );
  assert.deepEqual(wide, source);
  // Adjacent ranges of one buffer share no byte.
  const adjacent = span({ targetAt: 100, crcFrom: 100, crcTo: 200 });
  assert.equal(crc32cCopyAt(shared, shared, adjacent), crc32cJs(shared.subarray(0, 100), 0));
  // A detached target with nothing to copy is an empty copy; with something to copy, a refusal.
  const detached = new Uint8Array(16);
  detached.buffer.transfer(0);
  assert.equal(crc32cCopyAt(detached, source, span({ count: 0, seed: 9 })), 9);
  throwsCode(() => crc32cCopyAt(detached, source, span({ count: 1 })), "E_LENGTH");
});

test("native boundary: binlane_crc32c_copy_at refuses NULLs with a length, ranges that wrap or run past, overlap", () => {
  if (!native) return;
  const symbols = nativeCalls();
  const source = new Uint8Array(64).fill(1);
  const target = new Uint8Array(64);
  const copyAt = (
    dst: Uint8Array | null,
    dstLen: number,
    dstAt: number,
    src: Uint8Array | null,
    count: number,
  ) =>
    symbols.binlane_crc32c_copy_at(
      dst,
      dstLen,
      dstAt,
      src,
      src === null ? 8 : src.length,
      0,
      count,
      0,
      64,
      77,
    );
  const refused = (result: number, status: number, why: string) => {
    assert.equal(result, 77, `${why}: the seed comes back`);
    assert.equal(symbols.binlane_take_status(), status, why);
    assert.ok(target.every((byte) => byte === 0), `${why}: nothing written`);
  };
  refused(copyAt(target, 64, 0, null, 8), 1, "NULL source with a length");
  refused(copyAt(null, 8, 0, source, 8), 1, "NULL target with a length");
  refused(copyAt(target, 64, 1, source, 64), 2, "past the target's end");
  refused(copyAt(target, 64, 0xffff_ffff, source, 2), 2, "a target offset whose end wraps past 2^32");
  refused(
    symbols.binlane_crc32c_copy_at(target, 64, 0, source, 64, 0xffff_fff0, 32, 0, 64, 77),
    2,
    "source wraps",
  );
  refused(
    symbols.binlane_crc32c_copy_at(target, 64, 0, source, 64, 0, 8, 9, 8, 77),
    1,
    "a window ending first",
  );
  const shared = new Uint8Array(128);
  assert.equal(symbols.binlane_crc32c_copy_at(shared, 128, 8, shared, 128, 0, 64, 0, 128, 77), 77);
  assert.equal(symbols.binlane_take_status(), 1, "overlap");
  assert.equal(
    symbols.binlane_crc32c_copy_at(null, 0, 0, null, 0, 0, 0, 0, 0, 77),
    77,
    "(NULL, 0) twice copies nothing",
  );
  assert.equal(symbols.binlane_take_status(), 0);
  assert.equal(copyAt(target, 64, 0, source, 64), crc32cJs(source, 77));
  assert.deepEqual(target, source);
});

test("native boundary: binlane_crc32c_copy refuses NULLs with a length, a short target and overlap", () => {
  if (!native) return;
  const symbols = nativeCalls();
  const source = new Uint8Array(64).fill(1);
  const target = new Uint8Array(64);
  const refused = (result: number, status: number, why: string) => {
    assert.equal(result, 77, `${why}: the seed comes back`);
    assert.equal(symbols.binlane_take_status(), status, why);
    assert.ok(target.every((byte) => byte === 0), `${why}: nothing written`);
  };
  refused(symbols.binlane_crc32c_copy(target, 64, null, 8, 77), 1, "NULL source with a length");
  refused(symbols.binlane_crc32c_copy(null, 8, source, 8, 77), 1, "NULL target with a length");
  refused(symbols.binlane_crc32c_copy(target, 63, source, 64, 77), 2, "target shorter than source");
  const shared = new Uint8Array(128);
  assert.equal(symbols.binlane_crc32c_copy(shared.subarray(8), 64, shared, 64, 77), 77);
  assert.equal(symbols.binlane_take_status(), 1, "overlap");
  assert.equal(symbols.binlane_crc32c_copy(shared, 64, shared, 64, 77), 77);
  assert.equal(symbols.binlane_take_status(), 1, "the same bytes");
  assert.equal(symbols.binlane_crc32c_copy(null, 0, null, 0, 77), 77, "(NULL, 0) twice is an empty copy");
  assert.equal(symbols.binlane_take_status(), 0);
  assert.equal(symbols.binlane_crc32c_copy(target, 64, source, 64, 0), crc32cJs(source, 0));
  assert.deepEqual(target, source);
});
