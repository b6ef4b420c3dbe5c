/**
 * CRC-32 (IEEE 802.3, as zlib) and CRC-32C (Castagnoli): the public API.
 *
 * @module
 */

import type { NativeSymbols } from "../ffi/symbols.ts";
import { nativeSymbols } from "./backend.ts";
import { asBytes, type BinaryInput } from "./bytes.ts";
import { CRC32_POLY, CRC32C_POLY, crcUpdate, slicingTables } from "./crc_js.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { runtimeName } from "../ffi/runtime.ts";

const crc32Tables = slicingTables(CRC32_POLY);
const crc32cTables = slicingTables(CRC32C_POLY);

/**
 * Smallest input, in bytes, sent to native code: below it the JS path is
 * faster because the FFI call costs more than the work (Deno ~13 ns a
 * call, Bun ~3 ns). Chosen from `bench/crc_threshold.bench.ts`.
 */
const nativeThresholds: { crc32: number; crc32c: number } = runtimeName() === "bun"
  ? { crc32: 24, crc32c: 24 }
  : { crc32: 48, crc32c: 48 };

/** Native lengths are u32; larger inputs go in chunks this size. */
const NATIVE_CHUNK = 1 << 30;

const resultSlot = new Uint32Array(1);

type CrcCall = NativeSymbols["binlane_crc32"];

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new BinlaneError("E_RANGE", `seed must be an integer from 0 to 2^32-1, got ${String(seed)}`);
  }
}

function nativeChecksum(call: CrcCall, name: string, bytes: Uint8Array, seed: number): number {
  let crc = seed;
  for (let offset = 0; offset < bytes.byteLength || offset === 0; offset += NATIVE_CHUNK) {
    const chunk = bytes.byteLength <= NATIVE_CHUNK ? bytes : bytes.subarray(offset, offset + NATIVE_CHUNK);
    const status = call(chunk, chunk.byteLength, crc, resultSlot);
    if (status !== 0) throw errorFromStatus(status, name);
    crc = resultSlot[0];
    if (bytes.byteLength <= NATIVE_CHUNK) break;
  }
  return crc;
}

/**
 * CRC-32 on the native path whatever the size, for tests and benchmarks;
 * undefined without the native library.
 */
export function crc32Native(bytes: Uint8Array, seed: number): number | undefined {
  const symbols = nativeSymbols();
  return symbols && nativeChecksum(symbols.binlane_crc32, "binlane_crc32", bytes, seed);
}

/** CRC-32C on the native path whatever the size; see {@linkcode crc32Native}. */
export function crc32cNative(bytes: Uint8Array, seed: number): number | undefined {
  const symbols = nativeSymbols();
  return symbols && nativeChecksum(symbols.binlane_crc32c, "binlane_crc32c", bytes, seed);
}

/** CRC-32 on the JS path whatever the size, for tests and benchmarks. */
export function crc32Js(bytes: Uint8Array, seed: number): number {
  return ~crcUpdate(crc32Tables, ~seed, bytes) >>> 0;
}

/** CRC-32C on the JS path whatever the size, for tests and benchmarks. */
export function crc32cJs(bytes: Uint8Array, seed: number): number {
  return ~crcUpdate(crc32cTables, ~seed, bytes) >>> 0;
}

/**
 * CRC-32 (IEEE 802.3), identical to zlib's `crc32` and `node:zlib`'s.
 * Pass a previous result as `seed` to continue it: checksumming in pieces
 * equals checksumming all at once.
 *
 * @example
 * ```ts
 * import { crc32 } from "@binlane/binlane";
 *
 * const data = new TextEncoder().encode("123456789");
 * console.log(crc32(data).toString(16)); // "cbf43926"
 * console.log(crc32(data.subarray(4), crc32(data.subarray(0, 4))) === crc32(data)); // true
 * ```
 */
export function crc32(data: BinaryInput, seed = 0): number {
  const bytes = asBytes(data);
  checkSeed(seed);
  if (bytes.byteLength >= nativeThresholds.crc32) {
    const symbols = nativeSymbols();
    if (symbols) return nativeChecksum(symbols.binlane_crc32, "binlane_crc32", bytes, seed);
  }
  return ~crcUpdate(crc32Tables, ~seed, bytes) >>> 0;
}

/**
 * CRC-32C (Castagnoli), as used by iSCSI, ext4, SCTP and many storage
 * formats. `seed` continues a previous result, as for {@linkcode crc32}.
 *
 * @example
 * ```ts
 * import { crc32c } from "@binlane/binlane";
 *
 * console.log(crc32c(new TextEncoder().encode("123456789")).toString(16)); // "e3069283"
 * ```
 */
export function crc32c(data: BinaryInput, seed = 0): number {
  const bytes = asBytes(data);
  checkSeed(seed);
  if (bytes.byteLength >= nativeThresholds.crc32c) {
    const symbols = nativeSymbols();
    if (symbols) return nativeChecksum(symbols.binlane_crc32c, "binlane_crc32c", bytes, seed);
  }
  return ~crcUpdate(crc32cTables, ~seed, bytes) >>> 0;
}
