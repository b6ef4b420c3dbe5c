/**
 * Installs the benchmarks' npm peers (package.json) when they are missing.
 * binlane itself has no npm dependencies; only bench/ uses these.
 *
 * @module
 */

import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;

/** Runs `npm install` in the project root unless every peer is installed. */
export async function installBenchPeers(): Promise<void> {
  const manifest = JSON.parse(Deno.readTextFileSync(`${root}package.json`));
  const missing = Object.keys(manifest.devDependencies).filter((name) =>
    !existsSync(`${root}node_modules/${name}/package.json`)
  );
  if (missing.length === 0) return;
  console.log(`installing benchmark peers: ${missing.join(", ")}`);
  // npm rather than `deno install`: sse4_crc32 builds a native addon in its
  // install script, which npm runs.
  const result = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund"],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error("npm install of the benchmark peers failed");
}
