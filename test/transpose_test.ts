import assert from "node:assert/strict";
import { backend, columnsToRows, NativeBuffer, rowsToColumns, type TransposeField } from "../mod.ts";
import { nativeLibrary } from "../src/backend.ts";
import { gatherChecked, transposeThresholds } from "../src/transpose.ts";
import { everyPath, randomBytes, seededRandom, test, throwsCode } from "./harness.ts";

const sizes = [1, 2, 4, 8] as const;
const native = backend().path === "native";

/** Non-overlapping random fields of a record, in random order. */
function randomFields(random: () => number, recordSize: number): TransposeField[] {
  const fields: TransposeField[] = [];
  let offset = Math.floor(random() * 3);
  while (true) {
    const size = sizes[Math.floor(random() * 4)];
    if (offset + size > recordSize) break;
    fields.push({ offset, size, swap: size > 1 && random() < 0.5 });
    offset += size + Math.floor(random() * 3);
  }
  return fields.sort(() => random() - 0.5);
}

/** The oracle: DataView reads each field in the record's byte order and writes it little-endian. */
function oracleColumn(
  rows: Uint8Array,
  recordSize: number,
  field: TransposeField,
  count: number,
): Uint8Array {
  const out = new Uint8Array(count * field.size);
  const from = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const to = new DataView(out.buffer);
  const little = !field.swap;
  for (let i = 0; i < count; i++) {
    const at = i * recordSize + field.offset;
    if (field.size === 1) to.setUint8(i, from.getUint8(at));
    if (field.size === 2) to.setUint16(2 * i, from.getUint16(at, little), true);
    if (field.size === 4) to.setUint32(4 * i, from.getUint32(at, little), true);
    if (field.size === 8) to.setBigUint64(8 * i, from.getBigUint64(at, little), true);
  }
  return out;
}

test("transpose: rowsToColumns equals a DataView oracle and columnsToRows inverts it, on every path", () => {
  const random = seededRandom(0x7a5);
  const shapes = Array.from({ length: 60 }, (_, i) => {
    const recordSize = 1 + Math.floor(random() * (i < 40 ? 40 : 300));
    return { recordSize, fields: randomFields(random, recordSize), count: Math.floor(random() * 300) };
  });
  everyPath(transposeThresholds, (path) => {
    for (const { recordSize, fields, count } of shapes) {
      const offset = Math.floor(random() * 8);
      const rows = randomBytes(random, offset + count * recordSize).subarray(offset);
      const columns = rowsToColumns(rows, recordSize, fields);
      const label = `${path} record ${recordSize} count ${count} ${JSON.stringify(fields)}`;
      fields.forEach((field, i) => {
        assert.deepEqual(columns[i], oracleColumn(rows, recordSize, field, count), label);
        assert.equal(columns[i].byteOffset % 8, 0, `${label}: columns are aligned to 8`);
      });
      // Back to rows: the fields come back, the rest is zero or left as it was.
      const back = columnsToRows(columns, recordSize, fields);
      const target = rows.slice();
      columnsToRows(columns, recordSize, fields, { target });
      assert.deepEqual(target, rows, label);
      const covered = new Uint8Array(recordSize);
      for (const field of fields) covered.fill(1, field.offset, field.offset + field.size);
      for (let i = 0; i < back.length; i++) {
        assert.equal(back[i], covered[i % recordSize] ? rows[i] : 0, `${label}: byte ${i}`);
      }
    }
  });
});

test("transpose: records 2 to 16 fields wide (the vector shapes) across native blocks, on every path", () => {
  const random = seededRandom(0x5e7);
  everyPath(transposeThresholds, (path) => {
    for (const recordSize of [2, 4, 8, 16, 24, 32, 64, 128]) {
      // Past one 32 KiB block of rows, with a tail that no whole vector covers.
      const count = Math.ceil((40 * 1024) / recordSize) + Math.floor(random() * 70);
      const fields = sizes.filter((size) => size <= recordSize / 2).flatMap((size) =>
        [0, recordSize - size, Math.floor(random() * (recordSize - size + 1))].map((offset) => ({
          offset,
          size,
          swap: size > 1 && random() < 0.5,
        }))
      );
      // Rows that end at the last record, and rows whose view starts at an odd address.
      for (const start of [0, 3]) {
        const rows = randomBytes(random, start + count * recordSize).subarray(start);
        const columns = rowsToColumns(rows, recordSize, fields);
        fields.forEach((field, i) => {
          const label = `${path} record ${recordSize} start ${start} field ${JSON.stringify(field)}`;
          assert.deepEqual(columns[i], oracleColumn(rows, recordSize, field, count), label);
        });
      }
    }
  });
});

if (native) {
  /** A `binlane_gather_fields` table: per field its offset, its shape and the byte values it may hold. */
  const gatherTable = (...entries: [offset: number, shape: number, allowed?: number[]][]) => {
    const table = new Uint8Array(24 * entries.length);
    const view = new DataView(table.buffer);
    entries.forEach(([offset, shape, allowed = []], i) => {
      view.setUint32(24 * i, offset, true);
      view.setUint32(24 * i + 4, shape | (allowed.length << 8), true);
      table.set(allowed, 24 * i + 8);
    });
    return table;
  };

  test("native gather_fields refuses bad tables, columns and lengths without touching memory", () => {
    const symbols = nativeLibrary()!.symbols;
    const rows = Uint8Array.from({ length: 64 }, (_, i) => i);
    const table = gatherTable;
    const a = new Uint8Array(4).fill(0xee);
    const b = new Uint8Array(8).fill(0xee);
    const none = new Uint8Array(0);
    const found = new Uint8Array(16).fill(0xee);
    const call = (
      t: Uint8Array,
      count: number,
      c0: Uint8Array | null,
      c1: Uint8Array | null,
      c3 = none,
      out: Uint8Array | null = found,
    ) =>
      symbols.binlane_gather_fields(
        rows,
        rows.byteLength,
        16,
        count,
        t,
        t.byteLength,
        c0,
        c0?.byteLength ?? 4,
        c1,
        c1?.byteLength ?? 8,
        none,
        0,
        c3,
        c3.byteLength,
        out,
        out?.byteLength ?? 16,
      );
    // Field 0: u8 at offset 1; field 1: u16 at 14, byte-swapped (shape 2 | 0x10).
    assert.equal(call(table([1, 1], [14, 0x12]), 4, a, b), 0);
    assert.deepEqual([...a], [1, 17, 33, 49]);
    assert.deepEqual([...new Uint16Array(b.buffer)], [0x0e0f, 0x1e1f, 0x2e2f, 0x3e3f]);
    assert.deepEqual([...new Uint32Array(found.buffer)], [
      2 ** 32 - 1,
      2 ** 32 - 1,
      2 ** 32 - 1,
      2 ** 32 - 1,
    ]);
    const untouched = () => {
      assert.deepEqual([...a], [1, 17, 33, 49], "column 0 untouched");
      assert.deepEqual(
        [...new Uint16Array(b.buffer)],
        [0x0e0f, 0x1e1f, 0x2e2f, 0x3e3f],
        "column 1 untouched",
      );
    };
    found.fill(0xee);
    const foundUntouched = () => assert.ok(found.every((byte) => byte === 0xee), "found untouched");
    assert.equal(call(table([1, 1], [14, 0x12]).subarray(0, 36), 4, a, b), 2, "a table of half an entry");
    assert.equal(call(table([1, 1], [1, 1], [1, 1], [1, 1], [1, 1]), 4, a, b), 2, "five fields");
    assert.equal(call(table([1, 1], [14, 0x12]), 3, a, b), 2, "columns longer than count");
    assert.equal(call(table([1, 1], [14, 0x12]), 5, a, b), 2, "columns shorter than count");
    assert.equal(call(table([1, 1], [15, 2]), 4, a, b), 2, "a field past the record");
    assert.equal(call(table([1, 1], [14, 0x23]), 4, a, b), 2, "an unknown shape bit");
    assert.equal(
      call(table([1, 1 | 0x2000], [14, 0x12]), 4, a, b),
      2,
      "an unknown shape bit above the set's count",
    );
    assert.equal(call(table([1, 1], [14, 3]), 4, a, b), 2, "a field of 3 bytes");
    assert.equal(call(table([1, 1], [14, 0x12]), 4, null, b), 1, "a NULL column with a length");
    assert.equal(
      call(table([1, 1], [14, 0x12]), 4, a, b, new Uint8Array(1)),
      1,
      "an unused column with bytes",
    );
    assert.equal(call(table([1, 1 | (17 << 8)], [14, 0x12]), 4, a, b), 2, "a set of 17 values");
    assert.equal(call(table([1, 1], [14, 0x12, [1]]), 4, a, b), 2, "a set for a 2-byte field");
    assert.equal(
      call(table([1, 1, [1]], [14, 0x12]), 4, a, b, none, none),
      2,
      "a checked field, no room for found",
    );
    assert.equal(
      call(table([1, 1, [1]], [14, 0x12]), 4, a, b, none, new Uint8Array(8)),
      2,
      "found too short",
    );
    assert.equal(
      call(table([1, 1], [14, 0x12]), 4, a, b, none, new Uint8Array(8)),
      2,
      "found of a wrong length",
    );
    assert.equal(call(table([1, 1, [1]], [14, 0x12]), 4, a, b, none, null), 1, "a NULL found with a length");
    untouched();
    foundUntouched();
    assert.equal(call(table(), 0, none, none, none, none), 0, "nothing to do");
    assert.equal(
      symbols.binlane_gather_fields(null, 8, 16, 0, none, 0, none, 0, none, 0, none, 0, none, 0, none, 0),
      1,
    );
    const grown = symbols.binlane_gather_fields(
      rows,
      rows.byteLength,
      16,
      5,
      table([1, 1]),
      24,
      new Uint8Array(5),
      5,
      none,
      0,
      none,
      0,
      none,
      0,
      found,
      16,
    );
    assert.equal(grown, 2, "more records than the rows hold");
    foundUntouched();
  });

  test("native gather_fields: each checked column's first byte outside its set, across blocks, every column filled", () => {
    const symbols = nativeLibrary()!.symbols;
    const random = seededRandom(0xc4ec);
    // The level in force picks the gather and the set test; the thresholds do not matter to a direct call.
    everyPath(transposeThresholds, (path) => {
      if (path !== "js") checkEveryShape(path);
    });
    function checkEveryShape(level: string): void {
      for (const recordSize of [3, 16, 40, 4096]) {
        // Past three 32 KiB blocks of rows where records are small.
        const count = Math.min(70_000, Math.ceil((100 * 1024) / recordSize)) + Math.floor(random() * 50);
        const rows = new Uint8Array(count * recordSize);
        const sets = [[0, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 200], [7]];
        const offsets = [0, Math.floor(recordSize / 2), recordSize - 1];
        for (let r = 0; r < count; r++) {
          offsets.forEach((offset, f) =>
            rows[r * recordSize + offset] = sets[f][Math.floor(random() * sets[f].length)]
          );
        }
        // Each field once with no bad value, once bad at the first record, the last, a block's edge and a random one.
        const block = Math.max(1, Math.floor((32 * 1024) / recordSize));
        for (
          const bad of [
            -1,
            0,
            count - 1,
            Math.min(block, count - 1),
            Math.min(block - 1, count - 1),
            Math.floor(random() * count),
          ]
        ) {
          for (let f = 0; f < 3; f++) {
            const damaged = rows.slice();
            const later = Math.min(count - 1, bad + 1 + Math.floor(random() * 100));
            // A second bad value after the first must not move the answer.
            if (bad >= 0) damaged[bad * recordSize + offsets[f]] = 250;
            if (bad >= 0) damaged[later * recordSize + offsets[f]] = 251;
            const columns = [0, 1, 2, 3].map(() => new Uint8Array(count));
            const found = new Uint8Array(16);
            const status = symbols.binlane_gather_fields(
              damaged,
              damaged.byteLength,
              recordSize,
              count,
              gatherTable([offsets[0], 1, sets[0]], [offsets[1], 1, sets[1]], [offsets[2], 1, sets[2]], [
                offsets[0],
                1,
              ]),
              96,
              columns[0],
              count,
              columns[1],
              count,
              columns[2],
              count,
              columns[3],
              count,
              found,
              16,
            );
            assert.equal(status, 0);
            const label = `${level}: record ${recordSize}, field ${f}, bad at ${bad}`;
            const expected = [0, 1, 2, 3].map((i) => i === f && bad >= 0 ? bad : 2 ** 32 - 1);
            assert.deepEqual([...new Uint32Array(found.buffer)], expected, label);
            columns.forEach((column, i) => {
              const offset = offsets[i === 3 ? 0 : i];
              for (let r = 0; r < count; r++) {
                if (column[r] !== damaged[r * recordSize + offset]) {
                  assert.fail(`${label}: column ${i} record ${r}`);
                }
              }
            });
          }
        }
      }
    }
  });
}

test("transpose: gatherChecked finds each checked field's first byte outside its set, as an oracle does, on every path", () => {
  const random = seededRandom(0x9a7c);
  const shapes = Array.from({ length: 30 }, (_, i) => {
    const recordSize = 2 + Math.floor(random() * (i < 20 ? 30 : 200));
    const fields = randomFields(random, recordSize);
    // Byte fields get a set of 1 to 16 values; wider fields none.
    const allowed = fields.map((field) =>
      field.size === 1 && random() < 0.8
        ? Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256))
        : undefined
    );
    return { recordSize, fields, allowed, count: Math.floor(random() * 5000) };
  });
  everyPath(transposeThresholds, (path) => {
    for (const { recordSize, fields, allowed, count } of shapes) {
      const rows = randomBytes(random, count * recordSize);
      // Mostly members of the set, with a stranger now and then, so first positions vary.
      fields.forEach((field, i) => {
        const set = allowed[i];
        if (set === undefined) return;
        for (let r = 0; r < count; r++) {
          rows[r * recordSize + field.offset] = random() < 0.9995
            ? set[Math.floor(random() * set.length)]
            : rows[r];
        }
      });
      const columns = fields.map((field) => new Uint8Array(count * field.size));
      const firstBad = gatherChecked(rows, columns, { recordSize, fields, count, allowed });
      const label = `${path} record ${recordSize} count ${count}`;
      fields.forEach((field, i) => {
        assert.deepEqual(columns[i], oracleColumn(rows, recordSize, field, count), label);
        const set = allowed[i];
        let expected = -1;
        for (let r = 0; set !== undefined && r < count && expected < 0; r++) {
          if (!set.includes(rows[r * recordSize + field.offset])) expected = r;
        }
        assert.equal(firstBad[i], expected, `${label}: field ${i}`);
      });
    }
  });
});

test("transpose: gatherChecked refuses a set it cannot check", () => {
  const rows = new Uint8Array(16);
  const fields: TransposeField[] = [{ offset: 0, size: 1 }, { offset: 2, size: 2 }];
  const columns = [new Uint8Array(4), new Uint8Array(8)];
  const check = (allowed: (number[] | undefined)[]) =>
    throwsCode(
      () => gatherChecked(rows, columns, { recordSize: 4, fields, count: 4, allowed }),
      "E_INVALID_ARGUMENT",
    );
  check([undefined, [1]]); // a 2-byte field
  check([Array.from({ length: 17 }, (_, i) => i)]);
  check([[256]]);
  check([[-1]]);
  check([[1.5]]);
  assert.deepEqual(gatherChecked(rows, columns, { recordSize: 4, fields, count: 4, allowed: [[0]] }), [
    -1,
    -1,
  ]);
});

test("transpose: counts, targets and inputs that do not fit are typed errors", () => {
  everyPath(transposeThresholds, () => {
    const rows = new Uint8Array(100);
    const field: TransposeField = { offset: 0, size: 4 };
    throwsCode(() => rowsToColumns(rows, 12, [field]), "E_LENGTH"); // 100 is not a whole number of 12-byte records
    assert.equal(rowsToColumns(rows, 12, [field], { count: 8 })[0].byteLength, 32);
    throwsCode(() => rowsToColumns(rows, 12, [field], { count: 9 }), "E_LENGTH");
    throwsCode(() => rowsToColumns(rows, 10, [{ offset: 7, size: 4 }]), "E_RANGE");
    throwsCode(() => rowsToColumns(rows, 10, [{ offset: 0, size: 3 as 4 }]), "E_RANGE");
    throwsCode(() => rowsToColumns(rows, 0, []), "E_RANGE");
    throwsCode(() => rowsToColumns(rows, 10, [field], { columns: [new Uint8Array(39)] }), "E_LENGTH");
    throwsCode(
      () => rowsToColumns(rows, 10, [field], { columns: [rows.subarray(60)] }),
      "E_INVALID_ARGUMENT",
    );
    throwsCode(() => columnsToRows([new Uint8Array(8)], 4, [field, { offset: 2, size: 2 }]), "E_LENGTH");
    throwsCode(
      () => columnsToRows([new Uint8Array(8), new Uint8Array(4)], 4, [field, { offset: 2, size: 2 }]),
      "E_INVALID_ARGUMENT",
    );
    throwsCode(
      () => columnsToRows([new Uint8Array(8), new Uint8Array(6)], 8, [field, { offset: 4, size: 2 }]),
      "E_LENGTH",
    );
    throwsCode(
      () => columnsToRows([new Uint8Array(8)], 4, [field], { target: new Uint8Array(7) }),
      "E_LENGTH",
    );
  });
});

test("transpose: caller columns, NativeBuffers, and a column inside the target", () => {
  const random = seededRandom(99);
  everyPath(transposeThresholds, (path) => {
    const rows = randomBytes(random, 16 * 500);
    const fields: TransposeField[] = [{ offset: 0, size: 8, swap: true }, { offset: 12, size: 4 }];
    using native = NativeBuffer.alloc(8 * 500);
    const second = new Uint32Array(600);
    const columns = rowsToColumns(rows, 16, fields, { columns: [native, second] });
    assert.deepEqual(native.bytes, oracleColumn(rows, 16, fields[0], 500), path);
    assert.deepEqual(new Uint8Array(second.buffer, 0, 2000), oracleColumn(rows, 16, fields[1], 500), path);
    assert.equal(columns[1].byteLength, 2000);
    // A column stored in the target's own bytes is read before it is overwritten.
    const target = new Uint8Array(16 * 500 + 8 * 500);
    target.set(native.bytes, 16 * 500);
    const inside = target.subarray(16 * 500);
    columnsToRows([inside, second.subarray(0, 500)], 16, fields, { target, count: 500 });
    for (let r = 0; r < 500; r++) {
      assert.deepEqual(
        target.subarray(16 * r, 16 * r + 8),
        rows.subarray(16 * r, 16 * r + 8),
        `${path} record ${r}`,
      );
    }
  });
});

test("transpose: an array claiming 2^32-1 fields or columns is refused before any element is read", () => {
  let reads = 0;
  const claiming = (length: number) =>
    new Proxy([], {
      get(target, key) {
        if (key === "length") return length;
        if (typeof key === "string" && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key);
      },
    });
  const rows = new Uint8Array(8);
  const field = { offset: 0, size: 4 as const };
  for (const length of [2 ** 32 - 1, 65_537]) {
    throwsCode(() => rowsToColumns(rows, 4, claiming(length) as never), "E_RANGE");
    throwsCode(() => columnsToRows([], 4, claiming(length) as never), "E_RANGE");
    const sparse = new Array(length);
    throwsCode(() => rowsToColumns(rows, 4, sparse), "E_RANGE");
  }
  throwsCode(() => rowsToColumns(rows, 4, [field], { columns: claiming(2 ** 32 - 1) as never }), "E_LENGTH");
  throwsCode(() => columnsToRows(claiming(2 ** 32 - 1) as never, 4, [field]), "E_LENGTH");
  assert.equal(reads, 0, "no element of an over-long list was read");
  const many = Array.from({ length: 65_536 }, () => field);
  assert.equal(rowsToColumns(rows, 4, many).length, 65_536, "the cap itself is allowed");
});
