import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { findZig } from "../build.ts";
import { ABI_VERSION, symbols, type SymbolSpec } from "../ffi/symbols.ts";
import { expectedLayoutTable } from "../src/crossing.ts";
import { crc32cJs } from "../src/crc.ts";
import { test, underBun } from "./harness.ts";

const probe = new URL("./fixtures/probe.ts", import.meta.url).pathname;
const expectedCrc = crc32cJs(new Uint8Array(1000).fill(7), 0);

interface Report {
  backend?: { path: string; cpu: string; reason?: string; library?: string };
  crc?: number;
  error?: string;
  message?: string;
}

/**
 * Runs the probe in a fresh process of this runtime with `env` set. Every
 * setting not given is set empty (read as unset): Deno's child_process adds
 * `env` to the parent's environment rather than replacing it.
 */
function runProbe(env: Record<string, string>, denoPermissions = ["--allow-all"]): Report {
  const settings = { BINLANE_BACKEND: "", BINLANE_LIB: "", BINLANE_CPU: "" };
  const inherited = { ...process.env, ...settings };
  const args = underBun ? ["run", probe] : ["run", ...denoPermissions, probe];
  const result = spawnSync(process.execPath, args, { env: { ...inherited, ...env }, encoding: "utf8" });
  assert.equal(result.status, 0, `probe exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

const zigTypes: Record<string, string> = { buffer: "?*anyopaque", u32: "u32", u64: "u64", void: "void" };

/**
 * Zig source for a library with every symbol of the table, reporting the
 * given ABI version and layout table: a stand-in for a mismatched build.
 */
function fakeLibrarySource(abiVersion: number, layout: number[]): string {
  const lines = [`const layout = [_]u32{ ${layout.join(", ")} };`];
  for (const [name, spec] of Object.entries(symbols as Record<string, SymbolSpec>)) {
    const parameters = spec.parameters.map((type, i) => `p${i}: ${zigTypes[type]}`).join(", ");
    const discard = spec.parameters.map((_, i) => `_ = p${i};`).join(" ");
    let body = `${discard} return 0;`;
    if (name === "binlane_abi_version") body = `return ${abiVersion};`;
    if (name === "binlane_layout_table_len") body = "return layout.len;";
    if (name === "binlane_layout_table") {
      body = "_ = p1; const out: [*]u32 = @ptrCast(@alignCast(p0.?)); " +
        "@memcpy(out[0..layout.len], &layout); return 0;";
    }
    lines.push(`export fn ${name}(${parameters}) ${zigTypes[spec.result]} { ${body} }`);
  }
  return lines.join("\n") + "\n";
}

function buildFakeLibrary(directory: string, name: string, source: string): string {
  const sourcePath = join(directory, `${name}.zig`);
  const libraryPath = join(directory, `lib${name}.so`);
  writeFileSync(sourcePath, source);
  const zig = findZig();
  const result = spawnSync(zig[0], [
    ...zig.slice(1),
    "build-lib",
    "-dynamic",
    "-O",
    "ReleaseSmall",
    "-mcpu",
    "baseline",
    sourcePath,
    `-femit-bin=${libraryPath}`,
  ], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return libraryPath;
}

test("a missing library falls back to JS, or fails loudly when native is required", () => {
  const fallback = runProbe({ BINLANE_LIB: "/nonexistent/libbinlane.so" });
  assert.equal(fallback.backend?.path, "js");
  assert.match(fallback.backend?.reason ?? "", /open-failed/);
  assert.equal(fallback.crc, expectedCrc);
  const strict = runProbe({ BINLANE_LIB: "/nonexistent/libbinlane.so", BINLANE_BACKEND: "native" });
  assert.equal(strict.error, "E_LIBRARY_LOAD");
  assert.match(strict.message ?? "", /nonexistent/);
});

// The stand-in libraries are built for Linux.
const onLinux = process.platform === "linux";

if (onLinux) {
  test("a library of another ABI version or struct layout is refused with a clear error", () => {
    const directory = mkdtempSync(join(tmpdir(), "binlane-fake-"));
    try {
      const layout = expectedLayoutTable();
      const wrongAbi = buildFakeLibrary(directory, "wrong_abi", fakeLibrarySource(ABI_VERSION + 1, layout));
      const wrongLayout = layout.slice();
      wrongLayout[1] += 8; // NativeStats grew a field
      const badLayout = buildFakeLibrary(
        directory,
        "bad_layout",
        fakeLibrarySource(ABI_VERSION, wrongLayout),
      );
      const sane = buildFakeLibrary(directory, "sane", fakeLibrarySource(ABI_VERSION, layout));

      const abi = runProbe({ BINLANE_LIB: wrongAbi, BINLANE_BACKEND: "native" });
      assert.equal(abi.error, "E_ABI_MISMATCH");
      assert.match(abi.message ?? "", new RegExp(`ABI version ${ABI_VERSION + 1}, expected ${ABI_VERSION}`));
      const abiFallback = runProbe({ BINLANE_LIB: wrongAbi });
      assert.equal(abiFallback.backend?.path, "js");
      assert.equal(abiFallback.crc, expectedCrc);

      const structs = runProbe({ BINLANE_LIB: badLayout, BINLANE_BACKEND: "native" });
      assert.equal(structs.error, "E_LAYOUT_MISMATCH");

      // The control: the same generator with the right numbers loads.
      const loaded = runProbe({ BINLANE_LIB: sane, BINLANE_BACKEND: "native" });
      assert.equal(loaded.backend?.path, "native", loaded.message);
      assert.equal(loaded.backend?.library, sane);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 120_000);
}

// Bun has no permission system.
if (!underBun) {
  test("Deno without --allow-ffi runs on the JS path, or fails loudly when native is required", () => {
    const permissions = ["--allow-read", "--allow-env"];
    const fallback = runProbe({}, permissions);
    assert.equal(fallback.backend?.path, "js");
    assert.match(fallback.backend?.reason ?? "", /allow-ffi/);
    assert.equal(fallback.crc, expectedCrc);
    const strict = runProbe({ BINLANE_BACKEND: "native" }, permissions);
    assert.equal(strict.error, "E_NO_NATIVE");
    const noEnv = runProbe({ BINLANE_BACKEND: "js" }, ["--allow-read", "--allow-ffi"]);
    assert.equal(noEnv.backend?.path, "native", "without env access the settings read as unset");
  });
}

test("BINLANE_BACKEND and BINLANE_CPU are obeyed, and bad values are refused", () => {
  assert.equal(runProbe({ BINLANE_BACKEND: "js" }).backend?.path, "js");
  const native = runProbe({ BINLANE_BACKEND: "native", BINLANE_CPU: "scalar" });
  assert.equal(native.backend?.path, "native");
  assert.equal(native.backend?.cpu, "scalar");
  assert.equal(native.crc, expectedCrc);
  assert.equal(runProbe({ BINLANE_BACKEND: "fast" }).error, "E_CONFIG");
  assert.equal(runProbe({ BINLANE_CPU: "avx9000" }).error, "E_CONFIG");
  const foreign = process.arch === "arm64" ? "avx2" : "neon";
  assert.equal(runProbe({ BINLANE_CPU: foreign }).error, "E_UNSUPPORTED_CPU");
});
