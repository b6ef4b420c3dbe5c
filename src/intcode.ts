/**
 * Integer coding for compact columns and wire formats: delta (each value
 * minus the one before, and running sums back), zigzag (signed to unsigned
 * so that small magnitudes stay small), and unsigned LEB128 varints as
 * protobuf writes them. Arithmetic wraps as two's complement does, so
 * every round trip is exact, 64-bit values included.
 *
 * @module
 */

import { runtimeName } from "../ffi/runtime.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { decodeError, nativeDecoded } from "./ascii.ts";
import { kernelSymbols } from "./backend.ts";
import { asBytes, type BinaryInput, lengthRead, plainArray, readBytes } from "./bytes.ts";
import { BinlaneError, errorFromStatus } from "./errors.ts";
import { describeValue, readOptions } from "./options.ts";
import { resultBytes } from "./result_pool.ts";

/** The arrays delta coding takes: 32- or 64-bit integers, either signedness. */
export type IntegerArray = Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** The arrays varints are encoded from and decoded to. */
export type VarintArray = Uint32Array | BigUint64Array;

/** Where a coding function writes. */
export interface IntCodingOptions<T> {
  /** Write here instead of a new array; the same length. May be the input itself (in place). */
  target?: T;
}

/** Options for {@linkcode varintDecode}. */
export interface VarintDecodeOptions {
  /** "uint32" (default) or "biguint64": the element type, and the largest value accepted. */
  type?: "uint32" | "biguint64";
  /** Values to decode from the start; default every value in the input. */
  count?: number;
}

/**
 * Smallest input, in bytes, coded natively in this runtime, from
 * `bench/intcode.bench.ts` (2026-11-21). Delta and zigzag (`transform`):
 * native from 1 KiB in both runtimes (Deno 1446 ns against JS 1489, Bun
 * 297 against 363; at 512 B JS wins in both). Varints, counting varint
 * bytes: Deno from 128 B (1267 against 1548; at 64 B JS 1064 against
 * 1275), Bun from 64 B (109 against 408). Tests set these to 0 or
 * Infinity to drive one path through the public functions.
 *
 * @example
 * ```ts
 * import { intThresholds } from "./intcode.ts";
 *
 * console.log(intThresholds.transform, intThresholds.varint);
 * ```
 */
export const intThresholds: { transform: number; varint: number } = runtimeName() === "bun"
  ? { transform: 1024, varint: 64 }
  : { transform: 1024, varint: 128 };

/** Native operation numbers (native-zig/intcode.zig `Op`). */
const Op = { deltaEncode: 0, deltaDecode: 1, zigzagEncode: 2, zigzagDecode: 3 } as const;
type OpCode = (typeof Op)[keyof typeof Op];

/** Native lengths stay below 2^31: inputs go in pieces of 2^30 bytes. */
const CHUNK_BYTES = 1 << 30;

const TRUNCATED = 11;
const OVERFLOW = 12;

function is64(array: ArrayBufferView): array is BigInt64Array | BigUint64Array {
  return array instanceof BigInt64Array || array instanceof BigUint64Array;
}

type IntegerKind = "Int32Array" | "Uint32Array" | "BigInt64Array" | "BigUint64Array";

const integerConstructors: Record<IntegerKind, new (n: number) => IntegerArray> = {
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
};

/**
 * binlane's own array over the elements of a caller's `array` (one of
 * `kinds`), so that nothing the caller's object carries of its own (a
 * length, a species, a method) takes part; `E_TYPE` for anything else.
 */
function checkArray<T extends IntegerArray>(
  array: unknown,
  name: string,
  kinds: readonly IntegerKind[],
  where: string,
): T {
  return plainArray(array, kinds, name, where) as T;
}

/** The array the transform writes (binlane's own view of `target`, or a new one) and the one returned. */
function outputFor<T extends IntegerArray>(
  input: IntegerArray,
  kind: IntegerKind,
  target: unknown,
  where: string,
): { out: T; result: T } {
  if (target === undefined) {
    const out = new integerConstructors[kind](input.length) as T;
    return { out, result: out };
  }
  const out = checkArray<T>(target, "target", [kind], where);
  if (out.length !== input.length) {
    throw new BinlaneError("E_LENGTH", `target holds ${out.length} elements, ${input.length} needed`);
  }
  if (out.buffer === input.buffer && out.byteOffset !== input.byteOffset) {
    const apart = out.byteOffset + out.byteLength <= input.byteOffset ||
      input.byteOffset + input.byteLength <= out.byteOffset;
    if (!apart) throw new BinlaneError("E_INVALID_ARGUMENT", "target overlaps the input other than exactly");
  }
  return { out, result: target as T };
}

/** The kind of an array binlane made itself. */
function kindOf(array: IntegerArray): IntegerKind {
  return array instanceof Int32Array
    ? "Int32Array"
    : array instanceof Uint32Array
    ? "Uint32Array"
    : array instanceof BigInt64Array
    ? "BigInt64Array"
    : "BigUint64Array";
}

function seedWords(seed: number | bigint): [number, number] {
  if (typeof seed === "number") return [seed >>> 0, 0];
  return [Number(BigInt.asUintN(32, seed)), Number(BigInt.asUintN(32, seed >> 32n))];
}

/**
 * Runs `op` natively over `src` into `dst` in pieces; a delta piece's seed
 * is the input element before it (read before anything is overwritten) or
 * the output element before it (already decoded).
 */
function nativeTransform(symbols: NativeSymbols, src: IntegerArray, dst: IntegerArray, op: OpCode): void {
  const width = src.BYTES_PER_ELEMENT;
  const step = CHUNK_BYTES / width;
  const encodeSeeds = op === Op.deltaEncode
    ? Array.from({ length: Math.ceil(src.length / step) }, (_, k) => k === 0 ? 0 : src[k * step - 1])
    : [];
  for (let start = 0, k = 0; start < src.length; start += step, k++) {
    const from = start === 0 && src.length <= step ? src : src.subarray(start, start + step);
    const to = start === 0 && dst.length <= step ? dst : dst.subarray(start, start + step);
    const seed = op === Op.deltaEncode
      ? encodeSeeds[k]
      : op === Op.deltaDecode && start > 0
      ? dst[start - 1]
      : 0;
    const [low, high] = seedWords(seed);
    const status = symbols.binlane_int_transform(
      from,
      from.byteLength,
      to,
      to.byteLength,
      op,
      width,
      low,
      high,
    );
    if (status !== 0) throw errorFromStatus(status, "binlane_int_transform");
  }
}

function jsTransform32(src: Int32Array | Uint32Array, dst: Int32Array | Uint32Array, op: OpCode): void {
  const n = src.length;
  if (op === Op.deltaEncode) {
    let before = 0;
    for (let i = 0; i < n; i++) {
      const value = src[i];
      dst[i] = value - before;
      before = value;
    }
  } else if (op === Op.deltaDecode) {
    let sum = 0;
    for (let i = 0; i < n; i++) dst[i] = sum = (sum + src[i]) | 0;
  } else if (op === Op.zigzagEncode) {
    for (let i = 0; i < n; i++) {
      const value = src[i] | 0;
      dst[i] = (value << 1) ^ (value >> 31);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const value = src[i] >>> 0;
      dst[i] = (value >>> 1) ^ -(value & 1);
    }
  }
}

function jsTransform64(
  src: BigInt64Array | BigUint64Array,
  dst: BigInt64Array | BigUint64Array,
  op: OpCode,
): void {
  const n = src.length;
  if (op === Op.deltaEncode) {
    let before = 0n;
    for (let i = 0; i < n; i++) {
      const value = src[i];
      dst[i] = value - before;
      before = value;
    }
  } else if (op === Op.deltaDecode) {
    let sum = 0n;
    for (let i = 0; i < n; i++) dst[i] = sum = BigInt.asUintN(64, sum + src[i]);
  } else if (op === Op.zigzagEncode) {
    for (let i = 0; i < n; i++) {
      const value = BigInt.asIntN(64, src[i]);
      dst[i] = (value << 1n) ^ (value >> 63n);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const value = BigInt.asUintN(64, src[i]);
      dst[i] = (value >> 1n) ^ -(value & 1n);
    }
  }
}

function transform(src: IntegerArray, dst: IntegerArray, op: OpCode): void {
  if (src.byteLength >= intThresholds.transform) {
    const symbols = kernelSymbols();
    if (symbols) return nativeTransform(symbols, src, dst, op);
  }
  if (is64(src)) jsTransform64(src, dst as BigInt64Array | BigUint64Array, op);
  else jsTransform32(src, dst as Int32Array | Uint32Array, op);
}

const integerKinds: readonly IntegerKind[] = ["Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];

/**
 * Each value minus the one before it (the first minus 0), wrapping: the
 * differences of a sorted or slowly changing column are small, and
 * compress and varint-encode well. Same type out as in.
 *
 * @example
 * ```ts
 * import { deltaEncode } from "@binlane/binlane";
 *
 * console.log(deltaEncode(new Int32Array([100, 103, 103, 110]))); // Int32Array(4) [100, 3, 0, 7]
 * ```
 */
export function deltaEncode<T extends IntegerArray>(values: T, options?: IntCodingOptions<T>): T {
  const { target } = readOptions(options, ["target"], "deltaEncode");
  const input = checkArray<T>(values, "values", integerKinds, "deltaEncode");
  const { out, result } = outputFor<T>(input, kindOf(input), target, "deltaEncode");
  transform(input, out, Op.deltaEncode);
  return result;
}

/**
 * The running sums of `deltas`, wrapping: the inverse of
 * {@linkcode deltaEncode}. Same type out as in.
 *
 * @example
 * ```ts
 * import { deltaDecode } from "@binlane/binlane";
 *
 * console.log(deltaDecode(new BigInt64Array([100n, 3n, 0n, 7n]))); // BigInt64Array(4) [100n, 103n, 103n, 110n]
 * ```
 */
export function deltaDecode<T extends IntegerArray>(deltas: T, options?: IntCodingOptions<T>): T {
  const { target } = readOptions(options, ["target"], "deltaDecode");
  const input = checkArray<T>(deltas, "deltas", integerKinds, "deltaDecode");
  const { out, result } = outputFor<T>(input, kindOf(input), target, "deltaDecode");
  transform(input, out, Op.deltaDecode);
  return result;
}

/**
 * Signed integers to unsigned, interleaving signs: 0, -1, 1, -2, 2 become
 * 0, 1, 2, 3, 4, so values near zero stay small for varints.
 *
 * @example
 * ```ts
 * import { zigzagEncode } from "@binlane/binlane";
 *
 * console.log(zigzagEncode(new Int32Array([0, -1, 1, -2]))); // Uint32Array(4) [0, 1, 2, 3]
 * ```
 */
export function zigzagEncode(values: Int32Array, options?: IntCodingOptions<Uint32Array>): Uint32Array;
/**
 * 64-bit signed integers to unsigned, interleaving signs.
 *
 * @example
 * ```ts
 * import { zigzagEncode } from "@binlane/binlane";
 *
 * console.log(zigzagEncode(new BigInt64Array([-1n, 1n]))); // BigUint64Array(2) [1n, 2n]
 * ```
 */
export function zigzagEncode(
  values: BigInt64Array,
  options?: IntCodingOptions<BigUint64Array>,
): BigUint64Array;
export function zigzagEncode(
  values: Int32Array | BigInt64Array,
  options?: IntCodingOptions<Uint32Array | BigUint64Array>,
): Uint32Array | BigUint64Array {
  const { target } = readOptions(options, ["target"], "zigzagEncode");
  const input = checkArray<Int32Array | BigInt64Array>(
    values,
    "values",
    ["Int32Array", "BigInt64Array"],
    "zigzagEncode",
  );
  const kind = input instanceof Int32Array ? "Uint32Array" : "BigUint64Array";
  const { out, result } = outputFor<Uint32Array | BigUint64Array>(input, kind, target, "zigzagEncode");
  transform(input, out, Op.zigzagEncode);
  return result;
}

/**
 * The inverse of {@linkcode zigzagEncode}: 0, 1, 2, 3 become 0, -1, 1, -2.
 *
 * @example
 * ```ts
 * import { zigzagDecode } from "@binlane/binlane";
 *
 * console.log(zigzagDecode(new BigUint64Array([0n, 1n, 2n, 3n]))); // BigInt64Array(4) [0n, -1n, 1n, -2n]
 * ```
 */
export function zigzagDecode(values: Uint32Array, options?: IntCodingOptions<Int32Array>): Int32Array;
/**
 * The inverse of 64-bit {@linkcode zigzagEncode}: 1n, 2n become -1n, 1n.
 *
 * @example
 * ```ts
 * import { zigzagDecode } from "@binlane/binlane";
 *
 * console.log(zigzagDecode(new BigUint64Array([1n, 2n]))); // BigInt64Array(2) [-1n, 1n]
 * ```
 */
export function zigzagDecode(
  values: BigUint64Array,
  options?: IntCodingOptions<BigInt64Array>,
): BigInt64Array;
export function zigzagDecode(
  values: Uint32Array | BigUint64Array,
  options?: IntCodingOptions<Int32Array | BigInt64Array>,
): Int32Array | BigInt64Array {
  const { target } = readOptions(options, ["target"], "zigzagDecode");
  const input = checkArray<Uint32Array | BigUint64Array>(
    values,
    "values",
    ["Uint32Array", "BigUint64Array"],
    "zigzagDecode",
  );
  const kind = input instanceof Uint32Array ? "Int32Array" : "BigInt64Array";
  const { out, result } = outputFor<Int32Array | BigInt64Array>(input, kind, target, "zigzagDecode");
  transform(input, out, Op.zigzagDecode);
  return result;
}

function jsVarintLength(values: VarintArray): number {
  let total = 0;
  if (values instanceof Uint32Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      total += v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
    }
    return total;
  }
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    total++;
    while (v >= 0x80n) {
      v >>= 7n;
      total++;
    }
  }
  return total;
}

function checkVarintValues(values: unknown, name: string, where: string): VarintArray {
  return checkArray<VarintArray>(values, name, ["Uint32Array", "BigUint64Array"], where);
}

function useNative(bytes: number): NativeSymbols | undefined {
  return bytes >= intThresholds.varint && bytes < CHUNK_BYTES ? kernelSymbols() : undefined;
}

/**
 * Bytes the varints of `values` take: the size to give
 * {@linkcode varintEncodeInto}.
 *
 * @example
 * ```ts
 * import { varintEncodedLength } from "@binlane/binlane";
 *
 * console.log(varintEncodedLength(new Uint32Array([1, 300, 2 ** 32 - 1]))); // 8
 * ```
 */
export function varintEncodedLength(values: VarintArray): number {
  return encodedLength(checkVarintValues(values, "values", "varintEncodedLength"));
}

function encodedLength(values: VarintArray): number {
  const symbols = useNative(values.byteLength);
  if (!symbols) return jsVarintLength(values);
  const result = symbols.binlane_varint_length(values, values.byteLength, values.BYTES_PER_ELEMENT);
  return nativeDecoded(symbols, result, "varint", 0);
}

function jsVarintEncode(values: VarintArray, dst: Uint8Array): void {
  let at = 0;
  if (values instanceof Uint32Array) {
    for (let i = 0; i < values.length; i++) {
      let v = values[i];
      while (v >= 0x80) {
        dst[at++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      dst[at++] = v;
    }
    return;
  }
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    while (v >= 0x80n) {
      dst[at++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    dst[at++] = Number(v);
  }
}

/** Encodes `values` (binlane's own view) into the first `length` bytes of `dst`, its exact encoded length. */
function encodeExactly(values: VarintArray, dst: Uint8Array, length: number): void {
  const symbols = useNative(values.byteLength);
  if (!symbols) return jsVarintEncode(values, dst);
  const status = symbols.binlane_varint_encode(
    values,
    values.byteLength,
    dst,
    length,
    values.BYTES_PER_ELEMENT,
  );
  if (status !== 0) throw errorFromStatus(status, "binlane_varint_encode");
}

/**
 * The values as unsigned LEB128 varints, as protobuf encodes `uint32` and
 * `uint64`: seven bits a byte, least significant first, the high bit set
 * on every byte but a value's last. Zigzag signed values first.
 *
 * @example
 * ```ts
 * import { varintEncode } from "@binlane/binlane";
 *
 * console.log(varintEncode(new Uint32Array([1, 300]))); // Uint8Array(3) [1, 172, 2]
 * ```
 */
export function varintEncode(values: VarintArray): Uint8Array {
  const input = checkVarintValues(values, "values", "varintEncode");
  const length = encodedLength(input);
  const out = resultBytes(length);
  encodeExactly(input, out, length);
  return out;
}

/**
 * Writes the varints of `values` to the start of `target`, which must hold
 * {@linkcode varintEncodedLength} bytes (otherwise `E_LENGTH`); returns the
 * bytes written.
 *
 * @example
 * ```ts
 * import { varintEncodeInto } from "@binlane/binlane";
 *
 * const target = new Uint8Array(16);
 * console.log(varintEncodeInto(new BigUint64Array([2n ** 63n]), target)); // 10
 * ```
 */
export function varintEncodeInto(values: VarintArray, target: BinaryInput): number {
  const input = checkVarintValues(values, "values", "varintEncodeInto");
  const length = encodedLength(input);
  const dst = readBytes(target, "varintEncodeInto's target");
  const room = lengthRead();
  if (room < length) {
    throw new BinlaneError("E_LENGTH", `target holds ${room} bytes, ${length} needed`);
  }
  encodeExactly(input, dst, length);
  return length;
}

/** JS decode: as native-zig/intcode.zig's, value for value and error for error. */
function jsVarintDecode(src: Uint8Array, dst: VarintArray): { read: number; written: number } {
  const wide = dst instanceof BigUint64Array;
  const maxBytes = wide ? 10 : 5;
  const lastMax = wide ? 0x01 : 0x0f;
  let read = 0;
  let written = 0;
  while (written < dst.length && read < src.length) {
    let value = 0n;
    let small = 0;
    for (let k = 0;; k++) {
      if (read + k === src.length) throw decodeError("varint", TRUNCATED, read);
      const byte = src[read + k];
      if (k === maxBytes - 1 && byte > lastMax) throw decodeError("varint", OVERFLOW, read);
      if (wide) value |= BigInt(byte & 0x7f) << BigInt(7 * k);
      else small += (byte & 0x7f) * 2 ** (7 * k);
      if (byte < 0x80) {
        dst[written++] = wide ? value : small;
        read += k + 1;
        break;
      }
    }
  }
  return { read, written };
}

const readScratch = new Uint32Array(1);

function decodeInto(src: Uint8Array, dst: VarintArray): { read: number; written: number } {
  // Every value takes a byte, so no more than src.byteLength elements are
  // written; the native capacity must also stay below 2^31 bytes.
  const width = dst.BYTES_PER_ELEMENT;
  const symbols = src.byteLength * width < 2 ** 31 ? useNative(src.byteLength) : undefined;
  if (!symbols) return jsVarintDecode(src, dst);
  const out = dst.length > src.byteLength ? dst.subarray(0, src.byteLength) : dst;
  const result = symbols.binlane_varint_decode(
    src,
    src.byteLength,
    out,
    out.byteLength,
    width,
    readScratch,
    4,
  );
  const written = nativeDecoded(symbols, result, "varint", 0);
  return { read: readScratch[0], written };
}

function valueCount(src: Uint8Array): number {
  const symbols = useNative(src.byteLength);
  if (symbols) return symbols.binlane_varint_count(src, src.byteLength);
  let count = 0;
  for (let i = 0; i < src.length; i++) if (src[i] < 0x80) count++;
  return count;
}

/**
 * Decodes unsigned LEB128 varints to a `Uint32Array` (default) or
 * `BigUint64Array`. A value cut off by the end of the input, longer than
 * its type allows (5 or 10 bytes) or too large for it is `E_INVALID_INPUT`
 * at the offset where it starts; asking for more values than there are is
 * `E_LENGTH`.
 *
 * @example
 * ```ts
 * import { varintDecode } from "@binlane/binlane";
 *
 * console.log(varintDecode(new Uint8Array([1, 172, 2]))); // Uint32Array(2) [1, 300]
 * console.log(varintDecode(new Uint8Array([1, 172, 2]), { type: "biguint64", count: 1 })); // BigUint64Array(1) [1n]
 * ```
 */
export function varintDecode(bytes: BinaryInput, options?: { type?: "uint32"; count?: number }): Uint32Array;
/**
 * Decodes unsigned LEB128 varints to a `BigUint64Array`; values up to 2^64 - 1.
 *
 * @example
 * ```ts
 * import { varintDecode } from "@binlane/binlane";
 *
 * console.log(varintDecode(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10]), { type: "biguint64" })); // BigUint64Array(1) [4294967296n]
 * ```
 */
export function varintDecode(
  bytes: BinaryInput,
  options: { type: "biguint64"; count?: number },
): BigUint64Array;
export function varintDecode(bytes: BinaryInput, options?: VarintDecodeOptions): VarintArray {
  const given = readOptions(options, ["type", "count"], "varintDecode");
  const type = given.type ?? "uint32";
  if (type !== "uint32" && type !== "biguint64") {
    throw new BinlaneError(
      "E_TYPE",
      `varintDecode: type must be "uint32" or "biguint64", got ${describeValue(type)}`,
    );
  }
  if (given.count !== undefined && typeof given.count !== "number") {
    throw new BinlaneError(
      "E_TYPE",
      `varintDecode: count must be a number, got ${describeValue(given.count)}`,
    );
  }
  if (given.count !== undefined && (!Number.isSafeInteger(given.count) || given.count < 0)) {
    throw new BinlaneError(
      "E_RANGE",
      `varintDecode: count must be a non-negative integer, got ${describeValue(given.count)}`,
    );
  }
  // binlane's own view: the decoder below reads its length and cuts it freely.
  const src = asBytes(bytes, "varintDecode's bytes");
  const count = (given.count as number | undefined) ?? valueCount(src);
  const out = type === "uint32" ? new Uint32Array(count) : new BigUint64Array(count);
  const { read, written } = decodeInto(src, out);
  if (written < count) {
    throw new BinlaneError("E_LENGTH", `${count} values wanted, the input holds ${written}`, {
      offset: read,
    });
  }
  if (given.count === undefined && read < src.byteLength) {
    // Every terminator was counted, so only an unfinished value can be left.
    throw decodeError("varint", TRUNCATED, read);
  }
  return out;
}

/**
 * Decodes varints from `bytes` into `target` until either is used up;
 * returns the bytes read and values written. The element type of `target`
 * sets the largest value accepted. Errors as {@linkcode varintDecode}.
 *
 * @example
 * ```ts
 * import { varintDecodeInto } from "@binlane/binlane";
 *
 * const values = new Uint32Array(1);
 * console.log(varintDecodeInto(new Uint8Array([172, 2, 7]), values), values); // { read: 2, written: 1 } Uint32Array(1) [300]
 * ```
 */
export function varintDecodeInto(bytes: BinaryInput, target: VarintArray): { read: number; written: number } {
  const out = checkVarintValues(target, "target", "varintDecodeInto");
  return decodeInto(asBytes(bytes, "varintDecodeInto's bytes"), out);
}
