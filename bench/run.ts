/**
 * `deno task bench`: builds the library if a source changed, installs the
 * npm peers if missing, then runs every benchmark under Deno and, when Bun
 * is installed, under Bun. Extra arguments go to each benchmark
 * (e.g. `deno task bench --sizes 64,4096`).
 *
 * @module
 */

import { build } from "../build.ts";
import { installBenchPeers } from "./peers.ts";

const benchmarks = [
  "bench/crc.bench.ts",
  "bench/crc_threshold.bench.ts",
  "bench/search.bench.ts",
  "bench/search_threshold.bench.ts",
  "bench/frame_scan_threshold.bench.ts",
  "bench/endian.bench.ts",
  "bench/hash.bench.ts",
  "bench/utf8.bench.ts",
  "bench/codec.bench.ts",
  "bench/transpose.bench.ts",
  "bench/intcode.bench.ts",
  "bench/reduce.bench.ts",
  "bench/layout.bench.ts",
  "bench/frame.bench.ts",
  "bench/mapfile.bench.ts",
  "bench/worker.bench.ts",
];
/** The benchmarks that take `--sizes`. */
const sized = new Set([
  "bench/crc.bench.ts",
  "bench/search.bench.ts",
  "bench/endian.bench.ts",
  "bench/hash.bench.ts",
  "bench/utf8.bench.ts",
  "bench/codec.bench.ts",
]);

await build({ ifChanged: true, hostOnly: true });
await installBenchPeers({ buildAddons: true });

function hasBun(): boolean {
  try {
    return new Deno.Command("bun", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const runtimes: string[][] = [[Deno.execPath(), "run", "--allow-all"]];
if (hasBun()) runtimes.push(["bun", "run"]);
let failed = false;
for (const runtime of runtimes) {
  for (const file of benchmarks) {
    const args = sized.has(file) ? Deno.args : [];
    const status = await new Deno.Command(runtime[0], {
      args: [...runtime.slice(1), file, ...args],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    failed ||= !status.success;
  }
}
Deno.exit(failed ? 1 : 0);
