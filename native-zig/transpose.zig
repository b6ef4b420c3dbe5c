//! Transposes between fixed-size records and columns: copy one field of
//! every record into a dense column (gather), or back (scatter), with an
//! optional byte swap in the same pass. The loops are specialized at
//! comptime per field size and swap, so each element is one load and one
//! store (and a BSWAP or MOVBE): the load and store ports bound them, not
//! arithmetic, so they are the same at every CPU level.

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
