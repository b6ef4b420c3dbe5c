/**
 * Per-operation latency percentiles, which mitata's batched averages hide:
 * each operation is timed alone with `process.hrtime.bigint()`, and the
 * timer's own cost, measured on an empty body, is subtracted.
 *
 * Bytes allocated per operation are not reported: neither engine exposes a
 * count that settles between collections (V8's heap and external counters
 * and JavaScriptCore's `memoryUsage()` gave 0 to 50% of a known 1 KiB or
 * 64 KiB allocation here), so any figure would be invented.
 *
 * @module
 */

import process from "node:process";
import { do_not_optimize } from "mitata";

/** Latency of one operation, in nanoseconds, the timer's cost subtracted. */
export interface OpProfile {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

function timings(fn: () => unknown, ops: number): number[] {
  const times = new Array<number>(ops);
  for (let i = 0; i < ops; i++) {
    const start = process.hrtime.bigint();
    do_not_optimize(fn());
    times[i] = Number(process.hrtime.bigint() - start);
  }
  return times.sort((a, b) => a - b);
}

/**
 * Times `ops` calls of `fn` one by one, after as many warm-up calls.
 *
 * @example
 * ```ts ignore
 * import { profileOp } from "./latency.ts";
 *
 * console.log(profileOp(() => new Uint8Array(1024)).p99);
 * ```
 */
export function profileOp(fn: () => unknown, ops = 100_000): OpProfile {
  timings(fn, ops); // warm up: optimised code, settled caches
  const timer = timings(() => undefined, ops)[ops >> 1];
  const times = timings(fn, ops);
  const at = (q: number) => Math.max(0, times[Math.min(ops - 1, Math.floor(q * ops))] - timer);
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999) };
}

/** Prints a markdown table of profiles, one row per name. */
export function printProfiles(title: string, rows: [name: string, profile: OpProfile][]): void {
  console.log(`\n## ${title}`);
  console.log("| implementation | p50 ns | p99 ns | p99.9 ns |");
  console.log("|---|---:|---:|---:|");
  for (const [name, p] of rows) console.log(`| ${name} | ${p.p50} | ${p.p99} | ${p.p999} |`);
}
