//! The scalar reference: slicing-by-8 over comptime tables. Every other CRC
//! path is tested against this one. Functions take and return the raw
//! register (no pre- or post-inversion).

const std = @import("std");
const poly_math = @import("poly.zig");
const Poly = poly_math.Poly;

fn tablesFor(comptime poly: Poly, comptime slices: usize) *const [slices][256]u32 {
    const S = struct {
        const tables = poly_math.slicingTables(poly, slices);
    };
    return &S.tables;
}

pub fn update(comptime poly: Poly, reg_in: u32, data: []const u8) u32 {
    const t = tablesFor(poly, 8);
    var reg = reg_in;
    var i: usize = 0;
    while (i + 8 <= data.len) : (i += 8) {
        const lo = std.mem.readInt(u32, data[i..][0..4], .little) ^ reg;
        const hi = std.mem.readInt(u32, data[i + 4 ..][0..4], .little);
        reg = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    while (i < data.len) : (i += 1) {
        reg = (reg >> 8) ^ t[0][(reg ^ data[i]) & 0xff];
    }
    return reg;
}

/// Exactly 16 bytes in one slicing-by-16 round: sixteen independent lookups
/// instead of two dependent slicing-by-8 rounds. Finishes a folded lane
/// where there is no CRC instruction (CRC-32 on x86).
pub fn update16(comptime poly: Poly, reg: u32, block: *const [16]u8) u32 {
    const t = tablesFor(poly, 16);
    const head = std.mem.readInt(u32, block[0..4], .little) ^ reg;
    var result = t[15][head & 0xff] ^ t[14][(head >> 8) & 0xff] ^
        t[13][(head >> 16) & 0xff] ^ t[12][head >> 24];
    inline for (4..16) |i| result ^= t[15 - i][block[i]];
    return result;
}

/// Bit at a time, straight from the definition: the oracle the tables are
/// tested against.
pub fn updateBitwise(comptime poly: Poly, reg_in: u32, data: []const u8) u32 {
    var reg = reg_in;
    for (data) |byte| {
        reg ^= byte;
        for (0..8) |_| reg = if (reg & 1 != 0) (reg >> 1) ^ poly.reflected() else reg >> 1;
    }
    return reg;
}

test "one slicing-by-16 round equals the bytewise definition" {
    var prng = std.Random.DefaultPrng.init(16);
    var block: [16]u8 = undefined;
    for (0..1000) |_| {
        prng.random().bytes(&block);
        const reg = prng.random().int(u32);
        inline for (.{ Poly.ieee, Poly.castagnoli }) |p| {
            try std.testing.expectEqual(updateBitwise(p, reg, &block), update16(p, reg, &block));
        }
    }
}

test "check values" {
    const check = "123456789";
    try std.testing.expectEqual(@as(u32, 0xCBF43926), ~update(.ieee, ~@as(u32, 0), check));
    try std.testing.expectEqual(@as(u32, 0xE3069283), ~update(.castagnoli, ~@as(u32, 0), check));
}
