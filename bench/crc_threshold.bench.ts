/**
 * Where native beats JS for small inputs, in this runtime: times both paths
 * from 0 to 256 bytes and prints the smallest size from which native is
 * faster at every larger size measured. src/crc.ts's thresholds come from
 * this benchmark, run under Deno and under Bun.
 * Run: `deno run -A bench/crc_threshold.bench.ts` or `bun run bench/crc_threshold.bench.ts`.
 *
 * @module
 */

import { bench } from "mitata";
import { backend } from "../mod.ts";
import { crc32cJs, crc32cNative, crc32Js, crc32Native } from "../src/crc.ts";
import { describe, isolated, runAndReport } from "./report.ts";

if (backend().path !== "native") throw new Error("the threshold benchmark needs the native library");

const sizes = [0, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];
const kernels = {
  crc32: { js: crc32Js, native: crc32Native },
  crc32c: { js: crc32cJs, native: crc32cNative },
} as const;

const keys: { kernel: string; size: number; path: "js" | "native"; key: string }[] = [];
for (const [kernel, paths] of Object.entries(kernels)) {
  for (const size of sizes) {
    const data = new Uint8Array(size).fill(0x5a);
    for (const path of ["js", "native"] as const) {
      const fn = paths[path];
      const key = describe({ group: `${kernel} ${size} B`, name: `${path} path`, bytes: size, peer: false });
      keys.push({ kernel, size, path, key });
      bench(key, isolated(fn, data, 0));
    }
  }
}

const info = backend();
const averages = await runAndReport(`CRC native/JS threshold: ${info.runtime}, CPU level ${info.cpu}`);

console.log("\n## crossover");
for (const kernel of Object.keys(kernels)) {
  const ns = (size: number, path: string) =>
    averages.get(keys.find((k) => k.kernel === kernel && k.size === size && k.path === path)!.key)!;
  let threshold = sizes.at(-1)!;
  for (let i = sizes.length - 1; i >= 0 && ns(sizes[i], "native") < ns(sizes[i], "js"); i--) {
    threshold = sizes[i];
  }
  console.log(`${kernel}: native from ${threshold} bytes in ${info.runtime}`);
}
