/**
 * A stand-in for JSR on loopback: serves the exact file set
 * `deno publish --dry-run` lists, with the `meta.json` and
 * `<version>_meta.json` (each file's size and SHA-256) JSR serves, and runs a
 * user's script that imports `jsr:@binlane/binlane` against it in a fresh
 * Deno cache and home. Deno only.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** How long a child may take: a cold start that downloads and transpiles the package on a loaded machine. */
export const CHILD_TIMEOUT_MS = 90_000;

const root = new URL("../", import.meta.url);

/** The package's name and version, from deno.json. */
export function packageIdentity(): { scope: string; name: string; version: string } {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
  const [scope, name] = String(config.name).slice(1).split("/");
  return { scope, name, version: String(config.version) };
}

/** The files `deno publish --dry-run` would publish, as paths relative to the package root. */
export async function publishedFiles(): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: root.pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CHILD_TIMEOUT_MS),
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`deno publish --dry-run failed:\n${text}`);
  const files = [...text.matchAll(/^\s*(file:\/\/\S+) \(/gm)].map((match) => {
    return decodeURIComponent(new URL(match[1]).pathname).slice(root.pathname.length);
  });
  if (files.length === 0) throw new Error(`deno publish --dry-run listed no files:\n${text}`);
  return files;
}

/** A running registry: its URL, the files it serves (which a test may alter), and how to stop it. */
export interface Registry {
  readonly url: string;
  /** Served bytes by path below the version, e.g. "/mod.ts"; the version's manifest keeps the originals. */
  readonly files: Map<string, Uint8Array>;
  /** How many requests each path received. */
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Serves `files` (relative to the package root) on 127.0.0.1 at a free port,
 * as JSR lays a package out.
 */
export function startRegistry(files: readonly string[]): Registry {
  const { scope, name, version } = packageIdentity();
  const served = new Map<string, Uint8Array>();
  const manifest: Record<string, { size: number; checksum: string }> = {};
  for (const file of files) {
    const bytes = Deno.readFileSync(new URL(file, root));
    served.set(`/${file}`, bytes);
    manifest[`/${file}`] = {
      size: bytes.length,
      checksum: `sha256-${createHash("sha256").update(bytes).digest("hex")}`,
    };
  }
  const prefix = `/@${scope}/${name}/`;
  const meta = JSON.stringify({ scope, name, latest: version, versions: { [version]: {} } });
  const versionMeta = JSON.stringify({ manifest, exports: { ".": "./mod.ts" } });
  const requests = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const json = { headers: { "content-type": "application/json" } };
    if (path === `${prefix}meta.json`) return new Response(meta, json);
    if (path === `${prefix}${version}_meta.json`) return new Response(versionMeta, json);
    const body = path.startsWith(`${prefix}${version}/`)
      ? served.get(path.slice(`${prefix}${version}`.length))
      : undefined;
    if (body === undefined) return new Response("not found", { status: 404 });
    return new Response(body.slice(), { headers: { "content-type": "text/plain" } });
  });
  const { port } = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${port}`, files: served, requests, stop: () => server.shutdown() };
}

/** What the user's script printed, and how the process ended. */
export interface UserRun {
  readonly code: number;
  readonly stderr: string;
  readonly report?: {
    backend?: { path: string; cpu: string; reason?: string; library?: string };
    crc?: number;
    error?: string;
    message?: string;
    importMs?: number;
  };
}

const userScript = `const started = performance.now();
const { backend, crc32c } = await import("@binlane/binlane");
const report = { importMs: 0 };
try {
  report.backend = backend();
  report.importMs = performance.now() - started;
  report.crc = crc32c(new Uint8Array(1 << 20).fill(7));
} catch (error) {
  report.error = error.code;
  report.message = error.message;
}
console.log(JSON.stringify(report));
`;

/**
 * A fresh project folder whose `deno.json` maps `@binlane/binlane` to the
 * JSR package, as `deno add jsr:@binlane/binlane` writes it, with the
 * user's script beside it.
 */
export function createProject(base: string): string {
  const { scope, name, version } = packageIdentity();
  const project = `${base}/project`;
  Deno.mkdirSync(project, { recursive: true });
  const imports = { [`@${scope}/${name}`]: `jsr:@${scope}/${name}@^${version}` };
  Deno.writeTextFileSync(`${project}/deno.json`, JSON.stringify({ imports }, null, 2));
  Deno.writeTextFileSync(`${project}/main.ts`, userScript);
  return project;
}

/**
 * Runs the user's script in `project` with exactly `env` (plus PATH), the
 * registry as `JSR_URL`, and `flags`; a hang is killed at the timeout.
 */
export async function runUser(
  project: string,
  registry: Registry,
  env: Record<string, string>,
  flags: readonly string[],
): Promise<UserRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, "main.ts"],
    cwd: project,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", JSR_URL: registry.url, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CHILD_TIMEOUT_MS),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr);
  const last = stdout.split("\n").at(-1) ?? "";
  return { code: output.code, stderr, report: last.startsWith("{") ? JSON.parse(last) : undefined };
}
