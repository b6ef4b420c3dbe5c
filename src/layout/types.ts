/**
 * The field types of a binary record schema: scalars in either byte order,
 * `bool8`, sized enums, fixed arrays, bitfields and padding. Structs and
 * unions (src/layout/schema.ts) are field types too.
 *
 * @module
 */

import { BinlaneError } from "../errors.ts";
import { describeValue } from "../options.ts";

/** Every field type binlane made: a caller's object that only looks like one (a size that lies) is not. */
const genuine = new WeakSet<object>();

/** Freezes a field type and records it as binlane's own. */
function made<T extends object>(type: T): T {
  genuine.add(Object.freeze(type));
  return type;
}

/**
 * Records a record schema as a genuine field type; the schema's
 * constructor calls it once its layout is fixed.
 *
 * @example
 * ```ts
 * import { isFieldType, markFieldType } from "./types.ts";
 *
 * const record = {};
 * markFieldType(record);
 * if (!isFieldType(record)) throw new Error("a marked record is a field type");
 * ```
 */
export function markFieldType(record: object): void {
  genuine.add(record);
}

/**
 * Whether `value` is a field type binlane made (`u32`, `array(...)`, a
 * schema, ...), not a caller's look-alike.
 *
 * @example
 * ```ts
 * import { isFieldType, u32 } from "./types.ts";
 *
 * if (!isFieldType(u32) || isFieldType({ kind: "scalar", name: "u32", size: 1, align: 1 })) {
 *   throw new Error("wrong answer");
 * }
 * ```
 */
export function isFieldType(value: unknown): value is FieldType {
  return typeof value === "object" && value !== null && genuine.has(value);
}

/** The scalar element types. */
export type ScalarName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64";

/** Byte order: least significant byte first, or most significant first. */
export type Endian = "little" | "big";

/** A number, or for 64-bit integers a BigInt or (checked) number. */
export interface ScalarType<V = number | bigint, N extends ScalarName = ScalarName> {
  /** Discriminant. */
  readonly kind: "scalar";
  /** The element type's name. */
  readonly name: N;
  /** Bytes. */
  readonly size: 1 | 2 | 4 | 8;
  /** Alignment in bytes. */
  readonly align: number;
  /** Byte order in memory. */
  readonly endian: Endian;
  /** 64-bit integers: read as BigInt (true) or as a number that must stay below 2^53 (false). */
  readonly bigint: boolean;
  /** Phantom: the value type. */
  readonly value?: V;
}

/** A byte that must be 0 or 1, read as a boolean. */
export interface Bool8Type {
  /** Discriminant. */
  readonly kind: "bool8";
  /** Bytes. */
  readonly size: 1;
  /** Natural alignment. */
  readonly align: 1;
  /** Phantom: the value type. */
  readonly value?: boolean;
}

/** An integer of `storage` that must hold one of the declared values; read as the value's name. */
export interface EnumType<N extends string = string> {
  /** Discriminant. */
  readonly kind: "enum";
  /** The integer type the value is stored as. */
  readonly storage: ScalarType<number>;
  /** Name to stored value. */
  readonly values: Readonly<Record<N, number>>;
  /** Bytes. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
  /** Phantom: the value type. */
  readonly value?: N;
}

/** `length` elements of `element`, back to back. */
export interface ArrayType<E extends FieldType = FieldType> {
  /** Discriminant. */
  readonly kind: "array";
  /** The element type. */
  readonly element: E;
  /** Elements. */
  readonly length: number;
  /** Bytes. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
}

/** A bitfield of `width` bits declared with the integer type `storage`. */
export interface BitsType {
  /** Discriminant. */
  readonly kind: "bits";
  /** The integer type the value is stored as. */
  readonly storage: ScalarType<number>;
  /** Bits. */
  readonly width: number;
  /** Read sign-extended. */
  readonly signed: boolean;
  /** Bytes. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
  /** Phantom: the value type. */
  readonly value?: number;
}

/** Explicit padding: `size` bytes nobody reads. */
export interface PadType {
  /** Discriminant. */
  readonly kind: "pad";
  /** Bytes. */
  readonly size: number;
  /** Natural alignment. */
  readonly align: 1;
}

/** A record laid out from named fields: a struct or a union. */
export interface RecordType {
  /** Discriminant. */
  readonly kind: "struct" | "union";
  /** Bytes. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
  /** The alignment `align` options demand (Microsoft's `pack` does not cap it). */
  readonly requiredAlign?: number;
  /** The fields with their places. */
  readonly fields: readonly PlacedField[];
}

/** Every field type. */
export type FieldType = ScalarType | Bool8Type | EnumType | ArrayType | BitsType | PadType | RecordType;

/** A field with its computed place. */
export interface PlacedField {
  /** The field's name. */
  readonly name: string;
  /** The field's type. */
  readonly type: FieldType;
  /** Byte offset in the record (for a bitfield, of its first byte's containing unit: see `bitOffset`). */
  readonly offset: number;
  /** Bitfields: the bit offset from the start of the record (little-endian bit numbering). */
  readonly bitOffset?: number;
}

function scalar(name: ScalarName, size: 1 | 2 | 4 | 8): ScalarType {
  return made({
    kind: "scalar",
    name,
    size,
    align: size,
    endian: "little",
    bigint: size === 8 && name[0] !== "f",
  });
}

/** Unsigned 8-bit integer. */
export const u8: ScalarType<number, "u8"> = scalar("u8", 1) as ScalarType<number, "u8">;
/** Unsigned 16-bit integer, little-endian. */
export const u16: ScalarType<number, "u16"> = scalar("u16", 2) as ScalarType<number, "u16">;
/** Unsigned 32-bit integer, little-endian. */
export const u32: ScalarType<number, "u32"> = scalar("u32", 4) as ScalarType<number, "u32">;
/** Unsigned 64-bit integer, little-endian, read as a BigInt. */
export const u64: ScalarType<bigint, "u64"> = scalar("u64", 8) as ScalarType<bigint, "u64">;
/** Signed 8-bit integer. */
export const i8: ScalarType<number, "i8"> = scalar("i8", 1) as ScalarType<number, "i8">;
/** Signed 16-bit integer, little-endian. */
export const i16: ScalarType<number, "i16"> = scalar("i16", 2) as ScalarType<number, "i16">;
/** Signed 32-bit integer, little-endian. */
export const i32: ScalarType<number, "i32"> = scalar("i32", 4) as ScalarType<number, "i32">;
/** Signed 64-bit integer, little-endian, read as a BigInt. */
export const i64: ScalarType<bigint, "i64"> = scalar("i64", 8) as ScalarType<bigint, "i64">;
/** IEEE 754 single precision, little-endian. */
export const f32: ScalarType<number, "f32"> = scalar("f32", 4) as ScalarType<number, "f32">;
/** IEEE 754 double precision, little-endian. */
export const f64: ScalarType<number, "f64"> = scalar("f64", 8) as ScalarType<number, "f64">;

/**
 * A byte that must be 0 or 1, read and written as a boolean.
 *
 * @example
 * ```ts
 * import { bool8, struct } from "@binlane/binlane";
 *
 * console.log(struct({ ok: bool8 }).size); // 1
 * ```
 */
export const bool8: Bool8Type = made({ kind: "bool8", size: 1, align: 1 });

/**
 * `type` in big-endian byte order.
 *
 * @example
 * ```ts
 * import { be, struct, u32 } from "@binlane/binlane";
 *
 * const Header = struct({ length: be(u32) });
 * console.log(Header.read(new Uint8Array([0, 0, 1, 0])).length); // 256
 * ```
 */
export function be<T extends ScalarType>(type: T): T {
  return made({ ...checkScalar(type, "be"), endian: "big" }) as T;
}

/**
 * `type` in little-endian byte order (the default).
 *
 * @example
 * ```ts
 * import { le, u16 } from "@binlane/binlane";
 *
 * console.log(le(u16).endian); // "little"
 * ```
 */
export function le<T extends ScalarType>(type: T): T {
  return made({ ...checkScalar(type, "le"), endian: "little" }) as T;
}

/**
 * A 64-bit integer read as a JS number, checked: a value above 2^53 - 1 (or
 * below -(2^53 - 1)) is `E_RANGE` on read and on write, never rounded.
 *
 * @example
 * ```ts
 * import { asNumber, struct, u64 } from "@binlane/binlane";
 *
 * const Tick = struct({ ts: asNumber(u64) });
 * console.log(Tick.read(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])).ts); // 1
 * ```
 */
export function asNumber(type: ScalarType<bigint>): ScalarType<number> {
  const checked = checkScalar(type, "asNumber");
  if (checked.size !== 8 || checked.name[0] === "f") {
    throw new BinlaneError("E_TYPE", `asNumber takes u64 or i64, got ${checked.name}`);
  }
  return made({ ...checked, bigint: false }) as ScalarType<number>;
}

function checkScalar<T extends ScalarType>(type: T, name: string): T {
  if (!isFieldType(type) || type.kind !== "scalar") {
    throw new BinlaneError("E_TYPE", `${name} takes a scalar type, got ${describeValue(type)}`);
  }
  return type;
}

/** Big-endian variants of every multi-byte scalar. */
export const u16be: ScalarType<number, "u16"> = be(u16);
/** Big-endian u32. */
export const u32be: ScalarType<number, "u32"> = be(u32);
/** Big-endian u64. */
export const u64be: ScalarType<bigint, "u64"> = be(u64);
/** Big-endian i16. */
export const i16be: ScalarType<number, "i16"> = be(i16);
/** Big-endian i32. */
export const i32be: ScalarType<number, "i32"> = be(i32);
/** Big-endian i64. */
export const i64be: ScalarType<bigint, "i64"> = be(i64);
/** Big-endian f32. */
export const f32be: ScalarType<number, "f32"> = be(f32);
/** Big-endian f64. */
export const f64be: ScalarType<number, "f64"> = be(f64);

/**
 * A fixed array of `length` elements, as `T name[length]` in C. Arrays of
 * `u8` are byte strings, read as `Uint8Array`.
 *
 * @example
 * ```ts
 * import { array, struct, u8, u32 } from "@binlane/binlane";
 *
 * console.log(struct({ symbol: array(u8, 8), values: array(u32, 3) }).size); // 20
 * ```
 */
export function array<E extends FieldType>(element: E, length: number): ArrayType<E> {
  if (typeof length !== "number") {
    throw new BinlaneError("E_TYPE", `array length must be a number, got ${describeValue(length)}`);
  }
  if (!Number.isInteger(length) || length < 1 || length > 1 << 24) {
    throw new BinlaneError(
      "E_RANGE",
      `array length must be an integer from 1 to 2^24, got ${describeValue(length)}`,
    );
  }
  if (!isFieldType(element) || element.kind === "pad" || element.kind === "bits") {
    throw new BinlaneError(
      "E_TYPE",
      "array elements must be a scalar, bool8, enum, array, struct or union type",
    );
  }
  return made({ kind: "array", element, length, size: element.size * length, align: element.align });
}

/**
 * An enum stored as `storage` (u8, u16 or u32, or their signed forms):
 * read as the name of its value; an undeclared value is a validation error.
 *
 * @example
 * ```ts
 * import { enumOf, struct, u8 } from "@binlane/binlane";
 *
 * const Side = enumOf(u8, { BUY: 1, SELL: 2 });
 * console.log(struct({ side: Side }).read(new Uint8Array([2])).side); // "SELL"
 * ```
 */
export function enumOf<const V extends Record<string, number>>(
  storage: ScalarType<number>,
  values: V,
): EnumType<Extract<keyof V, string>> {
  const base = checkScalar(storage, "enumOf");
  if (base.size > 4 || base.name[0] === "f") {
    throw new BinlaneError("E_TYPE", `enum storage must be an integer of up to 32 bits, got ${base.name}`);
  }
  const bits = 8 * base.size;
  const [low, high] = base.name[0] === "i" ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  const seen = new Set<number>();
  // Read once: the frozen copy holds exactly the values checked here.
  let entries: [string, unknown][];
  try {
    entries = Object.entries(values as object);
  } catch (cause) {
    throw new BinlaneError("E_TYPE", "enumOf: the object of values cannot be read", { cause });
  }
  const own: Record<string, number> = {};
  for (const [name, value] of entries) {
    if (typeof value !== "number") {
      throw new BinlaneError("E_TYPE", `enum value ${name} must be a number, got ${describeValue(value)}`);
    }
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new BinlaneError("E_RANGE", `enum value ${name} = ${value} does not fit ${base.name}`);
    }
    own[name] = value;
    if (seen.has(value)) {
      throw new BinlaneError("E_INVALID_ARGUMENT", `enum value ${value} is declared twice`);
    }
    seen.add(value);
  }
  if (seen.size === 0) throw new BinlaneError("E_INVALID_ARGUMENT", "an enum needs at least one value");
  return made({
    kind: "enum",
    storage: base,
    values: Object.freeze(own),
    size: base.size,
    align: base.align,
  }) as EnumType<Extract<keyof V, string>>;
}

/**
 * A bitfield of `width` bits declared with the integer type `storage` (as
 * `uint32_t name : width` in C); laid out per the struct's ABI. Signed
 * storage reads sign-extended. Little-endian storage only.
 *
 * @example
 * ```ts
 * import { bits, struct, u32 } from "@binlane/binlane";
 *
 * const Flags = struct({ kind: bits(u32, 3), length: bits(u32, 29) });
 * console.log(Flags.size, Flags.read(new Uint8Array([0x0d, 0, 0, 0]))); // 4 { kind: 5, length: 1 }
 * ```
 */
export function bits(storage: ScalarType<number>, width: number): BitsType {
  const base = checkScalar(storage, "bits");
  if (base.size > 4 || base.name[0] === "f" || base.endian !== "little") {
    throw new BinlaneError(
      "E_TYPE",
      `bitfield storage must be a little-endian integer of up to 32 bits, got ${base.name}`,
    );
  }
  if (typeof width !== "number") {
    throw new BinlaneError("E_TYPE", `bitfield width must be a number, got ${describeValue(width)}`);
  }
  if (!Number.isInteger(width) || width < 1 || width > 8 * base.size) {
    throw new BinlaneError(
      "E_RANGE",
      `bitfield width must be 1 to ${8 * base.size} for ${base.name}, got ${describeValue(width)}`,
    );
  }
  return made({
    kind: "bits",
    storage: base,
    width,
    signed: base.name[0] === "i",
    size: base.size,
    align: base.align,
  });
}

/**
 * Explicit padding of `size` bytes, never read (zero in new records).
 *
 * @example
 * ```ts
 * import { pad, struct, u8 } from "@binlane/binlane";
 *
 * console.log(struct({ a: u8, _reserved: pad(3), b: u8 }).offsetOf("b")); // 4
 * ```
 */
export function pad(size: number): PadType {
  if (typeof size !== "number") {
    throw new BinlaneError("E_TYPE", `pad size must be a number, got ${describeValue(size)}`);
  }
  if (!Number.isInteger(size) || size < 1 || size > 1 << 24) {
    throw new BinlaneError(
      "E_RANGE",
      `pad size must be an integer from 1 to 2^24, got ${describeValue(size)}`,
    );
  }
  return made({ kind: "pad", size, align: 1 });
}
