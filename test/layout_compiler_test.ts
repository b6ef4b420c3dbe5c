import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findZig } from "../build.ts";
import { type Abi, array, bits, type PlacedField, type Schema, struct, u16, u32, u8 } from "../mod.ts";
import { crossingStructs } from "../src/crossing.ts";
import { seededRandom, test } from "./harness.ts";
import { classic, randomSchema } from "./layout_schemas.ts";

/** The four targets, and whose bitfield rules each follows. */
const targets: [string, Abi][] = [
  ["x86_64-linux-gnu", "sysv"],
  ["aarch64-linux-gnu", "sysv"],
  ["x86_64-windows-gnu", "mingw"],
  ["x86_64-windows-msvc", "msvc"],
];

/** clang's `-fdump-record-layouts`: per record name, its direct bitfields as [name, first bit, width]. */
function dumpedBitfields(dump: string): Map<string, [string, number, number][]> {
  const records = new Map<string, [string, number, number][]>();
  let current: [string, number, number][] | undefined;
  for (const line of dump.split("\n")) {
    const header = line.match(/^\s+0 \| (?:struct|union) (\w+)$/);
    if (header) {
      current = [];
      records.set(header[1], current);
      continue;
    }
    // "     7:6-7 |   unsigned char c": byte 7, bits 6 to 7, a direct member (three spaces).
    const bitfield = line.match(/^\s+(\d+):(\d+)-(\d+) \| {3}\S.* (\w+)$/);
    if (bitfield && current) {
      const [, byte, first, last, name] = bitfield;
      current.push([name, 8 * Number(byte) + Number(first), Number(last) - Number(first) + 1]);
    }
  }
  return records;
}

/** Our bitfields of every record in `schema`, by the C name `toC` gives each. */
function ourBitfields(schema: Schema, name: string, out = new Map<string, [string, number, number][]>()) {
  const mine: [string, number, number][] = [];
  out.set(name, mine);
  const visit = (field: PlacedField, type: PlacedField["type"], path: string) => {
    if (type.kind === "struct" || type.kind === "union") ourBitfields(type as Schema, path, out);
    else if (type.kind === "array") visit(field, type.element, path);
  };
  for (const field of schema.fields) {
    if (field.type.kind === "bits") mine.push([field.name, field.bitOffset!, field.type.width]);
    else visit(field, field.type, `${name}_${field.name}`);
  }
  return out;
}

function compileZig(source: string, companions: Record<string, string> = {}): void {
  const directory = mkdtempSync(join(tmpdir(), "binlane-layout-zig-"));
  try {
    const file = join(directory, "layouts.zig");
    writeFileSync(file, source);
    for (const [name, text] of Object.entries(companions)) writeFileSync(join(directory, name), text);
    const zig = findZig();
    const result = spawnSync(zig[0], [
      ...zig.slice(1),
      "build-obj",
      file,
      "-target",
      "x86_64-linux",
      "-fno-emit-bin",
    ], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
      cwd: directory,
    });
    assert.equal(result.status, 0, `zig refused the declarations:\n${result.stderr.slice(0, 4000)}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function compile(target: string, source: string): string {
  const directory = mkdtempSync(join(tmpdir(), "binlane-layout-"));
  try {
    const file = join(directory, "layouts.c");
    writeFileSync(file, source);
    const zig = findZig();
    const result = spawnSync(zig[0], [
      ...zig.slice(1),
      "clang",
      "-target",
      target,
      "-ffreestanding",
      "-fsyntax-only",
      "-Xclang",
      "-fdump-record-layouts",
      file,
    ], { encoding: "utf8", maxBuffer: 1 << 28 });
    assert.equal(
      result.status,
      0,
      `${target}: the compiler refused the layouts:\n${result.stderr.slice(0, 4000)}`,
    );
    return result.stdout;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

test("layout: classic records and 600 random schemas match clang on four targets, bitfields included", () => {
  for (const [target, abi] of targets) {
    const random = seededRandom(0x1a7047);
    const schemas: [string, Schema][] = Object.entries(classic).map((
      [name, entry],
    ) => [name, entry.schema as Schema]);
    for (let i = 0; i < 600; i++) schemas.push([`R${i}`, randomSchema(random, abi)]);
    const source = schemas.map(([name, schema]) => schema.toC(name)).join("\n");
    const dump = dumpedBitfields(compile(target, source));
    let bitfields = 0;
    for (const [name, schema] of schemas) {
      for (const [record, expected] of ourBitfields(schema, name)) {
        if (expected.length === 0) continue;
        bitfields += expected.length;
        assert.deepEqual(dump.get(record), expected, `${target}: bitfields of ${record} (${name})`);
      }
    }
    assert.ok(bitfields > 500, `${target}: only ${bitfields} bitfields were compared`);
  }
}, 300_000);

test(
  "layout: Zig declarations of 605 schemas (sysv, msvc and mingw rules) compile with their comptime assertions",
  () => {
    const random = seededRandom(0x21a);
    const schemas: [string, Schema][] = Object.entries(classic).map((
      [name, entry],
    ) => [name, entry.schema as Schema]);
    for (const abi of ["sysv", "msvc", "mingw"] as const) {
      for (let i = 0; i < 200; i++) schemas.push([`Z${abi}${i}`, randomSchema(random, abi)]);
    }
    const source = [
      'const std = @import("std");',
      ...schemas.map(([name, schema]) => schema.toZig(name)),
      `comptime {\n${schemas.map(([name]) => `    _ = @sizeOf(${name});`).join("\n")}\n}`,
    ].join("\n");
    compileZig(source);
  },
  300_000,
);

/** Zig that asserts a schema declares exactly the layout of `abi.<name>`. */
function matchesAbiZig(name: string, schema: Schema): string {
  const names = schema.fields.map((field) => `"${field.name}"`).join(", ");
  return [
    schema.toZig(`Declared${name}`),
    "comptime {",
    `    const native = abi.${name};`,
    `    const declared = Declared${name};`,
    `    assert(@sizeOf(native) == ${schema.size} and @sizeOf(declared) == ${schema.size});`,
    `    assert(@alignOf(native) == ${schema.align} and @alignOf(declared) == ${schema.align});`,
    `    const names = .{ ${names} };`,
    `    assert(@typeInfo(native).@"struct".fields.len == names.len);`,
    "    for (names) |field| {",
    "        assert(@offsetOf(native, field) == @offsetOf(declared, field));",
    "        assert(@FieldType(native, field) == @FieldType(declared, field));",
    "    }",
    "}",
  ].join("\n");
}

test("layout: the structs that cross the boundary, as schemas, are native-zig/abi.zig's to the byte", () => {
  const prelude = [
    'const std = @import("std");',
    'const abi = @import("abi.zig");',
    "const assert = std.debug.assert;",
  ];
  const abiSource = readFileSync(new URL("../native-zig/abi.zig", import.meta.url), "utf8");
  const checks = crossingStructs.map(({ name, fields }) => matchesAbiZig(name, struct(fields)));
  compileZig([...prelude, ...checks].join("\n"), { "abi.zig": abiSource });
  // The control: the same fields in another order are refused.
  const { handle, address, size } = crossingStructs[1].fields;
  assert.equal(crossingStructs[1].name, "AllocResult");
  const reordered = matchesAbiZig("AllocResult", struct({ address, handle, size }));
  assert.throws(
    () => compileZig([...prelude, reordered].join("\n"), { "abi.zig": abiSource }),
    /zig refused/,
  );
}, 120_000);

test(
  "layout: a record nested in an msvc record is laid out by the msvc rules, as clang lays it out for MSVC",
  () => {
    // Two bitfields of different type sizes: the Itanium rules share one unit (4 bytes), Microsoft's do not (8).
    const fields = { a: bits(u16, 8), b: bits(u32, 8) };
    const underSysv = struct(fields, { abi: "sysv" });
    const underMsvc = struct(fields, { abi: "msvc" });
    // Declared by other rules, it would sit in the outer record at a size MSVC does not give it: refused.
    assert.throws(
      () => struct({ tag: u8, inner: underSysv }, { abi: "msvc" }),
      (error: unknown) =>
        (error as { code?: string }).code === "E_TYPE" && /field inner\b/.test(String(error)),
    );
    assert.throws(
      () =>
        struct({ tag: u8, runs: array(struct({ deep: underSysv }, { abi: "sysv" }), 2) }, { abi: "msvc" }),
      (error: unknown) =>
        (error as { code?: string }).code === "E_TYPE" && /field runs\.deep\b/.test(String(error)),
    );
    // A nested record without bitfields lays out alike under both rules, and is accepted.
    const plain = struct({ x: u8, y: u32 }, { abi: "sysv" });
    assert.equal(struct({ p: plain }, { abi: "msvc" }).size, 8);
    // Declared with the outer rules, the whole record is what clang gives x86_64-windows-msvc, checked to the bit.
    const Outer = struct({ tag: u8, inner: underMsvc, tail: bits(u8, 3) }, { abi: "msvc" });
    assert.equal(underMsvc.size, 8);
    const dump = dumpedBitfields(compile("x86_64-windows-msvc", Outer.toC("MixedOuter")));
    for (const [record, expected] of ourBitfields(Outer as unknown as Schema, "MixedOuter")) {
      if (expected.length > 0) assert.deepEqual(dump.get(record), expected, `bitfields of ${record}`);
    }
  },
  120_000,
);
