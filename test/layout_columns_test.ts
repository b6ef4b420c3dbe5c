import assert from "node:assert/strict";
import { array, bool8, enumOf, type Schema, struct, u16, u32be, u64be, u8 } from "../mod.ts";
import { transposeThresholds } from "../src/transpose.ts";
import { everyPath, seededRandom, test, throwsCode } from "./harness.ts";
import { classic, randomSchema, randomValue } from "./layout_schemas.ts";

/** The value at a leaf path of a read record. */
function at(value: unknown, path: string): unknown {
  return path.split(".").reduce((v, part) => (v as Record<string, unknown>)[part], value);
}

test("layout columns: every column equals the records read one by one, and fromColumns restores them, on every path", () => {
  const random = seededRandom(0xc01);
  const schemas: Schema[] = [];
  while (schemas.length < 60) {
    const schema = randomSchema(random, "sysv");
    const hasUnion = schema.toC("X").includes("union ");
    if (!hasUnion) schemas.push(schema);
  }
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
      const rebuilt = schema.fromColumns(columns, count);
      values.forEach((_, i) =>
        assert.deepEqual(schema.read(rebuilt, i * schema.size), records[i], `${path} record ${i}`)
      );
    }
  });
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
    () => Order.validate(rows.subarray(Order.size + 1, Order.size * 2 + 1), undefined, { aligned: true }),
    "E_ALIGNMENT",
  );
});
