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
import { existsSync } from "node:fs";
import process from "node:process";
import { resolveLibraryPath } from "../ffi/load.ts";
import { test, underBun } from "./harness.ts";

const fuzzer = fileURLToPath(new URL("./fuzz.ts", import.meta.url));
const location = resolveLibraryPath();
/** With no backend forced and a library on disk, a fuzzer on the JS path would only compare JS with JS. */
const expectNative = process.env.BINLANE_BACKEND === undefined && "path" in location &&
  existsSync(location.path);

for (const seed of [1, 2]) {
  test(
    `fuzz: 3 seconds from seed ${seed}, every decoder and hostile input, no raw error or wrong answer`,
    () => {
      const budget = ["--seconds", "3", "--seed", String(seed)];
      const args = underBun ? [fuzzer, ...budget] : ["run", "--allow-all", fuzzer, ...budget];
      const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 120_000 });
      assert.equal(result.signal, null, `the fuzzer was killed by ${result.signal}: ${result.stderr}`);
      assert.equal(result.status, 0, `the fuzzer found: ${result.stderr}`);
      const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
        path: string;
        iterations: number;
      };
      if (expectNative) {
        assert.equal(report.path, "native", "the library is there, yet the fuzzer ran on JS alone");
      }
      assert.ok(report.iterations > 0, "the fuzzer ran no case");
    },
    150_000,
  );
}
