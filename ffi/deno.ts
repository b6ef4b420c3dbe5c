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
  // UnsafePointer.create/of and UnsafePointerView check the ffi permission without a path: only an
  // unscoped grant passes them (a NotCapable error otherwise), whatever was granted for the library.
  const unscoped = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  return {
    runtime: "deno",
    path,
    memoryRefusal: unscoped ? undefined : "native memory needs --allow-ffi for every path (granted: " +
      `only the library's); NativeBuffer, BufferPool and mapFile use JavaScript memory`,
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
