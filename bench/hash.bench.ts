/**
 * XXH64 and XXH3-64 against `Bun.hash.xxHash64`/`xxHash3` (under Bun),
 * xxhash-wasm and hash-wasm, at 64 B, 4 KiB, 1 MiB and 64 MiB, plus the
 * streaming hasher's cost per update. Run: `deno run -A bench/hash.bench.ts`
 * or `bun run bench/hash.bench.ts` (`--sizes 64,4096` narrows it).
 *
 * @module
 */

import { createXXHash3, createXXHash64, type IHasher } from "hash-wasm";
import xxhashWasm from "xxhash-wasm";
import { backend, createXxh3, xxh3, xxh64 } from "../mod.ts";
import { addBench, benchSizes, runAndReport } from "./report.ts";

type Hash = (data: Uint8Array) => bigint;

// deno-lint-ignore no-explicit-any
const bunHash: any = (globalThis as any).Bun?.hash;
const { h64Raw } = await xxhashWasm();

function hashWasm(hasher: IHasher): Hash {
  return (data) => {
    hasher.init();
    hasher.update(data);
    const digest = hasher.digest("binary");
    return new DataView(digest.buffer, digest.byteOffset).getBigUint64(0, false);
  };
}

const implementations: Record<"xxh64" | "xxh3", [string, Hash | undefined, boolean][]> = {
  xxh64: [
    ["binlane xxh64", (d) => xxh64(d), false],
    ["Bun.hash.xxHash64", bunHash && ((d) => BigInt.asUintN(64, bunHash.xxHash64(d))), true],
    ["xxhash-wasm h64Raw", (d) => h64Raw(d), true],
    ["hash-wasm", hashWasm(await createXXHash64()), true],
  ],
  xxh3: [
    ["binlane xxh3", (d) => xxh3(d), false],
    ["Bun.hash.xxHash3", bunHash && ((d) => BigInt.asUintN(64, bunHash.xxHash3(d))), true],
    ["hash-wasm", hashWasm(await createXXHash3()), true],
  ],
};

function streamed(data: Uint8Array): bigint {
  using hasher = createXxh3();
  for (let at = 0; at < data.length; at += 4096) hasher.update(data.subarray(at, at + 4096));
  return hasher.digest();
}

for (const size of benchSizes()) {
  const data = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
  for (const [kernel, list] of Object.entries(implementations)) {
    const expected = list[0][1]!(data);
    for (const [name, fn, peer] of list) {
      if (!fn) continue;
      if (fn(data) !== expected) throw new Error(`${name} disagrees on ${kernel} of ${size} B`);
      addBench(kernel, name, size, peer, fn, data);
    }
  }
  if (size >= 4096) addBench("xxh3", "binlane createXxh3, 4 KiB updates", size, false, streamed, data);
}

const info = backend();
await runAndReport(`Hash benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`);
