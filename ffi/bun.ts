/**
 * Opens the library with `bun:ffi`'s `dlopen`, translating the one symbol
 * table into Bun's format.
 *
 * @module
 */

import type { NativeLibrary } from "./library.ts";
import { type NativeSymbols, type NativeType, symbols, type SymbolSpec } from "./symbols.ts";

/** The parts of `bun:ffi` binlane uses. */
interface BunFfi {
  dlopen(
    path: string,
    definitions: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, unknown>; close(): void };
  toArrayBuffer(address: number, byteOffset: number, byteLength: number): ArrayBuffer;
  ptr(view: ArrayBufferView): number;
}

const bunTypes: Record<NativeType, string> = {
  buffer: "ptr",
  u32: "u32",
  u64: "u64",
  void: "void",
};

function bunDefinitions(): Record<string, { args: string[]; returns: string }> {
  const entries = Object.entries(symbols as Record<string, SymbolSpec>).map((
    [name, spec],
  ) => [name, { args: spec.parameters.map((type) => bunTypes[type]), returns: bunTypes[spec.result] }]);
  return Object.fromEntries(entries);
}

/**
 * Opens `path` under Bun; throws what `dlopen` throws.
 *
 * @example
 * ```ts ignore
 * import { openBun } from "./bun.ts";
 *
 * // Under Bun only:
 * const library = openBun("ffi/lib/linux-x86_64/libbinlane.so");
 * console.log(library.symbols.binlane_abi_version());
 * ```
 */
export function openBun(path: string): NativeLibrary {
  // `import.meta.require` is Bun's synchronous import; a static import of
  // bun:ffi would break the module graph in Deno.
  const ffi = (import.meta as unknown as { require(id: string): BunFfi }).require("bun:ffi");
  const library = ffi.dlopen(path, bunDefinitions());
  return {
    runtime: "bun",
    path,
    memoryRefusal: undefined,
    symbols: library.symbols as unknown as NativeSymbols,
    arrayBufferAt(address: bigint, byteLength: number): ArrayBuffer {
      return ffi.toArrayBuffer(Number(address), 0, byteLength);
    },
    addressOf(view: ArrayBufferView): bigint {
      return BigInt(ffi.ptr(view));
    },
    close(): void {
      library.close();
    },
  };
}
