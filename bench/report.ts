/**
 * Runs registered mitata benchmarks quietly and prints one table per group:
 * ns per call, GB/s, and the ratio to the fastest peer in the same run.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { bench, do_not_optimize, run } from "mitata";

/** One benchmark's identity for the report. */
export interface Entry {
  group: string;
  name: string;
  bytes: number;
  /** binlane's own entries are compared against the best non-binlane one. */
  peer: boolean;
}

const entries = new Map<string, Entry>();

/**
 * A benchmark body of its own around `fn(...args)`. Closures made from one
 * arrow literal share their call-site feedback, so a shared body would see
 * every implementation, turn megamorphic and slow every entry alike (it
 * cost binlane's CRC-32C 26 ns instead of 14 at 64 B). `new Function`
 * compiles a fresh body per benchmark, as each caller in real code has its
 * own call site.
 */
// deno-lint-ignore no-explicit-any
export function isolated(fn: (...args: any[]) => unknown, ...args: unknown[]): () => void {
  const names = args.map((_, i) => `a${i}`);
  const make = new Function("fn", "sink", ...names, `return () => sink(fn(${names.join(", ")}));`);
  return make(fn, do_not_optimize, ...args);
}

/** "64 B", "4 KiB", "1 MiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Sizes from `--sizes 64,4096`, or the standard 64 B, 4 KiB, 1 MiB and 64 MiB. */
export function benchSizes(): number[] {
  const args = process.argv.slice(2);
  const given = args.includes("--sizes") ? args[args.indexOf("--sizes") + 1] : undefined;
  return (given ?? `64,4096,${1 << 20},${64 << 20}`).split(",").map(Number);
}

const argv = process.argv.slice(2);
const onlyGroup = argv.includes("--group") ? argv[argv.indexOf("--group") + 1] : "";
/** `--entry KEY`: only the benchmark of that key (how `runEachApart` starts each process). */
const onlyEntry = argv.includes("--entry") ? argv[argv.indexOf("--entry") + 1] : undefined;

/**
 * Registers `fn(...args)` as an isolated benchmark in `group` at `bytes`;
 * `--group TEXT` keeps only groups containing TEXT, `--entry KEY` only the
 * benchmark of that key (`group size :: name`).
 */
export function addBench(
  group: string,
  name: string,
  bytes: number,
  peer: boolean,
  // deno-lint-ignore no-explicit-any
  fn: (...args: any[]) => unknown,
  ...args: unknown[]
): void {
  const entry = { group: `${group} ${sizeLabel(bytes)}`, name, bytes, peer };
  if (onlyEntry !== undefined ? keyOf(entry) !== onlyEntry : !group.includes(onlyGroup)) return;
  bench(describe(entry), isolated(fn, ...args));
}

function keyOf(entry: Entry): string {
  return `${entry.group} :: ${entry.name}`;
}

/** Records what a benchmark name means, for the report. */
export function describe(entry: Entry): string {
  const key = keyOf(entry);
  entries.set(key, entry);
  return key;
}

function formatGbps(bytes: number, ns: number): string {
  return bytes === 0 ? "-" : (bytes / ns).toFixed(2);
}

async function measure(): Promise<Map<string, number>> {
  const result = await run({ format: "quiet" } as unknown as Parameters<typeof run>[0]);
  const averages = new Map<string, number>();
  for (const trial of result.benchmarks) {
    for (const sample of trial.runs) {
      if (sample.stats) averages.set(sample.name, sample.stats.avg);
    }
  }
  return averages;
}

/** Runs everything registered and prints the tables; returns avg ns by key. */
export async function runAndReport(title: string): Promise<Map<string, number>> {
  const averages = await measure();
  printTables(title, averages);
  return averages;
}

/**
 * Runs every benchmark registered with `addBench` in a process of its own
 * (this script again, with `--entry`), then prints the tables as
 * `runAndReport` does; with `--group` or `--one-process` it is
 * `runAndReport`. In one process an entry's result depended on what ran
 * before it: a schema's `view` compiled for the inputs of earlier groups,
 * and entries that keep 1,000,000 objects made later ones collect more.
 * 2026-11-22, Deno, one process: "32 B field read (price)" `cursorAt` 0.27x
 * of hand-written code, its group alone 0.86-1.07x; Bun, "two buffers in
 * turn through one schema" `view` 45 ms, alone 6.4 (docs/PERFORMANCE.md,
 * session 15).
 */
export async function runEachApart(title: string): Promise<void> {
  if (onlyEntry !== undefined) {
    // The parent reads this line.
    console.log(JSON.stringify([...await measure()]));
    return;
  }
  if (onlyGroup !== "" || argv.includes("--one-process")) {
    await runAndReport(title);
    return;
  }
  const script = process.argv[1];
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  const command = deno === undefined
    ? [process.execPath, "run", script]
    : [deno.execPath(), "run", "--allow-all", script];
  const averages = new Map<string, number>();
  // With no filter, every benchmark was registered and described here.
  for (const key of [...entries.keys()]) {
    const child = spawnSync(command[0], [...command.slice(1), ...argv, "--entry", key], {
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(`"${key}" failed with exit status ${child.status}`);
    const lines = child.stdout.trim().split("\n");
    for (const [name, ns] of JSON.parse(lines[lines.length - 1]) as [string, number][]) {
      averages.set(name, ns);
    }
  }
  printTables(`${title}, each benchmark in a process of its own`, averages);
}

function printTables(title: string, averages: Map<string, number>): void {
  console.log(`\n# ${title}`);
  const groups = [...new Set([...entries.values()].map((entry) => entry.group))];
  for (const group of groups) {
    const rows = [...entries.entries()].filter(([, entry]) => entry.group === group);
    const bestPeer = Math.min(
      ...rows.filter(([, entry]) => entry.peer).map(([key]) => averages.get(key) ?? Infinity),
    );
    console.log(`\n## ${group}`);
    console.log("| implementation | ns/call | GB/s | vs best peer |");
    console.log("|---|---:|---:|---:|");
    for (const [key, entry] of rows) {
      const ns = averages.get(key);
      if (ns === undefined) continue;
      const ratio = Number.isFinite(bestPeer) ? `${(bestPeer / ns).toFixed(2)}x` : "-";
      console.log(`| ${entry.name} | ${ns.toFixed(1)} | ${formatGbps(entry.bytes, ns)} | ${ratio} |`);
    }
  }
}

/** One kernel's JS-against-native comparison over sizes, for choosing its threshold. */
export interface Crossover {
  readonly label: string;
  readonly sizes: readonly number[];
  readonly keys: Map<string, string>;
}

/**
 * Registers `fn(input(size))` on the JS path and natively at each size;
 * `usePath` sets the kernel's threshold so that the path is taken. mitata
 * runs a generator's setup once, before it measures what it yields.
 */
export function addCrossover(
  label: string,
  sizes: readonly number[],
  usePath: (path: "js" | "native") => void,
  // deno-lint-ignore no-explicit-any
  fn: (...args: any[]) => unknown,
  input: (size: number) => unknown,
): Crossover {
  const keys = new Map<string, string>();
  for (const size of sizes) {
    const data = input(size);
    for (const path of ["js", "native"] as const) {
      const key = describe({
        group: `threshold ${label} ${size} B`,
        name: `${path} path`,
        bytes: size,
        peer: false,
      });
      keys.set(`${size} ${path}`, key);
      bench(key, function* () {
        usePath(path);
        yield isolated(fn, data);
      });
    }
  }
  return { label, sizes, keys };
}

/** Prints the smallest size from which native wins at every larger size measured. */
export function printCrossover(crossover: Crossover, averages: Map<string, number>, runtime: string): void {
  const ns = (size: number, path: string) => averages.get(crossover.keys.get(`${size} ${path}`)!) ?? Infinity;
  let threshold = Infinity;
  for (let i = crossover.sizes.length - 1; i >= 0; i--) {
    const size = crossover.sizes[i];
    if (ns(size, "native") >= ns(size, "js")) break;
    threshold = size;
  }
  console.log(`\n## crossover\n${crossover.label}: native from ${threshold} bytes in ${runtime}`);
}
