//! Native unit tests: `zig test native-zig/tests.zig -mcpu=...` runs these
//! with that CPU's paths compiled in (build.ts runs one per level this CPU
//! supports). The TypeScript suite tests every level through the library.

const std = @import("std");
const crc = @import("crc/crc.zig");
const scalar = @import("crc/scalar.zig");
const poly = @import("crc/poly.zig");

test {
    _ = poly;
    _ = scalar;
}

fn fill(random: std.Random, bytes: []u8) void {
    random.bytes(bytes);
}

test "every path equals the bitwise reference: all lengths 0..1100, offsets 0..15" {
    var prng = std.Random.DefaultPrng.init(0x5eed_c0de);
    var buffer: [1200]u8 = undefined;
    fill(prng.random(), &buffer);
    inline for (.{ crc.Poly.ieee, crc.Poly.castagnoli }) |p| {
        for (0..16) |offset| {
            for (0..1100) |len| {
                const data = buffer[offset..][0..len];
                const seed: u32 = @truncate(len *% 0x9E37_79B9);
                try std.testing.expectEqual(scalar.updateBitwise(p, seed, data), crc.update(p, seed, data));
            }
        }
    }
}

test "long inputs cross the three-stream and fold block sizes" {
    var prng = std.Random.DefaultPrng.init(42);
    const buffer = try std.testing.allocator.alloc(u8, 3 * 8192 * 2 + 3 * 256 * 3 + 77);
    defer std.testing.allocator.free(buffer);
    fill(prng.random(), buffer);
    inline for (.{ crc.Poly.ieee, crc.Poly.castagnoli }) |p| {
        for ([_]usize{ 3 * 8192, 3 * 8192 + 1, 3 * 8192 * 2 + 3 * 256 + 5, buffer.len }) |len| {
            try std.testing.expectEqual(scalar.update(p, 7, buffer[0..len]), crc.update(p, 7, buffer[0..len]));
        }
    }
}
