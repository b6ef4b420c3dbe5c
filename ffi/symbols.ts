/**
 * The one symbol table of the native library, in Deno's `dlopen` format;
 * the Bun adapter translates it. Signatures mirror native-zig/boundary.zig.
 *
 * @module
 */

/**
 * Search kernels' result for "no such position" (native-zig/boundary.zig).
 *
 * @example
 * ```ts
 * import { NOT_FOUND } from "./symbols.ts";
 *
 * console.log(NOT_FOUND === 2 ** 32 - 1); // true
 * ```
 */
export const NOT_FOUND = 0xffff_ffff;

/**
 * Search kernels' result for "refused; ask binlane_take_status".
 *
 * @example
 * ```ts
 * import { REFUSED } from "./symbols.ts";
 *
 * console.log(REFUSED === 2 ** 32 - 2); // true
 * ```
 */
export const REFUSED = 0xffff_fffe;

/**
 * `binlane_utf8_count`'s result for input that is not valid UTF-8.
 *
 * @example
 * ```ts
 * import { INVALID_UTF8 } from "./symbols.ts";
 *
 * console.log(INVALID_UTF8 === 2 ** 32 - 3); // true
 * ```
 */
export const INVALID_UTF8 = 0xffff_fffd;

/**
 * Decoders' results from this value up are failures at byte offset
 * `result - DECODE_FAILED`, with the reason left for `binlane_take_status`.
 *
 * @example
 * ```ts
 * import { DECODE_FAILED } from "./symbols.ts";
 *
 * console.log(DECODE_FAILED === 2 ** 31); // true
 * ```
 */
export const DECODE_FAILED = 0x8000_0000;

/**
 * Bits of `binlane_base64_*`'s flags (native-zig/base64.zig `Flags`).
 *
 * @example
 * ```ts
 * import { Base64Flag } from "./symbols.ts";
 *
 * console.log(Base64Flag.url | Base64Flag.padding | Base64Flag.final); // 13
 * ```
 */
export const Base64Flag = { url: 1, lenient: 2, padding: 4, final: 8 } as const;

/**
 * Bits of `binlane_map_open`'s flags (native-zig/mmap.zig `Flags`).
 *
 * @example
 * ```ts
 * import { MapFlag } from "./symbols.ts";
 *
 * console.log(MapFlag.readwrite | MapFlag.create); // 3
 * ```
 */
export const MapFlag = { readwrite: 1, create: 2 } as const;

/**
 * `binlane_map_open`'s size for "the whole file, as it is".
 *
 * @example
 * ```ts
 * import { MAP_WHOLE_FILE } from "./symbols.ts";
 *
 * console.log(MAP_WHOLE_FILE === 2n ** 64n - 1n); // true
 * ```
 */
export const MAP_WHOLE_FILE = 0xffff_ffff_ffff_ffffn;

/**
 * The ABI version this TypeScript expects (native-zig/abi.zig).
 *
 * @example
 * ```ts
 * import { ABI_VERSION } from "./symbols.ts";
 *
 * console.log(ABI_VERSION); // 2
 * ```
 */
export const ABI_VERSION = 2;

/** Parameter and result types used at the boundary. */
export type NativeType = "buffer" | "u32" | "u64" | "void";

/** One function's signature. */
export interface SymbolSpec {
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
}

/** A kernel over bytes: (data, length, seed or byte) to its result. */
const bytesCall = { parameters: ["buffer", "u32", "u32"], result: "u32" } as const;

/**
 * Every native export: name to signature.
 *
 * @example
 * ```ts
 * import { symbols } from "./symbols.ts";
 *
 * console.log(symbols.binlane_crc32c.parameters); // ["buffer", "u32", "u32"]
 * ```
 */
export const symbols = {
  binlane_abi_version: { parameters: [], result: "u32" },
  binlane_layout_table_len: { parameters: [], result: "u32" },
  binlane_layout_table: { parameters: ["buffer", "u32"], result: "u32" },
  binlane_cpu_best: { parameters: [], result: "u32" },
  binlane_cpu_supported: { parameters: [], result: "u32" },
  binlane_cpu_active: { parameters: [], result: "u32" },
  binlane_cpu_select: { parameters: ["u32"], result: "u32" },
  binlane_take_status: { parameters: [], result: "u32" },
  binlane_crc32: bytesCall,
  binlane_crc32c: bytesCall,
  binlane_crc32c_copy: { parameters: ["buffer", "u32", "buffer", "u32", "u32"], result: "u32" },
  binlane_crc32c_copy_at: {
    parameters: ["buffer", "u32", "u32", "buffer", "u32", "u32", "u32", "u32", "u32", "u32"],
    result: "u32",
  },
  binlane_noop: bytesCall,
  binlane_index_of_byte: bytesCall,
  binlane_last_index_of_byte: bytesCall,
  binlane_count_byte: bytesCall,
  binlane_index_of_any: {
    parameters: ["buffer", "u32", "u32", "u32", "u32", "u32", "u32"],
    result: "u32",
  },
  binlane_index_of_other: {
    parameters: ["buffer", "u32", "u32", "u32", "u32", "u32", "u32"],
    result: "u32",
  },
  binlane_index_of_subarray: { parameters: ["buffer", "u32", "buffer", "u32"], result: "u32" },
  binlane_find_all_byte: { parameters: ["buffer", "u32", "u32", "buffer", "u32"], result: "u32" },
  binlane_utf8_error_index: { parameters: ["buffer", "u32"], result: "u32" },
  binlane_utf8_count: { parameters: ["buffer", "u32"], result: "u32" },
  binlane_mismatch: { parameters: ["buffer", "buffer", "u32"], result: "u32" },
  binlane_hex_encode: { parameters: ["buffer", "u32", "buffer", "u32"], result: "u32" },
  binlane_hex_decode: { parameters: ["buffer", "u32", "buffer", "u32"], result: "u32" },
  binlane_base64_encode: { parameters: ["buffer", "u32", "buffer", "u32", "u32"], result: "u32" },
  binlane_base64_decode: { parameters: ["buffer", "u32", "buffer", "u32", "u32"], result: "u32" },
  binlane_frame_scan: { parameters: ["buffer", "u32", "u32", "buffer", "u32"], result: "u32" },
  binlane_gather_fields: {
    parameters: [
      "buffer",
      "u32",
      "u32",
      "u32",
      "buffer",
      "u32",
      "buffer",
      "u32",
      "buffer",
      "u32",
      "buffer",
      "u32",
      "buffer",
      "u32",
      "buffer",
      "u32",
    ],
    result: "u32",
  },
  binlane_scatter_field: {
    parameters: ["buffer", "u32", "buffer", "u32", "u32", "u32", "u32"],
    result: "u32",
  },
  binlane_int_transform: {
    parameters: ["buffer", "u32", "buffer", "u32", "u32", "u32", "u32", "u32"],
    result: "u32",
  },
  binlane_varint_count: { parameters: ["buffer", "u32"], result: "u32" },
  binlane_varint_length: { parameters: ["buffer", "u32", "u32"], result: "u32" },
  binlane_varint_encode: { parameters: ["buffer", "u32", "buffer", "u32", "u32"], result: "u32" },
  binlane_varint_decode: {
    parameters: ["buffer", "u32", "buffer", "u32", "u32", "buffer", "u32"],
    result: "u32",
  },
  binlane_reduce: { parameters: ["buffer", "u32", "u32", "u32", "buffer", "u32"], result: "u32" },
  binlane_copy_swap: { parameters: ["buffer", "buffer", "u32", "u32"], result: "u32" },
  binlane_xxh64: { parameters: ["buffer", "u32", "u64"], result: "u64" },
  binlane_xxh3: { parameters: ["buffer", "u32", "u64"], result: "u64" },
  binlane_hasher_create: { parameters: ["u32", "u64", "buffer", "u32"], result: "u32" },
  binlane_hasher_update: { parameters: ["u32", "u64", "buffer", "u32"], result: "u32" },
  binlane_hasher_digest: { parameters: ["u32", "u64", "buffer", "u32"], result: "u32" },
  binlane_hasher_free: { parameters: ["u32", "u64"], result: "u32" },
  binlane_alloc: { parameters: ["u64", "u32", "u32", "buffer", "u32"], result: "u32" },
  binlane_free: { parameters: ["u64", "u64"], result: "u32" },
  binlane_stats: { parameters: ["buffer", "u32"], result: "u32" },
  binlane_map_open: { parameters: ["buffer", "u32", "u32", "u64", "buffer", "u32"], result: "u32" },
  binlane_map_check: { parameters: ["u64", "u64"], result: "u32" },
  binlane_map_sync: { parameters: ["u64", "u64"], result: "u32" },
  binlane_map_close: { parameters: ["u64", "u64"], result: "u32" },
  binlane_last_os_error: { parameters: [], result: "u32" },
} as const satisfies Record<string, SymbolSpec>;

type Parameter<T> = T extends "buffer" ? ArrayBufferView | null
  : T extends "u64" ? bigint
  : number;
// Deno returns a u64 as a number when it is a safe integer, Bun as a bigint.
type Result<T> = T extends "void" ? void : T extends "u64" ? number | bigint : number;
type Parameters<P> = { -readonly [I in keyof P]: Parameter<P[I]> };

/** The callable form of the table, the same in every runtime. */
export type NativeSymbols = {
  readonly [K in keyof typeof symbols]: (
    ...args: Parameters<(typeof symbols)[K]["parameters"]>
  ) => Result<(typeof symbols)[K]["result"]>;
};
