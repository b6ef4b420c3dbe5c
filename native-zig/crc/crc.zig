//! CRC-32 and CRC-32C composed from the paths this object's CPU features
//! allow. The same source, compiled once per CPU level, gives each level's
//! kernels; compiled for a baseline CPU it gives the scalar reference.

const std = @import("std");
const assert = std.debug.assert;
const fold = @import("fold.zig");
const hw = @import("hw.zig");
const scalar = @import("scalar.zig");
pub const Poly = @import("poly.zig").Poly;

const is_aarch64 = @import("builtin").cpu.arch == .aarch64;

/// The 512-bit fold starts with one full vector per accumulator.
const wide_fold_min = fold.wide_min_len;

/// Continues a raw register over `data`.
pub fn update(comptime poly: Poly, reg_in: u32, data: []const u8) u32 {
    var reg = reg_in;
    var rest = data;
    if (fold.wide_available and rest.len >= wide_fold_min) {
        const folded = fold.foldWide(poly, reg, rest);
        reg = finishLane(poly, folded.lane);
        rest = rest[folded.consumed..];
    }
    if (comptime hw.available(poly) and !fold.wide_available and !is_aarch64) {
        // x86 CRC-32C: three instruction streams outrun 128-bit folding.
        return hw.updateInterleaved(poly, reg, rest);
    }
    if (fold.narrow_available and rest.len >= fold.narrow_min_len) {
        const folded = fold.foldNarrow(poly, reg, rest);
        reg = finishLane(poly, folded.lane);
        rest = rest[folded.consumed..];
    }
    return updateSmall(poly, reg, rest);
}

/// Blocks small enough to stay in L1 between the copy and the checksum.
const copy_block_len = 4096;

/// Copies `src` to `dst` and continues a raw register over it. With 512-bit
/// folding the copy rides along the fold's loads; otherwise each block is
/// copied, then checksummed while it is still in L1. Either way the source
/// is read from memory once.
pub fn copyUpdate(comptime poly: Poly, reg_in: u32, dst: []u8, src: []const u8) u32 {
    assert(dst.len == src.len);
    assert(disjoint(dst, src));
    var reg = reg_in;
    var done: usize = 0;
    if (fold.wide_available and src.len >= wide_fold_min) {
        const folded = fold.foldWideCopy(poly, reg, src, dst);
        reg = finishLane(poly, folded.lane);
        done = folded.consumed;
    }
    const blocks = (src.len - done + copy_block_len - 1) / copy_block_len;
    for (0..blocks) |_| {
        const len = @min(copy_block_len, src.len - done);
        const block = dst[done..][0..len];
        @memcpy(block, src[done..][0..len]);
        reg = update(poly, reg, block);
        done += len;
    }
    assert(done == src.len);
    return reg;
}

fn disjoint(a: []const u8, b: []const u8) bool {
    const a_start = @intFromPtr(a.ptr);
    const b_start = @intFromPtr(b.ptr);
    return a.len == 0 or b.len == 0 or a_start + a.len <= b_start or b_start + b.len <= a_start;
}

/// `copyUpdate` with the public seed convention of `checksum`.
pub fn copyChecksum(comptime poly: Poly, seed: u32, dst: []u8, src: []const u8) u32 {
    return ~copyUpdate(poly, ~seed, dst, src);
}

fn updateSmall(comptime poly: Poly, reg: u32, data: []const u8) u32 {
    if (comptime hw.available(poly)) return hw.update(poly, reg, data);
    return scalar.update(poly, reg, data);
}

/// A folded lane is congruent to everything folded into it, so its CRC from
/// a zero register is the register after all of it.
fn finishLane(comptime poly: Poly, lane: [16]u8) u32 {
    if (comptime hw.available(poly)) return hw.update(poly, 0, &lane);
    return scalar.update16(poly, 0, &lane);
}

/// The public convention: `seed` is a previous result (0 to start), so that
/// checksums continue across calls.
pub fn checksum(comptime poly: Poly, seed: u32, data: []const u8) u32 {
    return ~update(poly, ~seed, data);
}
