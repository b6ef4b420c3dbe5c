/**
 * Installs the benchmarks' npm peers (package.json) when they are missing.
 * binlane itself has no npm dependencies; only bench/ uses these.
 *
 * @module
 */

import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;

async function npm(args: string[]): Promise<void> {
  const result = await new Deno.Command("npm", {
    args: [...args, "--no-audit", "--no-fund"],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error(`npm ${args.join(" ")} failed`);
}

/**
 * Runs `npm install` in the project root unless every peer is installed.
 * `buildAddons: false` skips install scripts: enough to type-check bench/
 * (the test task), without compiling sse4_crc32's native addon, which only
 * the benchmarks run.
 */
export async function installBenchPeers(options: { buildAddons: boolean }): Promise<void> {
  const manifest = JSON.parse(Deno.readTextFileSync(`${root}package.json`));
  const missing = Object.keys(manifest.devDependencies).filter((name) =>
    !existsSync(`${root}node_modules/${name}/package.json`)
  );
  if (missing.length > 0) {
    console.log(`installing benchmark peers: ${missing.join(", ")}`);
    // npm rather than `deno install`: npm runs sse4_crc32's addon build.
    await npm(options.buildAddons ? ["install"] : ["install", "--ignore-scripts"]);
  }
  if (options.buildAddons && !existsSync(`${root}node_modules/sse4_crc32/build/Release/crc32c.node`)) {
    await npm(["rebuild", "sse4_crc32"]);
  }
}
