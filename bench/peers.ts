/**
 * Installs the project's npm development packages when they are missing:
 * the root manifest's `devDependencies` (the type-check's `@types/node`, the
 * tests' oracle `hash-wasm`, and `typescript` for `deno task pack`) into
 * `node_modules/`, and the benchmarks' peers (`bench/package.json`) into
 * `bench/node_modules/`, where the benchmarks resolve them from.
 * binlane itself has no npm dependencies.
 *
 * @module
 */

import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const bench = new URL(".", import.meta.url).pathname;

async function npm(cwd: string, args: string[]): Promise<void> {
  const result = await new Deno.Command("npm", {
    args: [...args, "--no-audit", "--no-fund"],
    cwd,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error(`npm ${args.join(" ")} in ${cwd} failed`);
}

/** The `devDependencies` of the manifest in `directory` that its `node_modules/` lacks. */
function missingPackages(directory: string): string[] {
  const manifest = JSON.parse(Deno.readTextFileSync(`${directory}package.json`));
  return Object.keys(manifest.devDependencies ?? {}).filter((name) =>
    !existsSync(`${directory}node_modules/${name}/package.json`)
  );
}

/**
 * Installs the root manifest's development packages into `node_modules/`
 * unless every one is there. Install scripts never run: none needs one.
 */
export async function installDevPackages(): Promise<void> {
  const missing = missingPackages(root);
  if (missing.length > 0) {
    console.log(`installing development packages: ${missing.join(", ")}`);
    await npm(root, ["install", "--ignore-scripts"]);
  }
}

/**
 * Installs the root's development packages, then the benchmarks' peers,
 * each only when one is missing. `buildAddons: false` skips the peers'
 * install scripts, which is enough to type-check bench/ (the test task) without
 * compiling sse4_crc32's native addon, which only the benchmarks run.
 */
export async function installBenchPeers(options: { buildAddons: boolean }): Promise<void> {
  await installDevPackages();
  const missing = missingPackages(bench);
  if (missing.length > 0) {
    console.log(`installing benchmark peers: ${missing.join(", ")}`);
    // npm rather than `deno install`: npm runs sse4_crc32's addon build.
    await npm(bench, options.buildAddons ? ["install"] : ["install", "--ignore-scripts"]);
  }
  if (options.buildAddons && !existsSync(`${bench}node_modules/sse4_crc32/build/Release/crc32c.node`)) {
    await npm(bench, ["rebuild", "sse4_crc32"]);
  }
}
