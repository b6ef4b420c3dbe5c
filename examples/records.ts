/**
 * The classic binary records, declared once with binlane's layout schemas:
 * their C layouts, a round trip through bytes, zero-copy views, columns,
 * and the C and Zig declarations a compiler can check.
 *
 * Run: `deno run examples/records.ts` or `bun run examples/records.ts`.
 *
 * @module
 */

import { array, f64, i16, struct, u16, u32, u64, u8 } from "../mod.ts";

const Packet = struct({ type: u8, len: u32, flags: u8, ts: u64 });
const SensorReading = struct({ id: u16, ts: u32, temp: i16, humidity: u16, pressure: u32 }, { pack: 1 });
const MarketData = struct({ symbol: array(u8, 8), price: u64, quantity: u32, ts: u64 });
const TimeSeriesPoint = struct({ ts: u64, value: f64, flags: u8 });
const MessageHeader = struct({ type: u32, len: u32, ts: u64 });

for (
  const [name, schema] of Object.entries({
    Packet,
    SensorReading,
    MarketData,
    TimeSeriesPoint,
    MessageHeader,
  })
) {
  const offsets = schema.fields.map((field) => `${field.name}@${field.offset}`).join(" ");
  console.log(
    `${name.padEnd(16)} size ${String(schema.size).padStart(2)}  align ${schema.align}  ${offsets}`,
  );
}

// Write three ticks, read one back, and change one in place through a view.
const ticks = new Uint8Array(MarketData.size * 3);
const symbol = (text: string) => new TextEncoder().encode(text.padEnd(8, " "));
MarketData.write(ticks, { symbol: symbol("BINL"), price: 101_25n, quantity: 300, ts: 1n }, 0);
MarketData.write(ticks, { symbol: symbol("ZIGS"), price: 42_00n, quantity: 10, ts: 2n }, 32);
MarketData.write(ticks, { symbol: symbol("DENO"), price: 7_50n, quantity: 1200, ts: 3n }, 64);
console.log(MarketData.read(ticks, 32));
MarketData.view(ticks, 64).quantity += 1;

// Columns, decoded in one native pass: one typed array per field.
const columns = MarketData.toColumns(ticks);
console.log(columns.price, columns.quantity);

// The next batch reuses those columns, and checks its fields on the way.
MarketData.toColumns(ticks, { into: columns, validate: true });

// A loop over records with one moving view: no object per record.
const records = MarketData.arrayView(ticks);
let volume = 0;
for (let i = 0; i < records.length; i++) volume += records.cursorAt(i).quantity;
console.log("volume", volume);

// The declarations a C or Zig program can share, with compile-time checks.
console.log(SensorReading.toC("SensorReading"));
console.log(MessageHeader.toZig("MessageHeader"));
