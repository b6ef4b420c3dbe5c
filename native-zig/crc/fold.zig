//! Carry-less multiplication folding (Intel's "Fast CRC Computation for
//! Generic Polynomials Using PCLMULQDQ"), generic over the vector width: 128
//! bits with PCLMULQDQ or PMULL, 512 bits with VPCLMULQDQ. Folding reduces
//! the input to one 16-byte lane congruent to it; the caller's CRC path then
//! finishes that lane, so no Barrett reduction is needed.

const std = @import("std");
const builtin = @import("builtin");
const config = @import("../config.zig");
const poly_math = @import("poly.zig");
const Poly = poly_math.Poly;
const assert = std.debug.assert;

const V2 = @Vector(2, u64);
const V8 = @Vector(8, u64);

const is_x86 = builtin.cpu.arch == .x86_64;
const has_pclmul = is_x86 and std.Target.x86.featureSetHas(builtin.cpu.features, .pclmul);
const has_avx = is_x86 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx);
const has_vpclmul512 = is_x86 and
    std.Target.x86.featureSetHas(builtin.cpu.features, .vpclmulqdq) and
    std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);
const has_pmull = builtin.cpu.arch == .aarch64 and
    std.Target.aarch64.featureSetHas(builtin.cpu.features, .aes);

/// 128-bit folding exists in this object.
pub const narrow_available = config.simd_enabled and (has_pclmul or has_pmull);
/// 512-bit folding exists in this object.
pub const wide_available = config.simd_enabled and has_vpclmul512;

const Half = enum { lo, hi };

inline fn clmul2(a: V2, b: V2, comptime half: Half) V2 {
    if (has_pmull) {
        return switch (half) {
            .lo => asm ("pmull %[out].1q, %[a].1d, %[b].1d"
                : [out] "=w" (-> V2),
                : [a] "w" (a),
                  [b] "w" (b),
            ),
            .hi => asm ("pmull2 %[out].1q, %[a].2d, %[b].2d"
                : [out] "=w" (-> V2),
                : [a] "w" (a),
                  [b] "w" (b),
            ),
        };
    }
    const imm = if (half == .lo) "$0x00" else "$0x11";
    if (has_avx) {
        return asm ("vpclmulqdq " ++ imm ++ ", %[b], %[a], %[out]"
            : [out] "=x" (-> V2),
            : [a] "x" (a),
              [b] "x" (b),
        );
    }
    return asm ("pclmulqdq " ++ imm ++ ", %[b], %[out]"
        : [out] "=x" (-> V2),
        : [b] "x" (b),
          [_] "0" (a),
    );
}

inline fn clmul8(a: V8, b: V8, comptime half: Half) V8 {
    const imm = if (half == .lo) "$0x00" else "$0x11";
    return asm ("vpclmulqdq " ++ imm ++ ", %[b], %[a], %[out]"
        : [out] "=v" (-> V8),
        : [a] "v" (a),
          [b] "v" (b),
    );
}

/// A vector of `lanes` 128-bit lanes: 1 (PCLMULQDQ, PMULL) or 4 (VPCLMULQDQ).
fn Vector(comptime lanes: comptime_int) type {
    return @Vector(2 * lanes, u64);
}

/// Moves every lane of `vector` forward by the distance `k` was made for.
inline fn fold(comptime lanes: comptime_int, vector: Vector(lanes), k: Vector(lanes)) Vector(lanes) {
    return switch (lanes) {
        1 => clmul2(vector, k, .lo) ^ clmul2(vector, k, .hi),
        4 => clmul8(vector, k, .lo) ^ clmul8(vector, k, .hi),
        else => @compileError("folding takes 1 or 4 lanes"),
    };
}

inline fn load(comptime lanes: comptime_int, bytes: []const u8) Vector(lanes) {
    return @bitCast(bytes[0 .. 16 * lanes].*);
}

/// Folding constants for `distance_bits`, repeated in every lane.
fn constants(comptime lanes: comptime_int, comptime poly: Poly, comptime distance_bits: u64) Vector(lanes) {
    const k = comptime poly_math.foldConstants(poly, distance_bits);
    return comptime std.simd.repeat(2 * lanes, V2{ k[0], k[1] });
}

/// The result of folding: the lane congruent to the folded prefix, and how
/// many input bytes it covers (a multiple of 16).
pub const Folded = struct { lane: [16]u8, consumed: usize };

/// Independent folding chains: enough to cover the carry-less multiply's
/// latency with its throughput.
const accumulators = 4;

/// Smallest input the 128-bit path takes: one load per accumulator.
pub const narrow_min_len = 16 * accumulators;
/// Smallest input the 512-bit path takes: one load per accumulator.
pub const wide_min_len = 64 * accumulators;

/// Folds `data` (at least `narrow_min_len` bytes) with 128-bit lanes, the
/// register xored into its first four bytes.
pub fn foldNarrow(comptime poly: Poly, reg: u32, data: []const u8) Folded {
    comptime assert(narrow_available);
    return foldLanes(1, poly, reg, data, {});
}

/// Folds `data` (at least `wide_min_len` bytes) with 512-bit vectors of four
/// lanes each, the register xored into its first four bytes.
pub fn foldWide(comptime poly: Poly, reg: u32, data: []const u8) Folded {
    comptime assert(wide_available and narrow_available);
    return foldLanes(4, poly, reg, data, {});
}

/// Folds `data` (at least `wide_min_len` bytes) as `foldWide` does, and
/// copies each vector it loads to the same offset of `copy_to`: the bytes
/// go through registers once for both.
pub fn foldWideCopy(comptime poly: Poly, reg: u32, data: []const u8, copy_to: []u8) Folded {
    comptime assert(wide_available and narrow_available);
    assert(copy_to.len == data.len);
    return foldLanes(4, poly, reg, data, copy_to);
}

/// Loads the vector at `offset` of `data`, and stores it at the same offset
/// of `copy_to` when that is a slice (`{}` copies nothing).
inline fn take(comptime lanes: comptime_int, data: []const u8, copy_to: anytype, offset: usize) Vector(lanes) {
    const vector = load(lanes, data[offset..]);
    if (@TypeOf(copy_to) == []u8) copy_to[offset..][0 .. 16 * lanes].* = @bitCast(vector);
    return vector;
}

fn foldLanes(comptime lanes: comptime_int, comptime poly: Poly, reg: u32, data: []const u8, copy_to: anytype) Folded {
    comptime assert(@TypeOf(copy_to) == void or @TypeOf(copy_to) == []u8);
    const vector_len = 16 * lanes;
    const block = vector_len * accumulators;
    assert(data.len >= block);
    var acc: [accumulators]Vector(lanes) = undefined;
    inline for (0..accumulators) |a| acc[a] = take(lanes, data, copy_to, vector_len * a);
    acc[0][0] ^= reg;
    var offset: usize = block;
    const k_block = constants(lanes, poly, 8 * block);
    while (offset + block <= data.len) : (offset += block) {
        inline for (0..accumulators) |a| {
            acc[a] = fold(lanes, acc[a], k_block) ^ take(lanes, data, copy_to, offset + vector_len * a);
        }
    }
    // Each accumulator folds straight onto the last: independent multiplies,
    // one multiply of latency instead of a chain of three.
    var vector = acc[accumulators - 1];
    inline for (0..accumulators - 1) |a| {
        const distance = 8 * vector_len * (accumulators - 1 - a);
        vector ^= fold(lanes, acc[a], constants(lanes, poly, distance));
    }
    const k_vector = constants(lanes, poly, 8 * vector_len);
    while (offset + vector_len <= data.len) : (offset += vector_len) {
        vector = fold(lanes, vector, k_vector) ^ take(lanes, data, copy_to, offset);
    }
    // Then one lane, the same way, then 16-byte steps.
    const parts: [lanes]V2 = @bitCast(vector);
    var lane = parts[lanes - 1];
    inline for (0..lanes - 1) |part| lane ^= fold(1, parts[part], constants(1, poly, 128 * (lanes - 1 - part)));
    const k_lane = constants(1, poly, 128);
    while (offset + 16 <= data.len) : (offset += 16) {
        lane = fold(1, lane, k_lane) ^ take(1, data, copy_to, offset);
    }
    return .{ .lane = @bitCast(lane), .consumed = offset };
}
