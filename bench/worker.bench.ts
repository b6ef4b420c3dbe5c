/**
 * A pipeline with a CPU-bound stage (1 MiB batches of ticks decoded to
 * columns and summed per symbol in JavaScript, `bench/fixtures/tick_stats.ts`),
 * run inline with `mapStage` and in worker threads, over 64 batches: with
 * `workerStage`, which starts its workers anew each run, and with a
 * `WorkerPool` started once. Run:
 * `deno run -A bench/worker.bench.ts` or `bun run bench/worker.bench.ts`.
 *
 * @module
 */

import { bench } from "mitata";
import { backend, mapStage, pipeline, WorkerPool, workerStage } from "../mod.ts";
import tickStats, { Tick } from "./fixtures/tick_stats.ts";
import { describe, runAndReport, sizeLabel } from "./report.ts";

const BATCHES = 64;
const perBatch = Math.floor((1 << 20) / Tick.size);
const symbols = ["BINL", "ZIGS", "DENO", "BUNJ"];
const template = Tick.fromColumns({
  symbol: Uint8Array.from(
    { length: perBatch * 8 },
    (_, i) => i % 8 < 4 ? symbols[(i >> 3) % 4].charCodeAt(i % 8) : 0,
  ),
  price: BigUint64Array.from({ length: perBatch }, (_, i) => BigInt(10_000 + i % 977)),
  quantity: Uint32Array.from({ length: perBatch }, (_, i) => 1 + i % 500),
  ts: BigUint64Array.from({ length: perBatch }, (_, i) => BigInt(i)),
});
const total = BATCHES * template.length;
// Fresh copies each run: a worker stage moves whole buffers away from the sender.
const batches = () => Array.from({ length: BATCHES }, () => template.slice());
const module = new URL("./fixtures/tick_stats.ts", import.meta.url);

async function drain(stream: ReadableStream<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of stream) n++;
  if (n !== BATCHES) throw new Error(`${n} results for ${BATCHES} batches`);
  return n;
}

const group = `${BATCHES} batches of ticks to per-symbol sums ${sizeLabel(total)}`;
const entry = (name: string) => describe({ group, name, bytes: total, peer: false });
bench(entry("inline: mapStage on the main thread"), async () => {
  await drain(pipeline(batches(), mapStage(tickStats)));
});
for (const workers of [1, 2]) {
  bench(entry(`workerStage, ${workers} worker${workers > 1 ? "s" : ""} (started each run)`), async () => {
    await drain(pipeline(batches(), workerStage(module, { workers })));
  });
}
const pools: WorkerPool[] = [];
for (const workers of [1, 2]) {
  const pool = new WorkerPool(module, { workers });
  pools.push(pool);
  bench(
    entry(`WorkerPool.stage, ${workers} worker${workers > 1 ? "s" : ""} (started once, warm)`),
    async () => {
      await drain(pipeline(batches(), pool.stage()));
    },
  );
}
bench(entry("copying the batches alone (part of every run)"), () => batches().length);

const info = backend();
await runAndReport(`Worker stage benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`);
for (const pool of pools) pool.terminate();
