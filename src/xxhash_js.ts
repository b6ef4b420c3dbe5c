/**
 * XXH64 and XXH3-64 in TypeScript: the JS path where there is no FFI, and
 * the twin of the native hashers. BigInt arithmetic modulo 2^64, a line-for-
 * line port of native-zig/hash/xxh3.zig and the reference XXH64.
 *
 * @module
 */

const MASK = (1n << 64n) - 1n;
const P32_1 = 0x9e3779b1n;
const P32_2 = 0x85ebca77n;
const P32_3 = 0xc2b2ae3dn;
const P64_1 = 0x9e3779b185ebca87n;
const P64_2 = 0xc2b2ae3d27d4eb4fn;
const P64_3 = 0x165667b19e3779f9n;
const P64_4 = 0x85ebca77c2b2ae63n;
const P64_5 = 0x27d4eb2f165667c5n;
const PRIME_MX1 = 0x165667919e3779f9n;
const PRIME_MX2 = 0x9fb21c651e98df25n;

function mul(a: bigint, b: bigint): bigint {
  return (a * b) & MASK;
}

function add(a: bigint, b: bigint): bigint {
  return (a + b) & MASK;
}

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------- XXH64

function round64(acc: bigint, lane: bigint): bigint {
  return mul(rotl(add(acc, mul(lane, P64_2)), 31n), P64_1);
}

function mergeRound64(acc: bigint, value: bigint): bigint {
  return add(mul(acc ^ round64(0n, value), P64_1), P64_4);
}

function avalanche64(h: bigint): bigint {
  h = mul(h ^ (h >> 33n), P64_2);
  h = mul(h ^ (h >> 29n), P64_3);
  return h ^ (h >> 32n);
}

/** Mixes in the final 0..31 bytes and avalanches. */
function finish64(h: bigint, bytes: Uint8Array): bigint {
  const view = viewOf(bytes);
  let i = 0;
  for (; i + 8 <= bytes.length; i += 8) {
    h ^= round64(0n, view.getBigUint64(i, true));
    h = add(mul(rotl(h, 27n), P64_1), P64_4);
  }
  if (i + 4 <= bytes.length) {
    h ^= mul(BigInt(view.getUint32(i, true)), P64_1);
    h = add(mul(rotl(h, 23n), P64_2), P64_3);
    i += 4;
  }
  for (; i < bytes.length; i++) {
    h ^= mul(BigInt(bytes[i]), P64_5);
    h = mul(rotl(h, 11n), P64_1);
  }
  return avalanche64(h);
}

/**
 * Streaming XXH64 state: four lanes over 32-byte stripes.
 *
 * @example
 * ```ts
 * import { Xxh64State } from "./xxhash_js.ts";
 *
 * const state = new Xxh64State(0n);
 * state.update(new TextEncoder().encode("abc"));
 * console.log(state.digest().toString(16)); // "44bc2cf5ad770999"
 * ```
 */
export class Xxh64State {
  #lanes: bigint[];
  readonly #seed: bigint;
  readonly #buffer = new Uint8Array(32);
  #buffered = 0;
  #total = 0;

  /** A state for `seed` (0 to 2^64-1). */
  constructor(seed: bigint) {
    this.#seed = seed;
    this.#lanes = [add(add(seed, P64_1), P64_2), add(seed, P64_2), seed, (seed - P64_1) & MASK];
  }

  #stripes(bytes: Uint8Array, end: number): void {
    const view = viewOf(bytes);
    const lanes = this.#lanes;
    for (let i = 0; i + 32 <= end; i += 32) {
      for (let lane = 0; lane < 4; lane++) {
        lanes[lane] = round64(lanes[lane], view.getBigUint64(i + 8 * lane, true));
      }
    }
  }

  /** Adds `bytes` to the stream. */
  update(bytes: Uint8Array): void {
    this.#total += bytes.length;
    let rest = bytes;
    if (this.#buffered > 0) {
      const take = Math.min(32 - this.#buffered, rest.length);
      this.#buffer.set(rest.subarray(0, take), this.#buffered);
      this.#buffered += take;
      rest = rest.subarray(take);
      if (this.#buffered < 32) return;
      this.#stripes(this.#buffer, 32);
      this.#buffered = 0;
    }
    const whole = rest.length - (rest.length % 32);
    this.#stripes(rest, whole);
    this.#buffer.set(rest.subarray(whole));
    this.#buffered = rest.length - whole;
  }

  /** The digest of everything so far; the state stays usable. */
  digest(): bigint {
    let h: bigint;
    if (this.#total >= 32) {
      const [v1, v2, v3, v4] = this.#lanes;
      h = add(add(rotl(v1, 1n), rotl(v2, 7n)), add(rotl(v3, 12n), rotl(v4, 18n)));
      for (const lane of this.#lanes) h = mergeRound64(h, lane);
    } else {
      h = add(this.#seed, P64_5);
    }
    h = add(h, BigInt(this.#total));
    return finish64(h, this.#buffer.subarray(0, this.#buffered));
  }
}

/**
 * XXH64 of `bytes` with `seed`.
 *
 * @example
 * ```ts
 * import { xxh64Js } from "./xxhash_js.ts";
 *
 * console.log(xxh64Js(new Uint8Array(0), 0n).toString(16)); // "ef46db3751d8e999"
 * ```
 */
export function xxh64Js(bytes: Uint8Array, seed: bigint): bigint {
  const state = new Xxh64State(seed);
  state.update(bytes);
  return state.digest();
}

// ----------------------------------------------------------------- XXH3

const SECRET_LEN = 192;
const STRIPE_LEN = 64;
const STRIPES_PER_BLOCK = 16;
const SHORT_MAX = 240;

const DEFAULT_SECRET = new Uint8Array([
  0xb8,
  0xfe,
  0x6c,
  0x39,
  0x23,
  0xa4,
  0x4b,
  0xbe,
  0x7c,
  0x01,
  0x81,
  0x2c,
  0xf7,
  0x21,
  0xad,
  0x1c,
  0xde,
  0xd4,
  0x6d,
  0xe9,
  0x83,
  0x90,
  0x97,
  0xdb,
  0x72,
  0x40,
  0xa4,
  0xa4,
  0xb7,
  0xb3,
  0x67,
  0x1f,
  0xcb,
  0x79,
  0xe6,
  0x4e,
  0xcc,
  0xc0,
  0xe5,
  0x78,
  0x82,
  0x5a,
  0xd0,
  0x7d,
  0xcc,
  0xff,
  0x72,
  0x21,
  0xb8,
  0x08,
  0x46,
  0x74,
  0xf7,
  0x43,
  0x24,
  0x8e,
  0xe0,
  0x35,
  0x90,
  0xe6,
  0x81,
  0x3a,
  0x26,
  0x4c,
  0x3c,
  0x28,
  0x52,
  0xbb,
  0x91,
  0xc3,
  0x00,
  0xcb,
  0x88,
  0xd0,
  0x65,
  0x8b,
  0x1b,
  0x53,
  0x2e,
  0xa3,
  0x71,
  0x64,
  0x48,
  0x97,
  0xa2,
  0x0d,
  0xf9,
  0x4e,
  0x38,
  0x19,
  0xef,
  0x46,
  0xa9,
  0xde,
  0xac,
  0xd8,
  0xa8,
  0xfa,
  0x76,
  0x3f,
  0xe3,
  0x9c,
  0x34,
  0x3f,
  0xf9,
  0xdc,
  0xbb,
  0xc7,
  0xc7,
  0x0b,
  0x4f,
  0x1d,
  0x8a,
  0x51,
  0xe0,
  0x4b,
  0xcd,
  0xb4,
  0x59,
  0x31,
  0xc8,
  0x9f,
  0x7e,
  0xc9,
  0xd9,
  0x78,
  0x73,
  0x64,
  0xea,
  0xc5,
  0xac,
  0x83,
  0x34,
  0xd3,
  0xeb,
  0xc3,
  0xc5,
  0x81,
  0xa0,
  0xff,
  0xfa,
  0x13,
  0x63,
  0xeb,
  0x17,
  0x0d,
  0xdd,
  0x51,
  0xb7,
  0xf0,
  0xda,
  0x49,
  0xd3,
  0x16,
  0x55,
  0x26,
  0x29,
  0xd4,
  0x68,
  0x9e,
  0x2b,
  0x16,
  0xbe,
  0x58,
  0x7d,
  0x47,
  0xa1,
  0xfc,
  0x8f,
  0xf8,
  0xb8,
  0xd1,
  0x7a,
  0xd0,
  0x31,
  0xce,
  0x45,
  0xcb,
  0x3a,
  0x8f,
  0x95,
  0x16,
  0x04,
  0x28,
  0xaf,
  0xd7,
  0xfb,
  0xca,
  0xbb,
  0x4b,
  0x40,
  0x7e,
]);
const secretView = viewOf(DEFAULT_SECRET);

function fold(a: bigint, b: bigint): bigint {
  const product = a * b;
  return (product & MASK) ^ (product >> 64n);
}

function avalanche3(h: bigint): bigint {
  h = mul(h ^ (h >> 37n), PRIME_MX1);
  return h ^ (h >> 32n);
}

function rrmxmx(h: bigint, length: number): bigint {
  h ^= rotl(h, 49n) ^ rotl(h, 24n);
  h = mul(h, PRIME_MX2);
  h ^= add(h >> 35n, BigInt(length));
  h = mul(h, PRIME_MX2);
  return h ^ (h >> 28n);
}

function byteSwap64(x: bigint): bigint {
  let result = 0n;
  for (let i = 0; i < 8; i++) {
    result = (result << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return result;
}

function mix16(input: DataView, at: number, secret: DataView, secretAt: number, seed: bigint): bigint {
  return fold(
    input.getBigUint64(at, true) ^ add(secret.getBigUint64(secretAt, true), seed),
    input.getBigUint64(at + 8, true) ^ ((secret.getBigUint64(secretAt + 8, true) - seed) & MASK),
  );
}

function hashShort(bytes: Uint8Array, seed: bigint): bigint {
  const len = bytes.length;
  const view = viewOf(bytes);
  const secret = secretView;
  if (len === 0) return avalanche64(seed ^ secret.getBigUint64(56, true) ^ secret.getBigUint64(64, true));
  if (len <= 3) {
    const combined = (bytes[0] << 16) | (bytes[len >> 1] << 24) | bytes[len - 1] | (len << 8);
    const bitflip = add(BigInt(secret.getUint32(0, true) ^ secret.getUint32(4, true)) & 0xffffffffn, seed);
    return avalanche64(BigInt(combined >>> 0) ^ bitflip);
  }
  if (len <= 8) {
    const low32 = seed & 0xffffffffn;
    const swapped = ((low32 & 0xffn) << 24n) | ((low32 & 0xff00n) << 8n) | ((low32 >> 8n) & 0xff00n) |
      (low32 >> 24n);
    const mixedSeed = seed ^ (swapped << 32n);
    const bitflip = ((secret.getBigUint64(8, true) ^ secret.getBigUint64(16, true)) - mixedSeed) & MASK;
    const combined = add(BigInt(view.getUint32(len - 4, true)), BigInt(view.getUint32(0, true)) << 32n);
    return rrmxmx(combined ^ bitflip, len);
  }
  if (len <= 16) {
    const bitflip1 = add(secret.getBigUint64(24, true) ^ secret.getBigUint64(32, true), seed);
    const bitflip2 = ((secret.getBigUint64(40, true) ^ secret.getBigUint64(48, true)) - seed) & MASK;
    const low = view.getBigUint64(0, true) ^ bitflip1;
    const high = view.getBigUint64(len - 8, true) ^ bitflip2;
    return avalanche3(add(add(BigInt(len), byteSwap64(low)), add(high, fold(low, high))));
  }
  let acc = mul(BigInt(len), P64_1);
  if (len <= 128) {
    const pairs = len > 96 ? 4 : len > 64 ? 3 : len > 32 ? 2 : 1;
    for (let i = pairs - 1; i >= 0; i--) {
      acc = add(acc, mix16(view, 16 * i, secret, 32 * i, seed));
      acc = add(acc, mix16(view, len - 16 * (i + 1), secret, 32 * i + 16, seed));
    }
    return avalanche3(acc);
  }
  for (let i = 0; i < 8; i++) acc = add(acc, mix16(view, 16 * i, secret, 16 * i, seed));
  acc = avalanche3(acc);
  const rounds = Math.floor(len / 16);
  for (let i = 8; i < rounds; i++) acc = add(acc, mix16(view, 16 * i, secret, 16 * (i - 8) + 3, seed));
  acc = add(acc, mix16(view, len - 16, secret, 136 - 17, seed));
  return avalanche3(acc);
}

function seededSecret(seed: bigint): DataView {
  const secret = new DataView(new ArrayBuffer(SECRET_LEN));
  for (let i = 0; i < SECRET_LEN; i += 16) {
    secret.setBigUint64(i, add(secretView.getBigUint64(i, true), seed), true);
    secret.setBigUint64(i + 8, (secretView.getBigUint64(i + 8, true) - seed) & MASK, true);
  }
  return secret;
}

function initialAcc(): bigint[] {
  return [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1];
}

function accumulate(acc: bigint[], input: DataView, at: number, secret: DataView, secretAt: number): void {
  for (let i = 0; i < 8; i++) {
    const data = input.getBigUint64(at + 8 * i, true);
    const key = data ^ secret.getBigUint64(secretAt + 8 * i, true);
    acc[i ^ 1] = add(acc[i ^ 1], data);
    acc[i] = add(acc[i], (key & 0xffffffffn) * (key >> 32n));
  }
}

function scramble(acc: bigint[], secret: DataView): void {
  for (let i = 0; i < 8; i++) {
    let lane = acc[i];
    lane ^= lane >> 47n;
    lane ^= secret.getBigUint64(SECRET_LEN - STRIPE_LEN + 8 * i, true);
    acc[i] = mul(lane, P32_1);
  }
}

function mergeAccs(acc: bigint[], secret: DataView, total: number): bigint {
  let result = mul(BigInt(total), P64_1);
  for (let i = 0; i < 4; i++) {
    result = add(
      result,
      fold(
        acc[2 * i] ^ secret.getBigUint64(11 + 16 * i, true),
        acc[2 * i + 1] ^ secret.getBigUint64(19 + 16 * i, true),
      ),
    );
  }
  return avalanche3(result);
}

/**
 * Streaming XXH3-64 state, the same machine as native-zig/hash/xxh3.zig:
 * a 256-byte buffer consumed only once more input follows it, so the last
 * stripe is always at hand for the digest.
 *
 * @example
 * ```ts
 * import { Xxh3State } from "./xxhash_js.ts";
 *
 * const state = new Xxh3State(0n);
 * state.update(new TextEncoder().encode("abc"));
 * console.log(state.digest().toString(16)); // "78af5f94892f3950"
 * ```
 */
export class Xxh3State {
  readonly #acc = initialAcc();
  readonly #secret: DataView;
  readonly #seed: bigint;
  readonly #buffer = new Uint8Array(256);
  #buffered = 0;
  #total = 0;
  #stripesInBlock = 0;

  /** A state for `seed` (0 to 2^64-1). */
  constructor(seed: bigint) {
    this.#seed = seed;
    this.#secret = seededSecret(seed);
  }

  #consume(acc: bigint[], bytes: Uint8Array, stripes: number, inBlock: number): number {
    const view = viewOf(bytes);
    for (let i = 0; i < stripes; i++) {
      accumulate(acc, view, i * STRIPE_LEN, this.#secret, 8 * inBlock);
      inBlock += 1;
      if (inBlock === STRIPES_PER_BLOCK) {
        scramble(acc, this.#secret);
        inBlock = 0;
      }
    }
    return inBlock;
  }

  /** Adds `bytes` to the stream. */
  update(bytes: Uint8Array): void {
    const buffer = this.#buffer;
    this.#total += bytes.length;
    const room = buffer.length - this.#buffered;
    if (bytes.length <= room) {
      buffer.set(bytes, this.#buffered);
      this.#buffered += bytes.length;
      return;
    }
    let rest = bytes;
    if (this.#buffered > 0) {
      buffer.set(rest.subarray(0, room), this.#buffered);
      rest = rest.subarray(room);
      this.#stripesInBlock = this.#consume(this.#acc, buffer, 4, this.#stripesInBlock);
      this.#buffered = 0;
    }
    if (rest.length > buffer.length) {
      const stripes = Math.floor((rest.length - 1) / STRIPE_LEN);
      this.#stripesInBlock = this.#consume(this.#acc, rest, stripes, this.#stripesInBlock);
      const whole = stripes * STRIPE_LEN;
      buffer.set(rest.subarray(whole - STRIPE_LEN, whole), buffer.length - STRIPE_LEN);
      rest = rest.subarray(whole);
    }
    buffer.set(rest);
    this.#buffered = rest.length;
  }

  /** The digest of everything so far; the state stays usable. */
  digest(): bigint {
    const buffer = this.#buffer;
    const buffered = this.#buffered;
    if (this.#total <= SHORT_MAX) return hashShort(buffer.subarray(0, this.#total), this.#seed);
    const acc = [...this.#acc];
    let last: Uint8Array;
    if (buffered >= STRIPE_LEN) {
      const stripes = Math.floor((buffered - 1) / STRIPE_LEN);
      this.#consume(acc, buffer, stripes, this.#stripesInBlock);
      last = buffer.subarray(buffered - STRIPE_LEN, buffered);
    } else {
      last = new Uint8Array(STRIPE_LEN);
      last.set(buffer.subarray(buffer.length - (STRIPE_LEN - buffered)));
      last.set(buffer.subarray(0, buffered), STRIPE_LEN - buffered);
    }
    accumulate(acc, viewOf(last), 0, this.#secret, SECRET_LEN - STRIPE_LEN - 7);
    return mergeAccs(acc, this.#secret, this.#total);
  }
}

/**
 * XXH3-64 of `bytes` with `seed`.
 *
 * @example
 * ```ts
 * import { xxh3Js } from "./xxhash_js.ts";
 *
 * console.log(xxh3Js(new Uint8Array(0), 0n).toString(16)); // "2d06800538d394c2"
 * ```
 */
export function xxh3Js(bytes: Uint8Array, seed: bigint): bigint {
  if (bytes.length <= SHORT_MAX) return hashShort(bytes, seed);
  const state = new Xxh3State(seed);
  state.update(bytes);
  return state.digest();
}
