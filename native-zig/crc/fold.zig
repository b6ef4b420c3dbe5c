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

inline fn fold2(lane: V2, k: V2) V2 {
    return clmul2(lane, k, .lo) ^ clmul2(lane, k, .hi);
}

inline fn fold8(lanes: V8, k: V8) V8 {
    return clmul8(lanes, k, .lo) ^ clmul8(lanes, k, .hi);
}

inline fn load2(bytes: []const u8) V2 {
    return @bitCast(bytes[0..16].*);
}

inline fn load8(bytes: []const u8) V8 {
    return @bitCast(bytes[0..64].*);
}

fn constants2(comptime poly: Poly, comptime distance_bits: u64) V2 {
    const k = comptime poly_math.foldConstants(poly, distance_bits);
    return .{ k[0], k[1] };
}

fn constants8(comptime poly: Poly, comptime distance_bits: u64) V8 {
    const k = comptime constants2(poly, distance_bits);
    return comptime std.simd.repeat(8, k);
}

/// The result of folding: the lane congruent to the folded prefix, and how
/// many input bytes it covers (a multiple of 16).
pub const Folded = struct { lane: [16]u8, consumed: usize };

const narrow_accumulators = 4;
/// Smallest input the 128-bit path takes: one load per accumulator.
pub const narrow_min_len = 16 * narrow_accumulators;

/// Folds `data` (at least `narrow_min_len` bytes) with 128-bit lanes, the
/// register xored into its first four bytes.
pub fn foldNarrow(comptime poly: Poly, reg: u32, data: []const u8) Folded {
    comptime assert(narrow_available);
    assert(data.len >= narrow_min_len);
    const block = 16 * narrow_accumulators;
    var acc: [narrow_accumulators]V2 = undefined;
    inline for (0..narrow_accumulators) |a| acc[a] = load2(data[16 * a ..]);
    acc[0][0] ^= reg;
    var offset: usize = block;
    const k_block = constants2(poly, 8 * block);
    while (offset + block <= data.len) : (offset += block) {
        inline for (0..narrow_accumulators) |a| {
            acc[a] = fold2(acc[a], k_block) ^ load2(data[offset + 16 * a ..]);
        }
    }
    return finishNarrow(poly, acc, data, offset);
}

fn finishNarrow(comptime poly: Poly, acc: [narrow_accumulators]V2, data: []const u8, offset_in: usize) Folded {
    const k_lane = constants2(poly, 128);
    var lane = acc[0];
    inline for (1..narrow_accumulators) |a| lane = fold2(lane, k_lane) ^ acc[a];
    var offset = offset_in;
    while (offset + 16 <= data.len) : (offset += 16) {
        lane = fold2(lane, k_lane) ^ load2(data[offset..]);
    }
    return .{ .lane = @bitCast(lane), .consumed = offset };
}

const wide_accumulators = 4;
/// Smallest input the 512-bit path takes: one load per accumulator.
pub const wide_min_len = 64 * wide_accumulators;

/// Folds `data` (at least `wide_min_len` bytes) with 512-bit vectors of four
/// lanes each, the register xored into its first four bytes.
pub fn foldWide(comptime poly: Poly, reg: u32, data: []const u8) Folded {
    comptime assert(wide_available);
    assert(data.len >= wide_min_len);
    const block = 64 * wide_accumulators;
    var acc: [wide_accumulators]V8 = undefined;
    inline for (0..wide_accumulators) |a| acc[a] = load8(data[64 * a ..]);
    acc[0][0] ^= reg;
    var offset: usize = block;
    const k_block = constants8(poly, 8 * block);
    while (offset + block <= data.len) : (offset += block) {
        inline for (0..wide_accumulators) |a| {
            acc[a] = fold8(acc[a], k_block) ^ load8(data[offset + 64 * a ..]);
        }
    }
    const k_vector = constants8(poly, 512);
    var vector = acc[0];
    inline for (1..wide_accumulators) |a| vector = fold8(vector, k_vector) ^ acc[a];
    while (offset + 64 <= data.len) : (offset += 64) {
        vector = fold8(vector, k_vector) ^ load8(data[offset..]);
    }
    comptime assert(narrow_accumulators == 4); // one accumulator per lane of the vector
    return finishNarrow(poly, @bitCast(vector), data, offset);
}
