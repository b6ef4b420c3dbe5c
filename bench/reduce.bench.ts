/**
 * Sums and min/max against hand-written JS loops and
 * `TypedArray.prototype.reduce`, at 4 KiB and 4 MiB of elements (GB/s of
 * array bytes); then binlane's JS path against native from 64 B to 4 KiB,
 * which chose the threshold in src/reduce.ts. Run: `deno run -A
 * bench/reduce.bench.ts` or `bun run bench/reduce.bench.ts`.
 *
 * @module
 */

import { backend, minMax, sum } from "../mod.ts";
import { reduceThresholds } from "../src/reduce.ts";
import { addBench, addCrossover, printCrossover, runAndReport } from "./report.ts";

function loopSum(array: Float64Array | Int32Array | Uint8Array): number {
  let total = 0;
  for (let i = 0; i < array.length; i++) total += array[i];
  return total;
}

function loopMinMax(array: Float64Array | Int16Array): { min: number; max: number } {
  let min = array[0];
  let max = min;
  for (let i = 1; i < array.length; i++) {
    const v = array[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

function reduceSum(array: Float64Array): number {
  return array.reduce((a, b) => a + b, 0);
}

for (const bytes of [4096, 4 << 20]) {
  const floats = new Float64Array(bytes / 8).map((_, i) => Math.sin(i) * 1000);
  const ints = new Int32Array(bytes / 4).map((_, i) => (i * 2654435761) | 0);
  const shorts = new Int16Array(bytes / 2).map((_, i) => (i * 40503) & 0x7fff);
  const octets = new Uint8Array(bytes).map((_, i) => i * 31);
  addBench("sum f64", "binlane sum", bytes, false, sum, floats);
  addBench("sum f64", "JS loop (one running sum)", bytes, true, loopSum, floats);
  addBench("sum f64", "TypedArray reduce", bytes, true, reduceSum, floats);
  addBench("sum i32 (exact)", "binlane sum (BigInt)", bytes, false, sum, ints);
  addBench("sum i32 (exact)", "JS loop (number, exact below 2^21 values)", bytes, true, loopSum, ints);
  addBench("sum u8", "binlane sum", bytes, false, sum, octets);
  addBench("sum u8", "JS loop", bytes, true, loopSum, octets);
  addBench("minMax f64", "binlane minMax", bytes, false, minMax, floats);
  addBench("minMax f64", "JS loop", bytes, true, loopMinMax, floats);
  addBench("minMax i16", "binlane minMax", bytes, false, minMax, shorts);
  addBench("minMax i16", "JS loop", bytes, true, loopMinMax, shorts);
}

const crossover = addCrossover(
  "sum f64",
  [64, 128, 256, 512, 1024, 2048, 4096],
  (path) => {
    reduceThresholds.bytes = path === "js" ? Infinity : 0;
  },
  sum,
  (size) => new Float64Array(size / 8).map((_, i) => i * 0.5),
);

const info = backend();
const averages = await runAndReport(
  `Reduction benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
if (info.path === "native") printCrossover(crossover, averages, info.runtime);
