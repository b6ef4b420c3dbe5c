/**
 * Rows to columns and back for arrays of 16-byte records (four u32 fields)
 * and 32-byte records (MarketData: an 8-byte symbol, u64 price, u32
 * quantity, u64 timestamp), little- and big-endian, against hand-written
 * DataView loops and, for aligned little-endian records, typed-array
 * loops. GB/s counts record bytes. Then binlane's JS path against native
 * from 64 B to 4 KiB of records, which chose the threshold in
 * src/transpose.ts. Run: `deno run -A bench/transpose.bench.ts` or `bun run
 * bench/transpose.bench.ts` (`--records 1000,1000000` sets the counts).
 *
 * @module
 */

import process from "node:process";
import { backend, columnsToRows, rowsToColumns, type TransposeField } from "../mod.ts";
import { transposeThresholds } from "../src/transpose.ts";
import { addBench, addCrossover, printCrossover, runAndReport } from "./report.ts";

const args = process.argv.slice(2);
const counts = (args.includes("--records") ? args[args.indexOf("--records") + 1] : "1000,1000000")
  .split(",").map(Number);

const shapes = {
  "16 B record": {
    size: 16,
    fields: [0, 4, 8, 12].map((offset) => ({ offset, size: 4 as const })),
  },
  "32 B MarketData": {
    size: 32,
    fields: [{ offset: 0, size: 8 as const }, { offset: 8, size: 8 as const }, {
      offset: 16,
      size: 4 as const,
    }, {
      offset: 24,
      size: 8 as const,
    }],
  },
};

function randomRows(bytes: number): Uint8Array {
  const rows = new Uint8Array(bytes);
  let state = 1;
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    rows[i] = state >>> 24;
  }
  return rows;
}

/** The hand-written peer: one DataView read and one typed-array write per field per record. */
function dataViewColumns(
  rows: Uint8Array,
  recordSize: number,
  fields: readonly TransposeField[],
  little: boolean,
) {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const count = rows.byteLength / recordSize;
  const columns = fields.map((f) => (f.size === 8 ? new BigUint64Array(count) : new Uint32Array(count)));
  for (let i = 0; i < count; i++) {
    const base = i * recordSize;
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f];
      if (field.size === 8) {
        (columns[f] as BigUint64Array)[i] = view.getBigUint64(base + field.offset, little);
      } else (columns[f] as Uint32Array)[i] = view.getUint32(base + field.offset, little);
    }
  }
  return columns;
}

/** The fastest JS for aligned little-endian 16-byte records: strided Uint32Array reads. */
function typedArrayColumns(rows: Uint8Array) {
  const words = new Uint32Array(rows.buffer, rows.byteOffset, rows.byteLength / 4);
  const count = words.length / 4;
  const columns = [0, 1, 2, 3].map(() => new Uint32Array(count));
  for (let i = 0; i < count; i++) {
    columns[0][i] = words[4 * i];
    columns[1][i] = words[4 * i + 1];
    columns[2][i] = words[4 * i + 2];
    columns[3][i] = words[4 * i + 3];
  }
  return columns;
}

for (const count of counts) {
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = count * shape.size;
    const rows = randomRows(bytes);
    const swapped = shape.fields.map((f) => ({ ...f, swap: true }));
    const group = `rows to columns, ${count} x ${name}`;
    addBench(
      group,
      "binlane rowsToColumns (LE)",
      bytes,
      false,
      rowsToColumns,
      rows,
      shape.size,
      shape.fields,
    );
    addBench(
      group,
      "binlane rowsToColumns (BE, swapped)",
      bytes,
      false,
      rowsToColumns,
      rows,
      shape.size,
      swapped,
    );
    const into = { columns: rowsToColumns(rows, shape.size, shape.fields) };
    addBench(
      group,
      "binlane rowsToColumns into columns (LE)",
      bytes,
      false,
      rowsToColumns,
      rows,
      shape.size,
      shape.fields,
      into,
    );
    addBench(group, "DataView loop (LE)", bytes, true, dataViewColumns, rows, shape.size, shape.fields, true);
    addBench(
      group,
      "DataView loop (BE)",
      bytes,
      true,
      dataViewColumns,
      rows,
      shape.size,
      shape.fields,
      false,
    );
    if (shape.size === 16) addBench(group, "Uint32Array loop (LE)", bytes, true, typedArrayColumns, rows);
    const columns = rowsToColumns(rows, shape.size, shape.fields);
    const target = new Uint8Array(bytes);
    addBench(
      `columns to rows, ${count} x ${name}`,
      "binlane columnsToRows",
      bytes,
      false,
      columnsToRows,
      columns,
      shape.size,
      shape.fields,
      { target },
    );
  }
}

const crossover = addCrossover(
  "rowsToColumns 16 B records",
  [64, 128, 256, 512, 1024, 2048, 4096],
  (path) => {
    transposeThresholds.bytes = path === "js" ? Infinity : 0;
  },
  (rows: Uint8Array) => rowsToColumns(rows, 16, shapes["16 B record"].fields),
  randomRows,
);

const info = backend();
const averages = await runAndReport(
  `Transpose benchmarks: ${info.runtime}, ${info.path} path, CPU level ${info.cpu}`,
);
if (info.path === "native") printCrossover(crossover, averages, info.runtime);
