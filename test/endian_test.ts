import assert from "node:assert/strict";
import {
  backend,
  byteSwap16,
  byteSwap32,
  byteSwap64,
  decodeNumbers,
  decodeNumbersInto,
  encodeNumbers,
  encodeNumbersInto,
  NativeBuffer,
  type NumberType,
} from "../mod.ts";
import { nativeLibrary } from "../src/backend.ts";
import { endianThresholds } from "../src/endian.ts";
import { everyPath, randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

const native = backend().path === "native";

/** The oracle: DataView reads each element little-endian and writes it big-endian. */
function oracleSwap(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const from = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const to = new DataView(out.buffer);
  for (let i = 0; i < bytes.length; i += size) {
    if (size === 2) to.setUint16(i, from.getUint16(i, true), false);
    else if (size === 4) to.setUint32(i, from.getUint32(i, true), false);
    else to.setBigUint64(i, from.getBigUint64(i, true), false);
  }
  return out;
}

const swaps = [[2, byteSwap16], [4, byteSwap32], [8, byteSwap64]] as const;

test("byte swaps: every length to 512 at every alignment 0..63, every level and the JS path", () => {
  const random = seededRandom(0xe7d1a);
  const pool = new Uint8Array(512 + 64);
  const source = randomBytes(random, 512);
  everyPath(endianThresholds, (path) => {
    for (const [size, swap] of swaps) {
      for (let offset = 0; offset < 64; offset++) {
        for (let length = 0; length <= 512; length += size) {
          const view = new Uint8Array(pool.buffer, offset, length);
          view.set(source.subarray(0, length));
          assert.equal(swap(view), view, "returns its input");
          assert.deepEqual(
            view,
            oracleSwap(source.subarray(0, length), size),
            `${path} ${size} ${offset} ${length}`,
          );
        }
      }
    }
  });
});

const types: NumberType[] = [
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "float32",
  "float64",
  "bigint64",
  "biguint64",
];

/** Values with the awkward cases: NaN payloads, -0, extremes (as raw bytes). */
function awkwardBytes(type: NumberType, count: number, random: () => number): Uint8Array {
  const bytes = randomBytes(random, count * sizeOf(type));
  const view = new DataView(bytes.buffer);
  if (type === "float64" && count >= 3) {
    view.setBigUint64(0, 0x7ff8_dead_beef_0001n, true); // a NaN with a payload
    view.setFloat64(8, -0, true);
    view.setBigUint64(16, 0xfff0_0000_0000_0001n, true); // a signalling NaN
  }
  if (type === "float32" && count >= 2) {
    view.setUint32(0, 0x7fc0_1234, true);
    view.setFloat32(4, -0, true);
  }
  return bytes;
}

function sizeOf(type: NumberType): number {
  return decodeNumbers(new Uint8Array(8), type).BYTES_PER_ELEMENT;
}

const getters: Record<NumberType, (view: DataView, offset: number, little: boolean) => number | bigint> = {
  int8: (v, o) => v.getInt8(o),
  uint8: (v, o) => v.getUint8(o),
  int16: (v, o, l) => v.getInt16(o, l),
  uint16: (v, o, l) => v.getUint16(o, l),
  int32: (v, o, l) => v.getInt32(o, l),
  uint32: (v, o, l) => v.getUint32(o, l),
  float32: (v, o, l) => v.getFloat32(o, l),
  float64: (v, o, l) => v.getFloat64(o, l),
  bigint64: (v, o, l) => v.getBigInt64(o, l),
  biguint64: (v, o, l) => v.getBigUint64(o, l),
};

test("encode and decode every number type in both byte orders, bit for bit, on every path", () => {
  const random = seededRandom(31337);
  everyPath(endianThresholds, (path) => {
    for (const type of types) {
      const size = sizeOf(type);
      for (const count of [0, 1, 3, 17, 100, 1000]) {
        const wire = awkwardBytes(type, count, random);
        for (const endian of ["little", "big"] as const) {
          const little = endian === "little";
          const decoded = decodeNumbers(wire, type, { endian });
          const view = new DataView(wire.buffer);
          for (let i = 0; i < count; i++) {
            const expected = getters[type](view, i * size, little);
            const actual = decoded[i];
            if (typeof expected === "number" && Number.isNaN(expected)) assert.ok(Number.isNaN(actual));
            else assert.ok(Object.is(actual, expected), `${path} ${type} ${endian} [${i}]`);
          }
          // Back to bytes: identical, NaN payloads and -0 included.
          assert.deepEqual(encodeNumbers(decoded, { endian }), wire, `${path} ${type} ${endian} round trip`);
        }
      }
    }
  });
});

test("decode reads from any offset; the Into forms write where told and count", () => {
  const random = seededRandom(8);
  const backing = randomBytes(random, 1000);
  const unaligned = backing.subarray(3, 3 + 8 * 100);
  const values = decodeNumbers(unaligned, "float64", { endian: "big" });
  assert.equal(values.length, 100);
  const view = new DataView(unaligned.buffer, unaligned.byteOffset);
  assert.ok(Object.is(values[5], view.getFloat64(40, false)) || Number.isNaN(values[5]));
  const target = new Float64Array(120);
  assert.equal(decodeNumbersInto(unaligned, target, { endian: "big" }), 100);
  assert.deepEqual(new Uint8Array(target.buffer, 0, 800), new Uint8Array(values.buffer));
  const out = new Uint8Array(1000);
  assert.equal(encodeNumbersInto(values, out.subarray(7), { endian: "big" }), 800);
  assert.deepEqual(out.subarray(7, 807), unaligned);
  using native = NativeBuffer.alloc(800);
  encodeNumbersInto(values, native, { endian: "big" });
  assert.deepEqual(native.bytes, unaligned);
});

test("encoding over an overlapping target, shifted or in place, is correct on every path", () => {
  everyPath(endianThresholds, (path) => {
    for (const shift of [0, 2, 4, 6, 8, 12]) {
      const buffer = new ArrayBuffer(4096 + 16);
      const words = new Uint32Array(buffer, 8, 1024);
      words.forEach((_, i) => (words[i] = 0x01020304 + i));
      const expected = encodeNumbers(words.slice(), { endian: "big" });
      const target = new Uint8Array(buffer, 8 - (shift % 8), 4096);
      encodeNumbersInto(words, target, { endian: "big" });
      assert.deepEqual(target, expected, `${path} shift ${shift}`);
    }
  });
});

test("bad arguments are typed errors", () => {
  throwsCode(() => byteSwap32(new Uint8Array(6)), "E_LENGTH");
  throwsCode(() => byteSwap64(new Uint8Array(12)), "E_LENGTH");
  throwsCode(() => byteSwap16(new Uint8Array(3)), "E_LENGTH");
  throwsCode(() => byteSwap16("ab" as unknown as Uint8Array), "E_TYPE");
  throwsCode(() => decodeNumbers(new Uint8Array(6), "float64"), "E_LENGTH");
  throwsCode(() => decodeNumbers(new Uint8Array(8), "float128" as NumberType), "E_TYPE");
  throwsCode(() => decodeNumbers(new Uint8Array(8), "constructor" as NumberType), "E_TYPE");
  throwsCode(() => decodeNumbersInto(new Uint8Array(16), new Float64Array(1)), "E_LENGTH");
  throwsCode(() => encodeNumbersInto(new Uint32Array(4), new Uint8Array(15)), "E_LENGTH");
  throwsCode(() => encodeNumbers(new DataView(new ArrayBuffer(8)) as unknown as Uint8Array), "E_TYPE");
  throwsCode(() => encodeNumbers(new Uint16Array(2), { endian: "middle" as "big" }), "E_TYPE");
  try {
    byteSwap32(new Uint8Array(10));
  } catch (error) {
    assert.equal((error as { offset?: number }).offset, 8, "the offset of the incomplete element");
  }
});

if (native) {
  test("native byte swap refuses bad lengths, sizes and NULL without touching memory", () => {
    const symbols = nativeLibrary()!.symbols;
    const bytes = new Uint8Array(16);
    assert.equal(symbols.binlane_copy_swap(bytes, null, 8, 4), 1);
    assert.equal(symbols.binlane_copy_swap(null, bytes, 8, 4), 1);
    assert.equal(symbols.binlane_copy_swap(bytes, bytes, 8, 3), 1);
    assert.equal(symbols.binlane_copy_swap(bytes, bytes, 6, 4), 2);
    assert.equal(symbols.binlane_copy_swap(null, null, 0, 4), 0);
    const shared = new Uint8Array(32);
    assert.equal(symbols.binlane_copy_swap(shared.subarray(4), shared, 16, 4), 1, "shifted overlap refused");
    assert.equal(symbols.binlane_copy_swap(shared, shared.subarray(8), 16, 8), 1, "shifted overlap refused");
    assert.equal(symbols.binlane_copy_swap(shared.subarray(16), shared, 16, 4), 0, "adjacent is disjoint");
    assert.equal(symbols.binlane_copy_swap(shared, shared, 32, 8), 0, "exactly in place");
  });
}
