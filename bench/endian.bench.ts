/**
 * Byte swaps and endian decoding against `Buffer.prototype.swap16/32/64` and
 * DataView loops, at 64 B, 4 KiB, 1 MiB and 64 MiB; then binlane's JS path
 * against native from 16 B to 4 KiB, which chose the swap threshold in
 * src/endian.ts. Run: `deno run -A bench/endian.bench.ts` or
 * `bun run bench/endian.bench.ts` (`--sizes 64,4096` narrows the first part).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { backend, byteSwap16, byteSwap32, byteSwap64, decodeNumbersInto, encodeNumbersInto } from "../mod.ts";
import { endianThresholds } from "../src/endian.ts";
import { addBench, addCrossover, benchSizes, printCrossover, runAndReport } from "./report.ts";

const sizes = benchSizes();

function dataViewSwap32(view: DataView): void {
  for (let i = 0; i < view.byteLength; i += 4) view.setUint32(i, view.getUint32(i, true), false);
}

function dataViewDecode64(view: DataView, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, false);
}

function dataViewEncode64(values: Float64Array, view: DataView): void {
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], false);
}

for (const size of sizes) {
  const bytes = new Uint8Array(size).map((_, i) => i * 7);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const view = new DataView(bytes.buffer);
  const doubles = new Float64Array(size / 8).map((_, i) => i * 1.5);
  const decoded = new Float64Array(size / 8);

  addBench("swap16", "binlane byteSwap16", size, false, byteSwap16, bytes);
  addBench("swap16", "Buffer.prototype.swap16", size, true, (b: Buffer) => b.swap16(), buffer);
  addBench("swap32", "binlane byteSwap32", size, false, byteSwap32, bytes);
  addBench("swap32", "Buffer.prototype.swap32", size, true, (b: Buffer) => b.swap32(), buffer);
  addBench("swap32", "DataView loop", size, true, dataViewSwap32, view);
  addBench("swap64", "binlane byteSwap64", size, false, byteSwap64, bytes);
  addBench("swap64", "Buffer.prototype.swap64", size, true, (b: Buffer) => b.swap64(), buffer);
  const big = { endian: "big" } as const;
  addBench(
    "decode float64 BE",
    "binlane decodeNumbersInto",
    size,
    false,
    decodeNumbersInto,
    bytes,
    decoded,
    big,
  );
  addBench("decode float64 BE", "DataView loop", size, true, dataViewDecode64, view, decoded);
  addBench(
    "encode float64 BE",
    "binlane encodeNumbersInto",
    size,
    false,
    encodeNumbersInto,
    doubles,
    bytes,
    big,
  );
  addBench("encode float64 BE", "DataView loop", size, true, dataViewEncode64, doubles, view);
}

// Where native overtakes binlane's own JS path.
const crossover = addCrossover(
  "swap32",
  [16, 32, 64, 128, 256, 512, 1024, 4096],
  (path) => {
    endianThresholds.swap = path === "js" ? Infinity : 0;
  },
  byteSwap32,
  (size) => new Uint8Array(size),
);

const info = backend();
const averages = await runAndReport(
  `endian benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
if (info.path === "native") printCrossover(crossover, averages, info.runtime);
