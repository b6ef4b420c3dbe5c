/**
 * Opens the library with `Deno.dlopen`, straight from the symbol table.
 *
 * @module
 */

import type { NativeLibrary } from "./library.ts";
import { type NativeSymbols, symbols } from "./symbols.ts";

/**
 * Opens `path` under Deno; throws what `Deno.dlopen` throws.
 *
 * @example
 * ```ts
 * import { openDeno } from "./deno.ts";
 *
 * const library = openDeno("ffi/lib/linux-x86_64/libbinlane.so");
 * console.log(library.symbols.binlane_abi_version());
 * library.close();
 * ```
 */
export function openDeno(path: string): NativeLibrary {
  const library = Deno.dlopen(path, symbols);
  return {
    runtime: "deno",
    path,
    symbols: library.symbols as unknown as NativeSymbols,
    arrayBufferAt(address: bigint, byteLength: number): ArrayBuffer {
      const pointer = Deno.UnsafePointer.create(address);
      if (pointer === null) throw new RangeError("null native address");
      return Deno.UnsafePointerView.getArrayBuffer(pointer, byteLength);
    },
    addressOf(view: ArrayBufferView): bigint {
      return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>)));
    },
    close(): void {
      library.close();
    },
  };
}
