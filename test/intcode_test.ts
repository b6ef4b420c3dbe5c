import assert from "node:assert/strict";
import {
  deltaDecode,
  deltaEncode,
  type IntegerArray,
  varintDecode,
  varintDecodeInto,
  varintEncode,
  varintEncodedLength,
  varintEncodeInto,
  zigzagDecode,
  zigzagEncode,
} from "../mod.ts";
import { intThresholds } from "../src/intcode.ts";
import { everyPath, seededRandom, test, throwsCode } from "./harness.ts";

const random = seededRandom(0x1c0de);

/** Values near zero, near the limits, and anywhere: as BigInt, then stored (wrapping) in `Type`. */
function randomArray<T extends IntegerArray>(Type: new (n: number) => T, length: number, bits: 32 | 64): T {
  const out = new Type(length);
  for (let i = 0; i < length; i++) {
    const kind = random();
    let value = BigInt(Math.floor(random() * 2 ** 32)) << 32n | BigInt(Math.floor(random() * 2 ** 32));
    if (kind < 0.4) value = BigInt(Math.floor(random() * 200) - 100);
    else if (kind < 0.5) value = (1n << BigInt(bits - 1)) - BigInt(Math.floor(random() * 3));
    const stored = BigInt.asIntN(bits, value);
    (out as unknown as (number | bigint)[])[i] = bits === 64 ? stored : Number(stored);
  }
  return out;
}

/** The oracle: BigInt arithmetic wrapped to the element width. */
function asBig(array: IntegerArray): bigint[] {
  return Array.from(array as ArrayLike<number | bigint>, (v) => BigInt(v));
}
function wrap(bits: number, signed: boolean, value: bigint): bigint {
  return signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
}

const types = [
  { Type: Int32Array, bits: 32, signed: true },
  { Type: Uint32Array, bits: 32, signed: false },
  { Type: BigInt64Array, bits: 64, signed: true },
  { Type: BigUint64Array, bits: 64, signed: false },
] as const;

test("intcode: delta encode/decode equal wrapped BigInt differences and sums, in place too, on every path", () => {
  everyPath(intThresholds, (path) => {
    for (const { Type, bits, signed } of types) {
      for (let length = 0; length <= 300; length += length < 40 ? 1 : 13) {
        const values = randomArray(Type as new (n: number) => IntegerArray, length, bits);
        const big = asBig(values);
        const expected = big.map((v, i) => wrap(bits, signed, v - (i === 0 ? 0n : big[i - 1])));
        const deltas = deltaEncode(values);
        const label = `${path} ${Type.name} length ${length}`;
        assert.equal(deltas.constructor, Type, label);
        assert.deepEqual(asBig(deltas), expected, label);
        assert.deepEqual(asBig(deltaDecode(deltas)), big, label);
        const copy = values.slice();
        deltaEncode(copy, { target: copy });
        assert.deepEqual(asBig(copy), expected, `${label} in place`);
        deltaDecode(copy, { target: copy });
        assert.deepEqual(asBig(copy), big, `${label} in place`);
      }
    }
  });
});

test("intcode: zigzag equals 2n for n >= 0 and -2n-1 below, round-trips, on every path", () => {
  everyPath(intThresholds, (path) => {
    for (const { Type, bits } of [types[0], types[2]]) {
      for (let length = 0; length <= 300; length += length < 40 ? 1 : 17) {
        const values = randomArray(Type as new (n: number) => Int32Array | BigInt64Array, length, bits);
        const expected = asBig(values).map((n) => BigInt.asUintN(bits, n >= 0n ? 2n * n : -2n * n - 1n));
        const encoded = values instanceof Int32Array
          ? zigzagEncode(values)
          : zigzagEncode(values as BigInt64Array);
        assert.deepEqual(asBig(encoded), expected, `${path} ${Type.name} length ${length}`);
        const decoded = encoded instanceof Uint32Array
          ? zigzagDecode(encoded)
          : zigzagDecode(encoded as BigUint64Array);
        assert.deepEqual(decoded, values, `${path} ${Type.name} length ${length}`);
      }
    }
    assert.deepEqual(
      zigzagEncode(new Int32Array([0, -1, 1, -2, 2 ** 31 - 1, -(2 ** 31)])),
      new Uint32Array([0, 1, 2, 3, 2 ** 32 - 2, 2 ** 32 - 1]),
    );
  });
});

test("intcode: bad arrays, targets and overlaps are typed errors", () => {
  throwsCode(() => deltaEncode(new Uint8Array(4) as unknown as Int32Array), "E_TYPE");
  throwsCode(() => deltaEncode(new Int32Array(4), { target: new Int32Array(3) }), "E_LENGTH");
  throwsCode(
    () => deltaEncode(new Int32Array(4), { target: new Uint32Array(4) as unknown as Int32Array }),
    "E_TYPE",
  );
  const shared = new Int32Array(8);
  throwsCode(
    () => deltaEncode(shared.subarray(0, 4), { target: shared.subarray(2, 6) }),
    "E_INVALID_ARGUMENT",
  );
  throwsCode(() => zigzagEncode(new Uint32Array(2) as unknown as Int32Array), "E_TYPE");
});

// Published encodings: protobuf's documentation (150, 300) and the 64-bit extremes.
const knownVarints: [bigint, number[]][] = [
  [0n, [0]],
  [1n, [1]],
  [127n, [0x7f]],
  [128n, [0x80, 0x01]],
  [150n, [0x96, 0x01]],
  [300n, [0xac, 0x02]],
  [2n ** 32n - 1n, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  [2n ** 63n, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [2n ** 64n - 1n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
];

/** Mostly one-byte values, some of every length. */
function randomVarintValues(count: number, wide: boolean): Uint32Array | BigUint64Array {
  const values = wide ? new BigUint64Array(count) : new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const bits = random() < 0.6 ? 7 : Math.ceil(random() * (wide ? 64 : 32));
    const value = (BigInt(Math.floor(random() * 2 ** 32)) << 32n | BigInt(Math.floor(random() * 2 ** 32))) &
      ((1n << BigInt(bits)) - 1n);
    values[i] = (wide ? value : Number(value)) as never;
  }
  return values;
}

test("intcode: varints equal the published encodings and round-trip every count 0..400, on every path", () => {
  everyPath(intThresholds, (path) => {
    for (const [value, bytes] of knownVarints) {
      assert.deepEqual([...varintEncode(new BigUint64Array([value]))], bytes, `${path} ${value}`);
      assert.deepEqual(
        varintDecode(new Uint8Array(bytes), { type: "biguint64" }),
        new BigUint64Array([value]),
      );
      if (value < 2n ** 32n) {
        assert.deepEqual(varintDecode(new Uint8Array(bytes)), new Uint32Array([Number(value)]));
      }
    }
    for (const wide of [false, true]) {
      for (let count = 0; count <= 400; count += count < 70 ? 1 : 23) {
        const values = randomVarintValues(count, wide);
        const bytes = varintEncode(values);
        const label = `${path} ${wide ? "u64" : "u32"} count ${count}`;
        assert.equal(varintEncodedLength(values), bytes.length, label);
        const type = wide ? "biguint64" as const : "uint32" as const;
        assert.deepEqual(varintDecode(bytes, { type } as { type: "biguint64" }), values, label);
        const target = new Uint8Array(bytes.length + 2).fill(0xee);
        assert.equal(varintEncodeInto(values, target), bytes.length);
        assert.deepEqual(target.subarray(0, bytes.length), bytes, label);
        assert.deepEqual([...target.subarray(bytes.length)], [0xee, 0xee], label);
        // Into a smaller target: stops at a value boundary and says where.
        const half = wide ? new BigUint64Array(count >> 1) : new Uint32Array(count >> 1);
        const { read, written } = varintDecodeInto(bytes, half);
        assert.equal(written, count >> 1, label);
        assert.equal(read, varintEncodedLength(values.subarray(0, count >> 1) as Uint32Array), label);
      }
    }
  });
});

test("intcode: truncated, over-long and too-large varints fail at the value's first byte, on every path", () => {
  everyPath(intThresholds, (path) => {
    for (const wide of [false, true]) {
      const values = randomVarintValues(200, wide);
      const bytes = varintEncode(values);
      const starts: number[] = [0];
      for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] < 0x80) starts.push(i + 1);
      for (let cut = 1; cut < bytes.length; cut += 7) {
        const piece = bytes.subarray(0, cut);
        if (piece[cut - 1] < 0x80) continue; // cut between values: a valid shorter input
        const start = starts.filter((s) => s < cut).at(-1)!;
        try {
          varintDecode(piece, { type: wide ? "biguint64" : "uint32" } as { type: "uint32" });
          assert.fail(`${path}: cut at ${cut} was accepted`);
        } catch (error) {
          const { code, offset } = error as { code: string; offset: number };
          assert.deepEqual(
            { code, offset },
            { code: "E_INVALID_INPUT", offset: start },
            `${path} cut ${cut}`,
          );
        }
      }
    }
    const prefix = Array(100).fill(5);
    const eleven = [...prefix, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    const overLong = () => varintDecode(new Uint8Array(eleven), { type: "biguint64" });
    throwsCode(overLong, "E_INVALID_INPUT");
    assert.equal(caughtOffset(overLong), 100, path);
    const tooBig32 = () => varintDecode(new Uint8Array([...prefix, 0xff, 0xff, 0xff, 0xff, 0x10]));
    assert.equal(caughtOffset(tooBig32), 100, path);
    // The same bytes fit a u64.
    assert.equal(
      varintDecode(new Uint8Array([...prefix, 0xff, 0xff, 0xff, 0xff, 0x10]), { type: "biguint64" }).length,
      101,
    );
    throwsCode(() => varintDecode(new Uint8Array(prefix), { count: 101 }), "E_LENGTH");
  });
});

function caughtOffset(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { offset?: number }).offset;
  }
  return undefined;
}
