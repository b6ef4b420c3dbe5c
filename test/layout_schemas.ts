/**
 * Schemas the layout tests share: the classic records with their known
 * layouts, and a seeded generator of random schemas that mix every feature.
 *
 * @module
 */

import {
  type Abi,
  array,
  be,
  bits,
  bool8,
  enumOf,
  f32,
  f64,
  type FieldType,
  i16,
  i32,
  i64,
  i8,
  pad,
  type RecordOptions,
  type Schema,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
} from "../mod.ts";

/** The records of issue 4 with the layouts C gives them. */
export const classic = {
  Packet: {
    schema: struct({ type: u8, len: u32, flags: u8, ts: u64 }),
    size: 24,
    align: 8,
    offsets: { ts: 16 },
  },
  SensorReading: {
    schema: struct({ id: u16, ts: u32, temp: i16, humidity: u16, pressure: u32 }, { pack: 1 }),
    size: 14,
    align: 1,
    offsets: { ts: 2, temp: 6, humidity: 8, pressure: 10 },
  },
  MarketData: {
    schema: struct({ symbol: array(u8, 8), price: u64, quantity: u32, ts: u64 }),
    size: 32,
    align: 8,
    offsets: { price: 8, quantity: 16, ts: 24 },
  },
  TimeSeriesPoint: {
    schema: struct({ ts: u64, value: f64, flags: u8 }),
    size: 24,
    align: 8,
    offsets: { flags: 16 },
  },
  MessageHeader: { schema: struct({ type: u32, len: u32, ts: u64 }), size: 16, align: 8, offsets: { ts: 8 } },
} as const;

const scalars = [u8, u16, u32, u64, i8, i16, i32, i64, f32, f64];
const bitStorage = [u8, u16, u32, i8, i16, i32];

/** A random schema: nested records, arrays, unions, enums, bitfields, pack values and alignments. */
export function randomSchema(random: () => number, abi: Abi, depth = 0): Schema {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const fields: Record<string, FieldType> = {};
  const count = 1 + Math.floor(random() * (depth === 0 ? 9 : 4));
  for (let i = 0; i < count; i++) {
    const roll = random();
    let type: FieldType;
    if (roll < 0.35) type = random() < 0.3 ? be(pick(scalars)) : pick(scalars);
    else if (roll < 0.42) type = bool8;
    else if (roll < 0.48) type = enumOf(pick([u8, u16, u32]), { A: 0, B: 1, C: 7 });
    else if (roll < 0.58) type = array(random() < 0.5 ? u8 : pick(scalars), 1 + Math.floor(random() * 9));
    else if (roll < 0.78) {
      // A run of bitfields of random storage and width.
      const run = 1 + Math.floor(random() * 4);
      for (let k = 0; k < run; k++) {
        const storage = pick(bitStorage);
        fields[`b${i}_${k}`] = bits(storage, 1 + Math.floor(random() * 8 * storage.size));
      }
      continue;
    } else if (roll < 0.83) type = pad(1 + Math.floor(random() * 5));
    else if (depth < 2 && roll < 0.93) type = randomSchema(random, abi, depth + 1);
    else if (depth < 2) type = array(randomSchema(random, abi, depth + 1), 1 + Math.floor(random() * 3));
    else type = pick(scalars);
    fields[`f${i}`] = type;
  }
  const options: RecordOptions = { abi };
  if (random() < 0.4) options.pack = pick([1, 2, 4, 8, 16] as const);
  if (random() < 0.25) options.align = pick([1, 2, 4, 8, 16, 32, 64]);
  return random() < 0.15 ? union(fields, options) : struct(fields, options);
}

/** A random valid value of `type`. */
export function randomValue(type: FieldType, random: () => number): unknown {
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  switch (type.kind) {
    case "scalar": {
      const bits = 8 * type.size;
      if (type.name[0] === "f") {
        return type.size === 4 ? Math.fround((random() - 0.5) * 1e6) : (random() - 0.5) * 1e300;
      }
      if (type.size === 8) {
        const raw = BigInt(int(0, 2 ** 32 - 1)) << 32n | BigInt(int(0, 2 ** 32 - 1));
        const value = type.name[0] === "i" ? BigInt.asIntN(64, raw) : raw;
        return type.bigint ? value : Number(value >> 12n);
      }
      return type.name[0] === "i" ? int(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) : int(0, 2 ** bits - 1);
    }
    case "bool8":
      return random() < 0.5;
    case "enum": {
      const names = Object.keys(type.values);
      return names[int(0, names.length - 1)];
    }
    case "bits":
      return type.signed
        ? int(-(2 ** (type.width - 1)), 2 ** (type.width - 1) - 1)
        : int(0, 2 ** type.width - 1);
    case "array": {
      const values = Array.from({ length: type.length }, () => randomValue(type.element, random));
      return type.element.kind === "scalar" && type.element.name === "u8"
        ? Uint8Array.from(values as number[])
        : values;
    }
    case "struct":
    case "union": {
      const fields = type.fields.filter((f) => f.type.kind !== "pad");
      const chosen = type.kind === "union" && fields.length > 0
        ? [fields[int(0, fields.length - 1)]]
        : fields;
      return Object.fromEntries(chosen.map((f) => [f.name, randomValue(f.type, random)]));
    }
    default:
      return undefined;
  }
}
