/**
 * Zig declarations of schemas: each record as an `extern struct` or
 * `extern union` whose fields land at the C offsets because each carries
 * its alignment explicitly and gaps are spelled out as byte arrays.
 * Bitfield runs, which Zig's extern types cannot express, become opaque
 * byte regions with their bit positions in comments. Comptime assertions
 * check the size, alignment and every field offset.
 *
 * @module
 */

import type { EmittableRecord } from "./emit_c.ts";
import type { FieldType, PlacedField, ScalarName } from "./types.ts";

const zigTypes: Record<ScalarName, string> = {
  u8: "u8",
  u16: "u16",
  u32: "u32",
  u64: "u64",
  i8: "i8",
  i16: "i16",
  i32: "i32",
  i64: "i64",
  f32: "f32",
  f64: "f64",
};

interface Emitter {
  readonly definitions: string[];
  readonly named: Map<EmittableRecord, string>;
}

function zigType(emitter: Emitter, type: FieldType, path: string): string {
  switch (type.kind) {
    case "scalar":
      return zigTypes[type.name];
    case "bool8":
      return "u8";
    case "enum":
      return zigTypes[type.storage.name];
    case "pad":
      return `[${type.size}]u8`;
    case "array":
      return `[${type.length}]${zigType(emitter, type.element, path)}`;
    case "struct":
    case "union":
      return declare(emitter, type as EmittableRecord, path);
    default:
      return `[${type.size}]u8`;
  }
}

function comment(field: PlacedField): string {
  const type = field.type;
  if (type.kind === "scalar" && type.size > 1 && type.endian === "big") return " // big-endian";
  if (type.kind === "enum") return ` // enum: ${Object.keys(type.values).join(", ")}`;
  if (type.kind === "bool8") return " // bool8: 0 or 1";
  return "";
}

/**
 * Members of a struct. Every member is `align(1)`, so Zig places each right
 * after the one before; gaps (padding and bitfield runs) are spelled out as
 * byte arrays, so every offset is C's. The first member carries the
 * record's alignment.
 */
function structMembers(
  emitter: Emitter,
  record: EmittableRecord,
  name: string,
): { lines: string[]; checks: string[] } {
  const lines: string[] = [];
  const checks: string[] = [];
  let cursor = 0;
  let gaps = 0;
  const member = (fieldName: string, type: string, note: string) => {
    lines.push(
      `    ${fieldName}: ${type} align(${
        lines.every((l) => l.trimStart().startsWith("//")) ? record.align : 1
      }),${note}`,
    );
  };
  const gapTo = (to: number, note: string) => {
    if (to > cursor) member(`_gap${gaps++}`, `[${to - cursor}]u8`, note);
    cursor = Math.max(cursor, to);
  };
  for (const field of record.fields) {
    if (field.type.kind === "bits") {
      const last = field.bitOffset! + field.type.width - 1;
      lines.push(
        `    // bitfield ${field.name}: bits ${field.bitOffset}..${last} of the record (${field.type.storage.name})`,
      );
      continue;
    }
    gapTo(field.offset, "");
    member(`@"${field.name}"`, zigType(emitter, field.type, `${name}_${field.name}`), comment(field));
    cursor = field.offset + field.type.size;
    checks.push(`std.debug.assert(@offsetOf(${name}, "${field.name}") == ${field.offset});`);
  }
  gapTo(record.size, " // to the C size");
  return { lines, checks };
}

function unionMembers(
  emitter: Emitter,
  record: EmittableRecord,
  name: string,
): { lines: string[]; checks: string[] } {
  const lines: string[] = [];
  record.fields.forEach((field, i) => {
    const type = field.type.kind === "bits"
      ? `[${field.type.size}]u8`
      : zigType(emitter, field.type, `${name}_${field.name}`);
    const note = field.type.kind === "bits"
      ? ` // bitfield: bits 0..${field.type.width - 1}`
      : comment(field);
    lines.push(`    @"${field.name}": ${type} align(${i === 0 ? record.align : 1}),${note}`);
  });
  if (record.fields.every((field) => field.type.size < record.size)) {
    lines.push(`    _size: [${record.size}]u8 align(1), // to the C size`);
  }
  return { lines, checks: [] };
}

function declare(emitter: Emitter, record: EmittableRecord, name: string): string {
  const known = emitter.named.get(record);
  if (known) return known;
  emitter.named.set(record, name);
  const { lines, checks } = record.kind === "struct"
    ? structMembers(emitter, record, name)
    : unionMembers(emitter, record, name);
  emitter.definitions.push([
    `pub const ${name} = extern ${record.kind} {`,
    ...lines,
    "",
    "    comptime {",
    `        std.debug.assert(@sizeOf(${name}) == ${record.size});`,
    `        std.debug.assert(@alignOf(${name}) == ${record.align});`,
    ...checks.map((check) => `        ${check}`),
    "    }",
    "};",
  ].join("\n"));
  return name;
}

/**
 * Zig declarations of `record` named `name` (nested records get their own,
 * `name_field`), with comptime checks of the layout. Import `std` first.
 *
 * @example
 * ```ts
 * import { struct, u8, u32 } from "@binlane/binlane";
 * import { recordToZig } from "./emit_zig.ts";
 *
 * console.log(recordToZig(struct({ a: u8, b: u32 }), "Pair").includes("extern struct")); // true
 * ```
 */
export function recordToZig(record: EmittableRecord, name: string): string {
  const emitter: Emitter = { definitions: [], named: new Map() };
  declare(emitter, record, name);
  return emitter.definitions.join("\n\n") + "\n";
}
