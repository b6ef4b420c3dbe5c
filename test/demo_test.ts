import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { crc32 as zlibCrc32 } from "node:zlib";
import { backend } from "../mod.ts";
import { crc32cJs } from "../src/crc.ts";
import { randomBytes, seededRandom, test, underBun } from "./harness.ts";

const demo = new URL("../examples/cksum.ts", import.meta.url).pathname;

function runDemo(args: string[]): string[] {
  const runtimeArgs = underBun ? ["run", demo] : ["run", "--allow-read", "--allow-ffi", "--allow-env", demo];
  const result = spawnSync(process.execPath, [...runtimeArgs, ...args], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim().split("\n");
}

const hex = (value: number) => value.toString(16).padStart(8, "0");

test("the cksum demo prints the checksums of the files it is given", () => {
  const directory = mkdtempSync(join(tmpdir(), "binlane-demo-"));
  try {
    const random = seededRandom(11);
    const sizes = [0, 1, 4095, 300_001];
    const paths = sizes.map((size, i) => {
      const path = join(directory, `file${i}.bin`);
      writeFileSync(path, randomBytes(random, size));
      return path;
    });
    const lines = runDemo([...paths, "--chunk-size", "65536"]);
    sizes.forEach((size, i) => {
      const bytes = randomBytes(seededRandom(11), sizes.slice(0, i + 1).reduce((a, b) => a + b, 0))
        .subarray(sizes.slice(0, i).reduce((a, b) => a + b, 0));
      const expected = `crc32c=${hex(crc32cJs(bytes, 0))} crc32=${hex(zlibCrc32(bytes))} ${size} ${paths[i]}`;
      assert.equal(lines[i], expected);
    });
    assert.match(lines.at(-2)!, /^backend: (native|js) /);
    assert.match(lines.at(-1)!, /GB\/s/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("the generated sample checksums the same whatever the chunk size", () => {
  const results = ["4096", "100000", "1MiB"].map((chunk) =>
    runDemo(["--sample-size", "3MiB", "--chunk-size", chunk])[0]
  );
  assert.match(results[0], /^crc32c=[0-9a-f]{8} crc32=[0-9a-f]{8} 3145728 sample/);
  assert.equal(results[1], results[0]);
  assert.equal(results[2], results[0]);
});

test("the records example prints the classic layouts and round-trips its ticks", () => {
  const example = new URL("../examples/records.ts", import.meta.url).pathname;
  const runtimeArgs = underBun
    ? ["run", example]
    : ["run", "--allow-read", "--allow-ffi", "--allow-env", example];
  const result = spawnSync(process.execPath, runtimeArgs, { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.split("\n");
  assert.equal(lines[0], "Packet           size 24  align 8  type@0 len@4 flags@8 ts@16");
  assert.equal(lines[1], "SensorReading    size 14  align 1  id@0 ts@2 temp@6 humidity@8 pressure@10");
  assert.equal(lines[2], "MarketData       size 32  align 8  symbol@0 price@8 quantity@16 ts@24");
  assert.equal(lines[3], "TimeSeriesPoint  size 24  align 8  ts@0 value@8 flags@16");
  assert.equal(lines[4], "MessageHeader    size 16  align 8  type@0 len@4 ts@8");
  assert.match(result.stdout, /1201/); // the quantity changed through a view
  assert.match(result.stdout, /^volume 1511$/m); // 300 + 10 + 1201, through the moving view
  assert.match(result.stdout, /_Static_assert\(sizeof\(struct SensorReading\) == 14/);
  assert.match(result.stdout, /std\.debug\.assert\(@sizeOf\(MessageHeader\) == 16\)/);
});

test("the pipeline demo writes a framed feed, reads it back checked, and verifies every count", () => {
  const example = new URL("../examples/pipeline.ts", import.meta.url).pathname;
  const runtimeArgs = underBun
    ? ["run", example]
    : ["run", "--allow-read", "--allow-write", "--allow-ffi", "--allow-env", example];
  const result = spawnSync(process.execPath, [...runtimeArgs, "--ticks", "50000", "--readings", "30001"], {
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr + result.stdout);
  const out = result.stdout;
  // 50,000 ticks in batches of 8,192 make 7 frames; 30,001 readings make 4.
  assert.match(out, /^11 frames, 50000 ticks and 30001 readings, \d+ bytes: /m);
  for (
    const stage of [
      "generate \\+ frame \\+ write",
      "stream: read \\+ check frames",
      "of which: payloads to columns",
      "mapFile: map \\+ check frames",
    ]
  ) {
    assert.match(out, new RegExp(`^\\s*${stage}.*(\\d+\\.\\d\\d|-)$`, "m"));
  }
  assert.equal(out.match(/^[A-Z0-9]{4}\s+\d+\s+\d+\s+[\d.]+/gm)?.length, 8, "a row per symbol");
  assert.match(out, /^sensors: 30001 readings/m);
  assert.match(
    out,
    /^verified: every frame checked, every count and volume as written, both reads identical$/m,
  );
  assert.match(out, backend().path === "native" ? /and memory-mapped$/m : /and copied/m);
  assert.match(result.stderr, /reading .*100%/);
});
