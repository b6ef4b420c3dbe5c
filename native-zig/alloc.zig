//! Native memory behind opaque handles. A handle names a slot in a table
//! owned by this library; freeing looks the slot up and checks its
//! generation, so a second free, a stale handle or a made-up one is refused
//! with a status and never touches memory. Only this allocator frees what it
//! allocated. A mutex guards the table: workers share the loaded library.

const std = @import("std");
const Status = @import("status.zig").Status;
const abi = @import("abi.zig");
const assert = std.debug.assert;

const backing = std.heap.c_allocator;
/// Fresh anonymous pages: zero already, and committed only when touched, so a
/// huge zeroed allocation costs no memory until it is used (no memset).
const pages = std.heap.page_allocator;
/// Zeroed allocations from this size up come from `pages`; smaller ones are
/// cheaper as malloc and memset than as a system call and page faults.
pub const zero_pages_min: u64 = 1 << 20;

/// What a handle names. Each release export frees only its own kind, so a
/// hasher's handle cannot be freed as a buffer's, nor the other way round.
pub const Kind = enum(u8) { buffer, xxh64, xxh3 };

const Slot = struct {
    memory: ?[*]u8,
    kind: Kind,
    /// Held by a call working on the memory (see `acquire`): free refuses.
    busy: bool,
    len: usize,
    alignment: std.mem.Alignment,
    /// Which allocator the memory came from, and so which one frees it.
    from_pages: bool,
    /// Bumped on every free, so a handle outlives its slot's reuse harmlessly.
    generation: u32,
    next_free: u32,
};

const no_slot: u32 = std.math.maxInt(u32);
pub const max_alignment = 4096;
/// Larger requests fail with `length` rather than asking the OS for absurd
/// amounts on a caller's arithmetic slip (2^48 bytes is 256 TiB).
pub const max_size: u64 = 1 << 48;

var mutex: std.Thread.Mutex = .{};
var slots: []Slot = &.{};
var free_head: u32 = no_slot;
var stats: abi.NativeStats = std.mem.zeroes(abi.NativeStats);

fn handleOf(index: u32, generation: u32) u64 {
    return (@as(u64, generation) << 32) | (@as(u64, index) + 1);
}

fn grow() Status {
    const old_len: u32 = @intCast(slots.len);
    const new_len: u32 = if (old_len == 0) 64 else old_len * 2;
    if (new_len >= no_slot / 2) return .out_of_memory;
    const grown = backing.alloc(Slot, new_len) catch return .out_of_memory;
    @memcpy(grown[0..old_len], slots);
    var index: u32 = new_len;
    while (index > old_len) {
        index -= 1;
        grown[index] = .{
            .memory = null,
            .kind = .buffer,
            .busy = false,
            .len = 0,
            .alignment = .@"1",
            .from_pages = false,
            .generation = 0,
            .next_free = free_head,
        };
        free_head = index;
    }
    if (old_len != 0) backing.free(slots);
    slots = grown;
    return .ok;
}

pub fn alloc(kind: Kind, size: u64, alignment_bytes: u32, zero: bool, out: *abi.AllocResult) Status {
    if (alignment_bytes == 0 or alignment_bytes > max_alignment or !std.math.isPowerOfTwo(alignment_bytes)) {
        return .alignment;
    }
    if (size > max_size) return .length;
    const alignment = std.mem.Alignment.fromByteUnits(alignment_bytes);
    const len: usize = @intCast(@max(size, 1)); // a zero-byte handle still pairs one free
    const from_pages = zero and size >= zero_pages_min;
    assert(!from_pages or alignment_bytes <= std.heap.pageSize());
    const allocator = if (from_pages) pages else backing;
    const memory = allocator.rawAlloc(len, alignment, @returnAddress()) orelse
        return .out_of_memory;
    if (zero and !from_pages) @memset(memory[0..len], 0);

    mutex.lock();
    defer mutex.unlock();
    if (free_head == no_slot and grow() != .ok) {
        allocator.rawFree(memory[0..len], alignment, @returnAddress());
        return .out_of_memory;
    }
    const index = free_head;
    const slot = &slots[index];
    assert(slot.memory == null);
    free_head = slot.next_free;
    slot.* = .{
        .memory = memory,
        .kind = kind,
        .busy = false,
        .len = len,
        .alignment = alignment,
        .from_pages = from_pages,
        .generation = slot.generation,
        .next_free = no_slot,
    };
    stats.live_allocations += 1;
    stats.live_bytes += size;
    stats.total_allocations += 1;
    out.* = .{ .handle = handleOf(index, slot.generation), .address = @intFromPtr(memory), .size = size };
    return .ok;
}

/// The live slot `handle` names, if it is of `kind` and `size` bytes.
fn find(handle: u64, kind: Kind, size: u64) ?*Slot {
    const index_plus_one: u32 = @truncate(handle);
    const generation: u32 = @intCast(handle >> 32);
    if (index_plus_one == 0 or index_plus_one > slots.len) return null;
    const slot = &slots[index_plus_one - 1];
    if (slot.memory == null or slot.generation != generation) return null;
    if (slot.kind != kind or @max(size, 1) != slot.len) return null;
    return slot;
}

pub fn free(handle: u64, kind: Kind, size: u64) Status {
    mutex.lock();
    defer mutex.unlock();
    const slot = find(handle, kind, size) orelse return reject();
    if (slot.busy) return reject();
    const index = @as(u32, @truncate(handle)) - 1;
    const allocator = if (slot.from_pages) pages else backing;
    allocator.rawFree(slot.memory.?[0..slot.len], slot.alignment, @returnAddress());
    slot.memory = null;
    slot.generation +%= 1;
    slot.next_free = free_head;
    free_head = index;
    stats.live_allocations -= 1;
    stats.live_bytes -= size;
    stats.total_frees += 1;
    return .ok;
}

/// The memory of a live handle, marked busy until `release`, so a free from
/// another thread cannot pull it from under a call. A second acquire of a
/// busy handle is refused too: one object, one call at a time.
pub fn acquire(handle: u64, kind: Kind, size: u64) ?[*]u8 {
    mutex.lock();
    defer mutex.unlock();
    const slot = find(handle, kind, size) orelse return null;
    if (slot.busy) return null;
    slot.busy = true;
    return slot.memory;
}

pub fn release(handle: u64) void {
    mutex.lock();
    defer mutex.unlock();
    const slot = &slots[@as(u32, @truncate(handle)) - 1];
    assert(slot.busy and slot.memory != null);
    slot.busy = false;
}

fn reject() Status {
    stats.rejected_frees += 1;
    return .invalid_handle;
}

pub fn snapshot() abi.NativeStats {
    mutex.lock();
    defer mutex.unlock();
    return stats;
}
