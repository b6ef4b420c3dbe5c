/**
 * The end-to-end demo (`deno task demo`, or `bun run examples/pipeline.ts`):
 * a market-data and sensor feed, big-endian on the wire as many feeds are,
 * written as checksummed frames to a file with a StreamingSerializer, then
 * read back twice, through a frame decoder stream and through `mapFile`
 * (every CRC-32C checked, every payload's layout fingerprint compared),
 * decoded to columns (byte swaps and enum checks in the same pass), and
 * summed up per symbol; both reads must agree with what was written.
 *
 * Options: `--ticks N` and `--readings N` (records; default 4,000,000 each),
 * `--file PATH` (default: a temporary file, removed at the end), `--keep`.
 *
 * @module
 */

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  array,
  backend,
  type Column,
  decodeFrame,
  FrameBatchDecoderStream,
  i16be,
  mapFile,
  minMax,
  pipeline,
  StreamingSerializer,
  struct,
  sum,
  u16be,
  u32be,
  u64be,
  u8,
} from "../mod.ts";

// deno-lint-ignore no-explicit-any
const anyGlobal = globalThis as any;
const args = process.argv.slice(2);
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1].replaceAll("_", "")) : fallback;
const tickCount = option("--ticks", 4_000_000);
const readingCount = option("--readings", 4_000_000);
const keep = args.includes("--keep");

/** A market-data tick on the wire: MarketData from the layout examples, big-endian. */
const Tick = struct({ symbol: array(u8, 8), price: u64be, quantity: u32be, ts: u64be });
/** A packed sensor reading on the wire: SensorReading from the layout examples, big-endian. */
const Reading = struct({ id: u16be, ts: u32be, temp: i16be, humidity: u16be, pressure: u32be }, { pack: 1 });
const TICKS = 1, READINGS = 2;
const BATCH = 8192;
const symbols = ["BINL", "ZIGS", "DENO", "BUNJ", "SIMD", "CRC3", "XXH3", "UTF8"];

const timings: { stage: string; bytes: number; seconds: number }[] = [];
async function timed<T>(stage: string, bytes: () => number, work: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const result = await work();
  timings.push({ stage, bytes: bytes(), seconds: (performance.now() - start) / 1000 });
  return result;
}

let shownPercent = -1;
/** A progress bar on stderr, redrawn only when the percentage moves (a write per chunk would cost more than the work). */
function progress(label: string, done: number, total: number): void {
  const percent = Math.floor((100 * done) / Math.max(total, 1));
  if (percent === shownPercent) return;
  shownPercent = percent;
  const width = 30;
  const filled = Math.round((percent / 100) * width);
  process.stderr.write(
    `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(percent).padStart(3)}%`,
  );
  if (done >= total) {
    process.stderr.write("\n");
    shownPercent = -1;
  }
}

/** A deterministic generator (xorshift32), so every run writes the same feed. */
let state = 0x2545f491;
function random(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
}

/** What the generator put in, per symbol, to check what the reader gets out. */
const written = symbols.map(() => ({ ticks: 0, volume: 0 }));

/** One batch of ticks as columns, turned into big-endian records by the native transpose. */
function tickBatch(first: number, count: number, prices: number[]): Uint8Array {
  const symbol = new Uint8Array(count * 8);
  const price = new BigUint64Array(count);
  const quantity = new Uint32Array(count);
  const ts = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    const s = Math.floor(random() * symbols.length);
    prices[s] = Math.max(100, prices[s] + Math.round((random() - 0.5) * 20));
    for (let k = 0; k < 4; k++) symbol[i * 8 + k] = symbols[s].charCodeAt(k);
    symbol.fill(0x20, i * 8 + 4, i * 8 + 8);
    price[i] = BigInt(prices[s]);
    quantity[i] = 1 + Math.floor(random() * 500);
    ts[i] = BigInt(1_700_000_000_000_000 + (first + i) * 1000);
    written[s].ticks += 1;
    written[s].volume += quantity[i];
  }
  return Tick.fromColumns({ symbol, price, quantity, ts });
}

function readingBatch(first: number, count: number): Uint8Array {
  const id = new Uint16Array(count), ts = new Uint32Array(count), temp = new Int16Array(count);
  const humidity = new Uint16Array(count), pressure = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    id[i] = (first + i) % 64;
    ts[i] = first + i;
    temp[i] = Math.round(200 + (random() - 0.5) * 100);
    humidity[i] = Math.floor(random() * 1000);
    pressure[i] = 101_000 + Math.floor(random() * 2000);
  }
  return Reading.fromColumns({ id, ts, temp, humidity, pressure });
}

/** The file sink of this runtime: Bun's FileSink, or a Deno.FsFile. */
async function openForWriting(path: string) {
  if (anyGlobal.Bun) {
    const sink = anyGlobal.Bun.file(path).writer();
    return { sink, close: async () => void (await sink.end()) };
  }
  const file = await anyGlobal.Deno.open(path, { write: true, create: true, truncate: true });
  return { sink: file, close: () => Promise.resolve(file.close()) };
}

async function openForReading(path: string): Promise<ReadableStream<Uint8Array>> {
  if (anyGlobal.Bun) return anyGlobal.Bun.file(path).stream();
  return (await anyGlobal.Deno.open(path, { read: true })).readable;
}

const directory = args.includes("--file") ? undefined : mkdtempSync(join(tmpdir(), "binlane-demo-"));
const path = directory ? join(directory, "feed.frames") : args[args.indexOf("--file") + 1];
const tickBytes = tickCount * Tick.size, readingBytes = readingCount * Reading.size;

// 1. Generate the feed and write it, framed, through the serializer.
let frames = 0;
await timed("generate + frame + write", () => statSync(path).size, async () => {
  const { sink, close } = await openForWriting(path);
  const prices = symbols.map(() => 10_000);
  {
    await using out = new StreamingSerializer(sink, { bufferSize: 1 << 20 });
    for (let done = 0, r = 0; done < tickCount || r < readingCount;) {
      if (done < tickCount) {
        const count = Math.min(BATCH, tickCount - done);
        await out.writeFrame(tickBatch(done, count, prices), { type: TICKS, fingerprint: Tick.fingerprint });
        done += count;
        frames += 1;
      }
      if (r < readingCount) {
        const count = Math.min(BATCH, readingCount - r);
        await out.writeFrame(readingBatch(r, count), { type: READINGS, fingerprint: Reading.fingerprint });
        r += count;
        frames += 1;
      }
      progress("writing ", done + r, tickCount + readingCount);
    }
  }
  await close();
});
const fileSize = statSync(path).size;

// 2. Read it back twice, through a stream and through a memory map: frames
// checked, payloads decoded to columns, statistics per symbol.
interface Summary {
  frames: number;
  perSymbol: Map<string, { ticks: number; volume: number; notional: number; low: number; high: number }>;
  sensor: { readings: number; tempSum: bigint; pressureLow: number; pressureHigh: number };
  columnSeconds: number;
  statsSeconds: number;
}
const newSummary = (): Summary => ({
  frames: 0,
  perSymbol: new Map(),
  sensor: { readings: 0, tempSum: 0n, pressureLow: Infinity, pressureHigh: -Infinity },
  columnSeconds: 0,
  statsSeconds: 0,
});
const tickColumns = Tick.toColumns(new Uint8Array(BATCH * Tick.size));
const readingColumns = Reading.toColumns(new Uint8Array(BATCH * Reading.size));
const maxFrameSize = 2 * BATCH * Tick.size;

function addTicks(summary: Summary, columns: Record<string, Column>, count: number): void {
  const symbol = columns.symbol as Uint8Array, price = columns.price as BigUint64Array;
  const quantity = columns.quantity as Uint32Array;
  for (let i = 0; i < count; i++) {
    const name = String.fromCharCode(symbol[i * 8], symbol[i * 8 + 1], symbol[i * 8 + 2], symbol[i * 8 + 3]);
    let entry = summary.perSymbol.get(name);
    if (!entry) {
      summary.perSymbol.set(name, entry = { ticks: 0, volume: 0, notional: 0, low: Infinity, high: 0 });
    }
    const p = Number(price[i]);
    entry.ticks += 1;
    entry.volume += quantity[i];
    entry.notional += p * quantity[i];
    if (p < entry.low) entry.low = p;
    if (p > entry.high) entry.high = p;
  }
}

function addReadings(summary: Summary, columns: Record<string, Column>, count: number): void {
  const sensor = summary.sensor;
  sensor.readings += count;
  sensor.tempSum += BigInt(sum((columns.temp as Int16Array).subarray(0, count)));
  const range = minMax((columns.pressure as Uint32Array).subarray(0, count));
  if (range) {
    sensor.pressureLow = Math.min(sensor.pressureLow, range.min);
    sensor.pressureHigh = Math.max(sensor.pressureHigh, range.max);
  }
}

/** One checked frame: its layout compared, its payload decoded to columns and summed up. */
function consume(summary: Summary, frame: { type: number; fingerprint: bigint; payload: Uint8Array }): void {
  summary.frames += 1;
  const schema = frame.type === TICKS ? Tick : frame.type === READINGS ? Reading : undefined;
  if (!schema || frame.fingerprint !== schema.fingerprint) {
    throw new Error(
      `frame ${summary.frames}: type ${frame.type} with layout ${frame.fingerprint.toString(16)}`,
    );
  }
  const count = frame.payload.length / schema.size;
  const start = performance.now();
  const into = frame.type === TICKS ? tickColumns : readingColumns;
  schema.toColumns(frame.payload, { count, into, validate: true });
  const decoded = performance.now();
  if (frame.type === TICKS) addTicks(summary, into, count);
  else addReadings(summary, into, count);
  summary.columnSeconds += (decoded - start) / 1000;
  summary.statsSeconds += (performance.now() - decoded) / 1000;
}

const streamed = newSummary();
// Every batch is consumed before the next is read, so frames that straddle chunks may share reused memory.
const decoder = new FrameBatchDecoderStream({ maxFrameSize, transient: true });
let bytesRead = 0;
await timed("stream: read + check frames + columns", () => fileSize, async () => {
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytesRead += chunk.length;
      progress("reading ", bytesRead, fileSize);
      controller.enqueue(chunk);
    },
  });
  for await (const batch of pipeline(await openForReading(path), counted, decoder)) {
    for (const frame of batch) consume(streamed, frame);
  }
});
timings.push({
  stage: "  of which: payloads to columns",
  bytes: tickBytes + readingBytes,
  seconds: streamed.columnSeconds,
});
timings.push({
  stage: "  of which: per-symbol statistics",
  bytes: tickBytes + readingBytes,
  seconds: streamed.statsSeconds,
});

const mapped = newSummary();
let mappedFile = "";
await timed("mapFile: map + check frames + columns", () => fileSize, () => {
  using file = mapFile(path);
  mappedFile = file.mapped ? "memory-mapped" : "copied (no native library)";
  const bytes = file.bytes;
  for (let offset = 0; offset < bytes.length;) {
    const frame = decodeFrame(bytes, { byteOffset: offset, maxFrameSize });
    consume(mapped, frame);
    offset += frame.byteLength;
    progress("mapped  ", offset, bytes.length);
  }
  file.check(); // the file was not truncated under us: every byte read was data
});

// 3. Check what came out against what went in, and both reads against each other.
const { perSymbol, sensor } = streamed;
let verified = streamed.frames === frames && sensor.readings === readingCount &&
  decoder.stats.droppedFrames === 0;
symbols.forEach((name, s) => {
  const entry = perSymbol.get(name);
  if (written[s].ticks === 0 && !entry) return;
  if (!entry || entry.ticks !== written[s].ticks || entry.volume !== written[s].volume) verified = false;
});
const same = (summary: Summary) =>
  JSON.stringify([[...summary.perSymbol], { ...summary.sensor, tempSum: String(summary.sensor.tempSum) }]);
if (mapped.frames !== frames || same(mapped) !== same(streamed)) verified = false;

const info = backend();
console.log(`binlane ${info.path} path (${info.runtime}, CPU level ${info.cpu})`);
console.log(`${frames} frames, ${tickCount} ticks and ${readingCount} readings, ${fileSize} bytes: ${path}`);
console.log(`read back twice: streamed, and ${mappedFile}`);
console.log("");
console.log("stage                                   MB        s     GB/s");
for (const { stage, bytes, seconds } of timings) {
  console.log(
    `${stage.padEnd(36)} ${(bytes / 1e6).toFixed(1).padStart(8)} ${seconds.toFixed(3).padStart(8)} ${
      (seconds > 0 ? (bytes / seconds / 1e9).toFixed(2) : "-").padStart(8)
    }`,
  );
}
console.log("");
console.log("symbol     ticks      volume        VWAP     low    high");
for (const [name, entry] of [...perSymbol].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(
    `${name.padEnd(6)} ${String(entry.ticks).padStart(9)} ${String(entry.volume).padStart(11)} ${
      (entry.notional / entry.volume / 100).toFixed(2).padStart(11)
    } ${(entry.low / 100).toFixed(2).padStart(7)} ${(entry.high / 100).toFixed(2).padStart(7)}`,
  );
}
const meanTemp = sensor.readings ? Number(sensor.tempSum) / sensor.readings / 10 : 0;
console.log("");
console.log(
  `sensors: ${sensor.readings} readings, mean ${
    meanTemp.toFixed(2)
  } C, pressure ${sensor.pressureLow}..${sensor.pressureHigh} Pa`,
);
console.log(
  verified
    ? "verified: every frame checked, every count and volume as written, both reads identical"
    : "verification FAILED",
);
if (directory && !keep) rmSync(directory, { recursive: true, force: true });
if (!verified) process.exit(1);
