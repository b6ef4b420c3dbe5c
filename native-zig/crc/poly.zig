//! CRC polynomial arithmetic in the bit-reflected domain, done at comptime so
//! that every table and folding constant is derived from the polynomial alone.
//!
//! Representation: a 32-bit value `v` stands for the polynomial whose x^d
//! coefficient is bit (31 - d), so x^0 is 1 << 31. This is how zlib stores
//! polynomials and how a reflected CRC register holds its remainder.

const std = @import("std");
const assert = std.debug.assert;

/// The two CRC-32 variants binlane implements, by reflected polynomial.
pub const Poly = enum(u32) {
    /// CRC-32 (IEEE 802.3, zlib, gzip, PNG).
    ieee = 0xEDB8_8320,
    /// CRC-32C (Castagnoli: iSCSI, ext4, SCTP).
    castagnoli = 0x82F6_3B78,

    pub fn reflected(comptime poly: Poly) u32 {
        return @intFromEnum(poly);
    }
};

const x_pow_0: u32 = 1 << 31;

/// Multiplies two polynomials modulo `poly`, all reflected.
pub fn multMod(a: u32, b: u32, poly: u32) u32 {
    var product: u32 = 0;
    var multiplicand = b;
    var bit: u6 = 0;
    while (bit < 32) : (bit += 1) {
        if (a & (x_pow_0 >> @intCast(bit)) != 0) product ^= multiplicand;
        multiplicand = if (multiplicand & 1 != 0) (multiplicand >> 1) ^ poly else multiplicand >> 1;
    }
    return product;
}

/// x^n mod poly, reflected, by square-and-multiply.
pub fn xPowMod(n: u64, poly: u32) u32 {
    var result: u32 = x_pow_0;
    var square: u32 = x_pow_0 >> 1; // x^1
    var exponent = n;
    var steps: u32 = 0;
    while (exponent != 0) : (steps += 1) {
        assert(steps < 64);
        if (exponent & 1 != 0) result = multMod(result, square, poly);
        square = multMod(square, square, poly);
        exponent >>= 1;
    }
    return result;
}

/// Slicing tables: tables[k][b] is the register contribution of byte b
/// followed by k zero bytes. Slicing-by-N consumes N bytes per round.
pub fn slicingTables(comptime poly: Poly, comptime slices: usize) [slices][256]u32 {
    @setEvalBranchQuota(400_000);
    var tables: [slices][256]u32 = undefined;
    for (0..256) |byte| {
        var reg: u32 = @intCast(byte);
        for (0..8) |_| reg = if (reg & 1 != 0) (reg >> 1) ^ poly.reflected() else reg >> 1;
        tables[0][byte] = reg;
    }
    for (1..slices) |k| {
        for (0..256) |byte| {
            const prev = tables[k - 1][byte];
            tables[k][byte] = (prev >> 8) ^ tables[0][prev & 0xff];
        }
    }
    return tables;
}

/// Tables for multiplying a register by x^(8 * byte_count) mod poly, that is,
/// for appending `byte_count` zero bytes in four lookups: used to combine
/// independently computed CRC streams.
pub fn shiftTables(comptime poly: Poly, comptime byte_count: u64) [4][256]u32 {
    @setEvalBranchQuota(2_000_000);
    const factor = xPowMod(8 * byte_count, poly.reflected());
    var tables: [4][256]u32 = undefined;
    for (0..4) |k| {
        for (0..256) |byte| {
            const reg: u32 = @as(u32, @intCast(byte)) << @intCast(8 * k);
            tables[k][byte] = if (reg == 0) 0 else multMod(reg, factor, poly.reflected());
        }
    }
    return tables;
}

pub fn shift(tables: *const [4][256]u32, reg: u32) u32 {
    return tables[0][reg & 0xff] ^ tables[1][(reg >> 8) & 0xff] ^
        tables[2][(reg >> 16) & 0xff] ^ tables[3][reg >> 24];
}

/// Constants to fold a 128-bit lane forward by `distance_bits`, laid out for
/// carry-less multiplication of the lane's low and high 64-bit halves.
///
/// A lane (low half L first in memory, high half H) stands for L*x^64 + H.
/// Moving it `distance_bits` later multiplies it by x^distance. A reflected
/// carry-less product carries one extra factor of x, hence the "- 1".
pub fn foldConstants(poly: Poly, distance_bits: u64) [2]u64 {
    assert(distance_bits >= 128 and distance_bits % 128 == 0);
    @setEvalBranchQuota(100_000);
    const p = poly.reflected();
    return .{
        @as(u64, xPowMod(64 + distance_bits - 1, p)) << 32,
        @as(u64, xPowMod(distance_bits - 1, p)) << 32,
    };
}

test "x^n agrees with repeated multiplication by x" {
    const p = Poly.ieee.reflected();
    var reg: u32 = x_pow_0;
    for (0..300) |n| {
        try std.testing.expectEqual(reg, xPowMod(n, p));
        reg = if (reg & 1 != 0) (reg >> 1) ^ p else reg >> 1;
    }
}
