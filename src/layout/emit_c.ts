/**
 * C declarations of schemas: each record as a named struct or union, with
 * `#pragma pack` and `__attribute__((aligned))` where the schema asks, and
 * `_Static_assert`s on its size, alignment and every field offset, so that a
 * C compiler proves the layout. Freestanding: no header is included.
 *
 * @module
 */

import type { FieldType, PlacedField, RecordType, ScalarName } from "./types.ts";
import type { RecordOptions } from "./compute.ts";

/** A record with the options it was laid out with, as schema objects carry them. */
export interface EmittableRecord extends RecordType {
  readonly options: RecordOptions;
}

const cTypes: Record<ScalarName, string> = {
  u8: "unsigned char",
  u16: "unsigned short",
  u32: "unsigned int",
  u64: "unsigned long long",
  i8: "signed char",
  i16: "short",
  i32: "int",
  i64: "long long",
  f32: "float",
  f64: "double",
};

interface Emitter {
  readonly definitions: string[];
  readonly named: Map<EmittableRecord, string>;
}

/** The C type of `type` and the array suffix that follows the field name. */
function cType(
  emitter: Emitter,
  type: FieldType,
  path: string,
): { base: string; suffix: string; comment: string } {
  switch (type.kind) {
    case "scalar": {
      const comment = type.size > 1 && type.endian === "big" ? " /* big-endian */" : "";
      return { base: cTypes[type.name], suffix: "", comment };
    }
    case "bool8":
      return { base: "unsigned char", suffix: "", comment: " /* bool8: 0 or 1 */" };
    case "enum":
      return {
        base: cTypes[type.storage.name],
        suffix: "",
        comment: ` /* enum: ${Object.keys(type.values).join(", ")} */`,
      };
    case "bits":
      return { base: cTypes[type.storage.name], suffix: ` : ${type.width}`, comment: "" };
    case "pad":
      return { base: "unsigned char", suffix: `[${type.size}]`, comment: " /* padding */" };
    case "array": {
      const inner = cType(emitter, type.element, path);
      return { base: inner.base, suffix: `[${type.length}]${inner.suffix}`, comment: inner.comment };
    }
    default:
      return {
        base: `${type.kind} ${declare(emitter, type as EmittableRecord, path)}`,
        suffix: "",
        comment: "",
      };
  }
}

/** Emits `record` (and the records it contains, first) under `name`; returns its name. */
function declare(emitter: Emitter, record: EmittableRecord, name: string): string {
  const known = emitter.named.get(record);
  if (known) return known;
  emitter.named.set(record, name);
  const lines = record.fields.map((field) => {
    const { base, suffix, comment } = cType(emitter, field.type, `${name}_${field.name}`);
    return `  ${base} ${field.name}${suffix};${comment}`;
  });
  const { pack, align } = record.options;
  const attribute = align === undefined ? "" : ` __attribute__((aligned(${align})))`;
  const text = [
    ...(pack === undefined ? [] : [`#pragma pack(push, ${pack})`]),
    `${record.kind} ${name} {`,
    ...lines,
    `}${attribute};`,
    ...(pack === undefined ? [] : ["#pragma pack(pop)"]),
  ];
  emitter.definitions.push(text.join("\n"));
  return name;
}

/** Every field path with a byte offset a C compiler can check (bitfields have none), and its offset. */
export function offsetPaths(record: RecordType, prefix = "", base = 0): [string, number][] {
  const out: [string, number][] = [];
  const visit = (type: FieldType, path: string, offset: number) => {
    out.push([path, offset]);
    if (type.kind === "array") {
      visit(type.element, `${path}[0]`, offset);
      if (type.length > 1) {
        visit(type.element, `${path}[${type.length - 1}]`, offset + (type.length - 1) * type.element.size);
      }
    } else if (type.kind === "struct" || type.kind === "union") {
      for (const field of type.fields) {
        if (field.type.kind !== "bits") visit(field.type, `${path}.${field.name}`, offset + field.offset);
      }
    }
  };
  for (const field of record.fields as PlacedField[]) {
    if (field.type.kind !== "bits") visit(field.type, `${prefix}${field.name}`, base + field.offset);
  }
  return out;
}

/**
 * C declarations of `record` named `name` (nested records get names of
 * their own, `name_field`), with compile-time checks of its layout.
 *
 * @example
 * ```ts
 * import { struct, u8, u32 } from "@binlane/binlane";
 * import { recordToC } from "./emit_c.ts";
 *
 * console.log(recordToC(struct({ a: u8, b: u32 }), "Pair").includes("struct Pair {")); // true
 * ```
 */
export function recordToC(record: EmittableRecord, name: string): string {
  const emitter: Emitter = { definitions: [], named: new Map() };
  declare(emitter, record, name);
  const checks: string[] = [];
  for (const [nested, nestedName] of emitter.named) {
    const tag = `${nested.kind} ${nestedName}`;
    checks.push(`_Static_assert(sizeof(${tag}) == ${nested.size}, "sizeof(${tag})");`);
    checks.push(`_Static_assert(_Alignof(${tag}) == ${nested.align}, "_Alignof(${tag})");`);
    for (const [path, offset] of offsetPaths(nested)) {
      checks.push(
        `_Static_assert(__builtin_offsetof(${tag}, ${path}) == ${offset}, "offsetof(${tag}, ${path})");`,
      );
    }
  }
  return [...emitter.definitions, ...checks].join("\n") + "\n";
}
