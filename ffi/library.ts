/**
 * The loaded native library as every layer above sees it, whatever the
 * runtime.
 *
 * @module
 */

import type { NativeSymbols } from "./symbols.ts";

/** A loaded library: its calls and the runtime's way to view its memory. */
export interface NativeLibrary {
  readonly runtime: "deno" | "bun";
  /** The file it was loaded from. */
  readonly path: string;
  readonly symbols: NativeSymbols;
  /** An external ArrayBuffer over `byteLength` bytes of native memory. */
  arrayBufferAt(address: bigint, byteLength: number): ArrayBuffer;
  /**
   * Why native memory cannot be viewed as ArrayBuffers here, or undefined
   * when it can (then `arrayBufferAt` and `addressOf` work). Deno's pointer
   * calls need an `--allow-ffi` for every path; one scoped to the library's
   * folder opens the library and runs the kernels, but no pointer call.
   */
  readonly memoryRefusal: string | undefined;
  /** The address of a view's first byte (0n for an empty view in Deno). */
  addressOf(view: ArrayBufferView): bigint;
  close(): void;
}
