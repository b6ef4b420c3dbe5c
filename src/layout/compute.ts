/**
 * C layout rules: where each field of a struct or union goes, and the
 * record's size and alignment, as clang lays them out for x86-64 and
 * aarch64 Linux (SysV/AAPCS64, the Itanium record rules) and for Windows
 * (the Microsoft rules). The two differ only for bitfields here.
 *
 * @module
 */

import { BinlaneError } from "../errors.ts";
import { describeValue } from "../options.ts";
import { type BitsType, type FieldType, isFieldType, type PlacedField, type RecordType } from "./types.ts";

/**
 * Record rules: "sysv" is the Itanium rules of Linux and macOS (GCC,
 * clang); "msvc" the Microsoft rules of Windows (MSVC, clang-cl): other
 * bitfield allocation, and an `align` not capped by `pack`; "mingw" is GCC on
 * Windows: Microsoft's bitfields with GCC's `pack`.
 */
export type Abi = "sysv" | "msvc" | "mingw";

/** How a record is laid out. */
export interface RecordOptions {
  /** As `#pragma pack(N)`: no member aligned above N bytes. */
  pack?: 1 | 2 | 4 | 8 | 16;
  /** As `__attribute__((aligned(N)))` on the record: its alignment raised to N (a power of two). */
  align?: number;
  /** Record rules. Default: the running platform's ("msvc" on Windows, else "sysv"). */
  abi?: Abi;
}

/** A record's computed layout. */
export interface RecordLayout {
  readonly size: number;
  readonly align: number;
  /** The alignment its `align` options (its own and its members') demand, which Microsoft's `pack` does not cap. */
  readonly requiredAlign: number;
  readonly fields: readonly PlacedField[];
}

/**
 * A type's required alignment (Microsoft rules): a record with an `align`
 * option requires its whole alignment, and records require what their
 * non-bitfield members require, through arrays.
 */
function requiredAlignOf(type: FieldType): number {
  if (type.kind === "array") return requiredAlignOf(type.element);
  if (type.kind === "struct" || type.kind === "union") return type.requiredAlign ?? 1;
  return 1;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The platform's bitfield rules. */
export function defaultAbi(): Abi {
  // deno-lint-ignore no-explicit-any
  const anyGlobal = globalThis as any;
  const os: string | undefined = anyGlobal.Deno?.build?.os ?? anyGlobal.process?.platform;
  return os === "windows" || os === "win32" ? "msvc" : "sysv";
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkOptions(options: RecordOptions): void {
  const { pack, align, abi } = options;
  if (pack !== undefined && ![1, 2, 4, 8, 16].includes(pack)) {
    throw new BinlaneError("E_RANGE", `pack must be 1, 2, 4, 8 or 16, got ${describeValue(pack)}`);
  }
  if (
    align !== undefined &&
    (!Number.isInteger(align) || align < 1 || align > 4096 || (align & (align - 1)) !== 0)
  ) {
    throw new BinlaneError(
      "E_ALIGNMENT",
      `align must be a power of two from 1 to 4096, got ${describeValue(align)}`,
    );
  }
  if (abi !== undefined && abi !== "sysv" && abi !== "msvc" && abi !== "mingw") {
    throw new BinlaneError("E_TYPE", `abi must be "sysv", "msvc" or "mingw", got ${describeValue(abi)}`);
  }
}

function checkFields(entries: readonly (readonly [string, FieldType])[]): void {
  if (entries.length === 0) throw new BinlaneError("E_INVALID_ARGUMENT", "a record needs at least one field");
  for (const [name, type] of entries) {
    if (!IDENTIFIER.test(name)) {
      throw new BinlaneError(
        "E_INVALID_ARGUMENT",
        `field name ${JSON.stringify(name)} is not a C identifier`,
      );
    }
    if (!isFieldType(type)) {
      throw new BinlaneError(
        "E_TYPE",
        `field ${name} does not have a binlane field type, got ${describeValue(type)}`,
      );
    }
  }
}

/** Bitfield placement state across consecutive fields. */
interface BitState {
  /** Bits of the record used so far. */
  bits: number;
  /** Microsoft: the open storage unit's size in bytes (0: none), its start, and bits left in it. */
  unitSize: number;
  unitStart: number;
  unitLeft: number;
}

/**
 * Itanium: at the current bit, unless the field would cross an aligned unit
 * of its type; under `#pragma pack` (any value) never padded (clang's
 * ItaniumRecordLayoutBuilder::LayoutBitField, as GCC does).
 */
function placeSysvBits(state: BitState, type: BitsType, packed: boolean): number {
  const unitBits = 8 * type.align;
  let at = state.bits;
  if (!packed && (at % unitBits) + type.width > 8 * type.size) at = alignUp(at, unitBits);
  state.bits = at + type.width;
  return at;
}

/** Microsoft: in the open unit if it has the same size and room, else at a new unit of its type. */
function placeMsvcBits(state: BitState, type: BitsType, cap: number): number {
  if (state.unitSize === type.size && type.width <= state.unitLeft) {
    const at = 8 * state.unitStart + 8 * type.size - state.unitLeft;
    state.unitLeft -= type.width;
    return at;
  }
  const start = alignUp(Math.ceil(state.bits / 8), Math.min(type.align, cap));
  state.unitSize = type.size;
  state.unitStart = start;
  state.unitLeft = 8 * type.size - type.width;
  state.bits = 8 * (start + type.size);
  return 8 * start;
}

/**
 * Places `entries` as a struct (one after another) or a union (all at 0).
 *
 * @example
 * ```ts
 * import { layoutRecord } from "./compute.ts";
 * import { u8, u32, u64 } from "./types.ts";
 *
 * const layout = layoutRecord("struct", [["type", u8], ["len", u32], ["flags", u8], ["ts", u64]], {});
 * console.log(layout.size, layout.align, layout.fields[3].offset); // 24 8 16
 * ```
 */
export function layoutRecord(
  kind: "struct" | "union",
  entries: readonly (readonly [string, FieldType])[],
  options: RecordOptions,
): RecordLayout {
  checkOptions(options);
  checkFields(entries);
  const abi = options.abi ?? defaultAbi();
  for (const [name, type] of entries) checkNestedAbi(type, abi, name);
  return place(kind, entries, options, abi);
}

/** The rules a nested record was laid out by: its own `abi`, or the platform's. */
function abiOf(record: RecordType): Abi {
  return (record as { options?: RecordOptions }).options?.abi ?? defaultAbi();
}

/**
 * Refuses a record nested (directly or through arrays, at any depth) in a
 * record of rules `abi` that was laid out by other rules into another
 * layout: one compiler lays out a C struct and every struct in it, so the
 * nested record must be declared with the outer one's `abi`. A nested
 * record that the two rules lay out alike (no bitfields, no `align` under
 * `pack`) is accepted.
 */
function checkNestedAbi(type: FieldType, abi: Abi, path: string): void {
  if (type.kind === "array") return checkNestedAbi(type.element, abi, path);
  if (type.kind !== "struct" && type.kind !== "union") return;
  const own = abiOf(type);
  // Laid out by these rules: its own nested records were checked against them when it was made.
  if (own === abi) return;
  const entries = type.fields.map((field) => [field.name, field.type] as const);
  const options = (type as { options?: RecordOptions }).options ?? {};
  const again = place(type.kind, entries, { ...options, abi }, abi);
  const same = again.size === type.size && again.align === type.align &&
    again.requiredAlign === (type.requiredAlign ?? 1) &&
    again.fields.every((field, i) =>
      field.offset === type.fields[i].offset && field.bitOffset === type.fields[i].bitOffset
    );
  if (!same) {
    throw new BinlaneError(
      "E_TYPE",
      `field ${path}: a ${type.kind} laid out by the ${own} rules (size ${type.size}) sits in a record of the ` +
        `${abi} rules, which lay it out otherwise (size ${again.size}); declare it with abi: "${abi}"`,
    );
  }
  for (const field of type.fields) checkNestedAbi(field.type, abi, `${path}.${field.name}`);
}

/** `layoutRecord` once the options and fields are checked. */
function place(
  kind: "struct" | "union",
  entries: readonly (readonly [string, FieldType])[],
  options: RecordOptions,
  abi: Abi,
): RecordLayout {
  const cap = options.pack ?? Infinity;
  const state: BitState = { bits: 0, unitSize: 0, unitStart: 0, unitLeft: 0 };
  let align = 1;
  let size = 0;
  let requiredAlign = 1;
  const fields: PlacedField[] = entries.map(([name, type]) => {
    const required = requiredAlignOf(type);
    // Bitfields' required alignment is ignored (repr-c and clang agree).
    if (type.kind !== "bits") requiredAlign = Math.max(requiredAlign, required);
    // Microsoft: `pack` caps natural alignment but not a required one (clang's getAdjustedElementInfo).
    const fieldAlign = abi === "msvc"
      ? Math.max(Math.min(type.align, cap), required)
      : Math.min(type.align, cap);
    // Microsoft ignores a bitfield's alignment in a union (clang's MicrosoftRecordLayoutBuilder).
    const ignored = kind === "union" && type.kind === "bits" && abi !== "sysv";
    if (!ignored) align = Math.max(align, fieldAlign);
    if (kind === "union") {
      const bytes = type.kind === "bits" && abi === "sysv" ? Math.ceil(type.width / 8) : type.size;
      size = Math.max(size, bytes);
      return type.kind === "bits" ? { name, type, offset: 0, bitOffset: 0 } : { name, type, offset: 0 };
    }
    if (type.kind === "bits") {
      const at = abi === "sysv"
        ? placeSysvBits(state, type, options.pack !== undefined)
        : placeMsvcBits(state, type, cap);
      return { name, type, offset: Math.floor(at / 8), bitOffset: at };
    }
    state.unitSize = 0;
    const offset = alignUp(Math.ceil(state.bits / 8), fieldAlign);
    state.bits = 8 * (offset + type.size);
    return { name, type, offset };
  });
  if (kind === "struct") size = Math.ceil(state.bits / 8);
  if (options.align !== undefined) {
    align = Math.max(align, options.align);
    // An explicit alignment makes the whole alignment required (Microsoft: `pack` cannot lower it).
    requiredAlign = Math.max(requiredAlign, align);
  }
  return { size: alignUp(size, align), align, requiredAlign, fields };
}
