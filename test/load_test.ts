import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { findZig } from "../build.ts";
import { sha256Hex } from "../ffi/library_check.ts";
import { libraryFileName, type PlatformDirectory, platformDirectory } from "../ffi/platform.ts";
import { ABI_VERSION, symbols, type SymbolSpec } from "../ffi/symbols.ts";
import { expectedLayoutTable } from "../src/crossing.ts";
import { crc32cJs } from "../src/crc.ts";
import { test, underBun } from "./harness.ts";

const probe = new URL("./fixtures/probe.ts", import.meta.url).pathname;
const expectedCrc = crc32cJs(new Uint8Array(1000).fill(7), 0);

interface Report {
  backend?: {
    path: string;
    cpu: string;
    reason?: string;
    library?: string;
    memory?: string;
    memoryReason?: string;
  };
  crc?: number;
  bufferCrc?: number;
  error?: string;
  message?: string;
}

/** Long enough for a cold start on a loaded machine; a hang (a FIFO opened for reading) fails the test. */
const CHILD_TIMEOUT_MS = 30_000;

/**
 * Runs the probe in a fresh process of this runtime with `env` set. Every
 * setting not given is set empty (read as unset): Deno's child_process adds
 * `env` to the parent's environment rather than replacing it. A crash or a
 * hang fails the assertion instead of the suite.
 */
function runProbe(env: Record<string, string>, denoPermissions = ["--allow-all"], script = probe): Report {
  const settings = { BINLANE_BACKEND: "", BINLANE_LIB: "", BINLANE_LIB_SHA256: "", BINLANE_CPU: "" };
  const inherited = { ...process.env, ...settings };
  const args = underBun ? ["run", script] : ["run", ...denoPermissions, script];
  const result = spawnSync(process.execPath, args, {
    env: { ...inherited, ...env },
    encoding: "utf8",
    timeout: CHILD_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  assert.equal(
    result.signal,
    null,
    `probe killed by ${result.signal} (${JSON.stringify(env)}): ${result.stderr}`,
  );
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
  assert.match(fallback.backend?.reason ?? "", /check-failed: .*cannot stat/);
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
  assert.equal(native.backend?.memory, "native", "an unscoped grant (or Bun) views native memory");
  assert.equal(native.bufferCrc, native.crc);
  assert.equal(native.backend?.cpu, "scalar");
  assert.equal(native.crc, expectedCrc);
  assert.equal(runProbe({ BINLANE_BACKEND: "fast" }).error, "E_CONFIG");
  assert.equal(runProbe({ BINLANE_CPU: "avx9000" }).error, "E_CONFIG");
  const foreign = process.arch === "arm64" ? "avx2" : "neon";
  assert.equal(runProbe({ BINLANE_CPU: foreign }).error, "E_UNSUPPORTED_CPU");
});

const host = platformDirectory(process.platform, process.arch);
const root = fileURLToPath(new URL("../", import.meta.url));

/** A scratch directory for `body`, removed after it. */
function inScratch(body: (directory: string) => void): void {
  const directory = mkdtempSync(join(tmpdir(), "binlane-load-"));
  try {
    body(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** A copy of the package (mod.ts, src/, ffi/ and its built library) with the probe, as an install would be. */
function copyInstall(
  directory: string,
  platform: PlatformDirectory,
): { probe: string; library: string; manifest: string } {
  const libraryName = libraryFileName(platform);
  cpSync(join(root, "src"), join(directory, "src"), { recursive: true });
  copyFileSync(join(root, "mod.ts"), join(directory, "mod.ts"));
  for (const name of readdirSync(join(root, "ffi")).filter((file) => file.endsWith(".ts"))) {
    copyFileSync(join(root, "ffi", name), join(directory, "ffi", name));
  }
  const libraryDirectory = join(directory, "ffi", "lib", platform);
  mkdirSync(libraryDirectory, { recursive: true });
  const library = join(libraryDirectory, libraryName);
  const manifest = join(libraryDirectory, "manifest.json");
  copyFileSync(join(root, "ffi", "lib", platform, libraryName), library);
  copyFileSync(join(root, "ffi", "lib", platform, "manifest.json"), manifest);
  const copiedProbe = join(directory, "test", "fixtures", "probe.ts");
  mkdirSync(dirname(copiedProbe), { recursive: true });
  copyFileSync(probe, copiedProbe);
  return { probe: copiedProbe, library, manifest };
}

if (host) {
  const libraryName = libraryFileName(host);
  const shippedLibrary = join(root, "ffi", "lib", host, libraryName);
  const original = new Uint8Array(readFileSync(shippedLibrary));
  const originalSha = sha256Hex(original);

  test("a truncated BINLANE_LIB is refused before dlopen, not crashed on, and the JS path works", () => {
    inScratch((directory) => {
      for (const length of [original.length >> 1, 4096]) {
        const truncated = join(directory, `cut-${length}-${libraryName}`);
        writeFileSync(truncated, original.subarray(0, length));
        const fallback = runProbe({ BINLANE_LIB: truncated });
        assert.equal(fallback.backend?.path, "js", `${length} bytes`);
        assert.match(fallback.backend?.reason ?? "", /^check-failed: the library is malformed: .*outside/);
        assert.equal(fallback.crc, expectedCrc);
        const strict = runProbe({ BINLANE_LIB: truncated, BINLANE_BACKEND: "native" });
        assert.equal(strict.error, "E_LIBRARY_LOAD", strict.message);
        assert.ok(strict.message?.includes(truncated), strict.message);
      }
      // The control: a whole copy passes the same structure check and loads.
      const whole = join(directory, libraryName);
      writeFileSync(whole, original);
      const loaded = runProbe({ BINLANE_LIB: whole, BINLANE_BACKEND: "native" });
      assert.equal(loaded.backend?.path, "native", loaded.message);
      assert.equal(loaded.backend?.library, whole);
    });
  }, 120_000);

  if (process.platform !== "win32") {
    test("a BINLANE_LIB naming a FIFO, a directory or a device returns promptly, refused", () => {
      inScratch((directory) => {
        const fifo = join(directory, "fifo.so");
        const made = spawnSync("mkfifo", [fifo], { encoding: "utf8" });
        assert.equal(made.status, 0, made.stderr);
        // A hang opening the FIFO fails: runProbe kills it at CHILD_TIMEOUT_MS, then asserts no signal.
        const fallback = runProbe({ BINLANE_LIB: fifo });
        assert.equal(fallback.backend?.path, "js");
        assert.match(fallback.backend?.reason ?? "", /it is a FIFO, not a regular file/);
        assert.equal(fallback.crc, expectedCrc);
        assert.equal(runProbe({ BINLANE_LIB: fifo, BINLANE_BACKEND: "native" }).error, "E_LIBRARY_LOAD");
        assert.match(
          runProbe({ BINLANE_LIB: directory }).backend?.reason ?? "",
          /a directory, not a regular/,
        );
        assert.match(runProbe({ BINLANE_LIB: "/dev/zero" }).backend?.reason ?? "", /a device, not a regular/);
      });
    }, 120_000);
  }

  test("a library with one byte changed is refused by BINLANE_LIB_SHA256, naming both hashes", () => {
    inScratch((directory) => {
      const altered = original.slice();
      altered[altered.length >> 1] ^= 0x01;
      const alteredSha = sha256Hex(altered);
      const path = join(directory, libraryName);
      writeFileSync(path, altered);
      const strict = runProbe({
        BINLANE_LIB: path,
        BINLANE_LIB_SHA256: originalSha,
        BINLANE_BACKEND: "native",
      });
      assert.equal(strict.error, "E_LIBRARY_LOAD");
      assert.ok(strict.message?.includes(alteredSha) && strict.message.includes(originalSha), strict.message);
      assert.ok(strict.message?.includes(path), strict.message);
      const fallback = runProbe({ BINLANE_LIB: path, BINLANE_LIB_SHA256: originalSha });
      assert.equal(fallback.backend?.path, "js");
      assert.equal(fallback.crc, expectedCrc);
      // The pin is what vouches: the unaltered file under the same pin (in capitals) loads.
      writeFileSync(path, original);
      const pinned = runProbe({
        BINLANE_LIB: path,
        BINLANE_LIB_SHA256: originalSha.toUpperCase(),
        BINLANE_BACKEND: "native",
      });
      assert.equal(pinned.backend?.path, "native", pinned.message);
      // A pin that is not a SHA-256 means nothing, on either path.
      assert.equal(runProbe({ BINLANE_LIB: path, BINLANE_LIB_SHA256: "db0f99" }).error, "E_CONFIG");
      assert.equal(runProbe({ BINLANE_LIB_SHA256: "x".repeat(64) }).error, "E_CONFIG");
    });
  }, 120_000);

  test("the local build is checked against its manifest: a damaged install falls back to JS", () => {
    inScratch((directory) => {
      mkdirSync(join(directory, "ffi"));
      const install = copyInstall(directory, host);
      const run = (env: Record<string, string> = {}) => runProbe(env, ["--allow-all"], install.probe);
      const intact = run({ BINLANE_BACKEND: "native" });
      assert.equal(intact.backend?.path, "native", intact.message);
      assert.equal(intact.backend?.library, install.library);
      // The pin applies to the local build too.
      assert.equal(run({ BINLANE_LIB_SHA256: "0".repeat(64) }).backend?.path, "js");

      const altered = original.slice();
      altered[altered.length - 100] ^= 0x80;
      writeFileSync(install.library, altered);
      const damaged = run();
      assert.equal(damaged.backend?.path, "js");
      assert.equal(damaged.crc, expectedCrc);
      const reason = damaged.backend?.reason ?? "";
      assert.match(reason, /^check-failed: the library is damaged: its SHA-256 is/);
      assert.ok(reason.includes(sha256Hex(altered)) && reason.includes(originalSha), reason);
      const strict = run({ BINLANE_BACKEND: "native" });
      assert.equal(strict.error, "E_LIBRARY_LOAD");
      assert.ok(strict.message?.includes(install.library), strict.message);

      writeFileSync(install.library, original.subarray(0, 4096));
      assert.match(run().backend?.reason ?? "", /4096 bytes, the manifest says/);

      writeFileSync(install.library, original);
      const manifest = JSON.parse(readFileSync(install.manifest, "utf8"));
      writeFileSync(install.manifest, JSON.stringify({ ...manifest, sha256: "0".repeat(64) }));
      assert.match(run().backend?.reason ?? "", /its SHA-256 is .*, the manifest says 0{64}/);
      writeFileSync(install.manifest, JSON.stringify({ ...manifest, signed: true }));
      assert.match(run().backend?.reason ?? "", /manifest .* is unusable/);
      rmSync(install.manifest);
      if (process.platform !== "win32") {
        assert.equal(spawnSync("mkfifo", [install.manifest]).status, 0);
        assert.match(run().backend?.reason ?? "", /manifest .* is unusable \(it is a FIFO/);
        rmSync(install.manifest);
      }
      const unlisted = run({ BINLANE_BACKEND: "native" });
      assert.equal(unlisted.error, "E_LIBRARY_LOAD");
      assert.match(unlisted.message ?? "", /manifest .* is unusable \(cannot stat/);
    });
  }, 180_000);

  // Bun has no permission system.
  if (!underBun) {
    test("a Deno grant scoped to the library's directory loads the native library", () => {
      const libraryDirectory = dirname(shippedLibrary);
      for (const granted of [libraryDirectory, dirname(libraryDirectory)]) {
        const scoped = runProbe({}, [`--allow-ffi=${granted}`, `--allow-read=${granted}`, "--allow-env"]);
        assert.equal(scoped.backend?.path, "native", `${granted}: ${scoped.backend?.reason}`);
        assert.equal(scoped.crc, expectedCrc);
        // Deno's pointer calls need an unscoped --allow-ffi: handles use JavaScript memory, and say why.
        assert.equal(scoped.backend?.memory, "js");
        assert.match(scoped.backend?.memoryReason ?? "", /--allow-ffi for every path/);
        assert.equal(scoped.bufferCrc, expectedCrc, scoped.message);
      }
      // A folder of its own: the checkout itself may lie under the temporary folder.
      const unrelated = mkdtempSync(join(tmpdir(), "binlane-elsewhere-"));
      const elsewhere = runProbe({}, [`--allow-ffi=${unrelated}`, "--allow-read", "--allow-env"]);
      rmSync(unrelated, { recursive: true });
      assert.equal(elsewhere.backend?.path, "js");
      assert.match(elsewhere.backend?.reason ?? "", /not granted --allow-ffi for the library/);
      const unread = runProbe({ BINLANE_BACKEND: "native" }, [
        `--allow-ffi=${libraryDirectory}`,
        "--allow-env",
      ]);
      assert.equal(unread.error, "E_NO_NATIVE");
      assert.match(unread.message ?? "", /not granted --allow-read for the library/);
      // BINLANE_LIB readable but a pin on it not: refused, not loaded unpinned.
      const own = { BINLANE_LIB: shippedLibrary };
      const unpinnable = runProbe(own, ["--allow-ffi", "--allow-read", "--allow-env=BINLANE_LIB"]);
      assert.equal(unpinnable.backend?.path, "js");
      assert.match(unpinnable.backend?.reason ?? "", /--allow-env for BINLANE_LIB_SHA256/);
      const pinnable = runProbe(own, [
        "--allow-ffi",
        "--allow-read",
        "--allow-env=BINLANE_LIB,BINLANE_LIB_SHA256",
      ]);
      assert.equal(pinnable.backend?.path, "native", pinnable.backend?.reason);
    }, 120_000);
  }
}
