/**
 * One test API for both runtimes: `Deno.test` under `deno test`, `bun:test`
 * under `bun test`; plus the seeded randomness every test uses.
 *
 * @module
 */

import { backend, setCpuLevel, supportedCpuLevels } from "../mod.ts";

/** A test body. */
export type TestBody = () => void | Promise<void>;

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;
/** Whether the suite runs under Bun. */
export const underBun: boolean = anyGlobal.Bun !== undefined;

type BunTest = (name: string, body: TestBody, timeoutMs: number) => void;
const bunTest: BunTest | undefined = underBun
  ? (import.meta as unknown as { require(id: string): { test: BunTest } }).require("bun:test").test
  : undefined;

/** Registers a test; `timeoutMs` bounds it under Bun (Deno has no per-test limit). */
export function test(name: string, body: TestBody, timeoutMs = 60_000): void {
  if (bunTest) bunTest(name, body, timeoutMs);
  else Deno.test({ name, fn: body });
}

/** A fixed-seed generator (mulberry32): the same inputs on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` seeded random bytes. */
export function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

/** Asserts that `fn` throws a BinlaneError with `code`. */
export function throwsCode(fn: () => unknown, code: string): Error {
  try {
    fn();
  } catch (error) {
    const actual = (error as { code?: string }).code;
    if (actual === code) return error as Error;
    throw new Error(`expected error code ${code}, got ${actual ?? error}`);
  }
  throw new Error(`expected error code ${code}, but nothing was thrown`);
}

/** Forces a full garbage collection, in Deno (`--expose-gc`) or Bun. */
export function collectGarbage(): void {
  if (underBun) anyGlobal.Bun.gc(true);
  else if (typeof anyGlobal.gc === "function") anyGlobal.gc();
  else throw new Error("run Deno with --v8-flags=--expose-gc");
}

/**
 * Runs `body` on the JS path (every threshold Infinity), then native at
 * every CPU level (every threshold 0), restoring the thresholds and the
 * level after. `keys` limits which entries are thresholds (others, such as
 * a chunk size, stay). On the JS backend only the JS run happens.
 */
export function everyPath(
  thresholds: Record<string, number> | Record<string, number>[],
  body: (path: string) => void,
  keys?: readonly string[],
): void {
  const all = Array.isArray(thresholds) ? thresholds : [thresholds];
  const saved = all.map((t) => ({ ...t }));
  const setAll = (value: number) => {
    for (const t of all) for (const key of keys ?? Object.keys(t)) t[key] = value;
  };
  const initial = backend().cpu;
  try {
    setAll(Infinity);
    body("js");
    setAll(0);
    for (const level of supportedCpuLevels()) {
      setCpuLevel(level);
      body(level);
    }
  } finally {
    all.forEach((t, i) => Object.assign(t, saved[i]));
    if (initial !== "js") setCpuLevel(initial);
  }
}
