import assert from "node:assert/strict";
import {
  array,
  bool8,
  type Column,
  enumOf,
  i8,
  type Schema,
  struct,
  u16,
  u32be,
  u64be,
  u8,
  union,
} from "../mod.ts";
import { reduceThresholds } from "../src/reduce.ts";
import { searchThresholds } from "../src/search.ts";
import { transposeThresholds } from "../src/transpose.ts";
import { everyPath, seededRandom, test, throwsCode } from "./harness.ts";
import { classic, randomSchema, randomValue } from "./layout_schemas.ts";

/** The value at a leaf path of a read record. */
function at(value: unknown, path: string): unknown {
  return path.split(".").reduce((v, part) => (v as Record<string, unknown>)[part], value);
}

/** The value at a leaf path, or undefined where the path leaves the value (an unchosen union member). */
function maybeAt(value: unknown, path: string): unknown {
  return path.split(".").reduce((v, part) => (v as Record<string, unknown> | undefined)?.[part], value);
}

/** Record `i`'s slice of every column whose leaf the record's value holds. */
function recordColumns(columns: Record<string, Column>, value: unknown, i: number): Record<string, Column> {
  const out: Record<string, Column> = {};
  for (const [leaf, column] of Object.entries(columns)) {
    const held = maybeAt(value, leaf);
    if (held === undefined) continue;
    const width = held instanceof Uint8Array ? held.length : 1;
    out[leaf] = column.subarray(i * width, (i + 1) * width);
  }
  return out;
}

/** Columns of the same types as `columns`, longer, full of noise. */
function noisyColumns(columns: Record<string, Column>, random: () => number): Record<string, Column> {
  return Object.fromEntries(
    Object.entries(columns).map(([leaf, column]) => {
      const noise = new Uint8Array(column.byteLength + 3 * column.BYTES_PER_ELEMENT);
      for (let i = 0; i < noise.length; i++) noise[i] = random() * 256;
      const Type = column.constructor as new (buffer: ArrayBuffer) => Column;
      return [leaf, new Type(noise.buffer)];
    }),
  );
}

test("layout columns: every column equals the records read one by one, into new or caller columns, and fromColumns restores the bytes, on every path", () => {
  const random = seededRandom(0xc01);
  const schemas: Schema[] = Array.from({ length: 80 }, () => randomSchema(random, "sysv"));
  assert.ok(schemas.filter((schema) => schema.toC("X").includes("union ")).length > 10);
  everyPath(transposeThresholds, (path) => {
    for (const schema of schemas) {
      const count = 1 + Math.floor(random() * 40);
      const rows = new Uint8Array(schema.size * count);
      const values = Array.from({ length: count }, () => randomValue(schema, random));
      values.forEach((value, i) => schema.write(rows, value as never, i * schema.size));
      const columns = schema.toColumns(rows);
      const records = values.map((_, i) => schema.read(rows, i * schema.size));
      for (const [leaf, column] of Object.entries(columns)) {
        for (let i = 0; i < count; i++) {
          // An unchosen union member's bytes belong to another member: the byte check below covers them.
          if (maybeAt(values[i], leaf) === undefined) continue;
          const expected = at(records[i], leaf);
          if (expected instanceof Uint8Array) {
            assert.deepEqual(
              (column as Uint8Array).subarray(i * expected.length, (i + 1) * expected.length),
              expected,
            );
          } else if (typeof expected === "boolean") {
            assert.equal(column[i], expected ? 1 : 0, `${path} ${leaf}[${i}]`);
          } else if (typeof expected === "string") {
            assert.equal(typeof column[i], "number", `${path} ${leaf}[${i}]`);
          } else if (typeof expected === "number" && column instanceof BigInt64Array) {
            assert.equal(column[i], BigInt(expected), `${path} ${leaf}[${i}]`);
          } else if (typeof expected === "number" && column instanceof BigUint64Array) {
            assert.equal(column[i], BigInt(expected), `${path} ${leaf}[${i}]`);
          } else {assert.ok(
              Object.is(column[i], expected),
              `${path} ${leaf}[${i}]: ${column[i]} vs ${expected}`,
            );}
        }
      }
      // Caller columns, longer than needed and full of noise, get the same values; the rest is untouched.
      const into = noisyColumns(columns, random);
      const before = Object.fromEntries(Object.entries(into).map(([leaf, column]) => [leaf, column.slice()]));
      const filled = schema.toColumns(rows, { into, count });
      for (const [leaf, column] of Object.entries(columns)) {
        assert.equal(filled[leaf], into[leaf], `${path} ${leaf}: the caller's own column comes back`);
        assert.deepEqual(into[leaf].subarray(0, column.length), column, `${path} ${leaf}`);
        assert.deepEqual(into[leaf].subarray(column.length), before[leaf].subarray(column.length));
      }
      // Record by record, the columns of the members each value chose rebuild its exact bytes.
      values.forEach((value, i) => {
        const expected = new Uint8Array(schema.size);
        schema.write(expected, value as never);
        assert.deepEqual(
          schema.fromColumns(recordColumns(columns, value, i), 1),
          expected,
          `${path} record ${i}`,
        );
      });
      if (!schema.toC("X").includes("union ")) {
        const rebuilt = schema.fromColumns(columns, count);
        values.forEach((_, i) =>
          assert.deepEqual(schema.read(rebuilt, i * schema.size), records[i], `${path} record ${i}`)
        );
      }
    }
  });
});

test("layout columns: caller columns of the wrong type, too short, missing or over the records are refused", () => {
  const Pair = struct({ id: u16, tag: array(u8, 3), flag: bool8 });
  const rows = new Uint8Array(Pair.size * 4);
  const good = () => ({ id: new Uint16Array(4), tag: new Uint8Array(12), flag: new Uint8Array(4) });
  Pair.toColumns(rows, { into: good() });
  throwsCode(() => Pair.toColumns(rows, { into: { ...good(), id: new Int16Array(4) } }), "E_TYPE");
  throwsCode(() => Pair.toColumns(rows, { into: { ...good(), id: new Uint16Array(3) } }), "E_LENGTH");
  throwsCode(() => Pair.toColumns(rows, { into: { ...good(), tag: new Uint8Array(11) } }), "E_LENGTH");
  const { flag: _, ...withoutFlag } = good();
  throwsCode(() => Pair.toColumns(rows, { into: withoutFlag as never }), "E_INVALID_ARGUMENT");
  throwsCode(
    () => Pair.toColumns(rows, { into: { ...good(), flag: rows.subarray(0, 4) } }),
    "E_INVALID_ARGUMENT",
  );
  throwsCode(() => Pair.toColumns(rows, { into: null as never }), "E_TYPE");
  // Fewer records need shorter columns.
  Pair.toColumns(rows, {
    count: 1,
    into: { id: new Uint16Array(1), tag: new Uint8Array(3), flag: new Uint8Array(1) },
  });
});

test("layout columns: fromColumns fills the one union member whose columns are given, and refuses two or none", () => {
  const Value = struct({ kind: u8, as: union({ word: u32be, bytes: array(u8, 6) }) });
  const rows = Value.fromColumns({ kind: new Uint8Array([1]), "as.word": new Uint32Array([0x01020304]) });
  assert.deepEqual(rows, new Uint8Array([1, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]));
  const asBytes = Value.fromColumns({
    kind: new Uint8Array([2]),
    "as.bytes": new Uint8Array([9, 8, 7, 6, 5, 4]),
  });
  assert.deepEqual(asBytes, new Uint8Array([2, 0, 0, 0, 9, 8, 7, 6, 5, 4, 0, 0]));
  const both = { kind: new Uint8Array([1]), "as.word": new Uint32Array([1]), "as.bytes": new Uint8Array(6) };
  throwsCode(() => Value.fromColumns(both), "E_INVALID_ARGUMENT");
  throwsCode(() => Value.fromColumns({ kind: new Uint8Array([1]) }), "E_INVALID_ARGUMENT");
});

test("layout columns: big-endian wire records decode to native columns in one pass", () => {
  const Tick = struct({ symbol: array(u8, 8), price: u64be, size: u32be, side: enumOf(u8, { B: 1, S: 2 }) }, {
    pack: 1,
  });
  const rows = new Uint8Array(Tick.size * 3);
  const view = new DataView(rows.buffer);
  for (let i = 0; i < 3; i++) {
    rows.set(new TextEncoder().encode(`SYM${i}____`), i * Tick.size);
    view.setBigUint64(i * Tick.size + 8, BigInt(100 + i), false);
    view.setUint32(i * Tick.size + 16, 10 * i, false);
    rows[i * Tick.size + 20] = 1 + (i % 2);
  }
  const columns = Tick.toColumns(rows);
  assert.deepEqual(columns.price, new BigUint64Array([100n, 101n, 102n]));
  assert.deepEqual(columns.size, new Uint32Array([0, 10, 20]));
  assert.deepEqual(columns.side, new Uint8Array([1, 2, 1]));
  assert.equal(new TextDecoder().decode(columns.symbol as Uint8Array).slice(8, 16), "SYM1____");
  assert.deepEqual(Tick.fromColumns(columns), rows);
  const { MarketData } = classic;
  assert.deepEqual(Object.keys(MarketData.schema.toColumns(new Uint8Array(64))), [
    "symbol",
    "price",
    "quantity",
    "ts",
  ]);
});

test("layout validate: names the record, the field path and the byte offset; lengths and alignment", () => {
  const Order = struct({
    id: u32be,
    flags: struct({ live: bool8, side: enumOf(u8, { BUY: 1, SELL: 2, HOLD: 3 }) }),
    qty: u16,
  });
  const rows = new Uint8Array(Order.size * 100);
  for (let i = 0; i < 100; i++) {
    Order.write(rows, { id: i, flags: { live: true, side: "BUY" }, qty: 1 }, i * Order.size);
  }
  Order.validate(rows);
  rows[57 * Order.size + Order.offsetOf("flags.side")] = 4;
  try {
    Order.validate(rows);
    assert.fail("an undeclared enum value passed");
  } catch (error) {
    const { code, offset, message } = error as { code: string; offset: number; message: string };
    assert.equal(code, "E_INVALID_INPUT");
    assert.equal(offset, 57 * Order.size + Order.offsetOf("flags.side"));
    assert.match(message, /record 57, field flags\.side/);
  }
  rows[57 * Order.size + Order.offsetOf("flags.side")] = 2;
  rows[3 * Order.size + Order.offsetOf("flags.live")] = 7;
  throwsCode(() => Order.validate(rows), "E_INVALID_INPUT");
  Order.validate(rows, 3); // the bad record is the fourth
  throwsCode(() => Order.validate(rows.subarray(1)), "E_LENGTH");
  throwsCode(() => Order.validate(rows, 101), "E_LENGTH");
  throwsCode(
    () => Order.validate(rows.subarray(Order.size + 1, Order.size * 2 + 1), { aligned: true }),
    "E_ALIGNMENT",
  );
});

test("layout validate: validate and toColumns({ validate }) find the first bad value an oracle finds, on every path", () => {
  const Order = struct({
    id: u32be,
    side: enumOf(u8, { BUY: 1, SELL: 2 }),
    kind: enumOf(u8, { LIMIT: 0, MARKET: 1, STOP: 2, IOC: 5 }),
    venue: enumOf(i8, { DARK: -3, LIT: 4, AUCTION: 9 }),
    tier: enumOf(u16, { GOLD: 10, SILVER: 20, BRONZE: 30 }),
    live: bool8,
  });
  const checkedPaths = ["side", "kind", "venue", "tier", "live"];
  const allowed: Record<string, (v: number) => boolean> = {
    side: (v) => v === 1 || v === 2,
    kind: (v) => [0, 1, 2, 5].includes(v),
    venue: (v) => [-3, 4, 9].includes(v),
    tier: (v) => [10, 20, 30].includes(v),
    live: (v) => v === 0 || v === 1,
  };
  const random = seededRandom(0x7a11d);
  const thresholds = [reduceThresholds, searchThresholds, transposeThresholds] as unknown as Record<
    string,
    number
  >[];
  everyPath(thresholds, (path) => {
    for (let round = 0; round < 40; round++) {
      const count = [0, 1, 7, 100, 1500, 3000][round % 6];
      const rows = new Uint8Array(count * Order.size);
      for (let i = 0; i < count; i++) {
        Order.write(rows, {
          id: i,
          side: random() < 0.5 ? "BUY" : "SELL",
          kind: (["LIMIT", "MARKET", "STOP", "IOC"] as const)[Math.floor(random() * 4)],
          venue: (["DARK", "LIT", "AUCTION"] as const)[Math.floor(random() * 3)],
          tier: (["GOLD", "SILVER", "BRONZE"] as const)[Math.floor(random() * 3)],
          live: random() < 0.5,
        }, i * Order.size);
      }
      // Damage a few fields, often with values just past the declared ones (3 and 4 for kind, 0 for venue, 2 for live).
      const damage = count === 0 ? 0 : Math.floor(random() * 3);
      for (let d = 0; d < damage; d++) {
        const leaf = checkedPaths[Math.floor(random() * checkedPaths.length)];
        const at = Math.floor(random() * count) * Order.size + Order.offsetOf(leaf);
        const candidates = leaf === "kind"
          ? [3, 4, 200]
          : leaf === "venue"
          ? [0, 5, 0x80]
          : leaf === "live"
          ? [2, 3, 255]
          : [0, 3, 255];
        rows[at] = candidates[Math.floor(random() * candidates.length)];
      }
      // The oracle: field by field in declaration order, the first record holding a bad value.
      const view = new DataView(rows.buffer);
      let expected: number | undefined;
      for (const leaf of checkedPaths) {
        for (let i = 0; i < count && expected === undefined; i++) {
          const at = i * Order.size + Order.offsetOf(leaf);
          const value = leaf === "venue"
            ? view.getInt8(at)
            : leaf === "tier"
            ? view.getUint16(at, true)
            : rows[at];
          if (!allowed[leaf](value)) expected = at;
        }
        if (expected !== undefined) break;
      }
      for (const run of [() => Order.validate(rows), () => Order.toColumns(rows, { validate: true })]) {
        let offset: number | undefined;
        try {
          run();
        } catch (error) {
          assert.equal((error as { code: string }).code, "E_INVALID_INPUT", `${path}`);
          offset = (error as { offset: number }).offset;
        }
        assert.equal(offset, expected, `${path}: round ${round}, ${count} records`);
      }
    }
  });
});

test("layout validate: across chunks and blocks the first bad leaf in declaration order wins, and caller columns are filled when the check throws, on every path", () => {
  const Tick = struct({
    side: enumOf(u8, { BUY: 1, SELL: 2 }),
    tier: enumOf(u16, { A: 10, B: 20, C: 30 }),
    live: bool8,
  });
  // More records than validate gathers in one pass (65,536), and many 32 KiB blocks of rows.
  const count = 150_000;
  const clean = new Uint8Array(count * Tick.size);
  for (let i = 0; i < count; i++) {
    Tick.write(clean, {
      side: i % 3 ? "BUY" : "SELL",
      tier: (["A", "B", "C"] as const)[i % 3],
      live: i % 2 === 0,
    }, i * Tick.size);
  }
  const expectedColumns = Tick.toColumns(clean);
  const cases: { damage: [leaf: string, record: number, value: number][]; leaf: string; record: number }[] = [
    { damage: [["live", 10, 2], ["side", 140_000, 0]], leaf: "side", record: 140_000 },
    { damage: [["live", 5, 9], ["tier", 70_000, 11]], leaf: "tier", record: 70_000 },
    { damage: [["live", 131_072, 255]], leaf: "live", record: 131_072 },
    { damage: [["side", 65_536, 3], ["side", 65_535, 200]], leaf: "side", record: 65_535 },
    { damage: [["side", count - 1, 7], ["live", 0, 3]], leaf: "side", record: count - 1 },
  ];
  const thresholds = [reduceThresholds, searchThresholds, transposeThresholds] as unknown as Record<
    string,
    number
  >[];
  everyPath(thresholds, (path) => {
    for (const { damage, leaf, record } of cases) {
      const rows = clean.slice();
      for (const [name, at, value] of damage) {
        if (name === "tier") {
          new DataView(rows.buffer).setUint16(at * Tick.size + Tick.offsetOf(name), value, true);
        } else rows[at * Tick.size + Tick.offsetOf(name)] = value;
      }
      const into = {
        side: new Uint8Array(count),
        tier: new Uint16Array(count),
        live: new Uint8Array(count),
      };
      const runs = [
        () => Tick.validate(rows),
        () => Tick.toColumns(rows, { validate: true }),
        () => Tick.toColumns(rows, { into, validate: true }),
      ];
      for (const run of runs) {
        const error = throwsCode(run, "E_INVALID_INPUT") as Error & { offset: number };
        const label = `${path}: ${JSON.stringify(damage)}`;
        assert.equal(error.offset, record * Tick.size + Tick.offsetOf(leaf), label);
        assert.match(error.message, new RegExp(`record ${record}, field ${leaf}: `), label);
      }
      // Every caller column holds every record's value, the damaged ones too.
      const decoded = Tick.toColumns(rows);
      assert.deepEqual(into, decoded, path);
      assert.notDeepEqual(decoded, expectedColumns, path);
    }
  });
});
