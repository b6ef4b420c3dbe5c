/**
 * What the running JavaScript runtime offers: its name, environment
 * variables (read without prompting for permission) and FFI permission.
 *
 * @module
 */

/** The runtimes binlane recognises. */
export type RuntimeName = "deno" | "bun" | "node" | "other";

interface DenoLike {
  env: { get(name: string): string | undefined };
  permissions: {
    querySync(descriptor: { name: string; variable?: string; path?: string }): { state: string };
  };
}

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;

/**
 * The Deno namespace when running under Deno (Bun does not define it).
 *
 * @example
 * ```ts
 * import { denoNamespace } from "./runtime.ts";
 *
 * if ((denoNamespace() !== undefined) !== ("Deno" in globalThis)) throw new Error("defined under Deno only");
 * ```
 */
export function denoNamespace(): DenoLike | undefined {
  return anyGlobal.Bun === undefined && anyGlobal.Deno?.version?.deno ? anyGlobal.Deno : undefined;
}

/**
 * The runtime this code runs in.
 *
 * @example
 * ```ts
 * import { runtimeName } from "./runtime.ts";
 *
 * const expected = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
 * if (runtimeName() !== expected) throw new Error(`this runtime, not ${runtimeName()}`);
 * ```
 */
export function runtimeName(): RuntimeName {
  if (anyGlobal.Bun !== undefined) return "bun";
  if (denoNamespace()) return "deno";
  if (anyGlobal.process?.versions?.node) return "node";
  return "other";
}

/**
 * An environment variable, or undefined when unset, empty, or when Deno has
 * not been granted access to it (never prompts).
 *
 * @example
 * ```ts
 * import { readEnv } from "./runtime.ts";
 *
 * // Run with --allow-env.
 * Deno.env.set("BINLANE_EXAMPLE", "avx2");
 * if (readEnv("BINLANE_EXAMPLE") !== "avx2") throw new Error("a set variable is read");
 * Deno.env.set("BINLANE_EXAMPLE", "");
 * if (readEnv("BINLANE_EXAMPLE") !== undefined) throw new Error("an empty variable is unset");
 * Deno.env.delete("BINLANE_EXAMPLE");
 * ```
 */
export function readEnv(name: string): string | undefined {
  const deno = denoNamespace();
  let value: unknown;
  if (deno) {
    const state = deno.permissions.querySync({ name: "env", variable: name }).state;
    value = state === "granted" ? deno.env.get(name) : undefined;
  } else {
    value = anyGlobal.process?.env?.[name];
  }
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Whether the program may read the environment variable `name` (always
 * under Bun; under Deno only with an `--allow-env` grant naming it or all).
 * Never prompts.
 *
 * @example
 * ```ts
 * import { envReadable } from "./runtime.ts";
 *
 * // Run with --allow-env (or under Bun, which has no permissions).
 * if (!envReadable("BINLANE_LIB_SHA256")) throw new Error("readable with --allow-env");
 * ```
 */
export function envReadable(name: string): boolean {
  const deno = denoNamespace();
  if (!deno) return true;
  return deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
}

/**
 * Whether this runtime lets the program open the library at `path` and call
 * it. Deno answers for the path asked about, so a grant scoped to the
 * library's directory (`--allow-ffi=<dir>`) counts. Never prompts.
 *
 * @example
 * ```ts
 * import { ffiPermitted } from "./runtime.ts";
 *
 * // Run with an unscoped --allow-ffi (or under Bun); without it Deno answers false.
 * if (!ffiPermitted("/opt/lib/libbinlane.so")) throw new Error("permitted with --allow-ffi");
 * ```
 */
export function ffiPermitted(path: string): boolean {
  const deno = denoNamespace();
  if (deno) return deno.permissions.querySync({ name: "ffi", path }).state === "granted";
  return runtimeName() === "bun";
}

/**
 * Whether this runtime lets the program read (and, with `write`, write)
 * the file at `path`. Native code could open any file once FFI is allowed;
 * binlane asks first, so Deno's `--allow-read` and `--allow-write` still
 * hold for the files it maps. Never prompts.
 *
 * @example
 * ```ts
 * import { filePermitted } from "./runtime.ts";
 *
 * // Run with --allow-read and --allow-write (or under Bun, which has no permissions).
 * if (!filePermitted("deno.json", true)) throw new Error("readable and writable with both grants");
 * ```
 */
export function filePermitted(path: string, write: boolean): boolean {
  const deno = denoNamespace();
  if (!deno) return true;
  const granted = (name: string) => deno.permissions.querySync({ name, path }).state === "granted";
  return granted("read") && (!write || granted("write"));
}
