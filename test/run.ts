/**
 * `deno task test`: builds the native library when a source changed, checks
 * types, lint, formatting and publishability, runs the native unit tests at
 * every CPU level this machine has, then the one suite under Deno and, when
 * Bun is installed, under Bun: each on the native path and on the JS path.
 * Ends with one line `tests: N passed, N failed`; exits non-zero on any
 * failure.
 *
 * @module
 */

import { aarch64TestCpus, build, findZig, testCpus } from "../build.ts";
import { installBenchPeers } from "../bench/peers.ts";
import { supportedCpuLevels } from "../mod.ts";

interface StepResult {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
}

const decoder = new TextDecoder();
const results: StepResult[] = [];

/** Counts from the runners' own summary lines: Deno, Bun and zig test. */
function countTests(output: string): { passed: number; failed: number } {
  // deno-lint-ignore no-control-regex -- strips the runners' colour codes
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const deno = plain.match(/\| (\d+) passed .*\| (\d+) failed/);
  if (deno) return { passed: Number(deno[1]), failed: Number(deno[2]) };
  const bunPass = plain.match(/^\s*(\d+) pass$/m);
  const bunFail = plain.match(/^\s*(\d+) fail$/m);
  if (bunPass) return { passed: Number(bunPass[1]), failed: Number(bunFail?.[1] ?? 0) };
  const zigAll = plain.match(/All (\d+) tests passed/);
  if (zigAll) return { passed: Number(zigAll[1]), failed: 0 };
  const zigSome = plain.match(/(\d+) passed; \d+ skipped; (\d+) failed/);
  if (zigSome) return { passed: Number(zigSome[1]), failed: Number(zigSome[2]) };
  return { passed: 0, failed: 0 };
}

async function step(name: string, command: string[], env: Record<string, string> = {}): Promise<void> {
  console.log(`\n== ${name}: ${command.join(" ")}`);
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  const counts = countTests(output);
  results.push({ name, ok: status.success, ...counts });
  if (!status.success) console.log(`!! ${name} failed (exit ${status.code})`);
}

function installed(command: string): boolean {
  try {
    return new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const deno = Deno.execPath();
const started = performance.now();

await build({ ifChanged: true }).then(
  (built) => console.log(built ? "native libraries built" : "native libraries up to date"),
);
// The development packages (type-check, test oracle, pack) and the benchmarks' peers: needed to type-check.
await installBenchPeers({ buildAddons: false });
await step("type-check", [deno, "check", "mod.ts", "build.ts", "pack.ts", "test/", "bench/", "examples/"]);
await step("lint", [deno, "lint"]);
await step("format", [deno, "fmt", "--check"]);
await step("publish dry run", [deno, "publish", "--dry-run", "--allow-dirty"]);
await step("documentation lint", [deno, "doc", "--lint", "mod.ts"]);

const zig = findZig();
for (const level of supportedCpuLevels()) {
  const cpu = testCpus[level];
  if (!cpu) continue;
  await step(`zig tests (${level})`, [
    ...zig,
    "test",
    "native-zig/tests.zig",
    "-mcpu",
    cpu,
    "-O",
    "ReleaseSafe",
    // libc: the mapping tests make a FIFO and open it as mapFile does.
    "-lc",
  ]);
}

// aarch64 kernels (ARMv8 CRC instructions, PMULL folding, NEON search)
// under emulation, in ReleaseFast (the shipped code) and Debug (every safety
// check). Not ReleaseSafe: Zig 0.15.2 there aborts the search test with a
// spurious "integer overflow" on aarch64 that neither other mode shows.
if (installed("qemu-aarch64")) {
  const scratch = Deno.makeTempDirSync({ prefix: "binlane-aarch64-" });
  for (const [level, cpu] of Object.entries(aarch64TestCpus)) {
    for (const mode of ["ReleaseFast", "Debug"]) {
      const binary = `${scratch}/tests-${level}-${mode}`;
      const compile = [...zig, "test", "native-zig/tests.zig", "-target", "aarch64-linux", "-mcpu", cpu];
      const options = ["-O", mode, "--test-no-exec", `-femit-bin=${binary}`];
      await step(`zig build aarch64 tests (${level}, ${mode})`, [...compile, ...options]);
      await step(`zig tests aarch64 under qemu (${level}, ${mode})`, ["qemu-aarch64", "-cpu", "max", binary]);
    }
  }
  Deno.removeSync(scratch, { recursive: true });
} else {
  console.log("\n== qemu-aarch64 is not installed: skipping the aarch64 native tests");
}

const denoTest = [deno, "test", "--allow-all", "--v8-flags=--expose-gc", "test/"];
// Every JSDoc example runs, so the documentation cannot drift from the API.
await step("documentation examples", [
  deno,
  "test",
  "--doc",
  "--allow-all",
  "README.md",
  "mod.ts",
  "src/",
  "ffi/",
]);
await step("suite under Deno", denoTest);
await step("suite under Deno, JS path", denoTest, { BINLANE_BACKEND: "js" });
if (installed("bun")) {
  await step("suite under Bun", ["bun", "test", "test/"]);
  await step("suite under Bun, JS path", ["bun", "test", "test/"], { BINLANE_BACKEND: "js" });
} else {
  console.log("\n== Bun is not installed: skipping the suite under Bun");
}
// The shipped linux-aarch64 library, opened by the registry's aarch64 Bun under qemu-user (.ci/run fetches
// it): the kernels' differential tests, JS path against the neon level.
const bunAarch64 = Deno.env.get("BINLANE_BUN_AARCH64");
if (bunAarch64 && installed("qemu-aarch64")) {
  const sysroot = Deno.env.get("QEMU_LD_PREFIX") ?? "/usr/aarch64-linux-gnu";
  const kernels = [
    "crc",
    "search",
    "hash",
    "base64",
    "hex",
    "utf8",
    "reduce",
    "transpose",
    "endian",
    "intcode",
  ]
    .map((name) => `test/${name}_test.ts`);
  await step("kernel tests under aarch64 Bun (qemu)", [
    "qemu-aarch64",
    "-L",
    sysroot,
    bunAarch64,
    "test",
    ...kernels,
  ]);
} else {
  console.log(
    "\n== BINLANE_BUN_AARCH64 or qemu-aarch64 is missing: skipping the aarch64 kernel tests under Bun",
  );
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\nsummary (${seconds} s):`);
for (const result of results) {
  const counts = result.passed + result.failed > 0
    ? ` (${result.passed} passed, ${result.failed} failed)`
    : "";
  console.log(`  ${result.ok ? "ok  " : "FAIL"} ${result.name}${counts}`);
}
const passed = results.reduce((sum, result) => sum + result.passed, 0);
const failed = results.reduce((sum, result) => sum + result.failed, 0);
// A step that failed without counting a failed test (a lint error, a crash)
// counts as one failure.
const uncounted = results.filter((result) => !result.ok && result.failed === 0).length;
console.log(`tests: ${passed} passed, ${failed + uncounted} failed`);
Deno.exit(failed + uncounted === 0 ? 0 : 1);
