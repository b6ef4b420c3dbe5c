/**
 * The structs that cross the native boundary, declared in the layout
 * schema's field types and laid out by its engine (the one `struct()` uses,
 * verified against C compilers). The load-time handshake in backend.ts
 * checks the library's `@sizeOf`, `@alignOf` and `@offsetOf` against these;
 * test/layout_compiler_test.ts compiles their `toZig()` declarations
 * against native-zig/abi.zig.
 *
 * It sits below the schema (which needs the backend) so that the backend
 * can use it: imports stay pointing down.
 *
 * @module
 */

import { layoutRecord, type RecordLayout } from "./layout/compute.ts";
import { type FieldType, u64 } from "./layout/types.ts";

/** A struct that crosses the boundary: its C name and fields in order. */
export interface CrossingStruct {
  /** Its name in native-zig/abi.zig. */
  readonly name: string;
  /** Field types by name, in declaration order (the layout schema's vocabulary). */
  readonly fields: Readonly<Record<string, FieldType>>;
  /** Its natural C layout on every target. */
  readonly layout: RecordLayout;
}

function crossing(name: string, fields: Record<string, FieldType>): CrossingStruct {
  // Natural layout under System V rules: these structs have no bitfields, so every ABI agrees.
  const layout = layoutRecord("struct", Object.entries(fields), { abi: "sysv" });
  return Object.freeze({ name, fields: Object.freeze(fields), layout });
}

/**
 * Allocator counters, written by `binlane_stats` (native-zig/abi.zig `NativeStats`).
 *
 * @example
 * ```ts
 * import { NativeStatsStruct } from "./crossing.ts";
 *
 * console.log(NativeStatsStruct.layout.size); // 40
 * ```
 */
export const NativeStatsStruct: CrossingStruct = crossing("NativeStats", {
  live_allocations: u64,
  live_bytes: u64,
  total_allocations: u64,
  total_frees: u64,
  rejected_frees: u64,
});

/**
 * Written by `binlane_alloc` (native-zig/abi.zig `AllocResult`).
 *
 * @example
 * ```ts
 * import { AllocResultStruct } from "./crossing.ts";
 *
 * console.log(AllocResultStruct.layout.fields.map((field) => field.offset)); // [0, 8, 16]
 * ```
 */
export const AllocResultStruct: CrossingStruct = crossing("AllocResult", {
  handle: u64,
  address: u64,
  size: u64,
});

/**
 * The structs that cross, in the id order of native-zig/abi.zig.
 *
 * @example
 * ```ts
 * import { crossingStructs } from "./crossing.ts";
 *
 * console.log(crossingStructs.map((s) => s.name)); // ["NativeStats", "AllocResult"]
 * ```
 */
export const crossingStructs: readonly CrossingStruct[] = Object.freeze([
  NativeStatsStruct,
  AllocResultStruct,
]);

/**
 * Index of a 64-bit field in a struct read as a BigUint64Array.
 *
 * @example
 * ```ts
 * import { AllocResultStruct, wordIndex } from "./crossing.ts";
 *
 * console.log(wordIndex(AllocResultStruct, "address")); // 1
 * ```
 */
export function wordIndex(struct: CrossingStruct, field: string): number {
  const placed = struct.layout.fields.find((candidate) => candidate.name === field);
  if (!placed || placed.type.size !== 8 || placed.offset % 8 !== 0) {
    throw new Error(`${struct.name}.${field} is not an aligned 64-bit field`);
  }
  return placed.offset / 8;
}

/**
 * The layout table the library must report: per struct its id, size,
 * alignment, field count and field offsets (native-zig/abi.zig `layout_table`).
 *
 * @example
 * ```ts
 * import { expectedLayoutTable } from "./crossing.ts";
 *
 * console.log(expectedLayoutTable().slice(0, 4)); // [0, 40, 8, 5]: id, size, align, fields
 * ```
 */
export function expectedLayoutTable(): number[] {
  return crossingStructs.flatMap(({ layout }, id) => [
    id,
    layout.size,
    layout.align,
    layout.fields.length,
    ...layout.fields.map((field) => field.offset),
  ]);
}
