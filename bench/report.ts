/**
 * Runs registered mitata benchmarks quietly and prints one table per group:
 * ns per call, GB/s, and the ratio to the fastest peer in the same run.
 *
 * @module
 */

import { run } from "mitata";

/** One benchmark's identity for the report. */
export interface Entry {
  group: string;
  name: string;
  bytes: number;
  /** binlane's own entries are compared against the best non-binlane one. */
  peer: boolean;
}

const entries = new Map<string, Entry>();

/** Records what a benchmark name means, for the report. */
export function describe(entry: Entry): string {
  const key = `${entry.group} :: ${entry.name}`;
  entries.set(key, entry);
  return key;
}

function formatGbps(bytes: number, ns: number): string {
  return bytes === 0 ? "-" : (bytes / ns).toFixed(2);
}

/** Runs everything registered and prints the tables; returns avg ns by key. */
export async function runAndReport(title: string): Promise<Map<string, number>> {
  const result = await run({ format: "quiet" } as unknown as Parameters<typeof run>[0]);
  const averages = new Map<string, number>();
  for (const trial of result.benchmarks) {
    for (const sample of trial.runs) {
      if (sample.stats) averages.set(sample.name, sample.stats.avg);
    }
  }
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
  return averages;
}
