/**
 * Base64 and hex against `Uint8Array.prototype.toBase64`/`fromBase64`/
 * `setFromBase64`/`toHex`/`fromHex`/`setFromHex` and `node:buffer`, at 64
 * B, 4 KiB, 1 MiB and 64 MiB of binary data (GB/s counts the binary side:
 * the input of an encode, the output of a decode; the text is 4/3 or 2
 * times larger). Then binlane's JS path against native from 16 B to 1 KiB,
 * which chose the thresholds in src/base64.ts and src/hex.ts. Run: `deno
 * run -A bench/codec.bench.ts` or `bun run bench/codec.bench.ts`
 * (`--sizes 64,4096` narrows the first part).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  backend,
  decodeBase64,
  decodeBase64Into,
  decodeHex,
  decodeHexInto,
  encodeBase64,
  encodeBase64Into,
  encodeHex,
  encodeHexInto,
} from "../mod.ts";
import { base64Thresholds } from "../src/base64.ts";
import { hexThresholds } from "../src/hex.ts";
import { addBench, addCrossover, benchSizes, printCrossover, runAndReport } from "./report.ts";

// deno-lint-ignore no-explicit-any
const builtin = Uint8Array as any;
const hasBuiltins = typeof builtin.fromBase64 === "function" && typeof builtin.prototype.toHex === "function";

function randomData(size: number): Uint8Array {
  const data = new Uint8Array(size);
  let state = 0x12345678;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

for (const size of benchSizes()) {
  const data = randomData(size);
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const base64 = encodeBase64(data);
  const base64Bytes = new TextEncoder().encode(base64);
  const hex = encodeHex(data);
  const hexBytes = new TextEncoder().encode(hex);
  const target = new Uint8Array(2 * size);

  addBench("base64 encode to string", "binlane encodeBase64", size, false, encodeBase64, data);
  addBench(
    "base64 encode to string",
    "node:buffer toString",
    size,
    true,
    (b: Buffer) => b.toString("base64"),
    buffer,
  );
  addBench(
    "base64 encode into bytes",
    "binlane encodeBase64Into",
    size,
    false,
    encodeBase64Into,
    data,
    target,
  );
  addBench("base64 decode from string", "binlane decodeBase64", size, false, decodeBase64, base64);
  addBench(
    "base64 decode from string",
    "node:buffer from",
    size,
    true,
    (t: string) => Buffer.from(t, "base64"),
    base64,
  );
  addBench(
    "base64 decode into bytes",
    "binlane bytes to bytes",
    size,
    false,
    decodeBase64Into,
    base64Bytes,
    target,
  );
  addBench(
    "base64 decode into bytes",
    "binlane string to bytes",
    size,
    false,
    decodeBase64Into,
    base64,
    target,
  );

  addBench("hex encode to string", "binlane encodeHex", size, false, encodeHex, data);
  addBench(
    "hex encode to string",
    "node:buffer toString",
    size,
    true,
    (b: Buffer) => b.toString("hex"),
    buffer,
  );
  addBench("hex encode into bytes", "binlane encodeHexInto", size, false, encodeHexInto, data, target);
  addBench("hex decode from string", "binlane decodeHex", size, false, decodeHex, hex);
  addBench(
    "hex decode from string",
    "node:buffer from",
    size,
    true,
    (t: string) => Buffer.from(t, "hex"),
    hex,
  );
  addBench("hex decode into bytes", "binlane bytes to bytes", size, false, decodeHexInto, hexBytes, target);
  addBench("hex decode into bytes", "binlane string to bytes", size, false, decodeHexInto, hex, target);

  if (hasBuiltins) {
    addBench(
      "base64 encode to string",
      "toBase64",
      size,
      true,
      (d: Uint8Array) => builtin.prototype.toBase64.call(d),
      data,
    );
    addBench("base64 decode from string", "fromBase64", size, true, builtin.fromBase64, base64);
    addBench(
      "base64 decode into bytes",
      "setFromBase64 (string)",
      size,
      true,
      (t: string, d: Uint8Array) => builtin.prototype.setFromBase64.call(d, t),
      base64,
      target,
    );
    addBench(
      "hex encode to string",
      "toHex",
      size,
      true,
      (d: Uint8Array) => builtin.prototype.toHex.call(d),
      data,
    );
    addBench("hex decode from string", "fromHex", size, true, builtin.fromHex, hex);
    addBench(
      "hex decode into bytes",
      "setFromHex (string)",
      size,
      true,
      (t: string, d: Uint8Array) => builtin.prototype.setFromHex.call(d, t),
      hex,
      target,
    );
  }
}

// Where native overtakes binlane's own JS path; sizes count the input (text for decodes),
// as the thresholds do.
const sizes = [16, 32, 64, 128, 256, 512, 1024];
const crossovers = [
  addCrossover(
    "encodeBase64",
    sizes,
    (path) => {
      base64Thresholds.encode = path === "js" ? Infinity : 0;
    },
    encodeBase64,
    randomData,
  ),
  addCrossover(
    "decodeBase64",
    sizes,
    (path) => {
      base64Thresholds.decode = path === "js" ? Infinity : 0;
    },
    decodeBase64,
    (size) => encodeBase64(randomData((size / 4) * 3)),
  ),
  addCrossover(
    "encodeHex",
    sizes,
    (path) => {
      hexThresholds.encode = path === "js" ? Infinity : 0;
    },
    encodeHex,
    randomData,
  ),
  addCrossover(
    "decodeHex",
    sizes,
    (path) => {
      hexThresholds.decode = path === "js" ? Infinity : 0;
    },
    decodeHex,
    (size) => encodeHex(randomData(size / 2)),
  ),
];

const info = backend();
const averages = await runAndReport(
  `Base64 and hex benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
if (info.path === "native") {
  for (const crossover of crossovers) printCrossover(crossover, averages, info.runtime);
}
