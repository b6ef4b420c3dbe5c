/**
 * Layouts against a hostile caller: typed arrays whose own properties lie,
 * subclasses whose species shortens `subarray`, Proxies, getters that throw
 * or detach the input, numbers that are no numbers, unknown option keys,
 * and records nested under other C rules.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { array, bits, enumOf, NativeBuffer, struct, u16, u32, u64, u8, union } from "../mod.ts";
import { transposeThresholds } from "../src/transpose.ts";
import { everyPath, test, throwsCode, underBun } from "./harness.ts";

const Row = struct({ id: u32, tag: u16, big: u64 });
const value = { id: 7, tag: 3, big: 9n };

/** `count` records of Row, record i holding id i + 1. */
function rows(count: number): Uint8Array {
  const bytes = new Uint8Array(count * Row.size);
  for (let i = 0; i < count; i++) Row.write(bytes, { id: i + 1, tag: i, big: BigInt(i) }, i * Row.size);
  return bytes;
}

/** `array` with own `byteLength`, `length`, `byteOffset` and `buffer` that lie. */
function lying<T extends ArrayBufferView>(array: T, claimedBytes: number): T {
  const element = (array as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  Object.defineProperty(array, "byteLength", { value: claimedBytes });
  Object.defineProperty(array, "length", { value: claimedBytes / element });
  Object.defineProperty(array, "byteOffset", { value: 0 });
  Object.defineProperty(array, "buffer", { value: new ArrayBuffer(claimedBytes) });
  return array;
}

test("layout hostile: native code never gets a typed array's own claimed length (child process)", () => {
  const fixture = new URL("./fixtures/layout_lying_length.ts", import.meta.url).pathname;
  const args = underBun ? ["run", fixture] : ["run", "--allow-all", fixture];
  const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 60_000 });
  assert.equal(result.status, 0, `exit ${result.status} signal ${result.signal}: ${result.stderr}`);
  assert.deepEqual(JSON.parse(result.stdout), {
    toColumns: "ok:2",
    toColumnsCount: "E_LENGTH",
    validate: "E_LENGTH",
    arrayView: "ok:2",
    into: "E_LENGTH",
    fromColumns: "ok:32",
    fromColumnsCount: "E_LENGTH",
  });
});

test("layout hostile: read, write, view and arrayView take the input's range from its slots, on every path", () => {
  everyPath(transposeThresholds, () => {
    const real = rows(2);
    const input = lying(real.subarray(Row.size), 1 << 20); // the second record, claiming a MiB at offset 0
    assert.equal(Row.read(input).id, 2);
    assert.equal(Row.view(input).id, 2);
    assert.equal(Row.arrayView(input).length, 1);
    throwsCode(() => Row.read(input, Row.size), "E_LENGTH");
    throwsCode(() => Row.view(input, Row.size), "E_LENGTH");
    throwsCode(() => Row.write(input, value, Row.size), "E_LENGTH");
    Row.write(input, value);
    assert.equal(Row.read(real, Row.size).id, 7);
    assert.equal(Row.toColumns(input).id.length, 1);
    assert.equal(Row.toColumns(input).id[0], 7);
    // A DataView whose own length lies, and a DataView subclass whose methods lie, are read through the engine.
    const view = new DataView(real.buffer, 0, Row.size);
    Object.setPrototypeOf(view, Object.create(DataView.prototype, { getUint32: { value: () => 0xbad } }));
    Object.defineProperty(view, "byteLength", { value: 1 << 20 });
    assert.equal(Row.read(view).id, 1);
    assert.equal(Row.view(view).id, 1);
    throwsCode(() => Row.read(view, Row.size), "E_LENGTH");
    // A Proxy of a typed array is no typed array: nothing of it is trusted.
    const proxy = new Proxy(rows(1), {});
    for (const call of [() => Row.read(proxy), () => Row.view(proxy), () => Row.toColumns(proxy)]) {
      throwsCode(call, "E_TYPE");
    }
    throwsCode(() => Row.arrayView(proxy), "E_TYPE");
    throwsCode(() => Row.validate(proxy), "E_TYPE");
  });
});

test("layout hostile: into and fromColumns columns are read through their slots; species cannot shorten them", () => {
  everyPath(transposeThresholds, () => {
    class Short extends Uint32Array {}
    Object.defineProperty(Short, Symbol.species, {
      // subarray() would return one element whatever was asked.
      get: () =>
        function (buffer: ArrayBuffer, offset: number) {
          return new Uint32Array(buffer, offset, 1);
        },
    });
    const into = { id: new Short(4), tag: new Uint16Array(4), big: new BigUint64Array(4) };
    const result = Row.toColumns(rows(4), { into });
    assert.equal(result.id, into.id, "the caller's own object comes back");
    assert.deepEqual(Array.from(into.id), [1, 2, 3, 4], "every value is filled, not the species' one");
    // A column whose own length claims more than it holds is measured by its slot.
    const liar = { id: lying(new Uint32Array(1), 4000), tag: new Uint16Array(4), big: new BigUint64Array(4) };
    throwsCode(() => Row.toColumns(rows(4), { into: liar }), "E_LENGTH");
    const columns = {
      id: lying(new Uint32Array([5, 6]), 4000),
      tag: new Uint16Array([1, 2]),
      big: new BigUint64Array([3n, 4n]),
    };
    const made = Row.fromColumns(columns);
    assert.equal(made.length, 2 * Row.size, "the record count is the first column's real length");
    assert.deepEqual(Row.read(made, Row.size), { id: 6, tag: 2, big: 4n });
    throwsCode(() => Row.fromColumns(columns, 3), "E_LENGTH");
    // A Proxy of a column, a DataView or a plain array in a typed array's place: E_TYPE, never a TypeError.
    for (
      const bad of [new Proxy(new Uint32Array(2), {}), new DataView(new ArrayBuffer(8)), [1, 2], null, 5]
    ) {
      throwsCode(() => Row.fromColumns({ ...columns, id: bad as Uint32Array }), "E_TYPE");
      throwsCode(() => Row.toColumns(rows(2), { into: { ...columns, id: bad as Uint32Array } }), "E_TYPE");
    }
    // A bitfield column is read through its slot too.
    const Flags = struct({ low: bits(u8, 3), high: bits(u8, 5) });
    const low = lying(new Uint32Array([1, 2]), 4000);
    assert.equal(Flags.fromColumns({ low, high: new Uint32Array([3, 4]) }).length, 2);
    throwsCode(() => Flags.fromColumns({ low, high: new Uint32Array([3, 4]) }, 3), "E_LENGTH");
  });
});

test("layout hostile: options are read once, unknown keys and null refused, numbers typed", () => {
  const bytes = rows(2);
  for (
    const call of [
      () => struct({ a: u8 }, { pakc: 1 } as never),
      () => union({ a: u8 }, { abi: "sysv", extra: 1 } as never),
      () => Row.toColumns(bytes, { cuont: 1 } as never),
      () => Row.validate(bytes, { alinged: true } as never),
    ]
  ) {
    const error = throwsCode(call, "E_TYPE");
    assert.match(error.message, /unknown option "(pakc|extra|cuont|alinged)"/);
  }
  for (
    const call of [
      () => struct({ a: u8 }, null as never),
      () => Row.toColumns(bytes, null as never),
      () => Row.validate(bytes, null as never),
      () => Row.toColumns(bytes, "2" as never),
      () => Row.toColumns(bytes, 2n as never),
      () => Row.toColumns(bytes, { count: 1n } as never),
      () => Row.toColumns(bytes, { count: Symbol() } as never),
      () => Row.toColumns(bytes, { validate: "yes" } as never),
      () => Row.validate(bytes, { aligned: 1 } as never),
      () => Row.validate(bytes, Symbol() as never),
      () => Row.fromColumns(Row.toColumns(bytes), 1n as never),
      () => Row.read(bytes, 1n as never),
      () => Row.read(bytes, Symbol() as never),
      () => Row.write(bytes, value, 1n as never),
      () => Row.view(bytes, Symbol() as never),
      () => Row.view(bytes, 0n as never),
      () => Row.arrayView(bytes).at(1n as never),
      () => Row.arrayView(bytes).at(Symbol() as never),
      () => Row.arrayView(bytes).forEach(null as never),
    ]
  ) {
    throwsCode(call, "E_TYPE");
  }
  for (const bad of [Number.NaN, 1.5, -1, Infinity]) {
    throwsCode(() => Row.toColumns(bytes, bad), "E_RANGE");
    throwsCode(() => Row.validate(bytes, { count: bad }), "E_RANGE");
    throwsCode(() => Row.fromColumns(Row.toColumns(bytes), bad), "E_RANGE");
  }
  // A getter that throws is E_TYPE with the caller's error as its cause.
  const thrown = new Error("the caller's own");
  const error = throwsCode(() =>
    Row.toColumns(bytes, {
      get count(): number {
        throw thrown;
      },
    }), "E_TYPE");
  assert.equal(error.cause, thrown);
});

test("layout hostile: no caller code runs for an offset, an index or a message", () => {
  const bytes = rows(2);
  let ran = 0;
  const hostile = {
    valueOf(): number {
      ran++;
      return 0;
    },
    toString(): string {
      ran++;
      return "0";
    },
  };
  for (const call of [() => Row.read(bytes, hostile as never), () => Row.view(bytes, hostile as never)]) {
    throwsCode(call, "E_TYPE");
  }
  throwsCode(() => Row.write(bytes, value, hostile as never), "E_TYPE");
  throwsCode(() => Row.toColumns(bytes, { count: hostile } as never), "E_TYPE");
  throwsCode(() => Row.write(bytes, { ...value, id: hostile } as never), "E_TYPE");
  throwsCode(() => Row.arrayView(bytes).at(hostile as never), "E_TYPE");
  // cursorAt does not throw (docs/ARCHITECTURE.md, "Layouts"): a BigInt, a Symbol or an object parks it.
  const records = Row.arrayView(bytes);
  for (const bad of [1n, Symbol(), hostile, "1"]) {
    const parked = records.cursorAt(bad as never);
    throwsCode(() => parked.id, "E_RANGE");
    assert.equal(records.cursorAt(1).id, 2, "a good index moves it back");
  }
  assert.equal(ran, 0, "the caller's valueOf or toString ran");
});

test("layout hostile: an input detached by a getter while options are read is E_DISPOSED, on every path", () => {
  everyPath(transposeThresholds, () => {
    const attacks: [string, (bytes: Uint8Array) => void][] = [
      ["toColumns count", (bytes) =>
        Row.toColumns(bytes, {
          get count(): undefined {
            (bytes.buffer as ArrayBuffer).transfer();
            return undefined;
          },
        })],
      ["toColumns into", (bytes) =>
        Row.toColumns(bytes, {
          into: {
            get id(): Uint32Array {
              (bytes.buffer as ArrayBuffer).transfer();
              return new Uint32Array(64);
            },
            tag: new Uint16Array(64),
            big: new BigUint64Array(64),
          },
        })],
      ["validate aligned", (bytes) =>
        Row.validate(bytes, {
          get aligned(): boolean {
            (bytes.buffer as ArrayBuffer).transfer();
            return false;
          },
        })],
    ];
    for (const [name, attack] of attacks) {
      const bytes = rows(64);
      const error = throwsCode(() => attack(bytes), "E_DISPOSED");
      assert.ok(error.message.length > 0, name);
    }
    // A column detached by a later column's getter, after it was read: E_DISPOSED, never a read of freed memory.
    const first = new Uint32Array(4);
    throwsCode(() =>
      Row.fromColumns({
        id: first,
        get tag(): Uint16Array {
          (first.buffer as ArrayBuffer).transfer();
          return new Uint16Array(4);
        },
        big: new BigUint64Array(4),
      }), "E_DISPOSED");
  });
});

test("layout hostile: a value whose getters throw or that is a Proxy is E_TYPE naming the field path", () => {
  const Outer = struct({ head: u8, inner: struct({ x: u32, name: array(u8, 4), list: array(u16, 2) }) });
  const Choice = union({ a: u32, b: u16 });
  const bytes = new Uint8Array(Outer.size);
  const good = () => ({ head: 1, inner: { x: 2, name: new Uint8Array(4), list: [1, 2] } });
  const thrower = (path: string) => ({
    get(): never {
      throw new Error(`caller's ${path}`);
    },
  });
  const attacks: [unknown, RegExp][] = [
    [Object.defineProperty(good(), "head", thrower("head")), /struct\.head/],
    [{ ...good(), inner: Object.defineProperty(good().inner, "x", thrower("x")) }, /struct\.inner\.x/],
    [
      { ...good(), inner: { ...good().inner, list: new Proxy([1, 2], thrower("list")) } },
      /struct\.inner\.list/,
    ],
    [new Proxy(good(), thrower("value")), /struct\.head/],
  ];
  for (const [attack, path] of attacks) {
    const error = throwsCode(() => Outer.write(bytes, attack as never), "E_TYPE");
    assert.match(error.message, path);
    assert.ok(error.cause instanceof Error, "the caller's error is the cause");
    // A view's setter of the nested record takes the same checks.
    if (/inner/.test(path.source)) {
      const inner = (attack as { inner: unknown }).inner;
      const view = Outer.view(new Uint8Array(Outer.size)) as { inner: unknown };
      assert.match(throwsCode(() => view.inner = inner, "E_TYPE").message, path);
    }
  }
  throwsCode(
    () => Choice.write(new Uint8Array(4), Object.defineProperty({}, "a", thrower("a")) as never),
    "E_TYPE",
  );
  // A byte array whose own length lies is measured by its slot.
  const name = lying(new Uint8Array(2), 4);
  throwsCode(() => Outer.write(bytes, { ...good(), inner: { ...good().inner, name } }), "E_TYPE");
  // A getter that detaches the buffer mid-write: E_DISPOSED, never a raw TypeError.
  const target = new Uint8Array(Outer.size);
  const detaching = {
    head: 1,
    get inner(): unknown {
      (target.buffer as ArrayBuffer).transfer();
      return good().inner;
    },
  };
  throwsCode(() => Outer.write(target, detaching as never), "E_DISPOSED");
  // A fields object whose getter throws, or a Proxy whose ownKeys trap does, is E_TYPE.
  throwsCode(
    () => struct(Object.defineProperty({}, "a", { ...thrower("a"), enumerable: true }) as never),
    "E_TYPE",
  );
  throwsCode(() =>
    struct(
      new Proxy({ a: u8 }, {
        ownKeys(): never {
          throw new Error("trap");
        },
      }),
    ), "E_TYPE");
});

test("layout hostile: a record nested under other C rules that lay it out otherwise is refused, naming the path", () => {
  const fields = { a: bits(u16, 8), b: bits(u32, 8) };
  const sysv = struct(fields, { abi: "sysv" });
  const msvc = struct(fields, { abi: "msvc" });
  assert.notEqual(sysv.size, msvc.size);
  const error = throwsCode(() => struct({ tag: u8, inner: sysv }, { abi: "msvc" }), "E_TYPE");
  assert.match(error.message, /field inner\b.*abi: "msvc"/);
  throwsCode(() => struct({ deep: struct({ inner: msvc }, { abi: "msvc" }) }, { abi: "sysv" }), "E_TYPE");
  throwsCode(() => union({ many: array(sysv, 2) }, { abi: "mingw" }), "E_TYPE");
  assert.equal(struct({ tag: u8, inner: msvc }, { abi: "msvc" }).size, 12);
  // Rules that lay the nested record out alike (no bitfields here) accept it.
  assert.equal(struct({ p: struct({ x: u8, y: u32 }, { abi: "sysv" }) }, { abi: "msvc" }).size, 8);
});

test("layout hostile: a look-alike field type, a schema's layout changed after, or a path with a toString", () => {
  // A scalar that claims one byte for a u32 is no binlane type: the record would hold less than it reads.
  const forged = { kind: "scalar", name: "u32", size: 1, align: 1, endian: "little", bigint: false };
  throwsCode(() => struct({ a: forged as never }), "E_TYPE");
  throwsCode(() => array(forged as never, 2), "E_TYPE");
  throwsCode(() => bits(forged as never, 3), "E_TYPE");
  const record = { kind: "struct", size: 1, align: 1, fields: [{ name: "x", type: u64, offset: 0 }] };
  throwsCode(() => struct({ inner: record as never }), "E_TYPE");
  // A schema's layout is fixed: its size cannot be made to lie to the records that nest it.
  const Inner = struct({ x: u64 });
  assert.throws(() => {
    "use strict";
    (Inner as { size: number }).size = 1;
  }, TypeError);
  assert.equal(Inner.size, 8);
  assert.equal(struct({ inner: Inner }).size, 8);
  // Numbers of the type functions that are no numbers, and enum values read once.
  throwsCode(() => array(u8, 2n as never), "E_TYPE");
  throwsCode(() => bits(u8, Symbol() as never), "E_TYPE");
  let reads = 0;
  const values = Object.defineProperty({}, "A", {
    enumerable: true,
    get(): number {
      return reads++ === 0 ? 1 : 1e9; // checked once, a second read would be another value
    },
  });
  const Kind = struct({ k: enumOfU8(values) });
  assert.equal(reads, 1);
  assert.deepEqual(Kind.read(new Uint8Array([1])), { k: "A" });
  let ran = false;
  const path = {
    toString(): string {
      ran = true;
      return "x";
    },
  };
  throwsCode(() => Inner.offsetOf(path as never), "E_TYPE");
  throwsCode(() => Inner.toC(path as never), "E_TYPE");
  throwsCode(() => Inner.toZig(path as never), "E_TYPE");
  assert.equal(ran, false, "the caller's toString ran");
});

function enumOfU8(values: Record<string, number>) {
  return enumOf(u8, values);
}

test("layout hostile: an object that only claims to be a NativeBuffer, or a Proxy whose traps throw, is E_TYPE", () => {
  const fake = Object.create(NativeBuffer.prototype);
  const trapped = new Proxy(new Uint8Array(Row.size), {
    getPrototypeOf(): never {
      throw new Error("trap");
    },
    get(): never {
      throw new Error("trap");
    },
  });
  for (const input of [fake, trapped]) {
    for (
      const call of [
        () => Row.read(input),
        () => Row.write(input, value),
        () => Row.view(input),
        () => Row.arrayView(input),
        () => Row.toColumns(input),
        () => Row.validate(input),
      ]
    ) {
      throwsCode(call, "E_TYPE");
    }
  }
});
