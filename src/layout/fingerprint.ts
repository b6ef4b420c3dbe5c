/**
 * A schema's fingerprint: a 64-bit hash of everything that decides how its
 * bytes are read (field names, kinds, sizes, offsets, bit positions,
 * endianness, enum values, the 64-bit policy), so that a frame's reader can
 * tell that its writer used another layout.
 *
 * @module
 */

import { xxh3 } from "../hash.ts";
import type { FieldType, PlacedField, RecordType } from "./types.ts";

/** One line per placed field, depth first: the canonical text the fingerprint hashes. */
function describe(type: FieldType): string {
  switch (type.kind) {
    case "scalar":
      // 64-bit integers read as checked numbers are marked: the reader's values differ in type.
      return `${type.name}${type.endian === "big" ? "be" : "le"}${
        type.size === 8 && type.name[0] !== "f" && !type.bigint ? "n" : ""
      }`;
    case "enum": {
      const values = Object.entries(type.values).map(([name, value]) => `${name}=${value}`).join(",");
      return `enum(${describe(type.storage)};${values})`;
    }
    case "bits":
      return `bits(${describe(type.storage)};${type.width};${type.signed ? "s" : "u"})`;
    case "array":
      return `array(${describe(type.element)};${type.length})`;
    case "struct":
    case "union": {
      const record = type as RecordType;
      const fields = record.fields.map((field: PlacedField) =>
        `${field.name}@${field.offset}${field.bitOffset === undefined ? "" : `.${field.bitOffset}`}:${
          describe(field.type)
        }`
      );
      return `${type.kind}(${type.size},${type.align};${fields.join(";")})`;
    }
    default:
      return `${type.kind}(${type.size})`;
  }
}

/**
 * The layout's canonical description, as hashed by {@linkcode layoutFingerprint}.
 *
 * @example
 * ```ts
 * import { struct, u8, u32 } from "@binlane/binlane";
 * import { layoutDescription } from "./fingerprint.ts";
 *
 * console.log(layoutDescription(struct({ a: u8, b: u32 }))); // "struct(8,4;a@0:u8le;b@4:u32le)"
 * ```
 */
export function layoutDescription(record: RecordType): string {
  return describe(record);
}

/**
 * XXH3-64 of the layout's canonical description: equal for schemas that
 * read bytes the same way, different (but for a 2^-64 chance) otherwise.
 *
 * @example
 * ```ts
 * import { struct, u32, u32be } from "@binlane/binlane";
 * import { layoutFingerprint } from "./fingerprint.ts";
 *
 * console.log(layoutFingerprint(struct({ a: u32 })) !== layoutFingerprint(struct({ a: u32be }))); // true
 * ```
 */
export function layoutFingerprint(record: RecordType): bigint {
  return xxh3(new TextEncoder().encode(describe(record)));
}
