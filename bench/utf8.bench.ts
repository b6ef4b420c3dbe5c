/**
 * UTF-8 validation against `node:buffer`'s `isUtf8` and `TextDecoder` with
 * `fatal: true`, on mixed multibyte text and on ASCII, at 64 B, 4 KiB, 1 MiB
 * and 64 MiB; then binlane's JS path against native from 16 B to 1 KiB,
 * which chose the threshold in src/utf8.ts. Run: `deno run -A
 * bench/utf8.bench.ts` or `bun run bench/utf8.bench.ts` (`--sizes 64,4096`
 * narrows the first part).
 *
 * @module
 */

import { isUtf8 as nodeIsUtf8 } from "node:buffer";
import { backend, isUtf8 } from "../mod.ts";
import { utf8Thresholds } from "../src/utf8.ts";
import { addBench, addCrossover, benchSizes, printCrossover, runAndReport } from "./report.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

function textDecoderValid(bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Mixed text as in multilingual documents: ASCII, Latin, Cyrillic, CJK and emoji, cut at a boundary. */
function mixedText(size: number): Uint8Array {
  const sample = "Hello, wörld! Привет, мир! 你好，世界！ 🙂🚀 ";
  const bytes = new TextEncoder().encode(sample.repeat(Math.ceil(size / 60) + 1));
  let end = size;
  while ((bytes[end] & 0xc0) === 0x80) end--;
  const out = new Uint8Array(size).fill(0x20);
  out.set(bytes.subarray(0, end));
  return out;
}

for (const size of benchSizes()) {
  const inputs = { mixed: mixedText(size), ascii: new Uint8Array(size).fill(0x61) };
  for (const [kind, bytes] of Object.entries(inputs)) {
    if (!isUtf8(bytes) || !nodeIsUtf8(bytes)) throw new Error(`${kind} text is not valid`);
    addBench(`isUtf8 ${kind}`, "binlane isUtf8", size, false, isUtf8, bytes);
    addBench(`isUtf8 ${kind}`, "node:buffer isUtf8", size, true, nodeIsUtf8, bytes);
    addBench(`isUtf8 ${kind}`, "TextDecoder fatal", size, true, textDecoderValid, bytes);
  }
}

// Where native overtakes binlane's own JS path, on mixed text.
const crossover = addCrossover(
  "isUtf8",
  [16, 32, 64, 128, 256, 512, 1024],
  (path) => {
    utf8Thresholds.validate = path === "js" ? Infinity : 0;
  },
  isUtf8,
  mixedText,
);

const info = backend();
const averages = await runAndReport(
  `UTF-8 benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
if (info.path === "native") printCrossover(crossover, averages, info.runtime);
