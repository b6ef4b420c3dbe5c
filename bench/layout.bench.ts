/**
 * Decoding 1,000,000 records of a 16-byte struct (MessageHeader: u32 type,
 * u32 len, u64 ts) and a 32-byte one (MarketData: u8 symbol[8], u64 price,
 * u32 quantity, u64 ts): to objects, to columns, and one field read
 * through views; writing them back from objects; against hand-written
 * DataView code, binary-parser, restructure, typed-struct, buffer-layout,
 * msgpackr and JSON.parse of the same records; and validation's cost on
 * records with enums and a bool8. GB/s counts record bytes. Run: `deno run
 * -A bench/layout.bench.ts` or `bun run bench/layout.bench.ts` (`--records
 * N` sets the count). Each benchmark runs in a process of its own;
 * `--group TEXT` runs the groups containing TEXT, and `--one-process` all of
 * them, in this process.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import process from "node:process";
import { Parser } from "binary-parser";
import * as bufferLayoutModule from "buffer-layout";
import { Struct as TypedStruct } from "typed-struct";
import { do_not_optimize } from "mitata";
import { pack, unpack } from "msgpackr";
import * as r from "restructure";
import {
  array,
  backend,
  bool8,
  enumOf,
  NativeBuffer,
  type RecordArray,
  struct,
  u32,
  u64,
  u8,
} from "../mod.ts";
import { bigintFits } from "../src/layout/access.ts";
import { addBench, runEachApart } from "./report.ts";

const args = process.argv.slice(2);
const count = args.includes("--records") ? Number(args[args.indexOf("--records") + 1]) : 1_000_000;

const MessageHeader = struct({ type: u32, len: u32, ts: u64 });
const MarketData = struct({ symbol: array(u8, 8), price: u64, quantity: u32, ts: u64 });

function filled(size: number): Uint8Array {
  const rows = new Uint8Array(count * size);
  const view = new DataView(rows.buffer);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < size; k += 4) view.setUint32(i * size + k, (i * 2654435761 + k) >>> 0, true);
    view.setUint32(i * size + size - 4, 0, true); // keep 64-bit timestamps below 2^53 for the JSON peer
  }
  return rows;
}

const headerRows = filled(16);
const marketRows = filled(32);
// An application has more than one schema: another one is read, written and viewed before anything is timed.
// Shared by all schemas, read/write/view went polymorphic from here on (docs/PERFORMANCE.md, session 12).
for (let i = 0; i < 100; i++) {
  MarketData.write(marketRows, MarketData.read(marketRows, i * 32), i * 32);
  do_not_optimize(MarketData.view(marketRows, i * 32).quantity);
}

/** Hand-written DataView decoding: the baseline every target is set against. */
function headersByHand(rows: Uint8Array) {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * 16;
    out[i] = {
      type: view.getUint32(at, true),
      len: view.getUint32(at + 4, true),
      ts: view.getBigUint64(at + 8, true),
    };
  }
  return out;
}

function headersByRead(rows: Uint8Array) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = MessageHeader.read(rows, i * 16);
  return out;
}

function lenByHand(rows: Uint8Array): number {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  let total = 0;
  for (let i = 0; i < count; i++) total += view.getUint32(i * 16 + 4, true);
  return total;
}

/** A view made per record, as `S.view(bytes, offset)` reads naturally. */
function lenByView(rows: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += MessageHeader.view(rows, i * 16).len;
  return total;
}

/** A record read to an object per record, its field taken and the object dropped. */
function lenByRead(rows: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += MessageHeader.read(rows, i * 16).len;
  return total;
}

function lenByCursor(rows: Uint8Array): number {
  const records = MessageHeader.arrayView(rows);
  let total = 0;
  for (let i = 0; i < records.length; i++) total += records.cursorAt(i).len;
  return total;
}

/** The run and the DataView made by the caller, as a function handed records would see them. */
function lenOfGivenRun(records: RecordArray<{ len: number }>): number {
  let total = 0;
  for (let i = 0; i < records.length; i++) total += records.cursorAt(i).len;
  return total;
}

function lenOfGivenView(view: DataView): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += view.getUint32(i * 16 + 4, true);
  return total;
}

/**
 * The records in native memory, as a NativeBuffer hands them out. Its loops
 * are their own, not lenByView's and lenByRead's given another input: one
 * loop fed both kinds would time call sites that had seen both.
 */
const nativeRows = NativeBuffer.alloc(headerRows.byteLength);
nativeRows.bytes.set(headerRows);

function lenByViewOfNative(records: NativeBuffer): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += MessageHeader.view(records, i * 16).len;
  return total;
}

function lenByReadOfNative(records: NativeBuffer): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += MessageHeader.read(records, i * 16).len;
  return total;
}

function lenOfNativeByHand(records: NativeBuffer): number {
  const bytes = records.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  for (let i = 0; i < count; i++) total += view.getUint32(i * 16 + 4, true);
  return total;
}

/**
 * Two buffers read in turn: a header from one and a body from another through
 * two schemas, or one schema over two buffers, as a loop joining two files
 * would. Each schema keeps the two inputs it served last.
 */
const headerRowsAgain = headerRows.slice();

function headerAndBodyByView(rows: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += MessageHeader.view(rows, i * 16).len + MarketData.view(marketRows, i * 32).quantity;
  }
  return total;
}

function headerAndBodyByRead(rows: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += MessageHeader.read(rows, i * 16).len + MarketData.read(marketRows, i * 32).quantity;
  }
  return total;
}

function headerAndBodyByHand(rows: Uint8Array): number {
  const headers = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const bodies = new DataView(marketRows.buffer, marketRows.byteOffset, marketRows.byteLength);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += headers.getUint32(i * 16 + 4, true) + bodies.getUint32(i * 32 + 16, true);
  }
  return total;
}

function twoBuffersByView(rows: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += MessageHeader.view(rows, i * 16).len + MessageHeader.view(headerRowsAgain, i * 16).len;
  }
  return total;
}

function twoBuffersByRead(rows: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += MessageHeader.read(rows, i * 16).len + MessageHeader.read(headerRowsAgain, i * 16).len;
  }
  return total;
}

function twoBuffersByHand(rows: Uint8Array): number {
  const first = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const second = new DataView(headerRowsAgain.buffer, headerRowsAgain.byteOffset, headerRowsAgain.byteLength);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += first.getUint32(i * 16 + 4, true) + second.getUint32(i * 16 + 4, true);
  }
  return total;
}

const headerObjects = headersByHand(headerRows);

/** Every record written from an object with its checks: `write(bytes, value, i * 16)`. */
function headersByWrite(rows: Uint8Array): Uint8Array {
  for (let i = 0; i < count; i++) MessageHeader.write(rows, headerObjects[i], i * 16);
  return rows;
}

/** The same, by hand: DataView setters, and none of write's checks of the values. */
function headersWrittenByHand(rows: Uint8Array): Uint8Array {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  for (let i = 0; i < count; i++) {
    const at = i * 16, header = headerObjects[i];
    view.setUint32(at, header.type, true);
    view.setUint32(at + 4, header.len, true);
    view.setBigUint64(at + 8, header.ts, true);
  }
  return rows;
}

/** A callback per record, as forEach calls one: what that shape costs in hand-written code. */
function eachRecordByHand(view: DataView, callback: (view: DataView, offset: number) => void): void {
  for (let i = 0; i < count; i++) callback(view, i * 16);
}

function lenByHandCallback(rows: Uint8Array): number {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  let total = 0;
  eachRecordByHand(view, (records, offset) => {
    total += records.getUint32(offset + 4, true);
  });
  return total;
}

function lenByForEach(rows: Uint8Array): number {
  let total = 0;
  MessageHeader.arrayView(rows).forEach((record) => {
    total += record.len;
  });
  return total;
}

function columnsByHand(rows: Uint8Array) {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const type = new Uint32Array(count), len = new Uint32Array(count), ts = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    type[i] = view.getUint32(i * 16, true);
    len[i] = view.getUint32(i * 16 + 4, true);
    ts[i] = view.getBigUint64(i * 16 + 8, true);
  }
  return { type, len, ts };
}

const headerParser = new Parser().array("records", {
  type: new Parser().uint32le("type").uint32le("len").uint64le("ts"),
  length: count,
});
// deno-lint-ignore no-explicit-any
const rs = r as any;
const HeaderStruct = new rs.Struct({
  type: rs.uint32le,
  len: rs.uint32le,
  ts: new rs.Number("BigUInt64", "LE"),
});
const headerArray = new rs.Array(HeaderStruct, count);
const TypedHeader = new TypedStruct("MessageHeader").UInt32LE("type").UInt32LE("len").BigUInt64LE("ts")
  .compile();
// deno-lint-ignore no-explicit-any
const bufferLayout = ((bufferLayoutModule as any).default ?? bufferLayoutModule) as any;
// buffer-layout has no BigInt: its widest unsigned integer is nu64, a number that rounds above 2^53.
const LayoutHeader = bufferLayout.struct([
  bufferLayout.u32("type"),
  bufferLayout.u32("len"),
  bufferLayout.nu64("ts"),
]);

/** typed-struct's objects are views over a Buffer: one per record. */
function headersByTypedStruct(rows: Uint8Array) {
  const buffer = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const record = new TypedHeader(buffer.subarray(i * 16, i * 16 + 16));
    out[i] = { type: record.type, len: record.len, ts: record.ts };
  }
  return out;
}

function headersByBufferLayout(rows: Uint8Array) {
  const buffer = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = LayoutHeader.decode(buffer, i * 16);
  return out;
}

function lenByTypedStruct(rows: Uint8Array): number {
  const buffer = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  let total = 0;
  for (let i = 0; i < count; i++) total += new TypedHeader(buffer.subarray(i * 16, i * 16 + 16)).len;
  return total;
}
const plain = headersByHand(headerRows).map((h) => ({ ...h, ts: Number(h.ts) }));
const packed = pack(plain);
const json = JSON.stringify(plain);

const bytes16 = count * 16;
const headerColumns = MessageHeader.toColumns(headerRows);
const marketColumns = MarketData.toColumns(marketRows);
addBench("16 B records to objects", "binlane read", bytes16, false, headersByRead, headerRows);
addBench("16 B records to objects", "hand-written DataView", bytes16, true, headersByHand, headerRows);
addBench(
  "16 B records to objects",
  "binary-parser",
  bytes16,
  true,
  (b: Uint8Array) => headerParser.parse(b),
  headerRows,
);
addBench(
  "16 B records to objects",
  "restructure",
  bytes16,
  true,
  (b: Uint8Array) => headerArray.fromBuffer(b),
  headerRows,
);
addBench("16 B records to objects", "typed-struct", bytes16, true, headersByTypedStruct, headerRows);
addBench(
  "16 B records to objects",
  "buffer-layout (ts as a number)",
  bytes16,
  true,
  headersByBufferLayout,
  headerRows,
);
addBench("16 B records to objects", "msgpackr unpack", bytes16, true, unpack, packed);
addBench("16 B records to objects", "JSON.parse", bytes16, true, JSON.parse, json);
addBench("16 B field read (len)", "binlane cursorAt", bytes16, false, lenByCursor, headerRows);
addBench("16 B field read (len)", "binlane forEach", bytes16, false, lenByForEach, headerRows);
addBench(
  "16 B field read (len)",
  "binlane view(bytes, i * 16) per record",
  bytes16,
  false,
  lenByView,
  headerRows,
);
addBench(
  "16 B field read (len)",
  "binlane read(bytes, i * 16) per record",
  bytes16,
  false,
  lenByRead,
  headerRows,
);
addBench("16 B field read (len)", "hand-written DataView", bytes16, true, lenByHand, headerRows);
addBench(
  "16 B field read (len)",
  "hand-written DataView, a callback per record (forEach's shape)",
  bytes16,
  false,
  lenByHandCallback,
  headerRows,
);
addBench("16 B field read (len)", "typed-struct", bytes16, true, lenByTypedStruct, headerRows);
addBench(
  "16 B field read (len), records made by the caller",
  "binlane cursorAt over a given run",
  bytes16,
  false,
  lenOfGivenRun,
  MessageHeader.arrayView(headerRows),
);
addBench(
  "16 B field read (len), records made by the caller",
  "hand-written DataView over a given view",
  bytes16,
  true,
  lenOfGivenView,
  new DataView(headerRows.buffer, headerRows.byteOffset, headerRows.byteLength),
);
addBench(
  "16 B field read (len), records in a NativeBuffer",
  "binlane view(buffer, i * 16) per record",
  bytes16,
  false,
  lenByViewOfNative,
  nativeRows,
);
addBench(
  "16 B field read (len), records in a NativeBuffer",
  "binlane read(buffer, i * 16) per record",
  bytes16,
  false,
  lenByReadOfNative,
  nativeRows,
);
addBench(
  "16 B field read (len), records in a NativeBuffer",
  "hand-written DataView over its bytes",
  bytes16,
  true,
  lenOfNativeByHand,
  nativeRows,
);
const turnGroup = "16 B headers and 32 B bodies, two buffers in turn (len + quantity)";
addBench(turnGroup, "binlane view per record", count * 48, false, headerAndBodyByView, headerRows);
addBench(turnGroup, "binlane read per record", count * 48, false, headerAndBodyByRead, headerRows);
addBench(turnGroup, "hand-written DataView", count * 48, true, headerAndBodyByHand, headerRows);
const twoGroup = "16 B records, two buffers in turn through one schema (len + len)";
addBench(twoGroup, "binlane view per record", count * 32, false, twoBuffersByView, headerRows);
addBench(twoGroup, "binlane read per record", count * 32, false, twoBuffersByRead, headerRows);
addBench(twoGroup, "hand-written DataView", count * 32, true, twoBuffersByHand, headerRows);
addBench("16 B records from objects", "binlane write", bytes16, false, headersByWrite, headerRows.slice());
addBench(
  "16 B records from objects",
  "hand-written DataView",
  bytes16,
  true,
  headersWrittenByHand,
  headerRows.slice(),
);
// The u64 test inside `write`, each way (src/layout/access.ts, `bigintFits`), against none.
const u64Values = headerObjects.map((header) => header.ts as bigint);
const u64Out = new DataView(new ArrayBuffer(count * 8));
const fitGroup = "u64 values written through setBigUint64, with the test that they fit";
for (const [name, fits] of Object.entries(bigintFits)) {
  addBench(
    fitGroup,
    `bigintFits.${name}`,
    count * 8,
    false,
    (values: bigint[], out: DataView) => {
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (!fits(value, false)) throw new RangeError(`${value} does not fit u64`);
        out.setBigUint64(i * 8, value, true);
      }
      return out;
    },
    u64Values,
    u64Out,
  );
}
addBench(
  fitGroup,
  "no test",
  count * 8,
  true,
  (values: bigint[], out: DataView) => {
    for (let i = 0; i < values.length; i++) out.setBigUint64(i * 8, values[i], true);
    return out;
  },
  u64Values,
  u64Out,
);
addBench(
  "16 B records to columns",
  "binlane toColumns",
  bytes16,
  false,
  (b: Uint8Array) => MessageHeader.toColumns(b),
  headerRows,
);
addBench(
  "16 B records to columns",
  "binlane toColumns into caller columns",
  bytes16,
  false,
  (b: Uint8Array) => MessageHeader.toColumns(b, { into: headerColumns }),
  headerRows,
);
addBench("16 B records to columns", "hand-written DataView", bytes16, true, columnsByHand, headerRows);
addBench(
  "16 B records to columns",
  "binlane validate",
  bytes16,
  false,
  (b: Uint8Array) => MessageHeader.validate(b),
  headerRows,
);

const bytes32 = count * 32;
addBench("32 B records to objects", "binlane read", bytes32, false, (b: Uint8Array) => {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = MarketData.read(b, i * 32);
  return out;
}, marketRows);
addBench("32 B records to objects", "hand-written DataView", bytes32, true, (b: Uint8Array) => {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * 32;
    out[i] = {
      symbol: b.slice(at, at + 8),
      price: view.getBigUint64(at + 8, true),
      quantity: view.getUint32(at + 16, true),
      ts: view.getBigUint64(at + 24, true),
    };
  }
  return out;
}, marketRows);
addBench(
  "32 B records to columns",
  "binlane toColumns",
  bytes32,
  false,
  (b: Uint8Array) => MarketData.toColumns(b),
  marketRows,
);
addBench(
  "32 B records to columns",
  "binlane toColumns into caller columns",
  bytes32,
  false,
  (b: Uint8Array) => MarketData.toColumns(b, { into: marketColumns }),
  marketRows,
);
addBench("32 B records to columns", "hand-written DataView", bytes32, true, (b: Uint8Array) => {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const symbol = new Uint8Array(count * 8), price = new BigUint64Array(count);
  const quantity = new Uint32Array(count), ts = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * 32;
    symbol.set(b.subarray(at, at + 8), i * 8);
    price[i] = view.getBigUint64(at + 8, true);
    quantity[i] = view.getUint32(at + 16, true);
    ts[i] = view.getBigUint64(at + 24, true);
  }
  return { symbol, price, quantity, ts };
}, marketRows);
addBench("32 B field read (price)", "binlane cursorAt", bytes32, false, (b: Uint8Array) => {
  const records = MarketData.arrayView(b);
  let total = 0n;
  for (let i = 0; i < records.length; i++) total += records.cursorAt(i).price;
  return total;
}, marketRows);
addBench("32 B field read (price)", "hand-written DataView", bytes32, true, (b: Uint8Array) => {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let total = 0n;
  for (let i = 0; i < count; i++) total += view.getBigUint64(i * 32 + 8, true);
  return total;
}, marketRows);

// validate's cost against a decode, on records it has work in: an enum and a bool8 per record.
const Order = struct({
  id: u32,
  side: enumOf(u8, { BUY: 1, SELL: 2 }),
  kind: enumOf(u8, { LIMIT: 0, MARKET: 1, STOP: 2, IOC: 5 }),
  live: bool8,
  price: u64,
});
const orderRows = new Uint8Array(count * Order.size);
for (let i = 0; i < count; i++) {
  Order.write(orderRows, {
    id: i,
    side: i % 3 ? "BUY" : "SELL",
    kind: (["LIMIT", "MARKET", "STOP", "IOC"] as const)[i % 4],
    live: i % 2 === 0,
    price: BigInt(i) * 3n,
  }, i * Order.size);
}
const orderColumns = Order.toColumns(orderRows);
const orderBytes = count * Order.size;
const orderGroup = `${Order.size} B orders (2 enums, a bool8) to columns`;
const orderVariants: [string, (b: Uint8Array) => unknown][] = [
  ["toColumns into caller columns", (b) => Order.toColumns(b, { into: orderColumns })],
  ["validate, then toColumns into caller columns", (b) => {
    Order.validate(b);
    return Order.toColumns(b, { into: orderColumns });
  }],
  [
    "toColumns into caller columns, validate: true",
    (b) => Order.toColumns(b, { into: orderColumns, validate: true }),
  ],
  ["validate alone", (b) => Order.validate(b)],
  ["toColumns into new columns", (b) => Order.toColumns(b)],
  ["toColumns into new columns, validate: true", (b) => Order.toColumns(b, { validate: true })],
  ["validate, then toColumns into new columns", (b) => {
    Order.validate(b);
    return Order.toColumns(b);
  }],
];
for (const [name, decode] of orderVariants) addBench(orderGroup, name, orderBytes, false, decode, orderRows);
// Small calls, where the work per call (the schema's plan, the arguments) weighs more than the records.
const fewOrders = orderRows.subarray(0, 64 * Order.size);
const fewGroup = `${Order.size} B orders, 64 records a call`;
const fewVariants: [string, (b: Uint8Array) => unknown][] = [
  ["toColumns", (b) => Order.toColumns(b)],
  ["toColumns, validate: true", (b) => Order.toColumns(b, { validate: true })],
  ["validate", (b) => Order.validate(b)],
];
for (const [name, decode] of fewVariants) {
  addBench(fewGroup, name, fewOrders.byteLength, false, decode, fewOrders);
}

const info = backend();
await runEachApart(
  `Layout benchmarks (${count} records): ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
