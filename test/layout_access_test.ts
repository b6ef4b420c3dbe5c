import assert from "node:assert/strict";
import {
  array,
  asNumber,
  be,
  bits,
  bool8,
  enumOf,
  type FieldType,
  i64,
  NativeBuffer,
  type Schema,
  struct,
  u16,
  u32,
  u64,
  u8,
} from "../mod.ts";
import { bigintFits, compileRunClass, compileViewClass } from "../src/layout/access.ts";
import { collectGarbage, seededRandom, test, throwsCode } from "./harness.ts";
import { classic, randomSchema, randomValue } from "./layout_schemas.ts";

/** The value read back from a written record: struct fields all; a union member as written, or the others. */
function comparable(type: FieldType, written: unknown, read: unknown): void {
  if (type.kind === "union") {
    const [name] = Object.keys(written as object);
    if (name === undefined) return;
    const field = type.fields.find((f) => f.name === name)!;
    return comparable(
      field.type,
      (written as Record<string, unknown>)[name],
      (read as Record<string, unknown>)[name],
    );
  }
  if (type.kind === "struct") {
    for (const field of type.fields) {
      if (field.type.kind === "pad") continue;
      comparable(
        field.type,
        (written as Record<string, unknown>)[field.name],
        (read as Record<string, unknown>)[field.name],
      );
    }
    return;
  }
  if (type.kind === "array" && !(written instanceof Uint8Array)) {
    (written as unknown[]).forEach((w, i) => comparable(type.element, w, (read as unknown[])[i]));
    return;
  }
  assert.deepEqual(read, written);
}

test("layout access: random values written to random schemas read back exactly, through read and views", () => {
  const random = seededRandom(0xacce55);
  for (let i = 0; i < 300; i++) {
    const schema = randomSchema(random, "sysv") as Schema;
    const value = randomValue(schema, random) as never;
    const offset = Math.floor(random() * 16);
    const bytes = new Uint8Array(offset + schema.size + 8);
    schema.write(bytes, value, offset);
    comparable(schema, value, schema.read(bytes, offset));
    if (schema.kind === "struct") {
      const view = schema.view(bytes, offset) as Record<string, unknown>;
      for (const field of schema.fields) {
        if (field.type.kind === "pad" || field.type.kind === "struct" || field.type.kind === "union") {
          continue;
        }
        comparable(field.type, (value as Record<string, unknown>)[field.name], view[field.name]);
      }
      // Writing every field through the view gives the same bytes.
      const copy = new Uint8Array(bytes.length);
      const target = schema.view(copy, offset) as Record<string, unknown>;
      for (const field of schema.fields) {
        if (field.type.kind !== "pad") target[field.name] = (value as Record<string, unknown>)[field.name];
      }
      comparable(schema, value, schema.read(copy, offset));
    }
  }
});

test("layout access: classic records match DataView, big-endian fields and bitfields match bit arithmetic", () => {
  const { Packet, MarketData } = classic;
  const bytes = new Uint8Array(64);
  Packet.schema.write(bytes, { type: 7, len: 1500, flags: 3, ts: 1_700_000_000_000n }, 8);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint8(8), 7);
  assert.equal(view.getUint32(12, true), 1500);
  assert.equal(view.getUint8(16), 3);
  assert.equal(view.getBigUint64(24, true), 1_700_000_000_000n);
  const symbol = new TextEncoder().encode("BINLANE!");
  MarketData.schema.write(bytes, { symbol, price: 12345n, quantity: 10, ts: 5n });
  assert.deepEqual(MarketData.schema.view(bytes).symbol, symbol);
  const Wire = struct({ id: be(u32), size: be(u16), flags: bits(u32, 3), rest: bits(u32, 29) }, { pack: 1 });
  const wire = new Uint8Array(Wire.size);
  Wire.write(wire, { id: 0x01020304, size: 0x0506, flags: 5, rest: 0x1abcdef });
  assert.deepEqual([...wire.subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
  const word = new DataView(wire.buffer).getUint32(6, true);
  assert.equal(word & 7, 5);
  assert.equal(word >>> 3, 0x1abcdef);
});

test("layout access: both 64-bit fit tests agree with the wrapped value, at the bounds and at random", () => {
  const random = seededRandom(64);
  const values: bigint[] = [];
  for (const bound of [0n, 2n ** 63n, 2n ** 64n, -(2n ** 63n), -(2n ** 64n)]) {
    for (let step = -2n; step <= 2n; step++) values.push(bound + step);
  }
  values.push(2n ** 200n, -(2n ** 200n), 2n ** 64n * 3n + 5n);
  for (let i = 0; i < 2000; i++) {
    // 57 to 80 bits, either sign: straddles both bounds.
    const wide = (BigInt(Math.floor(random() * 2 ** 40)) << 40n) | BigInt(Math.floor(random() * 2 ** 40));
    const magnitude = wide >> BigInt(Math.floor(random() * 24));
    values.push(random() < 0.5 ? -magnitude : magnitude);
  }
  for (const value of values) {
    for (const signed of [false, true]) {
      const expected = signed ? BigInt.asIntN(64, value) === value : BigInt.asUintN(64, value) === value;
      assert.equal(bigintFits.byWrap(value, signed), expected, `byWrap(${value}, ${signed})`);
      assert.equal(bigintFits.byRange(value, signed), expected, `byRange(${value}, ${signed})`);
    }
  }
  // The running engine's test, through a writer: the last value that fits is written, the first beyond is refused.
  const S = struct({ u: u64, i: i64 });
  const bytes = new Uint8Array(S.size);
  const view = new DataView(bytes.buffer);
  S.write(bytes, { u: 2n ** 64n - 1n, i: -(2n ** 63n) });
  assert.deepEqual([view.getBigUint64(0, true), view.getBigInt64(8, true)], [2n ** 64n - 1n, -(2n ** 63n)]);
  S.write(bytes, { u: 0n, i: 2n ** 63n - 1n });
  assert.deepEqual([view.getBigUint64(0, true), view.getBigInt64(8, true)], [0n, 2n ** 63n - 1n]);
  const refused = [
    { u: -1n, i: 0n },
    { u: 2n ** 64n, i: 0n },
    { u: 0n, i: 2n ** 63n },
    { u: 0n, i: -(2n ** 63n) - 1n },
  ];
  for (const bad of refused) throwsCode(() => S.write(bytes, bad), "E_RANGE");
  // Nothing refused was stored wrapped.
  assert.deepEqual([view.getBigUint64(0, true), view.getBigInt64(8, true)], [0n, 2n ** 63n - 1n]);
});

test("layout access: bad values, bad bytes and bad places are typed errors naming the field", () => {
  const S = struct({
    a: u8,
    b: u64,
    c: asNumber(i64),
    d: bool8,
    e: enumOf(u8, { ON: 1 }),
    f: array(u8, 2),
    g: bits(u16, 3),
  });
  const bytes = new Uint8Array(S.size);
  const good = { a: 1, b: 2n, c: -3, d: true, e: "ON" as const, f: new Uint8Array(2), g: 7 };
  S.write(bytes, good);
  throwsCode(() => S.write(bytes, { ...good, a: 256 }), "E_RANGE");
  throwsCode(() => S.write(bytes, { ...good, a: 1.5 }), "E_TYPE");
  throwsCode(() => S.write(bytes, { ...good, b: 2 ** 64 as unknown as bigint }), "E_TYPE");
  throwsCode(() => S.write(bytes, { ...good, b: 2n ** 64n }), "E_RANGE");
  throwsCode(() => S.write(bytes, { ...good, c: 2 ** 53 }), "E_RANGE");
  throwsCode(() => S.write(bytes, { ...good, d: 1 as unknown as boolean }), "E_TYPE");
  throwsCode(() => S.write(bytes, { ...good, e: "OFF" as "ON" }), "E_TYPE");
  throwsCode(() => S.write(bytes, { ...good, f: new Uint8Array(3) }), "E_TYPE");
  throwsCode(() => S.write(bytes, { ...good, g: 8 }), "E_RANGE");
  throwsCode(() => S.read(bytes, 1), "E_LENGTH");
  throwsCode(() => S.read(bytes, -1), "E_LENGTH");
  throwsCode(() => S.arrayView(bytes.subarray(1)), "E_LENGTH");
  const c = S.offsetOf("c");
  new DataView(bytes.buffer).setBigInt64(c, -(2n ** 60n), true);
  throwsCode(() => S.read(bytes), "E_RANGE"); // beyond 2^53, never rounded
  new DataView(bytes.buffer).setBigInt64(c, 0n, true);
  bytes[S.offsetOf("d")] = 2;
  throwsCode(() => S.read(bytes), "E_INVALID_INPUT");
  bytes[S.offsetOf("d")] = 0;
  bytes[S.offsetOf("e")] = 9;
  try {
    S.read(bytes);
    assert.fail("an undeclared enum value was read");
  } catch (error) {
    assert.match(String((error as Error).message), /\.e: 9 is not a declared value/);
  }
});

test("layout access: each schema gets read, write and view of its own at first use; a frozen one works through the methods", () => {
  const A = struct({ a: u32, b: u16 });
  const B = struct({ a: u32, b: u16 });
  const bytes = new Uint8Array(A.size * 2);
  assert.equal(Object.hasOwn(A, "read"), false, "nothing is compiled before first use");
  A.write(bytes, { a: 1, b: 2 }, A.size);
  B.write(bytes, { a: 3, b: 4 });
  for (const name of ["read", "write", "view"] as const) {
    assert.ok(Object.hasOwn(A, name) && Object.hasOwn(B, name), `${name} is the schema's own`);
    // Call sites shared by schemas see every schema's reader, and V8 stops inlining them.
    assert.notEqual(A[name], B[name], `${name} is not shared`);
    assert.ok(!Object.keys(A).includes(name), `${name} is not enumerable`);
  }
  assert.deepEqual(A.read(bytes, A.size), { a: 1, b: 2 });
  assert.deepEqual(B.read(bytes), { a: 3, b: 4 });
  assert.equal(A.view(bytes, A.size).b, 2);
  throwsCode(() => A.read(bytes, A.size + 1), "E_LENGTH");
  throwsCode(() => A.view(bytes, -1), "E_LENGTH");
  throwsCode(() => A.write(bytes, { a: -1, b: 0 }), "E_RANGE");
  const Frozen = Object.freeze(struct({ a: u32, b: u16 }));
  Frozen.write(bytes, { a: 5, b: 6 });
  assert.deepEqual(Frozen.read(bytes), { a: 5, b: 6 });
  assert.equal(Frozen.view(bytes).a, 5);
  assert.equal(Object.hasOwn(Frozen, "read"), false);
  throwsCode(() => Frozen.read(bytes, A.size + 1), "E_LENGTH");
});

test("layout access: an input read, written or viewed before takes the same checks and gives the same records", () => {
  const Row = struct({ id: u32, tag: u16, big: u64 });
  const random = seededRandom(0x5eed);
  const served = new Uint8Array(Row.size * 64 + 5);
  for (let i = 0; i < served.length; i++) served[i] = Math.floor(random() * 256);
  const last = served.length - Row.size;
  // Every offset, aligned or not: `served` goes the cached way after its first call, a fresh copy each time the other.
  for (let at = 0; at <= last; at++) {
    const fresh = served.slice();
    assert.deepEqual(Row.read(served, at), Row.read(fresh, at), `read at ${at}`);
    assert.equal(Row.view(served, at).big, Row.view(fresh.slice(), at).big, `view at ${at}`);
  }
  const value = { id: 0xfeedf00d, tag: 7, big: 2n ** 63n + 5n };
  Row.write(served, value, last);
  const fresh = served.slice();
  Row.write(fresh, value, 3);
  assert.deepEqual(Row.read(served, last), value);
  assert.deepEqual(Row.read(fresh, 3), value);
  for (
    const bad of [last + 1, served.length, -1, -Row.size, 1.5, Number.NaN, Infinity, 2 ** 31, 2 ** 53, "8"]
  ) {
    const at = bad as number;
    // A number in the wrong place is E_LENGTH; what is no number at all is E_TYPE.
    const code = typeof bad === "number" ? "E_LENGTH" : "E_TYPE";
    Row.read(served, 0); // served last: the cached way first
    throwsCode(() => Row.read(served, at), code);
    throwsCode(() => Row.write(served, value, at), code);
    throwsCode(() => Row.view(served, at), code);
  }
  assert.deepEqual(Row.read(served, -0), Row.read(served.slice(), 0), "-0 is offset 0");
});

test("layout access: two inputs in turn, and two schemas over two buffers, each read their own records", () => {
  // Each schema keeps the last two inputs it had to look up: these loops hit both, and the checks below run with an
  // input in the second place. DataView getters on the same bytes are the oracle.
  const Header = struct({ id: u32, len: u16 });
  const Body = struct({ price: u64, qty: u32 });
  const random = seededRandom(0x7a11);
  const filled = (length: number) => Uint8Array.from({ length }, () => Math.floor(random() * 256));
  const a = filled(Header.size * 32), b = filled(Header.size * 32 + 3), bodies = filled(Body.size * 32);
  const of = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 32; i++) {
    const at = i * Header.size, atBody = i * Body.size;
    for (const bytes of [a, b]) {
      assert.deepEqual(Header.read(bytes, at), {
        id: of(bytes).getUint32(at, true),
        len: of(bytes).getUint16(at + 4, true),
      });
      assert.equal(Header.view(bytes, at).len, of(bytes).getUint16(at + 4, true), `view at ${at}`);
      assert.equal(Body.view(bodies, atBody).qty, of(bodies).getUint32(atBody + 8, true));
      assert.equal(Body.read(bodies, atBody).price, of(bodies).getBigUint64(atBody, true));
    }
    Header.write(b, { id: i, len: 0x100 + i }, at + 3);
    Header.write(a, { id: i + 1, len: i }, at);
    assert.deepEqual([of(b).getUint32(at + 3, true), of(b).getUint16(at + 7, true)], [i, 0x100 + i]);
    assert.equal(Header.view(a, at).id, i + 1);
  }
  // `a` second, `c` first: every bad offset is still refused, and a third input is read right.
  const c = filled(Header.size), d = filled(Header.size);
  const last = a.length - Header.size;
  for (const bad of [last + 1, a.length, -1, 1.5, Number.NaN, 2 ** 31, "8"]) {
    const at = bad as number;
    for (
      const call of [
        () => Header.read(a, at),
        () => Header.write(a, { id: 0, len: 0 }, at),
        () => Header.view(a, at),
      ]
    ) {
      Header.read(a, 0);
      Header.read(c, 0);
      throwsCode(call, typeof bad === "number" ? "E_LENGTH" : "E_TYPE");
    }
  }
  for (const bytes of [a, c, d, a, b, c]) {
    assert.equal(Header.view(bytes, 0).id, of(bytes).getUint32(0, true));
  }
  // `b` second, then its memory moved away: a typed error from read, write and view, while `c` reads on.
  Header.read(b, 0);
  Header.read(c, 0);
  b.buffer.transfer();
  throwsCode(() => Header.read(b, 0), "E_DISPOSED");
  throwsCode(() => Header.view(b, 8).id, "E_DISPOSED");
  throwsCode(() => Header.write(b, { id: 1, len: 1 }, 0), "E_DISPOSED");
  assert.equal(Header.read(c, 0).len, of(c).getUint16(4, true));
});

test("layout access: NativeBuffers take a schema's two places like other inputs, and each place's views know their owner", () => {
  const Row = struct({ id: u32, b: u16 });
  const random = seededRandom(0x0b1e);
  const native = NativeBuffer.alloc(Row.size * 16);
  const other = NativeBuffer.alloc(Row.size * 16 + 5);
  const plain = new Uint8Array(Row.size * 16);
  for (const input of [native.bytes, other.bytes, plain]) {
    for (let i = 0; i < input.length; i++) input[i] = Math.floor(random() * 256);
  }
  const of = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // In turn, two by two: views made on a miss and from either place (the NativeBuffer is in each in turn).
  const pairs = [[native, plain], [plain, native], [native, other], [other, native]] as const;
  const kept = new Map<unknown, { id: number }[]>([[native, []], [other, []], [plain, []]]);
  for (const pair of pairs) {
    for (let at = 0; at + Row.size <= 16 * Row.size; at += 3) {
      for (const input of pair) {
        const bytes = input instanceof NativeBuffer ? input.bytes : input;
        const view = Row.view(input, at);
        assert.equal(view.id, of(bytes).getUint32(at, true), `view at ${at}`);
        assert.deepEqual(Row.read(input, at), {
          id: of(bytes).getUint32(at, true),
          b: of(bytes).getUint16(at + 4, true),
        });
        kept.get(input)!.push(view);
      }
    }
    for (const input of pair) {
      const length = input instanceof NativeBuffer ? input.byteLength : input.length;
      for (const bad of [length - Row.size + 1, -1, 0.5]) throwsCode(() => Row.view(input, bad), "E_LENGTH");
    }
  }
  // Only the views of the disposed buffer fail, naming it; those of the array are owned by nothing.
  native.dispose();
  for (const view of kept.get(native)!) {
    assert.match(
      throwsCode(() => view.id, "E_DISPOSED").message,
      /NativeBuffer under this view has been disposed/,
    );
  }
  for (const view of [...kept.get(plain)!, ...kept.get(other)!]) assert.equal(typeof view.id, "number");
  plain.buffer.transfer();
  for (const view of kept.get(plain)!) {
    assert.match(
      throwsCode(() => view.id, "E_DISPOSED").message,
      /ArrayBuffer under this view has been detached/,
    );
  }
  assert.equal(kept.get(other)![0].id, of(other.bytes).getUint32(0, true));
  other.dispose();
});

test("layout access: a NativeBuffer over 2 GiB in a schema's second place gets wide views that name it", () => {
  const Row = struct({ id: u32 });
  // Not zeroed: only the pages touched here are ever committed.
  const big = NativeBuffer.alloc(2 ** 31 + 8, { zero: false });
  const small = new Uint8Array(8);
  const at = 2 ** 31 + 4;
  Row.view(big, at).id = 0xfeedface;
  Row.view(small, 0).id = 1; // `big` now in the second place
  const view = Row.view(big, at);
  assert.equal(view.id, 0xfeedface);
  assert.equal(
    new DataView(big.bytes.buffer).getUint32(at, true),
    0xfeedface,
    "written past 2^31, not wrapped",
  );
  assert.equal(Row.view(small, 0).id, 1);
  big.dispose();
  assert.match(
    throwsCode(() => view.id, "E_DISPOSED").message,
    /NativeBuffer under this view has been disposed/,
  );
});

/**
 * Serves `Row` a megabyte it drops at once, and gives back a weak reference
 * to what holds it: an array's memory, or the NativeBuffer, whose first
 * `view` finds it on the slow path, where `view` notes its owner.
 */
function servedAndDropped(Row: Schema<{ id: typeof u32 }>, kind: "array" | "NativeBuffer"): WeakRef<object> {
  if (kind === "NativeBuffer") {
    const input = NativeBuffer.alloc(1 << 20);
    assert.equal(Row.view(input, 4).id, 0);
    Row.read(input, 0);
    return new WeakRef(input);
  }
  const input = new Uint8Array(1 << 20);
  Row.read(input, 0);
  assert.equal(Row.view(input, 4).id, 0);
  return new WeakRef(input.buffer);
}

for (const kind of ["array", "NativeBuffer"] as const) {
  test(`layout access: a schema keeps an input (${kind}) reachable only until it has served two others`, async () => {
    const Row = struct({ id: u32 });
    const memory = servedAndDropped(Row, kind);
    // A reference read keeps its target until the job ends: every collection here comes after a turn.
    const collected = async () => {
      for (let round = 0; round < 20; round++) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        collectGarbage();
        if (memory.deref() === undefined) return true;
      }
      return false;
    };
    assert.equal(await collected(), false, "served last: still held");
    Row.read(new Uint8Array(4), 0);
    assert.equal(await collected(), false, "served second to last: still held");
    // Through `read`: a `view` of another input would overwrite the owner `view` noted, and hide one kept.
    if (kind === "NativeBuffer") Row.read(new Uint8Array(4), 0);
    else Row.view(new Uint8Array(4), 0);
    assert.equal(await collected(), true, "two others served since: let go");
  });
}

test("layout access: a bad argument is E_TYPE from the first call on, before any input was served", async () => {
  // A module instance of its own, whose record of the input served last has never been filled.
  const fresh = new URL("../src/layout/schema.ts?first-use", import.meta.url).href;
  const { struct: freshStruct } = (await import(fresh)) as { struct: typeof struct };
  const Row = freshStruct({ id: u32 });
  for (const bad of [undefined, null, 7, "bytes"]) {
    const input = bad as unknown as Uint8Array;
    throwsCode(() => Row.read(input), "E_TYPE");
    throwsCode(() => Row.view(input), "E_TYPE");
    throwsCode(() => Row.write(input, { id: 1 }), "E_TYPE");
    throwsCode(() => Row.arrayView(input), "E_TYPE");
  }
  assert.equal(Row.read(new Uint8Array([5, 0, 0, 0])).id, 5);
});

test("layout access: memory detached or shrunk under an input, before or after it was served, is a typed error", () => {
  const Row = struct({ id: u32, b: u32 });
  const served = new Uint8Array(16);
  Row.write(served, { id: 1, b: 2 }, 8);
  const early = Row.view(served, 8);
  assert.equal(Row.read(served, 8).id, 1);
  served.buffer.transfer();
  throwsCode(() => Row.read(served, 8), "E_DISPOSED");
  throwsCode(() => Row.write(served, { id: 3, b: 4 }, 8), "E_DISPOSED");
  throwsCode(() => Row.read(served, 9), "E_DISPOSED");
  throwsCode(() => Row.view(served, 8).id, "E_DISPOSED");
  throwsCode(() => early.b, "E_DISPOSED");
  throwsCode(() => Row.arrayView(served), "E_DISPOSED");
  throwsCode(() => Row.toColumns(served), "E_DISPOSED");
  const never = new DataView(new ArrayBuffer(8));
  never.buffer.transfer();
  throwsCode(() => Row.view(never), "E_DISPOSED");
  throwsCode(() => Row.read(never), "E_DISPOSED");

  // A length-tracking input over a resizable buffer is measured at each call, never cached.
  const memory = new ArrayBuffer(8, { maxByteLength: 64 });
  const tracking = new Uint8Array(memory);
  const fixed = new Uint8Array(memory, 0, 8);
  const tail = new DataView(memory, 0, 8);
  Row.write(tracking, { id: 5, b: 6 });
  assert.equal(Row.view(fixed).b, 6);
  const before = Row.view(fixed);
  memory.resize(16);
  Row.write(tracking, { id: 7, b: 8 }, 8);
  assert.deepEqual(Row.read(tracking, 8), { id: 7, b: 8 }, "grown: the new bytes are there");
  assert.equal(Row.arrayView(tracking).length, 2);
  memory.resize(4);
  throwsCode(() => Row.read(tracking), "E_LENGTH");
  throwsCode(() => Row.read(fixed), "E_LENGTH");
  throwsCode(() => Row.write(fixed, { id: 0, b: 0 }), "E_LENGTH");
  throwsCode(() => before.id, "E_LENGTH");
  throwsCode(() => Row.read(tail), "E_LENGTH");
  throwsCode(() => Row.view(tail), "E_LENGTH");
  // Out of bounds, a fixed-length array reads as empty (the engine has it so, and cannot tell it from empty).
  assert.equal(Row.arrayView(fixed).length, 0);
  memory.resize(8);
  assert.equal(before.id, 5, "grown back: the view reads again");
});

test("layout access: views of a NativeBuffer throw E_DISPOSED after it is disposed; arrayView walks records", () => {
  const Pair = struct({ a: u32, b: u32 });
  const buffer = NativeBuffer.alloc(Pair.size * 4);
  const records = Pair.arrayView(buffer);
  let n = 0;
  for (const record of records) record.a = n++;
  assert.deepEqual([...records].map((r) => r.a), [0, 1, 2, 3]);
  assert.equal(records.at(-1)?.a, 3);
  assert.equal(records.at(4), undefined);
  const view = Pair.view(buffer, 8);
  buffer[Symbol.dispose]();
  throwsCode(() => view.a, "E_DISPOSED");
  throwsCode(() => {
    view.b = 1;
  }, "E_DISPOSED");
  throwsCode(() => Pair.read(buffer), "E_DISPOSED");
});

test("layout access: cursorAt moves one view; every kind of field of a dead buffer is E_DISPOSED; value errors pass through", () => {
  const Inner = struct({ x: u16, y: u16 });
  const Row = struct({ id: u32, tag: array(u8, 4), inner: Inner, code: bits(u32, 5) });
  const buffer = NativeBuffer.alloc(Row.size * 5);
  const records = Row.arrayView(buffer);
  for (let i = 0; i < records.length; i++) records.cursorAt(i).id = 10 * i;
  const cursor = records.cursorAt(0);
  assert.equal(records.cursorAt(3), cursor, "the same view, moved");
  assert.equal(cursor.id, 30);
  assert.equal(records.cursorAt(4).id, 40);
  // A bad index parks the cursor below the records: every kind of access through it is E_RANGE.
  for (const bad of [5, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 32, 2 ** 31 - 1]) {
    const parked = records.cursorAt(bad);
    const error = throwsCode(() => parked.id, "E_RANGE");
    assert.match(error.message, /not an integer in 0\.\.4,/);
    throwsCode(() => parked.tag, "E_RANGE");
    throwsCode(() => parked.code, "E_RANGE");
    throwsCode(() => parked.inner.x, "E_RANGE");
    throwsCode(() => {
      parked.id = 1;
    }, "E_RANGE");
    throwsCode(() => {
      parked.tag = new Uint8Array(4);
    }, "E_RANGE");
    throwsCode(() => {
      parked.inner.y = 1;
    }, "E_RANGE");
  }
  assert.equal(records.cursorAt(2).id, 20, "a good index moves a parked cursor back");
  assert.equal(records.cursorAt(-0).id, 0, "-0 is record 0");
  const seen: number[] = [];
  records.forEach((record, i) => seen.push(record.id - 10 * i));
  assert.deepEqual(seen, [0, 0, 0, 0, 0]);
  // Errors of the value written are not mistaken for disposal.
  throwsCode(() => {
    records.cursorAt(0).id = -1;
  }, "E_RANGE");
  throwsCode(() => {
    records.cursorAt(0).code = 32;
  }, "E_RANGE");
  const inner = records.cursorAt(1).inner;
  buffer[Symbol.dispose]();
  throwsCode(() => cursor.id, "E_DISPOSED");
  throwsCode(() => cursor.tag, "E_DISPOSED");
  throwsCode(() => cursor.code, "E_DISPOSED");
  throwsCode(() => cursor.inner.x, "E_DISPOSED");
  throwsCode(() => inner.y, "E_DISPOSED");
  throwsCode(() => {
    inner.x = 1;
  }, "E_DISPOSED");
  // Plain memory detached by its owner reads as gone too, never as a stray TypeError.
  const plain = new Uint8Array(Row.size);
  const view = Row.view(plain);
  plain.buffer.transfer();
  throwsCode(() => view.id, "E_DISPOSED");
});

test("layout access: records of a GiB or more keep cursorAt's throw, since no parking place lies below them", () => {
  const Small = struct({ id: u32 });
  const Run = compileRunClass(compileViewClass(Small, "Small"), 2 ** 30);
  const records = new Run(new DataView(new Uint8Array([7, 0, 0, 0]).buffer), null, 1);
  assert.equal(records.cursorAt(0).id, 7);
  for (const bad of [1, -1, 0.5, NaN]) throwsCode(() => records.cursorAt(bad), "E_RANGE");
  assert.equal(records.length, 1);
});

test("layout access: views and runs over more than 2 GiB reach records past 2^31 exactly, and parked cursors still fail", () => {
  const Inner = struct({ x: u16, y: u32 });
  const Row = struct({ id: u32, inner: Inner, tag: array(u8, 4) });
  assert.equal(Row.size, 16);
  // Memory the engine zeroes lazily: only the pages touched here are ever committed.
  const bytes = new Uint8Array(2 ** 31 + 2 * Row.size);
  const records = Row.arrayView(bytes);
  assert.equal(records.length, 2 ** 27 + 2);
  const last = records.length - 1;
  const beyond = records.cursorAt(last);
  beyond.id = 0xdeadbeef;
  beyond.inner.y = 7;
  beyond.tag = new Uint8Array([1, 2, 3, 4]);
  const at = last * Row.size;
  assert.ok(at > 2 ** 31);
  const plain = new DataView(bytes.buffer);
  assert.equal(plain.getUint32(at, true), 0xdeadbeef, "written where the record is, not wrapped below 2^31");
  assert.equal(plain.getUint32(at + 8, true), 7);
  assert.deepEqual([...bytes.subarray(at + 12, at + 16)], [1, 2, 3, 4]);
  assert.equal(records.cursorAt(last - 1).id, 0);
  assert.equal(Row.view(bytes, at).id, 0xdeadbeef);
  assert.equal(Row.view(bytes, at).inner.y, 7);
  assert.equal(records.at(-1)?.id, 0xdeadbeef);
  assert.equal(records.cursorAt(2 ** 27 - 1).id, 0, "the last record below 2^31 too");
  const parked = records.cursorAt(records.length);
  throwsCode(() => parked.id, "E_RANGE");
  throwsCode(() => parked.inner.x, "E_RANGE");
  // The narrow classes still serve short runs of the same schema.
  const short = Row.arrayView(new Uint8Array(32));
  short.cursorAt(1).id = 5;
  assert.equal(short.cursorAt(1).id, 5);
});
