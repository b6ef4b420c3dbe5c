//! The scalar reference: slicing-by-8 over comptime tables. Every other CRC
//! path is tested against this one. Functions take and return the raw
//! register (no pre- or post-inversion).

const std = @import("std");
const poly_math = @import("poly.zig");
const Poly = poly_math.Poly;

fn tablesFor(comptime poly: Poly) *const [8][256]u32 {
    const S = struct {
        const tables = poly_math.slicingTables(poly);
    };
    return &S.tables;
}

pub fn update(comptime poly: Poly, reg_in: u32, data: []const u8) u32 {
    const t = tablesFor(poly);
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

test "check values" {
    const check = "123456789";
    try std.testing.expectEqual(@as(u32, 0xCBF43926), ~update(.ieee, ~@as(u32, 0), check));
    try std.testing.expectEqual(@as(u32, 0xE3069283), ~update(.castagnoli, ~@as(u32, 0), check));
}
