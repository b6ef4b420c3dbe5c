/**
 * The npm channel, as its users get it: `deno task pack` once per test run,
 * then the tarball installed by `bun add` and by `npm install` into fresh
 * folders, offline, and test/fixtures/npm_consumer.mjs run there under Bun
 * (native), Node (the JS path) and Deno's `npm:` resolution (native). Every
 * child has a timeout; a runtime that is absent is skipped with a message.
 *
 * @module
 */

import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test, underBun } from "./harness.ts";

const root = new URL("..", import.meta.url).pathname;
const consumer = new URL("./fixtures/npm_consumer.mjs", import.meta.url).pathname;
const platforms: Record<string, string> = {
  "linux-x86_64": "libbinlane.so",
  "linux-aarch64": "libbinlane.so",
  "darwin-x86_64": "libbinlane.dylib",
  "darwin-aarch64": "libbinlane.dylib",
  "windows-x86_64": "binlane.dll",
};
const hostPlatform = (() => {
  const arch = process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch;
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${arch}`;
})();

/** The environment of a user who never set a binlane variable (the suite's JS-path run sets one). */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Empty rather than absent: Deno's child_process adds `env` to the parent's instead of replacing it.
    if (value !== undefined) env[name] = name.startsWith("BINLANE_") ? "" : value;
  }
  return { ...env, ...extra };
}

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? root,
    env: options.env ?? userEnv(),
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    killSignal: "SIGKILL",
  });
  if (result.error) throw new Error(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.signal) {
    throw new Error(`${command} ${args.join(" ")} was killed by ${result.signal}: ${result.stderr}`);
  }
  return result;
}

/** `command`'s version line, or undefined when it is not installed. */
function version(command: string): string | undefined {
  const result = spawnSync(command, ["--version"], { encoding: "utf8", timeout: 20_000 });
  return result.status === 0 ? result.stdout.trim().split("\n")[0] : undefined;
}

const denoCommand = underBun ? "deno" : process.execPath;
const bunCommand = underBun ? process.execPath : "bun";
// BINLANE_NODE names another Node to run the package with (CI: a current one, beside the machine's Node 20).
const nodeCommand = process.env.BINLANE_NODE ?? "node";

const scratch = mkdtempSync(join(tmpdir(), "binlane-npm-test-"));
let packed: { path: string; output: string } | undefined;

/** Packs once per test run: every test here installs the same tarball. */
function tarball(): { path: string; output: string } {
  if (packed) return packed;
  const result = run(denoCommand, ["run", "--allow-all", `${root}pack.ts`, "--out", join(scratch, "dist")], {
    timeoutMs: 600_000,
  });
  assert.equal(result.status, 0, `deno task pack failed:\n${result.stdout}\n${result.stderr}`);
  const lines = result.stdout.trim().split("\n");
  packed = { path: lines.at(-1)!, output: result.stdout };
  return packed;
}

/** A fresh folder holding an empty project, as a user's would be. */
function project(name: string): string {
  const directory = mkdtempSync(join(scratch, `${name}-`));
  writeFileSync(join(directory, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  copyFileSync(consumer, join(directory, "npm_consumer.mjs"));
  return directory;
}

interface ConsumerReport {
  backend: { path: string; runtime: string; reason: string | null };
  cpu: string;
  library: string | null;
  failures: string[];
  workers: string;
  importMs: number;
}

function consume(command: string, args: string[], cwd: string): ConsumerReport {
  // Caches of this folder's own, so that the first run is cold.
  const env = userEnv({
    DENO_DIR: join(cwd, ".deno"),
    BUN_RUNTIME_TRANSPILER_CACHE_PATH: join(cwd, ".bun-transpiled"),
  });
  const result = run(command, [...args, "npm_consumer.mjs"], { cwd, env, timeoutMs: 60_000 });
  assert.equal(result.status, 0, `${command} ${args.join(" ")} npm_consumer.mjs:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

/** Two runs, the first cold (nothing compiled or cached for this folder yet), the second warm. */
function consumeTwice(channel: string, command: string, args: string[], cwd: string): ConsumerReport {
  const cold = consume(command, args, cwd);
  const warm = consume(command, args, cwd);
  console.log(
    `${channel}: ${cold.backend.path}, import ${cold.importMs.toFixed(1)} ms cold, ${
      warm.importMs.toFixed(1)
    } ms warm`,
  );
  assert.deepEqual(warm.failures, []);
  assert.equal(warm.backend.path, cold.backend.path);
  return cold;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Where a package manager put the package in `directory`. */
function installed(directory: string): string {
  return join(directory, "node_modules", "@binlane", "binlane");
}

function npmInstall(directory: string): void {
  const result = run("npm", [
    "install",
    "--offline",
    "--no-audit",
    "--no-fund",
    "--cache",
    join(directory, ".npm-cache"),
    tarball().path,
  ], { cwd: directory });
  assert.equal(result.status, 0, `npm install failed:\n${result.stderr}`);
}

function bunAdd(directory: string): void {
  // A cache of its own: Bun would otherwise serve an earlier tarball of the same version.
  const env = userEnv({ BUN_INSTALL_CACHE_DIR: join(directory, ".bun-cache") });
  const result = run(bunCommand, ["add", tarball().path], { cwd: directory, env });
  assert.equal(result.status, 0, `bun add failed:\n${result.stderr}`);
}

test(
  "deno task pack writes JavaScript, declarations and every library with its manifest, and nothing else",
  () => {
    if (!version("npm")) return console.log("skipped: npm is not installed");
    const { path, output } = tarball();
    assert.match(path, /binlane-binlane-\d+\.\d+\.\d+.*\.tgz$/);
    console.log(output.trim().split("\n").at(-2));
    const unpacked = mkdtempSync(join(scratch, "unpacked-"));
    const untar = run("tar", ["xzf", path, "-C", unpacked]);
    assert.equal(untar.status, 0, untar.stderr);
    const files: string[] = [];
    const walk = (prefix: string) => {
      for (const entry of readdirSync(join(unpacked, prefix), { withFileTypes: true })) {
        const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) walk(relative);
        else files.push(relative);
      }
    };
    walk("");
    const inPackage = files.filter((file) => file.startsWith("package/")).map((file) => file.slice(8));
    assert.equal(inPackage.length, files.length, "everything under package/");

    // The checkout's layout, each module as JavaScript with its declarations, and no TypeScript source.
    const sources = ["mod.ts", ...readdirSync(join(root, "src"), { recursive: true }) as string[]]
      .map((file) => (file === "mod.ts" ? file : `src/${file}`))
      .concat(readdirSync(join(root, "ffi")).map((file) => `ffi/${file}`))
      .filter((file) => file.endsWith(".ts"));
    for (const source of sources) {
      assert.ok(inPackage.includes(source.replace(/\.ts$/, ".js")), `${source} as JavaScript`);
      assert.ok(inPackage.includes(source.replace(/\.ts$/, ".d.ts")), `${source}'s declarations`);
    }
    const stray = inPackage.filter((file) =>
      (file.endsWith(".ts") && !file.endsWith(".d.ts")) || /^(test|bench|examples|native-zig)\//.test(file) ||
      file.includes("_test.")
    );
    assert.deepEqual(stray, []);
    for (const file of ["README.md", "LICENSE", "package.json"]) assert.ok(inPackage.includes(file), file);

    // Every platform's library, exactly the bytes its manifest pins.
    for (const [platform, library] of Object.entries(platforms)) {
      const directory = join(unpacked, "package", "ffi", "lib", platform);
      const manifest = JSON.parse(readFileSync(join(directory, "manifest.json"), "utf8"));
      const bytes = readFileSync(join(directory, library));
      assert.deepEqual(
        { platform: manifest.platform, file: manifest.file, size: manifest.size, sha256: manifest.sha256 },
        { platform, file: library, size: bytes.length, sha256: sha256(bytes) },
      );
    }

    // No JavaScript module may still name a .ts file: Node and Bun would fail to load it.
    for (const file of inPackage.filter((name) => name.endsWith(".js") || name.endsWith(".d.ts"))) {
      const code = readFileSync(join(unpacked, "package", file), "utf8").split("\n")
        .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
      const left = code.filter((line) => /["']\.\.?\/[^"']*\.ts["']/.test(line) && !/\.d\.ts["']/.test(line));
      assert.deepEqual(left, [], file);
    }

    const manifest = JSON.parse(readFileSync(join(unpacked, "package", "package.json"), "utf8"));
    const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
    assert.equal(manifest.name, "@binlane/binlane");
    assert.equal(manifest.version, deno.version);
    assert.equal(manifest.type, "module");
    assert.deepEqual(manifest.exports["."], { types: "./mod.d.ts", default: "./mod.js" });
    assert.equal(typeof manifest.engines.node, "string");
    assert.equal(typeof manifest.engines.bun, "string");
    // Nothing runs at install time, and nothing is fetched.
    for (
      const field of [
        "scripts",
        "dependencies",
        "optionalDependencies",
        "peerDependencies",
        "devDependencies",
      ]
    ) {
      assert.equal(manifest[field], undefined, field);
    }
  },
  600_000,
);

test("bun add of the tarball gives the native path and right answers", () => {
  if (!version(bunCommand)) return console.log("skipped: bun is not installed");
  if (!(hostPlatform in platforms)) return console.log(`skipped: no library for ${hostPlatform}`);
  const directory = project("bun");
  bunAdd(directory);
  const report = consumeTwice("bun", bunCommand, [], directory);
  assert.deepEqual(report.failures, []);
  assert.deepEqual(report.backend, { path: "native", runtime: "bun", reason: null });
  assert.equal(
    report.library,
    join(installed(directory), "ffi", "lib", hostPlatform, platforms[hostPlatform]),
  );
  assert.equal(report.workers, "ok");
}, 600_000);

test("npm install of the tarball then node runs the API on the JS path with right answers", () => {
  if (!version("npm")) return console.log("skipped: npm is not installed");
  // The machine's Node (20 here, the oldest the package supports) and the one BINLANE_NODE names.
  const nodes = [...new Set(["node", nodeCommand])];
  const directory = project("node");
  npmInstall(directory);
  for (const command of nodes) {
    const node = version(command);
    if (!node) {
      console.log(`skipped: ${command} is not installed`);
      continue;
    }
    if (Number(/^v(\d+)/.exec(node)?.[1] ?? 0) < 20) {
      console.log(`skipped: ${command} is ${node}; the package needs Node 20`);
      continue;
    }
    const report = consumeTwice("node", command, [], directory);
    assert.deepEqual(report.failures, [], node);
    assert.deepEqual(report.backend, {
      path: "js",
      runtime: "node",
      reason: "no-ffi: node has no FFI binlane can use",
    });
    // Node has no web Workers: a worker stage says so with its code rather than hanging or crashing.
    assert.ok(report.workers === "E_WORKER" || report.workers === "ok", report.workers);
  }
}, 600_000);

test(
  "deno's npm: resolution of the npm-installed package gives native, reading and writing only the project",
  () => {
    if (!version("npm")) return console.log("skipped: npm is not installed");
    if (!version(denoCommand)) return console.log("skipped: deno is not installed");
    if (!(hostPlatform in platforms)) return console.log(`skipped: no library for ${hostPlatform}`);
    const directory = project("deno");
    npmInstall(directory);
    const flags = [
      "run",
      "--node-modules-dir=manual",
      `--allow-read=${directory}`,
      `--allow-write=${directory}`,
      // Unscoped: Deno 2.9 refuses `UnsafePointer.create`/`of` (NativeBuffer, MappedFile) under a scoped grant.
      "--allow-ffi",
      "--allow-env",
    ];
    const report = consumeTwice("deno npm", denoCommand, flags, directory);
    assert.deepEqual(report.failures, []);
    assert.deepEqual(report.backend, { path: "native", runtime: "deno", reason: null });
    assert.equal(
      report.library,
      join(installed(directory), "ffi", "lib", hostPlatform, platforms[hostPlatform]),
    );
    assert.equal(report.workers, "ok");
    // The `npm:` specifier itself, not only the bare name.
    writeFileSync(
      join(directory, "specifier.mjs"),
      'import { backend, crc32c } from "npm:@binlane/binlane";\n' +
        'console.log(backend().path, crc32c(new TextEncoder().encode("123456789")));\n',
    );
    const result = run(denoCommand, [...flags, "specifier.mjs"], { cwd: directory, timeoutMs: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), `native ${0xe3069283}`);
  },
  600_000,
);

test("the package's declarations type-check a TypeScript user under nodenext, libraries checked too", () => {
  if (!version("npm")) return console.log("skipped: npm is not installed");
  // tsc runs on Node 20 as well; the root's development packages bring it.
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  if (!version("node")) return console.log("skipped: node is not installed");
  try {
    statSync(tsc);
  } catch {
    return console.log("skipped: typescript is not installed (deno task test installs it)");
  }
  const directory = project("types");
  npmInstall(directory);
  writeFileSync(
    join(directory, "user.ts"),
    [
      'import { backend, type BackendInfo, BinlaneError, crc32c, struct, u32, u8 } from "@binlane/binlane";',
      "const Packet = struct({ type: u8, len: u32 });",
      "const size: number = Packet.size;",
      "const checksum: number = crc32c(new Uint8Array(3));",
      "const info: BackendInfo = backend();",
      'const code: string = new BinlaneError("E_TYPE", "x").code;',
      // Fails to compile if the declarations went missing and everything became `any`.
      "// @ts-expect-error a number is not bytes",
      "crc32c(12);",
      "console.log(size, checksum, info.path, code);",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(directory, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["esnext", "dom"],
        types: [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ["user.ts"],
    }),
  );
  const result = run("node", [tsc, "-p", directory], { cwd: directory });
  assert.equal(result.status, 0, `tsc:\n${result.stdout}${result.stderr}`);
}, 600_000);

test("a library damaged inside the installed package is refused before it is opened, never loaded", () => {
  if (!version(bunCommand)) return console.log("skipped: bun is not installed");
  if (!(hostPlatform in platforms)) return console.log(`skipped: no library for ${hostPlatform}`);
  const damage: Record<string, (path: string) => void> = {
    // As an interrupted unpack would leave it: dlopen of this would die with SIGBUS.
    truncated: (path) => truncateSync(path, Math.floor(statSync(path).size / 2)),
    // The right size, one byte changed in the code: only the hash can tell.
    "one byte changed": (path) => {
      const bytes = readFileSync(path);
      bytes[bytes.length >> 1] ^= 0x40;
      writeFileSync(path, bytes);
    },
  };
  for (const [how, spoil] of Object.entries(damage)) {
    const directory = project("damaged");
    bunAdd(directory);
    const lib = join(installed(directory), "ffi", "lib", hostPlatform);
    spoil(join(lib, platforms[hostPlatform]));
    const report = consume(bunCommand, [], directory);
    assert.deepEqual(report.failures, [], how);
    assert.equal(report.backend.path, "js", how);
    assert.match(report.backend.reason ?? "", /damaged/, how);
  }
}, 600_000);

process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

test(
  "the linux-aarch64 library from the tarball loads and answers under qemu-user, in aarch64 Bun and Deno",
  () => {
    // The aarch64 runtimes of the npm registry (`npm pack @oven/bun-linux-aarch64 @deno/linux-arm64-glibc`),
    // and an aarch64 glibc for qemu (Debian's libc6-arm64-cross).
    const runtimes = [
      { name: "bun", binary: process.env.BINLANE_BUN_AARCH64, args: [] },
      {
        name: "deno",
        binary: process.env.BINLANE_DENO_AARCH64,
        args: [
          "run",
          "--node-modules-dir=manual",
          "--allow-read=.",
          "--allow-write=.",
          "--allow-ffi",
          "--allow-env",
        ],
      },
    ].filter((runtime) => runtime.binary !== undefined);
    const sysroot = process.env.QEMU_LD_PREFIX ?? "/usr/aarch64-linux-gnu";
    // The children run with the user's environment either way: the suite's JS-path pass would repeat this.
    if (process.env.BINLANE_BACKEND === "js") return console.log("skipped: the native pass runs it");
    if (runtimes.length === 0) {
      return console.log(
        "skipped: neither BINLANE_BUN_AARCH64 nor BINLANE_DENO_AARCH64 names an aarch64 runtime",
      );
    }
    if (!version("qemu-aarch64")) return console.log("skipped: qemu-aarch64 is not installed");
    try {
      statSync(join(sysroot, "lib", "ld-linux-aarch64.so.1"));
    } catch {
      return console.log(`skipped: no aarch64 glibc under ${sysroot} (libc6-arm64-cross)`);
    }
    const directory = project("aarch64");
    npmInstall(directory);
    for (const { name, binary, args } of runtimes) {
      const env = userEnv({ DENO_DIR: join(directory, ".deno") });
      const command = ["-L", sysroot, binary!, ...args, "npm_consumer.mjs"];
      const result = run("qemu-aarch64", command, { cwd: directory, env, timeoutMs: 300_000 });
      assert.equal(result.status, 0, result.stderr);
      const report: ConsumerReport = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
      console.log(
        `${name} on aarch64 under qemu: ${report.backend.path} (${report.cpu}), import ${
          report.importMs.toFixed(0)
        } ms`,
      );
      assert.deepEqual(report.failures, [], name);
      assert.deepEqual(report.backend, { path: "native", runtime: name, reason: null });
      assert.equal(report.cpu, "neon", name);
      assert.equal(
        report.library,
        join(installed(directory), "ffi", "lib", "linux-aarch64", "libbinlane.so"),
        name,
      );
      assert.equal(report.workers, "ok", name);
    }
  },
  600_000,
);
