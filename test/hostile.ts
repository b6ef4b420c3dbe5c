/**
 * Hostile inputs and the table of every public entry that takes caller
 * memory, shared by the hostile-input tests (test/hostile_input_test.ts,
 * its child test/fixtures/hostile_child.ts) and the fuzzer (test/fuzz.ts).
 *
 * Each entry reads or writes one argument (the one attacked) and is run on
 * an honest array and on a hostile object over the same bytes: the results,
 * and the bytes of the memory written, must be equal, or the call must throw
 * a `BinlaneError` (the same code as the honest call, or the one the
 * attack expects). Anything else (a raw TypeError, a different answer, a
 * write outside the target) is a failure.
 *
 * @module
 */

import {
  base64DecodedLength,
  BinlaneError,
  byteSwap16,
  byteSwap32,
  byteSwap64,
  columnsToRows,
  compare,
  countByte,
  crc32,
  crc32c,
  decodeBase64,
  decodeBase64Into,
  decodeFrame,
  decodeHex,
  decodeHexInto,
  decodeNumbers,
  decodeNumbersInto,
  deltaDecode,
  deltaEncode,
  encodeBase64,
  encodeBase64Into,
  encodeFrame,
  encodeHex,
  encodeHexInto,
  encodeNumbers,
  encodeNumbersInto,
  equals,
  findAllByte,
  indexOfAny,
  indexOfByte,
  indexOfOther,
  indexOfSubarray,
  isUtf8,
  lastIndexOfByte,
  minMax,
  mismatch,
  NativeBuffer,
  rowsToColumns,
  sum,
  utf8CodePointCount,
  utf8ErrorIndex,
  varintDecode,
  varintDecodeInto,
  varintEncode,
  varintEncodedLength,
  varintEncodeInto,
  zigzagDecode,
  zigzagEncode,
} from "../mod.ts";

/** One public entry, attacked through one argument. */
export interface Entry {
  /** The entry and the argument attacked. */
  readonly name: string;
  /** Whether the argument is written (a target) rather than read. */
  readonly writes: boolean;
  /** The honest bytes of the argument, from a seeded generator. */
  readonly data: (random: () => number, length: number) => Uint8Array;
  /** Calls the entry with `input` as the attacked argument. */
  readonly call: (input: unknown) => unknown;
  /** Whether the argument must be a typed array (a DataView is refused with E_TYPE). */
  readonly typedOnly?: boolean;
}

const encoder = new TextEncoder();

function bytesOf(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

/** Bytes of a small alphabet, so searches find something. */
function fewBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = 0x30 + ((random() * 4) | 0);
  return bytes;
}

function hexText(random: () => number, length: number): Uint8Array {
  return encoder.encode(encodeHex(bytesOf(random, length >> 1)));
}

function base64Text(random: () => number, length: number): Uint8Array {
  return encoder.encode(encodeBase64(bytesOf(random, Math.floor((length * 3) / 4))));
}

function utf8Text(random: () => number, length: number): Uint8Array {
  const pieces = ["a", "é", "€", "😀", "z"];
  let text = "";
  while (encoder.encode(text).length < length - 4) text += pieces[(random() * pieces.length) | 0];
  return encoder.encode(text);
}

function varints(random: () => number, length: number): Uint8Array {
  const values = new Uint32Array(Math.max(1, length >> 2));
  for (let i = 0; i < values.length; i++) values[i] = (random() * 2 ** 32) >>> (random() * 32);
  return varintEncode(values);
}

function even(length: number): number {
  return length - (length % 8);
}

const honestPeer = fewBytes(() => 0.5, 4096);

/** Every entry that reads or writes caller memory, with the argument attacked. */
export const entries: readonly Entry[] = [
  { name: "crc32(data)", writes: false, data: bytesOf, call: (x) => crc32(x as Uint8Array) },
  { name: "crc32c(data)", writes: false, data: bytesOf, call: (x) => crc32c(x as Uint8Array, 7) },
  {
    name: "indexOfByte(data)",
    writes: false,
    data: fewBytes,
    call: (x) => indexOfByte(x as Uint8Array, 0x33),
  },
  {
    name: "indexOfByte(missing)",
    writes: false,
    data: fewBytes,
    call: (x) => indexOfByte(x as Uint8Array, 0),
  },
  {
    name: "lastIndexOfByte(data)",
    writes: false,
    data: fewBytes,
    call: (x) => lastIndexOfByte(x as Uint8Array, 0x31),
  },
  { name: "countByte(data)", writes: false, data: fewBytes, call: (x) => countByte(x as Uint8Array, 0x32) },
  {
    name: "indexOfAny(data)",
    writes: false,
    data: fewBytes,
    call: (x) => indexOfAny(x as Uint8Array, [0x33, 0x40]),
  },
  {
    name: "indexOfOther(data)",
    writes: false,
    data: fewBytes,
    call: (x) => indexOfOther(x as Uint8Array, [0x30, 0x31, 0x32]),
  },
  {
    name: "indexOfSubarray(haystack)",
    writes: false,
    data: fewBytes,
    call: (x) => indexOfSubarray(x as Uint8Array, new Uint8Array([0x33, 0x33, 0x32])),
  },
  {
    name: "indexOfSubarray(needle)",
    writes: false,
    data: (random, length) => fewBytes(random, Math.min(length, 6)),
    call: (x) => indexOfSubarray(honestPeer, x as Uint8Array),
  },
  {
    name: "findAllByte(data)",
    writes: false,
    data: fewBytes,
    call: (x) => findAllByte(x as Uint8Array, 0x30),
  },
  { name: "mismatch(a)", writes: false, data: fewBytes, call: (x) => mismatch(x as Uint8Array, honestPeer) },
  { name: "mismatch(b)", writes: false, data: fewBytes, call: (x) => mismatch(honestPeer, x as Uint8Array) },
  {
    name: "equals(a)",
    writes: false,
    data: (_random, length) => honestPeer.slice(0, length),
    call: (x) => equals(x as Uint8Array, honestPeer.subarray(0, 64)),
  },
  { name: "compare(b)", writes: false, data: fewBytes, call: (x) => compare(honestPeer, x as Uint8Array) },
  { name: "isUtf8(data)", writes: false, data: utf8Text, call: (x) => isUtf8(x as Uint8Array) },
  {
    name: "utf8ErrorIndex(data)",
    writes: false,
    data: bytesOf,
    call: (x) => utf8ErrorIndex(x as Uint8Array),
  },
  {
    name: "utf8CodePointCount(data)",
    writes: false,
    data: utf8Text,
    call: (x) => utf8CodePointCount(x as Uint8Array),
  },
  { name: "encodeHex(data)", writes: false, data: bytesOf, call: (x) => encodeHex(x as Uint8Array) },
  { name: "decodeHex(text)", writes: false, data: hexText, call: (x) => decodeHex(x as Uint8Array) },
  {
    name: "encodeBase64(data)",
    writes: false,
    data: bytesOf,
    call: (x) => encodeBase64(x as Uint8Array, { alphabet: "base64url" }),
  },
  { name: "decodeBase64(text)", writes: false, data: base64Text, call: (x) => decodeBase64(x as Uint8Array) },
  {
    name: "base64DecodedLength(text)",
    writes: false,
    data: base64Text,
    call: (x) => base64DecodedLength(x as Uint8Array),
  },
  {
    name: "encodeNumbers(array)",
    typedOnly: true,
    writes: false,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => encodeNumbers(x as Uint8Array, { endian: "big" }),
  },
  {
    name: "decodeNumbers(bytes)",
    writes: false,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => decodeNumbers(x as Uint8Array, "uint32", { endian: "big" }),
  },
  { name: "varintDecode(bytes)", writes: false, data: varints, call: (x) => varintDecode(x as Uint8Array) },
  { name: "sum(array)", typedOnly: true, writes: false, data: bytesOf, call: (x) => sum(x as Uint8Array) },
  {
    name: "minMax(array)",
    typedOnly: true,
    writes: false,
    data: bytesOf,
    call: (x) => minMax(x as Uint8Array),
  },
  {
    name: "rowsToColumns(rows)",
    writes: false,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) =>
      rowsToColumns(x as Uint8Array, 8, [{ offset: 0, size: 4 }, { offset: 4, size: 4, swap: true }]),
  },
  {
    name: "columnsToRows(columns[0])",
    writes: false,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => columnsToRows([x as Uint8Array], 4, [{ offset: 0, size: 4, swap: true }]),
  },
  {
    name: "encodeHexInto(data)",
    writes: false,
    data: bytesOf,
    call: (x) => {
      const out = new Uint8Array(2 * 5000);
      return [encodeHexInto(x as Uint8Array, out), out];
    },
  },
  {
    name: "encodeBase64Into(data)",
    writes: false,
    data: bytesOf,
    call: (x) => {
      const out = new Uint8Array(7000);
      return [encodeBase64Into(x as Uint8Array, out, { padding: false }), out];
    },
  },
  {
    name: "decodeHexInto(text)",
    writes: false,
    data: hexText,
    call: (x) => {
      const out = new Uint8Array(3000);
      return [decodeHexInto(x as Uint8Array, out), out];
    },
  },
  {
    name: "decodeBase64Into(text)",
    writes: false,
    data: base64Text,
    call: (x) => {
      const out = new Uint8Array(3000);
      return [decodeBase64Into(x as Uint8Array, out, { mode: "lenient" }), out];
    },
  },
  {
    name: "decodeNumbersInto(bytes)",
    writes: false,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => {
      const out = new Float64Array(1000);
      return [decodeNumbersInto(x as Uint8Array, out, { endian: "big" }), out];
    },
  },
  {
    name: "varintDecodeInto(bytes)",
    writes: false,
    data: varints,
    call: (x) => {
      const out = new Uint32Array(4000);
      return [varintDecodeInto(x as Uint8Array, out), out];
    },
  },
  {
    name: "decodeFrame(bytes)",
    writes: false,
    data: (random, length) => encodeFrame(bytesOf(random, length), { type: 7, timestamp: 1n }),
    call: (x) => {
      const frame = decodeFrame(x as Uint8Array);
      return [frame.type, frame.payload];
    },
  },
  {
    name: "encodeFrame(payload)",
    writes: false,
    data: bytesOf,
    call: (x) => encodeFrame(x as Uint8Array, { type: 9, timestamp: 2n }),
  },
  // Targets: the call writes them; the bytes of their buffer are compared too.
  {
    name: "encodeHexInto(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) => encodeHexInto(honestPeer.subarray(0, 16), x as Uint8Array),
  },
  {
    name: "decodeHexInto(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) => decodeHexInto("00ff".repeat(8), x as Uint8Array),
  },
  {
    name: "encodeBase64Into(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) => encodeBase64Into(honestPeer.subarray(0, 30), x as Uint8Array),
  },
  {
    name: "decodeBase64Into(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) => decodeBase64Into("QUJD".repeat(10), x as Uint8Array),
  },
  {
    name: "encodeNumbersInto(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) =>
      encodeNumbersInto(new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8]), x as Uint8Array, { endian: "big" }),
  },
  {
    name: "decodeNumbersInto(target)",
    typedOnly: true,
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) => decodeNumbersInto(honestPeer.subarray(0, 32), x as Uint8Array),
  },
  {
    name: "varintEncodeInto(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) => varintEncodeInto(new Uint32Array([1, 300, 70000, 2 ** 31]), x as Uint8Array),
  },
  {
    name: "rowsToColumns(columns[0])",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) =>
      rowsToColumns(honestPeer.subarray(0, 64), 8, [{ offset: 1, size: 2 }], { columns: [x as Uint8Array] }),
  },
  {
    name: "columnsToRows(target)",
    writes: true,
    data: (_random, length) => new Uint8Array(length),
    call: (x) =>
      columnsToRows([honestPeer.subarray(0, 16)], 4, [{ offset: 0, size: 2 }], { target: x as Uint8Array }),
  },
  {
    name: "byteSwap16(data)",
    writes: true,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => {
      byteSwap16(x as Uint8Array);
    },
  },
  {
    name: "byteSwap64(data)",
    writes: true,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => {
      byteSwap64(x as Uint8Array);
    },
  },
  {
    name: "byteSwap32(data)",
    writes: true,
    data: (random, length) => bytesOf(random, even(length)),
    call: (x) => {
      byteSwap32(x as Uint8Array);
    },
  },
];

/** How a hostile object is made over an honest array's memory, and what the call must do with it. */
export interface Attack {
  readonly name: string;
  /** "same": equal to the honest call; otherwise the BinlaneError code expected. */
  readonly expect: "same" | "E_TYPE" | "E_DISPOSED";
  /** Whether it can crash the process when a regression trusts it (run it in a child). */
  readonly memory: boolean;
  readonly make: (honest: Uint8Array) => unknown;
  /** Only for entries that read bytes: an entry of typed elements reads another kind's elements, rightly. */
  readonly bytesOnly?: boolean;
}

/** What `Liar`'s species makes: always one byte, whatever was asked. */
class Short extends Uint8Array {
  constructor() {
    super(1);
  }
}

/** A `Uint8Array` subclass whose accessors, methods and species all lie. */
class Liar extends Uint8Array {
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Short as unknown as Uint8ArrayConstructor;
  }
}
for (const [key, value] of [["byteLength", 1 << 30], ["length", 1 << 30], ["byteOffset", 1 << 20]] as const) {
  Object.defineProperty(Liar.prototype, key, { get: () => value });
}
Object.defineProperty(Liar.prototype, "subarray", { value: () => new Uint8Array(1) });
Object.defineProperty(Liar.prototype, "set", { value: () => {} });

function define(target: object, values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) Object.defineProperty(target, key, { value });
}

/** Every hostile object the tests and the fuzzer try. */
export const attacks: readonly Attack[] = [
  {
    name: "own byteLength and length claiming 1 GiB",
    expect: "same",
    memory: true,
    make: (honest) => {
      define(honest, { byteLength: 1 << 30, length: 1 << 30 });
      return honest;
    },
  },
  {
    name: "own byteLength and length claiming 3 bytes",
    expect: "same",
    memory: true,
    make: (honest) => {
      define(honest, { byteLength: 3, length: 3 });
      return honest;
    },
  },
  {
    name: "own buffer and byteOffset pointing elsewhere",
    expect: "same",
    memory: true,
    make: (honest) => {
      define(honest, { buffer: new ArrayBuffer(1 << 16), byteOffset: 1 << 15 });
      return honest;
    },
  },
  {
    name: "own byteLength getter that throws (caller code)",
    expect: "same",
    memory: true,
    make: (honest) => {
      Object.defineProperty(honest, "byteLength", {
        get: () => {
          throw new Error("caller code ran: a byteLength getter");
        },
      });
      return honest;
    },
  },
  {
    name: "own constructor with a species making 1-byte arrays, own subarray",
    expect: "same",
    memory: true,
    make: (honest) => {
      define(honest, {
        constructor: Liar,
        subarray: () => new Uint8Array(1),
        slice: () => new Uint8Array(1),
      });
      return honest;
    },
  },
  {
    name: "a Uint8Array subclass whose getters, subarray and species lie",
    expect: "same",
    memory: true,
    make: (honest) => new Liar(honest.buffer as ArrayBuffer, honest.byteOffset, honest.byteLength),
  },
  {
    name: "a DataView with an own byteLength claiming 1 GiB",
    expect: "same",
    memory: true,
    make: (honest) => {
      const view = new DataView(honest.buffer, honest.byteOffset, honest.byteLength);
      define(view, { byteLength: 1 << 30 });
      return view;
    },
  },
  {
    name: "a SharedArrayBuffer view",
    expect: "same",
    memory: false,
    make: (honest) => {
      const shared = new Uint8Array(new SharedArrayBuffer(honest.byteLength));
      shared.set(honest);
      return shared;
    },
  },
  {
    name: "a Proxy of the Uint8Array",
    expect: "E_TYPE",
    memory: true,
    make: (honest) => new Proxy(honest, {}),
  },
  {
    name: "a Proxy of the Uint8Array whose get lies",
    expect: "E_TYPE",
    memory: true,
    make: (honest) =>
      new Proxy(honest, {
        get: (target, key) => key === "byteLength" || key === "length" ? 1 << 30 : Reflect.get(target, key),
      }),
  },
  {
    name: "a revoked Proxy",
    expect: "E_TYPE",
    memory: false,
    make: (honest) => {
      const { proxy, revoke } = Proxy.revocable(honest, {});
      revoke();
      return proxy;
    },
  },
  {
    name: "a fake view { buffer, byteOffset, byteLength }",
    expect: "E_TYPE",
    memory: true,
    make: (honest) => ({ buffer: honest.buffer, byteOffset: 0, byteLength: 1 << 30, length: 1 << 30 }),
  },
  {
    name: "an object with Uint8Array.prototype",
    expect: "E_TYPE",
    memory: true,
    make: () => Object.setPrototypeOf({ byteLength: 1 << 30 }, Uint8Array.prototype),
  },
  {
    // JSC's fast path must test the object's own type, not its prototype: elements of another kind
    // indexed as bytes would read other values (and a wider kind, other lengths).
    name: "an Int8Array given Uint8Array.prototype",
    expect: "same",
    memory: true,
    bytesOnly: true,
    make: (honest) =>
      Object.setPrototypeOf(
        new Int8Array(honest.buffer, honest.byteOffset, honest.byteLength),
        Uint8Array.prototype,
      ),
  },
  {
    name: "a DataView given Uint8Array.prototype",
    expect: "same",
    memory: true,
    make: (honest) =>
      Object.setPrototypeOf(
        new DataView(honest.buffer, honest.byteOffset, honest.byteLength),
        Uint8Array.prototype,
      ),
  },
  {
    name: "a Proxy of a NativeBuffer",
    expect: "E_TYPE",
    memory: true,
    make: (honest) => {
      const buffer = NativeBuffer.alloc(honest.byteLength);
      buffer.bytes.set(honest);
      return new Proxy(buffer, {});
    },
  },
  {
    name: "a detached buffer whose own detached says false",
    expect: "E_DISPOSED",
    memory: false,
    make: (honest) => {
      const copy = honest.slice();
      const buffer = copy.buffer;
      buffer.transfer();
      define(buffer, { detached: false, byteLength: 64 });
      return copy;
    },
  },
];

/** The outcome of one call: its result, the bytes of the memory it was given, or its error's code. */
export interface Outcome {
  readonly result?: string;
  readonly memory?: string;
  readonly code?: string;
  readonly raw?: string;
}

const typedPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedGetter = (key: PropertyKey) => Object.getOwnPropertyDescriptor(typedPrototype, key)!.get!;
const typed = {
  buffer: typedGetter("buffer"),
  byteOffset: typedGetter("byteOffset"),
  byteLength: typedGetter("byteLength"),
  tag: typedGetter(Symbol.toStringTag),
};

/** A comparable string for any result. */
export function describeResult(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    // The engine's getters: a result may be the caller's own lying target, returned as given.
    const bytes = new Uint8Array(
      typed.buffer.call(value),
      typed.byteOffset.call(value),
      typed.byteLength.call(value),
    );
    return `${typed.tag.call(value)}:${Array.from(bytes).join(",")}`;
  }
  if (Array.isArray(value)) return `[${value.map(describeResult).join(";")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${k}=${describeResult(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Runs `call` on `input`; `memory` is the buffer whose bytes are compared after a write. */
export function outcomeOf(call: () => unknown, memory?: ArrayBufferLike): Outcome {
  try {
    const result = describeResult(call());
    return memory === undefined
      ? { result }
      : { result, memory: Array.from(new Uint8Array(memory)).join(",") };
  } catch (error) {
    if (error instanceof BinlaneError) return { code: error.code };
    return { raw: `${(error as Error)?.name}: ${(error as Error)?.message}` };
  }
}

/**
 * Runs one attack on one entry with honest data of `length` bytes; returns
 * a failure's description, or undefined when the call behaved.
 */
export function tryAttack(
  entry: Entry,
  attack: Attack,
  random: () => number,
  length: number,
): string | undefined {
  const data = entry.data(random, length);
  const honestCopy = data.slice();
  const honest = outcomeOf(() => entry.call(honestCopy), entry.writes ? honestCopy.buffer : undefined);
  if (attack.bytesOnly && entry.typedOnly) return undefined;
  const victim = data.slice();
  const victimBuffer = victim.buffer; // before the attack gives it an own `buffer`
  let hostile: unknown;
  try {
    hostile = attack.make(victim);
  } catch (error) {
    return `${attack.name}: could not be made (${(error as Error).message})`;
  }
  const shared = attack.name === "a SharedArrayBuffer view";
  const written = entry.writes ? (shared ? (hostile as Uint8Array).buffer : victimBuffer) : undefined;
  const expect = entry.typedOnly && attack.name.startsWith("a DataView") ? "E_TYPE" : attack.expect;
  const outcome = outcomeOf(() => entry.call(hostile), expect === "same" ? written : undefined);
  const label = `${entry.name} with ${attack.name} (${data.byteLength} bytes)`;
  if (outcome.raw !== undefined) return `${label}: threw ${outcome.raw}`;
  if (expect !== "same") {
    // A call that refuses for another reason first (a target too small, say) still refused with a BinlaneError.
    if (outcome.code === expect || (outcome.code !== undefined && outcome.code === honest.code)) {
      return undefined;
    }
    return `${label}: expected ${expect}, got ${outcome.code ?? `the result ${outcome.result}`}`;
  }
  if (honest.code !== undefined || outcome.code !== undefined) {
    if (honest.code === outcome.code) return undefined;
    return `${label}: honest ${honest.code ?? "result"}, hostile ${outcome.code ?? "result"}`;
  }
  if (outcome.result !== honest.result) return `${label}: result differs from the honest call's`;
  if (outcome.memory !== honest.memory) return `${label}: memory written differs from the honest call's`;
  return undefined;
}

/** An entry attacked through a typed array of numbers (values, or a target of elements). */
export interface TypedEntry {
  readonly name: string;
  /** The honest array: seeded values of the kind the entry takes. */
  readonly make: (random: () => number) => ArrayBufferView;
  readonly call: (input: unknown) => unknown;
  readonly writes: boolean;
}

function filled<T extends { [index: number]: number | bigint; length: number }>(
  array: T,
  random: () => number,
  value: (r: number) => number | bigint,
): T {
  for (let i = 0; i < array.length; i++) array[i] = value(random());
  return array;
}

/** Every entry that takes a caller's typed array of numbers. */
export const typedEntries: readonly TypedEntry[] = [
  {
    name: "varintEncode(values)",
    writes: false,
    make: (random) => filled(new Uint32Array(300), random, (r) => (r * 2 ** 32) >>> 0),
    call: (x) => varintEncode(x as Uint32Array),
  },
  {
    name: "varintEncodedLength(values)",
    writes: false,
    make: (random) => filled(new BigUint64Array(40), random, (r) => BigInt(Math.floor(r * 2 ** 53))),
    call: (x) => varintEncodedLength(x as BigUint64Array),
  },
  {
    name: "varintEncodeInto(values)",
    writes: false,
    make: (random) => filled(new Uint32Array(300), random, (r) => (r * 2 ** 20) >>> 0),
    call: (x) => {
      const out = new Uint8Array(300 * 5);
      return [varintEncodeInto(x as Uint32Array, out), out];
    },
  },
  {
    name: "varintDecodeInto(target)",
    writes: true,
    make: () => new Uint32Array(300),
    call: (x) => varintDecodeInto(varintEncode(new Uint32Array(400).fill(300)), x as Uint32Array),
  },
  {
    name: "deltaEncode(values)",
    writes: false,
    make: (random) => filled(new Int32Array(600), random, (r) => (r * 2 ** 32) | 0),
    call: (x) => deltaEncode(x as Int32Array),
  },
  {
    name: "deltaDecode(target)",
    writes: true,
    make: () => new BigInt64Array(300),
    call: (x) => deltaDecode(new BigInt64Array(300).fill(3n), { target: x as BigInt64Array }),
  },
  {
    name: "zigzagEncode(values)",
    writes: false,
    make: (random) => filled(new Int32Array(600), random, (r) => (r * 2 ** 32) | 0),
    call: (x) => zigzagEncode(x as Int32Array),
  },
  {
    name: "zigzagDecode(target)",
    writes: true,
    make: () => new Int32Array(600),
    call: (x) => zigzagDecode(new Uint32Array(600).fill(7), { target: x as Int32Array }),
  },
  {
    name: "sum(Float64Array)",
    writes: false,
    make: (random) => filled(new Float64Array(300), random, (r) => r * 1000),
    call: (x) => sum(x as Float64Array),
  },
  {
    name: "minMax(Int16Array)",
    writes: false,
    make: (random) => filled(new Int16Array(900), random, (r) => (r * 65536) - 32768),
    call: (x) => minMax(x as Int16Array),
  },
  {
    name: "encodeNumbers(Float64Array)",
    writes: false,
    make: (random) => filled(new Float64Array(300), random, (r) => r),
    call: (x) => encodeNumbers(x as Float64Array, { endian: "big" }),
  },
  {
    name: "decodeNumbersInto(Uint16Array target)",
    writes: true,
    make: () => new Uint16Array(600),
    call: (x) => decodeNumbersInto(honestPeer.subarray(0, 1200), x as Uint16Array, { endian: "big" }),
  },
];

/** The hostile typed arrays of numbers. */
export const typedAttacks: readonly Attack[] = [
  {
    name: "own length and byteLength claiming 2^28 elements",
    expect: "same",
    memory: true,
    make: (honest) => {
      define(honest, { length: 1 << 28, byteLength: 1 << 30, BYTES_PER_ELEMENT: 1 });
      return honest;
    },
  },
  {
    name: "own length and byteLength claiming 1 element",
    expect: "same",
    memory: true,
    make: (honest) => {
      define(honest, { length: 1, byteLength: 1, BYTES_PER_ELEMENT: 16 });
      return honest;
    },
  },
  {
    name: "own constructor, subarray and species",
    expect: "same",
    memory: true,
    make: (honest) => {
      const Tiny = function () {
        return new Uint8Array(1);
      };
      Object.defineProperty(Tiny, Symbol.species, { value: Tiny });
      define(honest, { constructor: Tiny, subarray: () => new Uint8Array(1) });
      return honest;
    },
  },
  {
    name: "a Proxy of the typed array",
    expect: "E_TYPE",
    memory: true,
    make: (honest) => new Proxy(honest, {}),
  },
];

/** Runs one typed attack on one typed entry; a failure's description or undefined. */
export function tryTypedAttack(entry: TypedEntry, attack: Attack, random: () => number): string | undefined {
  const state = random();
  const honestArray = entry.make(() => state);
  const victimArray = entry.make(() => state);
  const honestBuffer = honestArray.buffer;
  const victimBuffer = victimArray.buffer;
  const honest = outcomeOf(() => entry.call(honestArray), entry.writes ? honestBuffer : undefined);
  const hostile = attack.make(victimArray as Uint8Array);
  const outcome = outcomeOf(
    () => entry.call(hostile),
    attack.expect === "same" && entry.writes ? victimBuffer : undefined,
  );
  const label = `${entry.name} with ${attack.name}`;
  if (outcome.raw !== undefined) return `${label}: threw ${outcome.raw}`;
  if (attack.expect !== "same") {
    return outcome.code === attack.expect
      ? undefined
      : `${label}: expected ${attack.expect}, got ${outcome.code}`;
  }
  if (honest.code !== outcome.code) return `${label}: honest ${honest.code}, hostile ${outcome.code}`;
  if (honest.result !== outcome.result) return `${label}: result differs from the honest call's`;
  if (honest.memory !== outcome.memory) return `${label}: memory written differs from the honest call's`;
  return undefined;
}
