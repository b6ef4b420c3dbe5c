import assert from "node:assert/strict";
import { minMax, sum } from "../mod.ts";
import { reduceThresholds } from "../src/reduce.ts";
import { everyPath, randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

const random = seededRandom(0x5a3);

const integerTypes = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
] as const;

type IntegerArray = ArrayLike<number | bigint> & { readonly BYTES_PER_ELEMENT: number };

/** Random elements over the whole range, from random bytes. */
function randomArray(Type: (typeof integerTypes)[number], length: number): IntegerArray {
  const Constructor = Type as unknown as new (buffer: ArrayBuffer) => IntegerArray;
  return new Constructor(randomBytes(random, length * Type.BYTES_PER_ELEMENT).buffer as ArrayBuffer);
}

/** Floats with zeros of both signs, infinities, sometimes a NaN, and ordinary values. */
function randomFloats<T extends Float32Array | Float64Array>(
  Type: new (n: number) => T,
  length: number,
  nan: boolean,
): T {
  const out = new Type(length);
  for (let i = 0; i < length; i++) {
    const kind = Math.floor(random() * 10);
    out[i] = kind === 0
      ? -0
      : kind === 1
      ? 0
      : kind === 2
      ? (nan && random() < 0.1 ? NaN : 1e308)
      : kind === 3
      ? -Infinity
      : (random() - 0.5) * 10 ** Math.floor(random() * 20 - 10);
  }
  return out;
}

/** The oracles: BigInt sums, sorting for integers, Math.min/Math.max over all elements for floats. */
function oracleSum(array: ArrayLike<number | bigint>): bigint {
  let total = 0n;
  for (let i = 0; i < array.length; i++) total += BigInt(array[i]);
  return total;
}

/** The documented float order: lane i mod 16 from -0, combined 16 to 8 to 4 to 2 to 1. */
function oracleFloatSum(array: Float32Array | Float64Array): number {
  const lanes: number[] = Array(16).fill(-0);
  array.forEach((v, i) => (lanes[i % 16] += v));
  for (let width = 8; width >= 1; width /= 2) for (let j = 0; j < width; j++) lanes[j] += lanes[j + width];
  return lanes[0];
}

test("reduce: integer minMax and exact sums for every integer type, length 0..300, on every path", () => {
  everyPath(reduceThresholds, (path) => {
    for (const Type of integerTypes) {
      for (let length = 0; length <= 300; length += length < 40 ? 1 : 11) {
        const array = randomArray(Type, length);
        const label = `${path} ${Type.name} length ${length}`;
        const values = Array.from(array as ArrayLike<number | bigint>);
        const total = oracleSum(values);
        const wide = array.BYTES_PER_ELEMENT >= 4;
        assert.equal(
          sum(array as unknown as Int32Array),
          wide ? total : Number(total) as unknown as bigint,
          label,
        );
        const range = minMax(array as unknown as Int32Array);
        if (length === 0) {
          assert.equal(range, undefined, label);
          continue;
        }
        const sorted = values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        assert.deepEqual(range, { min: sorted[0], max: sorted[length - 1] }, label);
      }
    }
  });
});

test("reduce: float sums follow the documented order to the last bit; minMax is Math.min/Math.max", () => {
  everyPath(reduceThresholds, (path) => {
    for (const Type of [Float32Array, Float64Array]) {
      for (let length = 0; length <= 300; length += length < 40 ? 1 : 7) {
        const array = randomFloats(Type as new (n: number) => Float64Array, length, length % 3 === 0);
        const label = `${path} ${Type.name} length ${length}`;
        assert.ok(Object.is(sum(array), length === 0 ? 0 : oracleFloatSum(array)), label);
        if (length === 0) continue;
        const all = Array.from(array);
        assert.deepEqual(minMax(array), { min: Math.min(...all), max: Math.max(...all) }, label);
      }
    }
    assert.ok(
      Object.is(minMax(new Float64Array(100).fill(0).fill(-0, 40, 41))?.min, -0),
      `${path}: -0 below +0`,
    );
    assert.ok(Object.is(minMax(new Float64Array(100).fill(-0).fill(0, 99))?.max, 0), `${path}: +0 above -0`);
    assert.ok(Object.is(sum(new Float32Array(100).fill(-0)), -0), `${path}: a sum of -0 is -0`);
    assert.ok(Number.isNaN(sum(new Float64Array([Infinity, ...Array(99).fill(1), -Infinity]))), path);
  });
});

test("reduce: 64-bit sums pass 2^64 without wrapping; bad input is a typed error", () => {
  everyPath(reduceThresholds, (path) => {
    const max = new BigUint64Array(1000).fill(2n ** 64n - 1n);
    assert.equal(sum(max), (2n ** 64n - 1n) * 1000n, path);
    const min = new BigInt64Array(1000).fill(-(2n ** 63n));
    assert.equal(sum(min), -(2n ** 63n) * 1000n, path);
    assert.equal(sum(new Uint32Array(3000).fill(2 ** 32 - 1)), (2n ** 32n - 1n) * 3000n, path);
  });
  throwsCode(() => sum([1, 2] as unknown as Float64Array), "E_TYPE");
  throwsCode(() => minMax(new DataView(new ArrayBuffer(8)) as unknown as Uint8Array), "E_TYPE");
});
