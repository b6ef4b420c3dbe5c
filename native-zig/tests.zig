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

const search = @import("search.zig");

/// Random bytes from a small alphabet, so that matches are frequent.
fn fillSparse(random: std.Random, bytes: []u8, alphabet: u8) void {
    for (bytes) |*byte| byte.* = random.uintLessThan(u8, alphabet) + 'a';
}

test "search kernels at every vector width equal the scalar reference" {
    var prng = std.Random.DefaultPrng.init(0xb17e);
    const random = prng.random();
    var pool: [400]u8 = undefined;
    var out_simd: [400]u32 = undefined;
    var out_scalar: [400]u32 = undefined;
    inline for (.{ 16, 32, 64 }) |width| {
        const V = search.Vectorized(width);
        for (0..64) |offset| {
            for (0..300) |len| {
                fillSparse(random, &pool, @intCast(1 + len % 20));
                const data = pool[offset..][0..len];
                const byte: u8 = 'a' + random.uintLessThan(u8, 22);
                try std.testing.expectEqual(search.scalar.indexOfByte(data, byte), V.indexOfByte(data, byte));
                try std.testing.expectEqual(search.scalar.lastIndexOfByte(data, byte), V.lastIndexOfByte(data, byte));
                try std.testing.expectEqual(search.scalar.countByte(data, byte), V.countByte(data, byte));
                const set_len = random.uintAtMost(usize, 16);
                var set: [16]u8 = undefined;
                for (set[0..set_len]) |*s| s.* = 'a' + random.uintLessThan(u8, 30);
                try std.testing.expectEqual(search.scalar.indexOfAny(data, set[0..set_len]), V.indexOfAny(data, set[0..set_len]));
                const capacity = random.uintAtMost(usize, len);
                const written = V.findAllByte(data, byte, out_simd[0..capacity]);
                try std.testing.expectEqual(search.scalar.findAllByte(data, byte, out_scalar[0..capacity], 0), written);
                try std.testing.expectEqualSlices(u32, out_scalar[0..written], out_simd[0..written]);
                const needle_start = random.uintAtMost(usize, len);
                const needle_len = random.uintAtMost(usize, @min(len - needle_start, 12));
                var needle: [12]u8 = undefined;
                @memcpy(needle[0..needle_len], data[needle_start..][0..needle_len]);
                if (random.boolean() and needle_len > 0) needle[random.uintLessThan(usize, needle_len)] ^= 1;
                try std.testing.expectEqual(search.scalar.indexOfSubarray(data, needle[0..needle_len]), V.indexOfSubarray(data, needle[0..needle_len]));
            }
        }
    }
}

test "mismatch at every width finds the first difference at every position" {
    var a: [700]u8 = undefined;
    var b: [700]u8 = undefined;
    var prng = std.Random.DefaultPrng.init(3);
    prng.random().bytes(&a);
    inline for (.{ 16, 32, 64 }) |width| {
        const V = search.Vectorized(width);
        for ([_]usize{ 0, 1, 15, 16, 63, 64, 255, 256, 257, 700 }) |len| {
            @memcpy(b[0..len], a[0..len]);
            try std.testing.expectEqual(@as(?usize, null), V.mismatch(a[0..len], b[0..len]));
            for (0..len) |at| {
                b[at] ^= 0x80;
                try std.testing.expectEqual(@as(?usize, at), V.mismatch(a[0..len], b[0..len]));
                b[at] ^= 0x80;
            }
        }
    }
}

const endian = @import("endian.zig");

test "byte swaps at every width equal the scalar reference, in place and copying" {
    var prng = std.Random.DefaultPrng.init(0x5a5a);
    var src: [600]u8 = undefined;
    var want: [600]u8 = undefined;
    var got: [600]u8 = undefined;
    prng.random().bytes(&src);
    inline for (.{ 16, 32, 64 }) |width| {
        inline for (.{ 2, 4, 8 }) |size| {
            for (0..64) |offset| {
                var len: usize = 0;
                while (offset + len <= 520) : (len += size) {
                    const input = src[offset..][0..len];
                    endian.scalar.copySwap(size, want[0..len], input);
                    endian.Vectorized(width).copySwap(size, got[0..len], input);
                    try std.testing.expectEqualSlices(u8, want[0..len], got[0..len]);
                    @memcpy(got[offset..][0..len], input);
                    endian.Vectorized(width).copySwap(size, got[offset..][0..len], got[offset..][0..len]);
                    try std.testing.expectEqualSlices(u8, want[0..len], got[offset..][0..len]);
                }
            }
        }
    }
    // The reference itself, against @byteSwap.
    const word: u32 = 0x0102_0304;
    var bytes: [4]u8 = undefined;
    std.mem.writeInt(u32, &bytes, word, .little);
    endian.scalar.copySwap(4, &bytes, &bytes);
    try std.testing.expectEqual(@byteSwap(word), std.mem.readInt(u32, &bytes, .little));
}
