//! Transposes between fixed-size records and columns: copy one field of
//! every record into a dense column (gather), or back (scatter), with an
//! optional byte swap in the same pass. The scalar loops are specialized at
//! comptime per field size and swap, so each element is one load and one
//! store (and a BSWAP or MOVBE), and the store port bounds them.
//!
//! `Vectorized(width).gather` takes records whose size is 2, 4, 8 or 16
//! times the field's: it loads as many whole vectors as hold `n` records
//! and keeps every m-th element with a tree of two-vector shuffles, so `n`
//! elements cost m loads, m - 1 shuffles and one store. Scattering back
//! stays scalar: nothing on the hot path needs it.

const std = @import("std");
const assert = std.debug.assert;

fn Element(comptime size: usize) type {
    return std.meta.Int(.unsigned, 8 * size);
}

/// One field: where it sits in a record, its width in bytes, and whether
/// to reverse its bytes on the way.
pub const Field = struct {
    offset: usize,
    size: usize,
    swap: bool,
};

fn load(comptime size: usize, comptime swap: bool, bytes: *const [size]u8) Element(size) {
    return std.mem.readInt(Element(size), bytes, if (swap) .big else .little);
}

fn store(comptime size: usize, bytes: *[size]u8, value: Element(size)) void {
    std.mem.writeInt(Element(size), bytes, value, .little);
}

fn gatherTyped(comptime size: usize, comptime swap: bool, column: []u8, rows: []const u8, record_size: usize, offset: usize) void {
    const count = column.len / size;
    for (0..count) |i| {
        store(size, column[i * size ..][0..size], load(size, swap, rows[i * record_size + offset ..][0..size]));
    }
}

fn scatterTyped(comptime size: usize, comptime swap: bool, rows: []u8, column: []const u8, record_size: usize, offset: usize) void {
    const count = column.len / size;
    for (0..count) |i| {
        store(size, rows[i * record_size + offset ..][0..size], load(size, swap, column[i * size ..][0..size]));
    }
}

fn checkShape(rows_len: usize, column_len: usize, record_size: usize, field: Field) void {
    assert(field.size == 1 or field.size == 2 or field.size == 4 or field.size == 8);
    assert(field.offset + field.size <= record_size);
    assert(column_len % field.size == 0);
    assert(column_len / field.size * record_size <= rows_len + record_size - field.offset - field.size);
    assert(!field.swap or field.size > 1);
}

/// Copies `field` of each record of `rows` into `column`, which holds
/// exactly one element per record wanted.
pub fn gather(column: []u8, rows: []const u8, record_size: usize, field: Field) void {
    checkShape(rows.len, column.len, record_size, field);
    switch (field.size) {
        inline 1, 2, 4, 8 => |size| if (size > 1 and field.swap)
            gatherTyped(size, true, column, rows, record_size, field.offset)
        else
            gatherTyped(size, false, column, rows, record_size, field.offset),
        else => unreachable,
    }
}

const scalarGather = gather;

/// The scalar gather: the reference the vectorized one is tested against.
pub const scalar = struct {
    pub const gather = scalarGather;
};

/// `[a, b]`'s even elements: a's, then b's.
fn evenElements(comptime T: type, comptime n: usize, a: @Vector(n, T), b: @Vector(n, T)) @Vector(n, T) {
    const mask: @Vector(n, i32) = comptime blk: {
        var picks: [n]i32 = undefined;
        for (0..n) |j| picks[j] = if (2 * j < n) 2 * j else ~@as(i32, 2 * j - n);
        break :blk picks;
    };
    return @shuffle(T, a, b, mask);
}

/// Every m-th element of the m vectors laid end to end, from the first.
fn everyMth(comptime T: type, comptime n: usize, comptime m: usize, vectors: [m]@Vector(n, T)) @Vector(n, T) {
    comptime assert(std.math.isPowerOfTwo(m));
    if (m == 1) return vectors[0];
    var halves: [m / 2]@Vector(n, T) = undefined;
    inline for (0..m / 2) |i| halves[i] = evenElements(T, n, vectors[2 * i], vectors[2 * i + 1]);
    return everyMth(T, n, m / 2, halves);
}

/// Gathers with vectors of `width` bytes where the record is 2 to 16
/// fields wide, and the scalar loop elsewhere and for the tail.
pub fn Vectorized(comptime width: usize) type {
    comptime assert(width == 16 or width == 32 or width == 64);
    return struct {
        pub fn gather(column: []u8, rows: []const u8, record_size: usize, field: Field) void {
            checkShape(rows.len, column.len, record_size, field);
            const done: usize = switch (field.size) {
                inline 1, 2, 4, 8 => |size| switch (record_size / size * @intFromBool(record_size % size == 0)) {
                    inline 2, 4, 8, 16 => |m| if (size > 1 and field.swap)
                        stridedBlocks(size, m, true, column, rows, field.offset)
                    else
                        stridedBlocks(size, m, false, column, rows, field.offset),
                    else => 0,
                },
                else => unreachable,
            };
            assert(done % field.size == 0 and done <= column.len);
            const rest = column.len - done;
            if (rest == 0) return;
            const first = done / field.size;
            scalarGather(column[done..], rows[first * record_size ..], record_size, field);
        }

        /// Whole blocks of `n` records whose loads stay inside `rows`; the bytes of `column` written.
        fn stridedBlocks(comptime size: usize, comptime m: usize, comptime swap: bool, column: []u8, rows: []const u8, offset: usize) usize {
            const T = Element(size);
            const n = width / size;
            const V = @Vector(n, T);
            const record_size = m * size;
            const count = column.len / size;
            var i: usize = 0;
            // A block loads n records' bytes from the field of the first: the last block's loads
            // end `offset` bytes past its records, so it must leave that much of `rows` after them.
            while (i + n <= count and (i + n) * record_size + offset <= rows.len) : (i += n) {
                const base = rows[i * record_size + offset ..][0 .. m * width];
                var vectors: [m]V = undefined;
                inline for (0..m) |k| vectors[k] = @bitCast(base[k * width ..][0..width].*);
                var picked = everyMth(T, n, m, vectors);
                if (swap) picked = @byteSwap(picked);
                column[i * size ..][0..width].* = @bitCast(picked);
            }
            return i * size;
        }
    };
}

/// Copies each element of `column` into `field` of the matching record of
/// `rows`, leaving the records' other bytes as they are.
pub fn scatter(rows: []u8, column: []const u8, record_size: usize, field: Field) void {
    checkShape(rows.len, column.len, record_size, field);
    switch (field.size) {
        inline 1, 2, 4, 8 => |size| if (size > 1 and field.swap)
            scatterTyped(size, true, rows, column, record_size, field.offset)
        else
            scatterTyped(size, false, rows, column, record_size, field.offset),
        else => unreachable,
    }
}
