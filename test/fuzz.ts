/**
 * A seeded, time-bounded fuzzer: `deno task fuzz --seconds 20 --seed 1`
 * (the defaults), or `bun test/fuzz.ts --seconds 20 --seed 1`.
 *
 * It mutates valid encodings (flipped, inserted, deleted and truncated
 * bytes, stray padding and whitespace) and feeds them to every decoder:
 * base64 (strict and lenient, both alphabets, with and without padding),
 * hex, varints (both widths, with a count), UTF-8, `decodeFrame` and
 * `FrameDecoderStream` (in random chunks). Each call must equal its oracle
 * (the JS path against the native one, and the runtime's `fromBase64`,
 * `fromHex`, `toBase64`, `toHex` and `TextDecoder` where they exist) or
 * throw a `BinlaneError`. It also runs every entry that takes caller memory
 * on hostile objects over random inputs (test/hostile.ts: lying own
 * lengths, species subclasses, Proxies, fakes, detached buffers,
 * SharedArrayBuffer views) and on views of shrunk resizable buffers.
 *
 * Anything else (a raw TypeError, a wrong answer, a crash) fails: the
 * failure is printed with its seed and the process exits 1. Tests run it
 * in a child process with a budget of a few seconds (test/fuzz_test.ts).
 *
 * @module
 */

import {
  backend,
  type Base64DecodeOptions,
  BinlaneError,
  decodeBase64,
  decodeFrame,
  decodeHex,
  encodeBase64,
  encodeFrame,
  encodeHex,
  FrameDecoderStream,
  isUtf8,
  utf8CodePointCount,
  utf8ErrorIndex,
  varintDecode,
  varintEncode,
} from "../mod.ts";
import { base64Thresholds } from "../src/base64.ts";
import { hexThresholds } from "../src/hex.ts";
import { intThresholds } from "../src/intcode.ts";
import { utf8Thresholds } from "../src/utf8.ts";
import {
  attacks,
  describeResult,
  entries,
  outcomeOf,
  tryAttack,
  tryTypedAttack,
  typedAttacks,
  typedEntries,
} from "./hostile.ts";
import { seededRandom } from "./harness.ts";

/** What the fuzzer was asked: a time budget and a seed. */
export interface FuzzOptions {
  readonly seconds: number;
  readonly seed: number;
}

/** What a run did. */
export interface FuzzReport {
  /** The path the "native" side of each comparison ran on: on "js", the JS path was compared with itself. */
  readonly path: "native" | "js";
  readonly iterations: number;
  readonly failures: string[];
}

type Random = () => number;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
// deno-lint-ignore no-explicit-any
const builtIn = Uint8Array as any;

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[(random() * items.length) | 0];
}

/** A length biased to the small sizes where paths and thresholds change. */
function randomLength(random: Random): number {
  const r = random();
  return r < 0.5 ? (random() * 70) | 0 : r < 0.9 ? (random() * 600) | 0 : (random() * 5000) | 0;
}

/** A few mutations of `input`: flips, inserts (of `extras` too), deletes and a truncation. */
function mutate(random: Random, input: Uint8Array, extras: readonly number[]): Uint8Array {
  const bytes = Array.from(input);
  const count = random() < 0.2 ? 0 : 1 + ((random() * 4) | 0);
  for (let k = 0; k < count; k++) {
    const at = (random() * (bytes.length + 1)) | 0;
    const op = random();
    if (op < 0.3 && bytes.length > 0) bytes[at % bytes.length] ^= 1 << ((random() * 8) | 0);
    else if (op < 0.55) bytes.splice(at, 0, random() < 0.6 ? pick(random, extras) : (random() * 256) | 0);
    else if (op < 0.8 && bytes.length > 0) bytes.splice(at % bytes.length, 1);
    else bytes.length = Math.min(bytes.length, at);
  }
  return Uint8Array.from(bytes);
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/** Runs `call` on the JS path and then natively (every threshold 0); both outcomes. */
function bothPaths(thresholds: Record<string, number>[], call: () => unknown): [string, string] {
  const saved = thresholds.map((t) => ({ ...t }));
  try {
    for (const t of thresholds) for (const key of Object.keys(t)) t[key] = Infinity;
    const js = show(outcomeOf(call));
    for (const t of thresholds) for (const key of Object.keys(t)) t[key] = 0;
    const native = show(outcomeOf(call));
    return [js, native];
  } finally {
    thresholds.forEach((t, i) => Object.assign(t, saved[i]));
  }
}

function show(outcome: { result?: string; code?: string; raw?: string }): string {
  if (outcome.raw !== undefined) return `raw ${outcome.raw}`;
  return outcome.code ?? `= ${outcome.result}`;
}

function base64Case(random: Random, failures: string[]): void {
  const alphabet = pick(random, ["base64", "base64url"] as const);
  const padding = random() < 0.7;
  const mode = pick(random, ["strict", "lenient"] as const);
  const valid = encoder.encode(
    encodeBase64(randomBytes(random, randomLength(random)), { alphabet, padding }),
  );
  const text = mutate(random, valid, [0x3d, 0x20, 0x0a, 0x2b, 0x2f, 0x2d, 0x5f]);
  const options: Base64DecodeOptions = { alphabet, padding, mode };
  const [js, native] = bothPaths([base64Thresholds], () => decodeBase64(text, options));
  const label = `decodeBase64(${JSON.stringify(latin1(text).slice(0, 80))}, ${JSON.stringify(options)})`;
  check(failures, label, js, native);
  const string = bothPaths([base64Thresholds], () => decodeBase64(latin1(text), options))[1];
  if (string !== native && !string.startsWith("E_") && !native.startsWith("E_")) {
    failures.push(`${label}: a string and its bytes decode differently`);
  }
  if (builtIn.fromBase64 !== undefined && mode === "lenient" && !js.startsWith("raw")) {
    let expected: string;
    try {
      expected = `= ${
        describeResult(builtIn.fromBase64(latin1(text), { alphabet, lastChunkHandling: "loose" }))
      }`;
    } catch {
      expected = "E_INVALID_INPUT";
    }
    if (expected !== js) {
      failures.push(`${label}: fromBase64 says ${expected.slice(0, 60)}, binlane ${js.slice(0, 60)}`);
    }
  }
}

function hexCase(random: Random, failures: string[]): void {
  const valid = encoder.encode(encodeHex(randomBytes(random, randomLength(random))));
  const text = mutate(random, random() < 0.5 ? valid : encoder.encode(latin1(valid).toUpperCase()), [
    0x41,
    0x67,
  ]);
  const [js, native] = bothPaths([hexThresholds], () => decodeHex(text));
  const label = `decodeHex(${JSON.stringify(latin1(text).slice(0, 80))})`;
  check(failures, label, js, native);
  if (builtIn.fromHex !== undefined) {
    let expected: string;
    try {
      expected = `= ${describeResult(builtIn.fromHex(latin1(text)))}`;
    } catch {
      expected = latin1(text).length % 2 === 1 || /[^0-9a-fA-F]/.test(latin1(text)) ? "E_INVALID_INPUT" : "?";
    }
    if (expected !== js) {
      failures.push(`${label}: fromHex says ${expected.slice(0, 60)}, binlane ${js.slice(0, 60)}`);
    }
  }
}

function encodeCase(random: Random, failures: string[]): void {
  const data = randomBytes(random, randomLength(random));
  if (typeof builtIn.prototype.toBase64 === "function") {
    const [js, native] = bothPaths([base64Thresholds], () => encodeBase64(data));
    const expected = `= ${JSON.stringify(builtIn.prototype.toBase64.call(data))}`;
    if (js !== expected || native !== expected) {
      failures.push(`encodeBase64 of ${data.length} bytes differs from toBase64`);
    }
  }
  if (typeof builtIn.prototype.toHex === "function") {
    const [js, native] = bothPaths([hexThresholds], () => encodeHex(data));
    const expected = `= ${JSON.stringify(builtIn.prototype.toHex.call(data))}`;
    if (js !== expected || native !== expected) {
      failures.push(`encodeHex of ${data.length} bytes differs from toHex`);
    }
  }
}

function varintCase(random: Random, failures: string[]): void {
  const wide = random() < 0.4;
  const count = randomLength(random) >> 2;
  const values = wide ? new BigUint64Array(count) : new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const bits = (random() * (wide ? 64 : 32)) | 0;
    const value = Math.floor(random() * 2 ** Math.min(bits, 52));
    values[i] = wide ? BigInt(value) << BigInt(Math.max(0, bits - 52)) : value >>> 0;
  }
  const bytes = mutate(random, varintEncode(values), [0x80, 0xff, 0x7f, 0x01]);
  const options = random() < 0.5
    ? { type: wide ? "biguint64" as const : "uint32" as const }
    : { type: wide ? "biguint64" as const : "uint32" as const, count: (random() * (count + 2)) | 0 };
  const [js, native] = bothPaths([intThresholds], () => varintDecode(bytes, options as never));
  check(failures, `varintDecode(${bytes.length} bytes, ${JSON.stringify(options)})`, js, native);
}

function utf8Case(random: Random, failures: string[]): void {
  const pieces = ["a", "é", "€", "😀", "\u0000", "\uffff"];
  let text = "";
  const length = randomLength(random);
  while (text.length < length) text += pick(random, pieces);
  const bytes = mutate(random, encoder.encode(text), [0x80, 0xc0, 0xed, 0xf4, 0xff, 0xe0]);
  let valid = true;
  let count = 0;
  try {
    count = [...decoder.decode(bytes)].length;
  } catch {
    valid = false;
  }
  const label = `utf8 of ${bytes.length} bytes`;
  const run = (call: () => unknown) => {
    const saved = utf8Thresholds.validate;
    try {
      utf8Thresholds.validate = Infinity;
      const js = show(outcomeOf(call));
      utf8Thresholds.validate = 0;
      return [js, show(outcomeOf(call))];
    } finally {
      utf8Thresholds.validate = saved;
    }
  };
  const [jsValid, nativeValid] = run(() => isUtf8(bytes));
  if (jsValid !== `= ${valid}` || nativeValid !== `= ${valid}`) {
    failures.push(`${label}: isUtf8 differs from TextDecoder`);
  }
  const [jsIndex, nativeIndex] = run(() => utf8ErrorIndex(bytes));
  check(failures, `${label}: utf8ErrorIndex`, jsIndex, nativeIndex);
  if ((jsIndex === "= -1") !== valid) failures.push(`${label}: utf8ErrorIndex disagrees with TextDecoder`);
  const [jsCount, nativeCount] = run(() => utf8CodePointCount(bytes));
  check(failures, `${label}: utf8CodePointCount`, jsCount, nativeCount);
  if (valid && jsCount !== `= ${count}`) {
    failures.push(`${label}: utf8CodePointCount ${jsCount}, expected ${count}`);
  }
}

function frameBytes(random: Random): Uint8Array {
  const frames: Uint8Array[] = [];
  const count = 1 + ((random() * 3) | 0);
  for (let i = 0; i < count; i++) {
    frames.push(
      encodeFrame(randomBytes(random, randomLength(random) >> 2), {
        type: (random() * 65536) | 0,
        timestamp: 1n,
      }),
    );
  }
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    all.set(frame, at);
    at += frame.length;
  }
  return random() < 0.3 ? all : mutate(random, all, [0, 0xff]);
}

function frameCase(random: Random, failures: string[]): void {
  const bytes = frameBytes(random);
  const outcome = outcomeOf(() => decodeFrame(bytes));
  if (outcome.raw !== undefined) failures.push(`decodeFrame of ${bytes.length} bytes threw ${outcome.raw}`);
}

async function frameStreamCase(random: Random, failures: string[]): Promise<void> {
  const bytes = frameBytes(random);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + ((random() * 200) | 0);
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  }).pipeThrough(new FrameDecoderStream());
  try {
    for await (const frame of stream) void frame;
  } catch (error) {
    if (!(error instanceof BinlaneError)) {
      failures.push(
        `FrameDecoderStream of ${bytes.length} bytes threw ${(error as Error)?.name}: ${
          (error as Error)?.message
        }`,
      );
    }
  }
}

/** A view past the end of a shrunk resizable buffer reads as empty: as the honest empty input does. */
function shrunkCase(random: Random, failures: string[]): void {
  const entry = pick(random, entries);
  const length = 8 + randomLength(random);
  const buffer = new ArrayBuffer(length, { maxByteLength: length });
  const view = new Uint8Array(buffer, 0, length);
  view.set(entry.data(random, length).subarray(0, length));
  const keep = (random() * length) | 0;
  const tracking = new Uint8Array(buffer);
  buffer.resize(keep);
  const empty = outcomeOf(() => entry.call(new Uint8Array(0)));
  const outOfBounds = outcomeOf(() => entry.call(view));
  if (outOfBounds.raw !== undefined) {
    failures.push(`${entry.name} on a view past a shrunk end threw ${outOfBounds.raw}`);
  } else if (
    outOfBounds.code === undefined && empty.code === undefined && outOfBounds.result !== empty.result
  ) {
    failures.push(`${entry.name} on a view past a shrunk end differs from an empty input`);
  }
  const honest = outcomeOf(() => entry.call(new Uint8Array(tracking)));
  const shrunk = outcomeOf(() => entry.call(tracking));
  if (shrunk.raw !== undefined) failures.push(`${entry.name} on a shrunk tracking view threw ${shrunk.raw}`);
  else if (
    !entry.writes && shrunk.code === undefined && honest.code === undefined && shrunk.result !== honest.result
  ) {
    failures.push(`${entry.name} on a tracking view of ${keep} bytes differs from a copy of them`);
  }
}

function check(failures: string[], label: string, js: string, native: string): void {
  if (js.startsWith("raw")) failures.push(`${label}: JS path ${js}`);
  else if (native.startsWith("raw")) failures.push(`${label}: native path ${native}`);
  else if (js !== native) {
    failures.push(`${label}: JS path ${js.slice(0, 80)}, native ${native.slice(0, 80)}`);
  }
}

/** Runs the fuzzer for `seconds`, from `seed`; stops at the first failures. */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const random = seededRandom(options.seed);
  const failures: string[] = [];
  const end = performance.now() + options.seconds * 1000;
  let iterations = 0;
  while (performance.now() < end && failures.length === 0) {
    const kind = (random() * 11) | 0;
    const before = failures.length;
    if (kind === 0) base64Case(random, failures);
    else if (kind === 1) hexCase(random, failures);
    else if (kind === 2) encodeCase(random, failures);
    else if (kind === 3) varintCase(random, failures);
    else if (kind === 4) utf8Case(random, failures);
    else if (kind === 5) frameCase(random, failures);
    else if (kind === 6) await frameStreamCase(random, failures);
    else if (kind === 7) shrunkCase(random, failures);
    else if (kind === 8) {
      const failure = tryTypedAttack(pick(random, typedEntries), pick(random, typedAttacks), random);
      if (failure !== undefined) failures.push(failure);
    } else {
      const failure = tryAttack(pick(random, entries), pick(random, attacks), random, randomLength(random));
      if (failure !== undefined) failures.push(failure);
    }
    if (failures.length > before) failures.push(`(seed ${options.seed}, iteration ${iterations})`);
    iterations++;
  }
  return { path: backend().path, iterations, failures };
}

function argument(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} takes a non-negative number`);
  return value;
}

if (import.meta.main) {
  // deno-lint-ignore no-explicit-any
  const anyGlobal = globalThis as any;
  const args: string[] = anyGlobal.Deno?.args ?? anyGlobal.process.argv.slice(2);
  const seconds = argument(args, "--seconds", 20);
  const seed = argument(args, "--seed", 1);
  const report = await fuzz({ seconds, seed });
  console.log(JSON.stringify({ seed, seconds, ...report }));
  if (report.failures.length > 0) {
    for (const failure of report.failures) console.error(failure);
    if (anyGlobal.Deno) anyGlobal.Deno.exit(1);
    else anyGlobal.process.exit(1);
  }
}
