/**
 * Reading a file: `mapFile` against each runtime's way of reading a whole
 * file into memory (`Deno.readFile`, `Bun.file().arrayBuffer()`, and
 * `node:fs` `readFileSync` in both), each followed by a CRC-32C of every
 * byte, so that every page is really read; and the cost of the mapping
 * alone. The files are in the page cache, as a file just written or read
 * often is. Run: `deno run -A bench/mapfile.bench.ts` or
 * `bun run bench/mapfile.bench.ts`.
 *
 * @module
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bench } from "mitata";
import { backend, crc32c, mapFile } from "../mod.ts";
import { addBench, describe, runAndReport, sizeLabel } from "./report.ts";

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;
const directory = mkdtempSync(join(tmpdir(), "binlane-bench-map-"));

for (const size of [64 << 10, 1 << 20, 64 << 20]) {
  const path = join(directory, `file-${size}`);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) data[i] = i >>> 12;
  writeFileSync(path, data);
  const group = "read a file and CRC-32C every byte";
  addBench(group, "binlane mapFile (read) + crc32c + dispose", size, false, () => {
    using file = mapFile(path);
    return crc32c(file);
  });
  const entry = (name: string, bytes = size, peer = true) =>
    describe({ group: `${group} ${sizeLabel(size)}`, name, bytes, peer });
  // The mapping's own cost: no byte is read, so it has no throughput.
  bench(entry("binlane mapFile (read) + dispose, no byte read", 0, false), () => {
    using file = mapFile(path);
    return file.byteLength;
  });
  addBench(group, "node:fs readFileSync + crc32c", size, true, () => crc32c(readFileSync(path)));
  if (anyGlobal.Bun) {
    bench(entry("Bun.file().arrayBuffer() + crc32c"), async () => {
      crc32c(await anyGlobal.Bun.file(path).arrayBuffer());
    });
  } else {
    addBench(group, "Deno.readFileSync + crc32c", size, true, () => crc32c(Deno.readFileSync(path)));
    bench(entry("Deno.readFile + crc32c"), async () => {
      crc32c(await Deno.readFile(path));
    });
  }
}

const info = backend();
try {
  await runAndReport(`mapFile benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
