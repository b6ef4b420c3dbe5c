/**
 * Delta, zigzag and varint coding against hand-written JS loops (the code
 * a user would write instead), on 1,000 and 1,000,000 values (GB/s counts
 * the array side), then binlane's JS path against native from 64 B to 4
 * KiB, which chose the thresholds in src/intcode.ts. Run: `deno run -A
 * bench/intcode.bench.ts` or `bun run bench/intcode.bench.ts`
 * (`--values 1000,1000000` sets the counts).
 *
 * @module
 */

import process from "node:process";
import { backend, deltaDecode, deltaEncode, varintDecode, varintEncode, zigzagEncode } from "../mod.ts";
import { intThresholds } from "../src/intcode.ts";
import { addBench, addCrossover, printCrossover, runAndReport } from "./report.ts";

const args = process.argv.slice(2);
const counts = (args.includes("--values") ? args[args.indexOf("--values") + 1] : "1000,1000000").split(",")
  .map(Number);

/** Timestamps a few milliseconds apart: what delta coding is for. */
function timestamps(count: number): Int32Array {
  const out = new Int32Array(count);
  let t = 1_700_000_000;
  for (let i = 0; i < count; i++) out[i] = t += (i * 7919) % 13;
  return out;
}

function jsDeltaEncode(values: Int32Array): Int32Array {
  const out = new Int32Array(values.length);
  let before = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i] - before;
    before = values[i];
  }
  return out;
}

function jsDeltaDecode(deltas: Int32Array): Int32Array {
  const out = new Int32Array(deltas.length);
  let sum = 0;
  for (let i = 0; i < deltas.length; i++) out[i] = sum = (sum + deltas[i]) | 0;
  return out;
}

function jsZigzag(values: Int32Array): Uint32Array {
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] << 1) ^ (values[i] >> 31);
  return out;
}

/** The usual JS varint writer, into a worst-case buffer then trimmed. */
function jsVarintEncode(values: Uint32Array): Uint8Array {
  const out = new Uint8Array(values.length * 5);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    while (v >= 0x80) {
      out[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[at++] = v;
  }
  return out.subarray(0, at);
}

function jsVarintDecode(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length;) {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[i++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte >= 0x80);
    out[n++] = value;
  }
  return out.subarray(0, n);
}

for (const count of counts) {
  const values = timestamps(count);
  const deltas = deltaEncode(values);
  const small = zigzagEncode(deltas);
  const mixed = new Uint32Array(count).map((_, i) => (i % 4 === 0 ? i * 40_503 : i % 100));
  const bytes = count * 4;
  addBench(`deltaEncode ${count} x i32`, "binlane", bytes, false, deltaEncode, values);
  addBench(`deltaEncode ${count} x i32`, "binlane into a target", bytes, false, deltaEncode, values, {
    target: new Int32Array(count),
  });
  addBench(`deltaEncode ${count} x i32`, "JS loop", bytes, true, jsDeltaEncode, values);
  addBench(`deltaDecode ${count} x i32`, "binlane", bytes, false, deltaDecode, deltas);
  addBench(`deltaDecode ${count} x i32`, "JS loop", bytes, true, jsDeltaDecode, deltas);
  addBench(`zigzagEncode ${count} x i32`, "binlane", bytes, false, zigzagEncode, deltas);
  addBench(`zigzagEncode ${count} x i32`, "JS loop", bytes, true, jsZigzag, deltas);
  for (const [kind, input] of [["small", small], ["mixed", mixed]] as const) {
    const encoded = varintEncode(input);
    addBench(`varintEncode ${count} x u32 ${kind}`, "binlane", bytes, false, varintEncode, input);
    addBench(`varintEncode ${count} x u32 ${kind}`, "JS loop", bytes, true, jsVarintEncode, input);
    addBench(`varintDecode ${count} x u32 ${kind}`, "binlane", bytes, false, varintDecode, encoded);
    addBench(`varintDecode ${count} x u32 ${kind}`, "JS loop", bytes, true, jsVarintDecode, encoded);
  }
}

const sizes = [64, 128, 256, 512, 1024, 2048, 4096];
const crossovers = [
  addCrossover(
    "deltaEncode (bytes of i32)",
    sizes,
    (path) => {
      intThresholds.transform = path === "js" ? Infinity : 0;
    },
    deltaEncode,
    (size) => timestamps(size / 4),
  ),
  addCrossover(
    "varintDecode (bytes of varints)",
    sizes,
    (path) => {
      intThresholds.varint = path === "js" ? Infinity : 0;
    },
    varintDecode,
    (size) => varintEncode(new Uint32Array(size).map((_, i) => i % 300)).subarray(0, size),
  ),
];

const info = backend();
const averages = await runAndReport(
  `Integer coding benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
if (info.path === "native") {
  for (const crossover of crossovers) printCrossover(crossover, averages, info.runtime);
}
