//! The boundary: every `export fn` of the library, and nothing else. Only
//! pointers, fixed-width integers and the extern structs of abi.zig cross.
//!
//! Conventions, relied on by ffi/symbols.ts:
//! - Calls that can fail return a `Status` (u32); results go to out-pointers.
//!   Kernels are the exception: they return their result, since an
//!   out-pointer is a second buffer argument and in Deno each costs ~11 ns
//!   (two buffers 25.5 ns a call, one 15.1 ns, measured here). A kernel that
//!   refuses its input returns its seed unchanged and leaves the status for
//!   `binlane_take_status`; TypeScript asks for it whenever a non-empty
//!   input comes back equal to its seed, so no refusal goes unseen.
//! - A (NULL, 0) buffer is valid and empty: Deno passes NULL for empty and
//!   detached buffers. A NULL pointer with a non-zero length is refused.
//! - Byte lengths are u32, so Deno's fast call path takes plain JS numbers
//!   (a 64-bit parameter would want a BigInt); src/ splits larger inputs.
//! - Out-structs come with their size, checked against @sizeOf.

const std = @import("std");
const abi = @import("abi.zig");
const alloc = @import("alloc.zig");
const cpu = @import("cpu.zig");
const Status = @import("status.zig").Status;

fn code(status: Status) u32 {
    return @intFromEnum(status);
}

/// Per thread: native code may be called from workers at once.
threadlocal var refused: Status = .ok;

fn refuse(status: Status, seed: u32) u32 {
    refused = status;
    return seed;
}

/// The status of the last refused kernel call on this thread, then .ok.
export fn binlane_take_status() u32 {
    const status = refused;
    refused = .ok;
    return code(status);
}

fn bytesOrNull(data: ?[*]const u8, len: u32) ?[]const u8 {
    if (data) |pointer| return pointer[0..len];
    if (len == 0) return &.{};
    return null;
}

export fn binlane_abi_version() u32 {
    return abi.abi_version;
}

export fn binlane_layout_table_len() u32 {
    return abi.layout_table.len;
}

export fn binlane_layout_table(out: ?[*]u32, capacity: u32) u32 {
    const target = out orelse return code(.invalid_argument);
    if (capacity < abi.layout_table.len) return code(.buffer_too_small);
    @memcpy(target[0..abi.layout_table.len], &abi.layout_table);
    return code(.ok);
}

/// The best level this library and CPU support.
export fn binlane_cpu_best() u32 {
    return @intFromEnum(cpu.best());
}

/// Bit i set: level i can be selected.
export fn binlane_cpu_supported() u32 {
    return cpu.supportedMask();
}

export fn binlane_cpu_active() u32 {
    return @intFromEnum(cpu.activeLevel());
}

export fn binlane_cpu_select(level: u32) u32 {
    return code(cpu.select(level));
}

export fn binlane_crc32(data: ?[*]const u8, len: u32, seed: u32) u32 {
    const bytes = bytesOrNull(data, len) orelse return refuse(.invalid_argument, seed);
    return cpu.active().crc32(seed, bytes.ptr, bytes.len);
}

export fn binlane_crc32c(data: ?[*]const u8, len: u32, seed: u32) u32 {
    const bytes = bytesOrNull(data, len) orelse return refuse(.invalid_argument, seed);
    return cpu.active().crc32c(seed, bytes.ptr, bytes.len);
}

/// Same signature as the CRC exports, doing nothing: the benchmarks' measure
/// of what a call costs.
export fn binlane_noop(data: ?[*]const u8, len: u32, seed: u32) u32 {
    _ = .{ data, len };
    return seed;
}

export fn binlane_alloc(size: u64, alignment: u32, zero: u32, out: ?*align(1) abi.AllocResult, out_size: u32) u32 {
    const result = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(abi.AllocResult)) return code(.length);
    if (zero > 1) return code(.invalid_argument);
    var written: abi.AllocResult = undefined;
    const status = alloc.alloc(size, alignment, zero == 1, &written);
    if (status == .ok) result.* = written;
    return code(status);
}

/// `size` must be the size the handle was allocated with: a second check
/// that the caller holds the handle it thinks it holds.
export fn binlane_free(handle: u64, size: u64) u32 {
    return code(alloc.free(handle, size));
}

export fn binlane_stats(out: ?*align(1) abi.NativeStats, out_size: u32) u32 {
    const result = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(abi.NativeStats)) return code(.length);
    result.* = alloc.snapshot();
    return code(.ok);
}
