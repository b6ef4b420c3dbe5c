import assert from "node:assert/strict";
import { readUnsized } from "../src/mapped_file.ts";
import { test, throwsCode } from "./harness.ts";

const MiB = 2 ** 20;

/** A source of `total` bytes (each its index mod 251) that hands out at most `chunk` per read. */
function source(
  total: number,
  chunk = 8 * MiB,
): (bytes: Uint8Array, offset: number, length: number) => number {
  let at = 0;
  return (bytes, offset, length) => {
    const n = Math.min(length, chunk, total - at);
    if (n > 0) bytes.fill(at % 251, offset, offset + n);
    at += n;
    return n;
  };
}

test("mapFile (size 0 files): a source of up to 256 MiB is read whole; one byte more is E_LENGTH", () => {
  for (const total of [0, 1, 4097, 200 * MiB, 256 * MiB]) {
    const buffer = readUnsized(source(total), "fake");
    assert.equal(buffer.byteLength, total, `${total} bytes`);
  }
  const refused = throwsCode(() => readUnsized(source(256 * MiB + 1), "fake"), "E_LENGTH");
  assert.match(refused.message, /reads past 268435456 bytes/);
});

test("mapFile (size 0 files): a source whose first read fails is E_NOT_A_FILE", () => {
  throwsCode(() =>
    readUnsized(() => {
      throw Object.assign(new Error("EIO"), { code: "EIO" });
    }, "fake"), "E_NOT_A_FILE");
});
