import assert from "node:assert/strict";
import { array, bits, enumOf, pad, struct, u16, u32, u64, u8, union } from "../mod.ts";
import { test, throwsCode } from "./harness.ts";
import { classic } from "./layout_schemas.ts";

test("layout: the classic records have their C layouts", () => {
  for (const [name, { schema, size, align, offsets }] of Object.entries(classic)) {
    assert.equal(schema.size, size, `${name} size`);
    assert.equal(schema.align, align, `${name} align`);
    for (const [field, offset] of Object.entries(offsets)) {
      assert.equal(schema.offsetOf(field), offset, `${name}.${field}`);
    }
  }
});

test("layout: offsetOf walks nested records and arrays; pack, align and unions", () => {
  const Quote = struct({ price: u64, size: u32 });
  const Book = struct({ tag: u8, quotes: array(Quote, 3), tail: u16 });
  assert.equal(Quote.size, 16);
  assert.equal(Book.offsetOf("quotes.2.size"), 8 + 32 + 8);
  assert.equal(Book.size, 8 + 48 + 8);
  assert.equal(struct({ a: u8, b: u64 }, { pack: 2 }).offsetOf("b"), 2);
  assert.equal(struct({ a: u8 }, { align: 64 }).size, 64);
  assert.equal(union({ a: u32, b: array(u8, 5) }).size, 8);
  assert.equal(struct({ a: u8, _r: pad(3), b: u8 }).size, 5);
  // Bitfields: Itanium packs a:3 and b:29 into one u32; Microsoft too (same unit size).
  for (const abi of ["sysv", "msvc", "mingw"] as const) {
    const Flags = struct({ a: bits(u32, 3), b: bits(u32, 29), c: bits(u8, 2) }, { abi });
    assert.equal(Flags.fields[1].bitOffset, 3, abi);
    // Itanium puts c in the next byte; Microsoft opens a u8 unit after the u32 unit: both at byte 4.
    assert.equal(Flags.fields[2].bitOffset, 32, abi);
    assert.equal(Flags.size, 8, abi);
  }
});

test("layout: bad schemas are typed errors", () => {
  throwsCode(() => struct({}), "E_INVALID_ARGUMENT");
  throwsCode(() => struct({ "not-c": u8 }), "E_INVALID_ARGUMENT");
  throwsCode(() => struct({ a: u8 }, { pack: 3 as 1 }), "E_RANGE");
  throwsCode(() => struct({ a: u8 }, { align: 3 }), "E_ALIGNMENT");
  throwsCode(() => struct({ a: u8 }, { abi: "itanium" as "sysv" }), "E_TYPE");
  throwsCode(() => bits(u32, 33), "E_RANGE");
  throwsCode(() => bits(u64 as never, 3), "E_TYPE");
  throwsCode(() => array(u8, 0), "E_RANGE");
  throwsCode(() => enumOf(u8, { A: 256 }), "E_RANGE");
  throwsCode(() => enumOf(u8, { A: 1, B: 1 }), "E_INVALID_ARGUMENT");
  throwsCode(() => struct({ a: u8 }).offsetOf("b"), "E_INVALID_ARGUMENT");
  throwsCode(() => struct({ a: array(u8, 2) }).offsetOf("a.2"), "E_INVALID_ARGUMENT");
  throwsCode(() => struct({ a: u8 }).toC("1bad"), "E_INVALID_ARGUMENT");
});
