/**
 * Where the native bulk frame check beats reading frames one at a time in
 * JavaScript: `FrameBatchDecoderStream` over 2 MiB of frames (16, 100 and
 * 1000-byte payloads) in 256 B, 1 KiB and 4 KiB chunks, each way, best of
 * 15 runs. `frameScanThresholds` in src/frame.ts comes from this, run under
 * Deno and under Bun. Run: `deno run -A bench/frame_scan_threshold.bench.ts`
 * or `bun run bench/frame_scan_threshold.bench.ts`.
 *
 * @module
 */

import { backend, encodeFrame, FrameBatchDecoderStream, frameSize } from "../mod.ts";
import { frameScanThresholds } from "../src/frame.ts";

if (backend().path !== "native") throw new Error("the threshold benchmark needs the native library");

async function best(run: () => Promise<void>): Promise<number> {
  for (let k = 0; k < 5; k++) await run();
  let fastest = Infinity;
  for (let k = 0; k < 15; k++) {
    const start = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

console.log(
  `# Frame scan threshold: ${backend().runtime}, native time against JS time (above 1 is native faster)`,
);
for (const payload of [16, 100, 1000]) {
  const frames: Uint8Array[] = [];
  for (let total = 0; total < 2 << 20; total += frameSize(payload)) {
    frames.push(encodeFrame(new Uint8Array(payload), { type: 1 }));
  }
  const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  frames.reduce((at, frame) => (bytes.set(frame, at), at + frame.length), 0);
  const row: string[] = [];
  for (const chunkSize of [256, 1024, 4096]) {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
    const run = async () => {
      for await (const _ of ReadableStream.from(chunks).pipeThrough(new FrameBatchDecoderStream()));
    };
    frameScanThresholds.bytes = Infinity;
    const js = await best(run);
    frameScanThresholds.bytes = 0;
    const native = await best(run);
    row.push(`${chunkSize} B chunks ${(js / native).toFixed(2)}x`);
  }
  console.log(`${payload} B payloads: ${row.join(", ")}`);
}
