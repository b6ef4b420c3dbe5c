/**
 * CRC-32 and CRC-32C against every peer available in this runtime, at
 * 64 B, 4 KiB, 1 MiB and 64 MiB, with the FFI no-op call cost beside them.
 * Run: `deno task bench`, or `deno run -A bench/crc.bench.ts`, or
 * `bun run bench/crc.bench.ts`. Sizes can be narrowed: `--sizes 64,4096`.
 *
 * @module
 */

import { createRequire } from "node:module";
import * as zlib from "node:zlib";
import { crc32c as awsCrc32c } from "@aws-crypto/crc32c";
import CRC32 from "crc-32";
import CRC32C from "crc-32/crc32c.js";
import { createCRC32 } from "hash-wasm";
import { bench, do_not_optimize } from "mitata";
import { backend, crc32, crc32c } from "../mod.ts";
import { nativeLibrary } from "../src/backend.ts";
import { crc32cCopy, crc32cCopyAt, crc32cJs, crc32cNative, crc32Js, crc32Native } from "../src/crc.ts";
import { benchSizes, describe, isolated, runAndReport, sizeLabel } from "./report.ts";

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;
const runtime = backend().runtime;

const sizes = benchSizes();

type Checksum = (data: Uint8Array) => number;

function optional<T>(load: () => T): T | undefined {
  try {
    return load();
  } catch {
    return undefined;
  }
}

const require = createRequire(import.meta.url);
const sse4: { calculate(data: Uint8Array): number } | undefined = optional(() => require("sse4_crc32"));
const zlibCrc32: ((data: Uint8Array) => number) | undefined = typeof zlib.crc32 === "function"
  ? (data) => zlib.crc32(data)
  : undefined;
const bunCrc32: Checksum | undefined = anyGlobal.Bun?.hash?.crc32;
const wasmCrc32 = await createCRC32(0xedb88320);
const wasmCrc32c = await createCRC32(0x82f63b78);

function wasmChecksum(hasher: typeof wasmCrc32): Checksum {
  return (data) => {
    hasher.init();
    hasher.update(data);
    return Number.parseInt(hasher.digest("hex"), 16);
  };
}

const implementations: Record<"crc32" | "crc32c", [string, Checksum | undefined, boolean][]> = {
  crc32: [
    ["binlane crc32", (d) => crc32(d), false],
    ["binlane native path", (d) => crc32Native(d, 0)!, false],
    ["binlane JS path", (d) => crc32Js(d, 0), false],
    ["node:zlib crc32", zlibCrc32, true],
    ["Bun.hash.crc32", bunCrc32, true],
    ["hash-wasm", wasmChecksum(wasmCrc32), true],
    ["crc-32", (d) => CRC32.buf(d) >>> 0, true],
  ],
  crc32c: [
    ["binlane crc32c", (d) => crc32c(d), false],
    ["binlane native path", (d) => crc32cNative(d, 0)!, false],
    ["binlane JS path", (d) => crc32cJs(d, 0), false],
    ["sse4_crc32", sse4 && ((d) => sse4.calculate(d)), true],
    ["hash-wasm", wasmChecksum(wasmCrc32c), true],
    ["@aws-crypto/crc32c", (d) => awsCrc32c(d) >>> 0, true],
    ["crc-32/crc32c", (d) => CRC32C.buf(d) >>> 0, true],
  ],
};

const unavailable = Object.values(implementations).flat().filter(([, fn]) => !fn).map(([name]) => name);
if (unavailable.length) console.log(`not available in ${runtime}: ${unavailable.join(", ")}`);

for (const size of sizes) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
  for (const [kernel, list] of Object.entries(implementations)) {
    const expected = kernel === "crc32" ? crc32Js(data, 0) : crc32cJs(data, 0);
    for (const [name, fn, peer] of list) {
      if (!fn) continue;
      if (name.startsWith("binlane native") && !nativeLibrary()) continue;
      if (fn(data) !== expected) throw new Error(`${name} disagrees on ${kernel} of ${sizeLabel(size)}`);
      const key = describe({ group: `${kernel} ${sizeLabel(size)}`, name, bytes: size, peer });
      bench(key, isolated(fn, data));
    }
  }
}

// Copy and checksum, as the frame decoder does for each frame that straddles chunks: 64 KiB pieces of a
// 16 MiB source, which is larger than L2, into one reused 64 KiB target.
{
  const source = new Uint8Array(16 << 20);
  for (let i = 0; i < source.length; i++) source[i] = (i * 2654435761) >>> 24;
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < source.length; at += 65536) pieces.push(source.subarray(at, at + 65536));
  const target = new Uint8Array(65536);
  const group = "copy + CRC-32C, 64 KiB pieces";
  const entry = (name: string) =>
    describe({ group: `${group} ${sizeLabel(source.length)}`, name, bytes: source.length, peer: false });
  bench(entry("binlane crc32cCopy (one pass)"), () => {
    let crc = 0;
    for (const piece of pieces) crc ^= crc32cCopy(target, piece, 0);
    return do_not_optimize(crc);
  });
  bench(entry("TypedArray.set, then binlane crc32c"), () => {
    let crc = 0;
    for (const piece of pieces) {
      target.set(piece);
      crc ^= crc32c(target);
    }
    return do_not_optimize(crc);
  });
  bench(entry("TypedArray.set alone (no checksum)"), () => {
    for (const piece of pieces) target.set(piece);
    return do_not_optimize(target[0]);
  });
}

// One piece of a frame that straddles chunks, as the decoder copies it: a 32-byte header, 2 KiB of payload
// checksummed, an 8-byte trailer. One native call against the views and copies its parts need without it.
{
  const header = 32;
  const payload = 2048;
  const count = header + payload + 8;
  const source = new Uint8Array(8192).fill(7);
  const target = new Uint8Array(count);
  const span = { targetAt: 0, sourceAt: 100, count, crcFrom: header, crcTo: header + payload, seed: 0 };
  const group = `a frame piece copied, its ${payload}-byte payload checksummed ${sizeLabel(count)}`;
  const entry = (name: string) => describe({ group, name, bytes: count, peer: false });
  bench(
    entry("binlane crc32cCopyAt (one native call)"),
    () => do_not_optimize(crc32cCopyAt(target, source, span)),
  );
  bench(entry("subarray + set, subarrays + crc32cCopy, subarray + set (the parts in JS)"), () => {
    const from = span.sourceAt;
    target.set(source.subarray(from, from + header), 0);
    const crc = crc32cCopy(
      target.subarray(header),
      source.subarray(from + header, from + header + payload),
      0,
    );
    target.set(source.subarray(from + header + payload, from + count), header + payload);
    return do_not_optimize(crc);
  });
}

const library = nativeLibrary();
if (library) {
  const noop = library.symbols.binlane_noop;
  const data = new Uint8Array(64);
  bench(
    describe({
      group: "FFI call cost",
      name: "binlane_noop (same signature as crc32)",
      bytes: 0,
      peer: false,
    }),
    () => do_not_optimize(noop(data, 64, 0)),
  );
}

const info = backend();
await runAndReport(`CRC benchmarks: ${runtime}, ${info.path} path, CPU level ${info.cpu}`);
