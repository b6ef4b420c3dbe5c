/**
 * The fuzzer (test/fuzz.ts) at a small budget, in a child process so that
 * a crash it provokes fails this test instead of killing the suite. The
 * full run is `deno task fuzz --seconds 20 --seed 1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test, underBun } from "./harness.ts";

const fuzzer = fileURLToPath(new URL("./fuzz.ts", import.meta.url));

for (const seed of [1, 2]) {
  test(
    `fuzz: 3 seconds from seed ${seed}, every decoder and hostile input, no raw error or wrong answer`,
    () => {
      const budget = ["--seconds", "3", "--seed", String(seed)];
      const args = underBun ? [fuzzer, ...budget] : ["run", "--allow-all", fuzzer, ...budget];
      const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 120_000 });
      assert.equal(result.signal, null, `the fuzzer was killed by ${result.signal}: ${result.stderr}`);
      assert.equal(result.status, 0, `the fuzzer found: ${result.stderr}`);
      const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { iterations: number };
      assert.ok(report.iterations > 100, `only ${report.iterations} iterations ran`);
    },
    150_000,
  );
}
