/**
 * Builds the native library for every supported platform into
 * `ffi/lib/<os>-<arch>/`, stripped, with a `manifest.json` beside each
 * library giving its file name, size and SHA-256: the loader refuses a
 * library that does not match it.
 *
 * It then generates the modules the JSR package ships the libraries in
 * (Deno fetches only module-graph files): `ffi/embedded/<os>-<arch>.ts`
 * with each library gzipped and base64-encoded, and `ffi/embedded/manifest.ts`
 * pinning every library's size and SHA-256. They are derived files, ignored
 * by git and published through `publish.exclude`'s `!ffi/embedded/`.
 *
 * Usage: `deno run -A build.ts [--if-changed] [--host-only]`.
 * - `--if-changed`: skip when no Zig source, this script or the pinned Zig
 *   version changed since the last build and every library still matches its
 *   manifest (the test, bench and demo tasks use this).
 * - `--host-only`: build only the running platform's library.
 *
 * Zig is found as `$ZIG`, then `zig` on PATH, then `python3 -m ziglang`, and
 * must be the version pinned in `.zig-version`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { gzipSync } from "node:zlib";
import {
  type LibraryManifest,
  MANIFEST_FILE,
  MAX_LIBRARY_BYTES,
  readManifest,
  readRegularFile,
  sha256Hex,
} from "./ffi/library_check.ts";
import { libraryFileName, type PlatformDirectory, platformDirectory } from "./ffi/platform.ts";

interface Target {
  /** Zig target triple. */
  triple: string;
  directory: PlatformDirectory;
  /** -mcpu of the objects every CPU runs: the scalar level and the boundary. */
  baseline: string;
  /** Objects compiled once per SIMD level, chosen at load by CPU detection. */
  levels: Record<string, string>;
  linkFlags: string[];
}

const x86Levels = {
  sse42: "x86_64_v2+pclmul",
  avx2: "x86_64_v3+pclmul",
  avx512: "x86_64_v4+pclmul+vpclmulqdq",
};
const armLevels = { neon: "generic+crc+aes" };

/** Every platform the library is built for; all cross-compile from any host. */
export const targets: readonly Target[] = [
  {
    triple: "x86_64-linux-gnu",
    directory: "linux-x86_64",
    baseline: "x86_64",
    levels: x86Levels,
    linkFlags: ["-z", "defs"],
  },
  {
    triple: "aarch64-linux-gnu",
    directory: "linux-aarch64",
    baseline: "generic",
    levels: armLevels,
    linkFlags: ["-z", "defs"],
  },
  {
    triple: "x86_64-macos",
    directory: "darwin-x86_64",
    baseline: "x86_64",
    levels: x86Levels,
    linkFlags: [],
  },
  {
    triple: "aarch64-macos",
    directory: "darwin-aarch64",
    baseline: "generic",
    levels: armLevels,
    linkFlags: [],
  },
  {
    triple: "x86_64-windows-gnu",
    directory: "windows-x86_64",
    baseline: "x86_64",
    levels: x86Levels,
    linkFlags: [],
  },
];

/** -mcpu values for running the native unit tests at each x86-64 level here. */
export const testCpus: Record<string, string> = {
  scalar: "x86_64",
  ...x86Levels,
};

/** -mcpu values for the aarch64 native unit tests (run under qemu-user). */
export const aarch64TestCpus: Record<string, string> = {
  scalar: "generic",
  ...armLevels,
};

const root = new URL(".", import.meta.url);
const path = (relative: string): string => new URL(relative, root).pathname;
const libDirectory = path("ffi/lib/");
const stampFile = path("ffi/lib/.build-stamp");
const embeddedDirectory = path("ffi/embedded/");

/** The Zig version every build uses, from `.zig-version` (its one place). */
export function pinnedZigVersion(): string {
  return readFileSync(path(".zig-version"), "utf8").trim();
}

function versionOf(command: string[]): string | undefined {
  const result = spawnSync(command[0], [...command.slice(1), "version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Finds Zig: `$ZIG`, `zig` on PATH, then `python3 -m ziglang`, taking the
 * first that is the pinned version. Synchronous and runtime-neutral, so the
 * tests use it under Bun too.
 */
export function findZig(): string[] {
  const candidates: string[][] = [];
  const fromEnv = process.env.ZIG;
  if (fromEnv) candidates.push([fromEnv]);
  candidates.push(["zig"], ["python3", "-m", "ziglang"]);
  const wanted = pinnedZigVersion();
  const seen: string[] = [];
  for (const candidate of candidates) {
    const version = versionOf(candidate);
    if (version === wanted) return candidate;
    if (version !== undefined) seen.push(`${candidate.join(" ")} is ${version}`);
  }
  throw new Error(
    `Zig ${wanted} not found (${seen.join("; ") || "no zig at all"}).\n` +
      `Install it with: pip install ziglang==${wanted}\n` +
      `or point $ZIG at a zig ${wanted} binary.`,
  );
}

async function sourceFingerprint(): Promise<string> {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of Deno.readDirSync(directory)) {
      const full = `${directory}/${entry.name}`;
      if (entry.isDirectory) walk(full);
      else if (entry.name.endsWith(".zig")) files.push(full);
    }
  };
  walk(path("native-zig"));
  files.sort();
  files.push(path("build.ts"), path(".zig-version"), path("ffi/platform.ts"));
  const hasher = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(
        files.map((file) => `${file}\n${Deno.readTextFileSync(file)}`).join("\n"),
      ),
    ),
  );
  return Array.from(hasher, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function run(command: string[], label: string): Promise<void> {
  const result = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).split("\n").slice(-30).join("\n");
    throw new Error(`${label} failed:\n${command.join(" ")}\n${stderr}`);
  }
}

async function buildTarget(zig: string[], target: Target, scratch: string): Promise<void> {
  const fileName = libraryFileName(target.directory);
  const common = ["-target", target.triple, "-O", "ReleaseFast", "-fPIC"];
  const objects: string[] = [];
  for (const [level, cpu] of Object.entries(target.levels)) {
    const nameModule = `${scratch}/level_name_${level}.zig`;
    Deno.writeTextFileSync(nameModule, `pub const name = "${level}";\n`);
    const object = `${scratch}/${target.directory}-${level}.o`;
    await run([
      ...zig,
      "build-obj",
      ...common,
      "-mcpu",
      cpu,
      "--dep",
      "level_name",
      `-Mroot=${path("native-zig/level.zig")}`,
      // Zig takes target, CPU and mode per module.
      ...common,
      "-mcpu",
      cpu,
      `-Mlevel_name=${nameModule}`,
      `-femit-bin=${object}`,
    ], `${target.triple} ${level}`);
    objects.push(object);
  }
  const outDirectory = `${scratch}/${target.directory}`;
  Deno.mkdirSync(outDirectory, { recursive: true });
  await run([
    ...zig,
    "build-lib",
    "-dynamic",
    ...common,
    "-mcpu",
    target.baseline,
    "-lc",
    // Symbols and debug sections are dead weight in a library every JSR user downloads.
    "-fstrip",
    ...target.linkFlags,
    path("native-zig/boundary.zig"),
    ...objects,
    "--name",
    "binlane",
    `-femit-bin=${outDirectory}/${fileName}`,
  ], `${target.triple} library`);
  const built = Deno.readFileSync(`${outDirectory}/${fileName}`);
  const manifest: LibraryManifest = {
    platform: target.directory,
    file: fileName,
    size: built.length,
    sha256: sha256Hex(built),
  };
  const finalDirectory = `${libDirectory}${target.directory}`;
  Deno.mkdirSync(finalDirectory, { recursive: true });
  // Rename over the old file rather than writing into it: a process that has
  // the old library mapped keeps its copy intact.
  Deno.renameSync(
    `${outDirectory}/${fileName}`,
    `${finalDirectory}/${fileName}`,
  );
  // Between the two renames a loader sees the new library with the old manifest and refuses it: never worse.
  Deno.writeTextFileSync(`${outDirectory}/${MANIFEST_FILE}`, JSON.stringify(manifest, null, 2) + "\n");
  Deno.renameSync(`${outDirectory}/${MANIFEST_FILE}`, `${finalDirectory}/${MANIFEST_FILE}`);
}

/** Why the library built in `directory` does not match its manifest, or undefined when it does. */
export function builtLibraryMismatch(directory: PlatformDirectory): string | undefined {
  const fileName = libraryFileName(directory);
  const manifest = readManifest(`${libDirectory}${directory}/${MANIFEST_FILE}`);
  if (typeof manifest === "string") return `${directory}/${MANIFEST_FILE}: ${manifest}`;
  const bytes = readRegularFile(`${libDirectory}${directory}/${fileName}`, MAX_LIBRARY_BYTES);
  if (typeof bytes === "string") return `${directory}/${fileName}: ${bytes}`;
  const matches = manifest.platform === directory && manifest.file === fileName &&
    manifest.size === bytes.length && manifest.sha256 === sha256Hex(bytes);
  return matches ? undefined : `${directory}/${fileName} does not match its manifest`;
}

const generatedHeader = "// Generated by build.ts from ffi/lib/; do not edit.\n";

/** The sizes of one shipped library: as built, gzipped, and as the base64 the module carries. */
export interface EmbeddedSize {
  readonly platform: PlatformDirectory;
  readonly raw: number;
  readonly gzip: number;
  readonly module: number;
}

function writeIfChanged(file: string, text: string): void {
  let previous: string | undefined;
  try {
    previous = Deno.readTextFileSync(file);
  } catch { /* not generated yet */ }
  if (previous === text) return;
  // Through a rename, so a reader never sees half a module.
  const temporary = `${file}.${crypto.randomUUID()}.tmp`;
  Deno.writeTextFileSync(temporary, text);
  Deno.renameSync(temporary, file);
}

/**
 * Writes `ffi/embedded/<os>-<arch>.ts` for every library built here that
 * matches its manifest, and `ffi/embedded/manifest.ts` pinning them all.
 * A platform whose library is missing or damaged is left out of both, so
 * the manifest never vouches for a module that does not carry it.
 */
export function generateEmbedded(): EmbeddedSize[] {
  Deno.mkdirSync(embeddedDirectory, { recursive: true });
  const sizes: EmbeddedSize[] = [];
  const pinned: LibraryManifest[] = [];
  for (const { directory } of targets) {
    const moduleFile = `${embeddedDirectory}${directory}.ts`;
    if (builtLibraryMismatch(directory) !== undefined) {
      try {
        Deno.removeSync(moduleFile);
      } catch { /* never generated */ }
      continue;
    }
    const manifest = readManifest(`${libDirectory}${directory}/${MANIFEST_FILE}`) as LibraryManifest;
    const bytes = Deno.readFileSync(`${libDirectory}${directory}/${manifest.file}`);
    // Level 9 with no file name or time in the header, so the same library always gives the same module.
    const packed = gzipSync(bytes, { level: 9 });
    const base64 = Buffer.from(packed).toString("base64");
    const fields = [
      `  platform: ${JSON.stringify(manifest.platform)},`,
      `  file: ${JSON.stringify(manifest.file)},`,
      `  size: ${manifest.size},`,
      `  sha256: ${JSON.stringify(manifest.sha256)},`,
      `  gzipBase64: ${JSON.stringify(base64)},`,
    ];
    writeIfChanged(
      moduleFile,
      `${generatedHeader}import type { EmbeddedLibrary } from "../shipped.ts";\n\n` +
        `/** ${manifest.file} for ${directory}, gzipped and base64-encoded. */\n` +
        `export const library: EmbeddedLibrary = {\n${fields.join("\n")}\n};\n`,
    );
    pinned.push(manifest);
    sizes.push({ platform: directory, raw: bytes.length, gzip: packed.length, module: base64.length });
  }
  const entries = pinned.map((manifest) =>
    `  ${JSON.stringify(manifest.platform)}: ${JSON.stringify(manifest)},`
  );
  writeIfChanged(
    `${embeddedDirectory}manifest.ts`,
    `${generatedHeader}import type { ShippedManifest } from "../shipped.ts";\n\n` +
      `/** The size and SHA-256 of every library the package ships, by platform. */\n` +
      `export const manifest: ShippedManifest = {\n${entries.join("\n")}\n};\n`,
  );
  return sizes;
}

/** Builds the libraries; returns false when `ifChanged` found nothing to do. */
export async function build(options: { ifChanged?: boolean; hostOnly?: boolean } = {}): Promise<boolean> {
  const fingerprint = await sourceFingerprint();
  const host = platformDirectory(Deno.build.os, Deno.build.arch);
  const wanted = options.hostOnly ? targets.filter((t) => t.directory === host) : targets;
  const stamp = `${fingerprint} ${wanted.map((t) => t.directory).join(",")}`;
  if (options.ifChanged) {
    let previous = "";
    try {
      previous = Deno.readTextFileSync(stampFile);
    } catch { /* never built */ }
    const built = previous.startsWith(fingerprint) &&
      wanted.every((t) => previous.includes(t.directory) && builtLibraryMismatch(t.directory) === undefined);
    if (built) {
      generateEmbedded();
      return false;
    }
  }
  const zig = findZig();
  Deno.mkdirSync(libDirectory, { recursive: true });
  const scratch = Deno.makeTempDirSync({ prefix: "binlane-build-" });
  try {
    // Two at a time: the machines this runs on have two cores.
    const queue = [...wanted];
    const worker = async () => {
      for (let target = queue.shift(); target; target = queue.shift()) {
        const started = performance.now();
        await buildTarget(zig, target, scratch);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.error(`built ${target.directory}/${libraryFileName(target.directory)} (${seconds} s)`);
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
  Deno.writeTextFileSync(stampFile, stamp);
  for (const size of generateEmbedded()) {
    console.error(
      `shipped ${size.platform}: ${size.raw} bytes, ${size.gzip} gzipped, ${size.module} as base64`,
    );
  }
  return true;
}

if (import.meta.main) {
  try {
    const built = await build({
      ifChanged: Deno.args.includes("--if-changed"),
      hostOnly: Deno.args.includes("--host-only"),
    });
    if (!built) console.error("native library up to date");
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
