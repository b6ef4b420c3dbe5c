//! Everything that crosses the boundary besides scalars: the ABI version and
//! the extern structs, with the layout table the loader checks at load.

const std = @import("std");

/// Bumped on any change to an export's signature or a struct below.
pub const abi_version: u32 = 2;

/// Allocator counters, read with `binlane_stats`.
pub const NativeStats = extern struct {
    live_allocations: u64,
    live_bytes: u64,
    total_allocations: u64,
    total_frees: u64,
    /// Frees refused: double, stale or foreign handles.
    rejected_frees: u64,
};

/// Written by `binlane_alloc`.
pub const AllocResult = extern struct {
    handle: u64,
    address: u64,
    size: u64,
};

/// Struct ids in the layout table, in this order (ffi/symbols.ts mirrors them).
const crossing_structs = .{ NativeStats, AllocResult };

fn entryLen(comptime T: type) usize {
    return 4 + @typeInfo(T).@"struct".fields.len;
}

/// Per struct: id, @sizeOf, @alignOf, field count, then each field's offset.
pub const layout_table = blk: {
    var len: usize = 0;
    for (crossing_structs) |T| len += entryLen(T);
    var table: [len]u32 = undefined;
    var at: usize = 0;
    for (crossing_structs, 0..) |T, id| {
        const fields = @typeInfo(T).@"struct".fields;
        table[at..][0..4].* = .{ id, @sizeOf(T), @alignOf(T), fields.len };
        at += 4;
        for (fields) |field| {
            table[at] = @offsetOf(T, field.name);
            at += 1;
        }
    }
    break :blk table;
};
