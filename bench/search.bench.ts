/**
 * Search and compare kernels against the runtime's own and npm peers, at
 * 64 B, 4 KiB, 1 MiB and 64 MiB, each in its worst case: a full scan
 * (nothing found; equal buffers compared). Run: `deno task bench`, or
 * `deno run -A bench/search.bench.ts` / `bun run bench/search.bench.ts`,
 * with `--sizes 64,4096` to narrow.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  backend,
  compare,
  countByte,
  equals,
  findAllByte,
  indexOfAny,
  indexOfByte,
  indexOfOther,
  indexOfSubarray,
  lastIndexOfByte,
  mismatch,
} from "../mod.ts";
import { addBench, benchSizes, runAndReport } from "./report.ts";

const sizes = benchSizes();

function otherLoop(bytes: Uint8Array, set: number[]): number {
  const member = new Uint8Array(256);
  for (const value of set) member[value] = 1;
  for (let i = 0; i < bytes.length; i++) if (member[bytes[i]] === 0) return i;
  return -1;
}

function countLoop(bytes: Uint8Array, byte: number): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) count += bytes[i] === byte ? 1 : 0;
  return count;
}

function findAllLoop(bytes: Uint8Array, byte: number): number[] {
  const positions: number[] = [];
  for (let at = bytes.indexOf(byte); at !== -1; at = bytes.indexOf(byte, at + 1)) positions.push(at);
  return positions;
}

function mismatchLoop(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

for (const size of sizes) {
  // Text-like bytes 0x20..0x7e without "\n" or "|", so searches for them scan everything.
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = 0x20 + ((i * 2654435761) >>> 26) % 0x5c;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const twin = data.slice();
  const twinBuffer = Buffer.from(twin.buffer);
  // One "\n" every 64 bytes for counting and listing.
  const lines = data.slice();
  for (let i = 63; i < size; i += 64) lines[i] = 0x0a;
  const needle = new TextEncoder().encode("\r\n\r\n");
  const needleBuffer = Buffer.from(needle);

  addBench("indexOfByte", "binlane indexOfByte", size, false, indexOfByte, data, 0x0a);
  addBench(
    "indexOfByte",
    "Uint8Array.prototype.indexOf",
    size,
    true,
    (d: Uint8Array) => d.indexOf(0x0a),
    data,
  );
  addBench("indexOfByte", "Buffer.prototype.indexOf", size, true, (b: Buffer) => b.indexOf(0x0a), buffer);

  addBench("lastIndexOfByte", "binlane lastIndexOfByte", size, false, lastIndexOfByte, data, 0x0a);
  addBench(
    "lastIndexOfByte",
    "Uint8Array.prototype.lastIndexOf",
    size,
    true,
    (d: Uint8Array) => d.lastIndexOf(0x0a),
    data,
  );

  addBench("countByte", "binlane countByte", size, false, countByte, lines, 0x0a);
  addBench("countByte", "JS loop", size, true, countLoop, lines, 0x0a);

  addBench("findAllByte", "binlane findAllByte", size, false, findAllByte, lines, 0x0a);
  addBench("findAllByte", "indexOf loop", size, true, findAllLoop, lines, 0x0a);

  addBench("indexOfAny", "binlane indexOfAny (4 bytes)", size, false, indexOfAny, data, [
    0x0a,
    0x0d,
    0x7c,
    0x00,
  ]);

  // A column of enum codes that are all valid: the whole column is scanned.
  const codes = new Uint8Array(size).map((_, i) => [0, 1, 2, 5][i & 3]);
  addBench("indexOfOther", "binlane indexOfOther (4 bytes)", size, false, indexOfOther, codes, [0, 1, 2, 5]);
  addBench("indexOfOther", "JS loop with a membership table", size, true, otherLoop, codes, [0, 1, 2, 5]);

  addBench("indexOfSubarray", "binlane indexOfSubarray", size, false, indexOfSubarray, data, needle);
  addBench(
    "indexOfSubarray",
    "Buffer.prototype.indexOf",
    size,
    true,
    (b: Buffer, n: Buffer) => b.indexOf(n),
    buffer,
    needleBuffer,
  );

  addBench("equals", "binlane equals", size, false, equals, data, twin);
  addBench(
    "equals",
    "Buffer.prototype.equals",
    size,
    true,
    (a: Buffer, b: Buffer) => a.equals(b),
    buffer,
    twinBuffer,
  );
  addBench("compare", "binlane compare", size, false, compare, data, twin);
  addBench("compare", "Buffer.compare", size, true, Buffer.compare, buffer, twinBuffer);
  addBench("mismatch", "binlane mismatch", size, false, mismatch, data, twin);
  addBench("mismatch", "JS loop", size, true, mismatchLoop, data, twin);
}

const info = backend();
await runAndReport(`search benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`);
