/**
 * Where native beats JS for each search kernel in this runtime: times both
 * paths from 16 B to 8 KiB (full scans, the worst case) and prints the
 * smallest size from which native is faster at every larger size measured.
 * src/search.ts's thresholds come from this benchmark, run under Deno and
 * under Bun.
 * Run: `deno run -A bench/search_threshold.bench.ts` or `bun run bench/search_threshold.bench.ts`.
 *
 * @module
 */

import { bench } from "mitata";
import {
  backend,
  countByte,
  findAllByte,
  indexOfAny,
  indexOfByte,
  indexOfOther,
  indexOfSubarray,
  mismatch,
} from "../mod.ts";
import { type SearchThresholds, searchThresholds } from "../src/search.ts";
import { describe, isolated, runAndReport } from "./report.ts";

if (backend().path !== "native") throw new Error("the threshold benchmark needs the native library");

const sizes = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
type Kernel = keyof SearchThresholds;

/** Each kernel with arguments for a full scan of `data`. */
const kernels: Record<Kernel, (data: Uint8Array, twin: Uint8Array) => unknown> = {
  indexOfByte: (data) => indexOfByte(data, 0x0a),
  countByte: (data) => countByte(data, 0x0a),
  indexOfAny: (data) => indexOfAny(data, [0x0a, 0x0d, 0x7c]),
  indexOfOther: (data) => indexOfOther(data, [0x41, 0x0d, 0x7c]),
  indexOfSubarray: (data) => indexOfSubarray(data, needle),
  findAllByte: (data) => findAllByte(data, 0x0a),
  mismatch: (data, twin) => mismatch(data, twin),
};
const needle = new TextEncoder().encode("\r\n\r\n");

/** Sets every threshold to `value`: 0 forces native, Infinity JS. */
function forcePath(value: number): void {
  for (const key of Object.keys(searchThresholds) as Kernel[]) searchThresholds[key] = value;
}

const keys: { kernel: Kernel; size: number; path: "js" | "native"; key: string }[] = [];
for (const [kernel, fn] of Object.entries(kernels) as [Kernel, (typeof kernels)[Kernel]][]) {
  for (const size of sizes) {
    const data = new Uint8Array(size).fill(0x41);
    const twin = data.slice();
    for (const path of ["js", "native"] as const) {
      const key = describe({ group: `${kernel} ${size} B`, name: `${path} path`, bytes: size, peer: false });
      keys.push({ kernel, size, path, key });
      // mitata runs a generator's setup once, before it measures what it yields.
      bench(key, function* () {
        forcePath(path === "js" ? Infinity : 0);
        yield isolated(fn, data, twin);
      });
    }
  }
}

const info = backend();
const averages = await runAndReport(`search native/JS threshold: ${info.runtime}, CPU level ${info.cpu}`);

console.log("\n## crossover");
for (const kernel of Object.keys(kernels) as Kernel[]) {
  const ns = (size: number, path: string) =>
    averages.get(keys.find((k) => k.kernel === kernel && k.size === size && k.path === path)!.key)!;
  let threshold = Infinity;
  for (let i = sizes.length - 1; i >= 0 && ns(sizes[i], "native") < ns(sizes[i], "js"); i--) {
    threshold = sizes[i];
  }
  console.log(`${kernel}: native from ${threshold} bytes in ${info.runtime}`);
}
