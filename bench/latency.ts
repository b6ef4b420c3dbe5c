/**
 * Per-operation latency percentiles, which mitata's batched averages hide:
 * each operation is timed alone with `process.hrtime.bigint()`, and the
 * timer's own cost, measured on an empty body, is subtracted. And bytes
 * allocated per operation, in V8 only (bench/latency.ts `allocationPerOp`).
 *
 * @module
 */

import process from "node:process";
import v8 from "node:v8";
import { do_not_optimize } from "mitata";

/** Latency of one operation, in nanoseconds, the timer's cost subtracted; and what it allocates. */
export interface OpProfile {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  /** Bytes per operation, or undefined where the engine cannot say (Bun). */
  readonly allocation: OpAllocation | undefined;
}

/** Bytes one operation allocates: on the engine's heap, and in ArrayBuffer memory outside it. */
export interface OpAllocation {
  readonly heap: number;
  readonly buffers: number;
}

/** V8's counters; `total_allocated_bytes` is newer than the node:v8 types. */
function heapStatistics(): v8.HeapInfo & { total_allocated_bytes: number } {
  return v8.getHeapStatistics() as v8.HeapInfo & { total_allocated_bytes: number };
}

/** Heap and ArrayBuffer growth over `ops` calls. */
function growth(fn: () => unknown, ops: number): { heap: number; buffers: number; allocated: number } {
  const before = heapStatistics();
  for (let i = 0; i < ops; i++) do_not_optimize(fn());
  const after = heapStatistics();
  return {
    heap: after.used_heap_size - before.used_heap_size,
    buffers: after.external_memory - before.external_memory,
    allocated: after.total_allocated_bytes - before.total_allocated_bytes,
  };
}

const WINDOW_BYTES = 256 << 10;
const WINDOWS = 9;

/**
 * Bytes `fn` allocates per call, in V8; undefined in Bun, whose counters
 * (`bun:jsc` heapStats and memoryUsage, node:v8's shim) move only when a
 * collection runs. V8's `used_heap_size` and `external_memory` grow by
 * exactly what is allocated until a collection shrinks them (or a finished
 * compilation adds to them); so calls run in nine windows of about 256 KiB
 * and the median window, one that neither touched, is reported. A
 * Uint8Array(1024) reads 200-205 heap bytes and exactly 1024 buffer bytes.
 *
 * @example
 * ```ts ignore
 * import { allocationPerOp } from "./latency.ts";
 *
 * console.log(allocationPerOp(() => new Uint8Array(1024))); // { heap: 200, buffers: 1024 } in Deno
 * ```
 */
export function allocationPerOp(fn: () => unknown): OpAllocation | undefined {
  if (process.versions.bun !== undefined) return undefined;
  for (let i = 0; i < 5000; i++) do_not_optimize(fn()); // warm up: compiled code, no compilation in a window
  const probe = growth(fn, 100);
  const perCall = Math.max(1, (probe.allocated + Math.max(0, probe.buffers)) / 100);
  const ops = Math.max(16, Math.min(4096, Math.floor(WINDOW_BYTES / perCall)));
  const heap: number[] = [], buffers: number[] = [];
  for (let window = 0; window < WINDOWS; window++) {
    const seen = growth(fn, ops);
    heap.push(seen.heap);
    buffers.push(seen.buffers);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  return {
    heap: Math.max(0, Math.round(median(heap) / ops)),
    buffers: Math.max(0, Math.round(median(buffers) / ops)),
  };
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
 * Times `ops` calls of `fn` one by one, after as many warm-up calls, and
 * measures what one call allocates (`allocationPerOp`).
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
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), allocation: allocationPerOp(fn) };
}

/** Prints a markdown table of profiles, one row per name. */
export function printProfiles(title: string, rows: [name: string, profile: OpProfile][]): void {
  console.log(`\n## ${title}`);
  console.log("| implementation | p50 ns | p99 ns | p99.9 ns | heap B/op | ArrayBuffer B/op |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [name, p] of rows) {
    const heap = p.allocation?.heap ?? "-", buffers = p.allocation?.buffers ?? "-";
    console.log(`| ${name} | ${p.p50} | ${p.p99} | ${p.p999} | ${heap} | ${buffers} |`);
  }
}
