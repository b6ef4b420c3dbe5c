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

test "copyUpdate copies exactly and equals update, at every source and target offset, lengths 0..1100 and long" {
    var prng = std.Random.DefaultPrng.init(0xc0b1);
    const random = prng.random();
    const source = try std.testing.allocator.alloc(u8, 3 * 4096 + 1300);
    defer std.testing.allocator.free(source);
    const target = try std.testing.allocator.alloc(u8, source.len + 64);
    defer std.testing.allocator.free(target);
    fill(random, source);
    const lengths = [_]usize{ 4095, 4096, 4097, 3 * 4096 + 255, 3 * 4096 + 1200 };
    inline for (.{ crc.Poly.ieee, crc.Poly.castagnoli }) |p| {
        for (0..1100 + lengths.len) |i| {
            const len = if (i < 1100) i else lengths[i - 1100];
            const from = random.uintLessThan(usize, 64);
            const to = random.uintLessThan(usize, 64);
            @memset(target, 0xA5);
            const seed = random.int(u32);
            const got = crc.copyUpdate(p, seed, target[to..][0..len], source[from..][0..len]);
            try std.testing.expectEqual(scalar.update(p, seed, source[from..][0..len]), got);
            try std.testing.expectEqualSlices(u8, source[from..][0..len], target[to..][0..len]);
            // Nothing outside the target range is written.
            for (target[0..to]) |byte| try std.testing.expectEqual(@as(u8, 0xA5), byte);
            for (target[to + len ..]) |byte| try std.testing.expectEqual(@as(u8, 0xA5), byte);
        }
    }
}

const search = @import("search.zig");

/// Random bytes from a small alphabet, so that matches are frequent.
fn fillSparse(random: std.Random, bytes: []u8, alphabet: u8) void {
    for (bytes) |*byte| byte.* = random.uintLessThan(u8, alphabet) + 'a';
}

test "indexOfOther finds one stranger among set members at every width, offset and length" {
    var prng = std.Random.DefaultPrng.init(0x07e5);
    const random = prng.random();
    var pool: [400]u8 = undefined;
    inline for (.{ 16, 32, 64 }) |width| {
        const V = search.Vectorized(width);
        for (0..64) |offset| {
            for (0..300) |len| {
                const set_len = 1 + random.uintLessThan(usize, 16);
                var set: [16]u8 = undefined;
                for (set[0..set_len]) |*s| s.* = random.int(u8);
                const data = pool[offset..][0..len];
                for (data) |*d| d.* = set[random.uintLessThan(usize, set_len)];
                if (len > 0 and random.boolean()) {
                    var stranger = random.int(u8);
                    while (std.mem.indexOfScalar(u8, set[0..set_len], stranger) != null) stranger +%= 1;
                    data[random.uintLessThan(usize, len)] = stranger;
                }
                try std.testing.expectEqual(search.scalar.indexOfOther(data, set[0..set_len]), V.indexOfOther(data, set[0..set_len]));
            }
        }
    }
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
                try std.testing.expectEqual(search.scalar.indexOfOther(data, set[0..set_len]), V.indexOfOther(data, set[0..set_len]));
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

const xxh3 = @import("hash/xxh3.zig");

test "xxh3: scalar and vectorized equal std.hash.XxHash3 at every length 0..2200, with and without a seed" {
    var prng = std.Random.DefaultPrng.init(0x7733);
    const random = prng.random();
    var buffer: [2200 + 16]u8 = undefined;
    random.bytes(&buffer);
    for ([_]u64{ 0, 1, 0x9E37_79B9_7F4A_7C15, std.math.maxInt(u64) }) |seed| {
        for (0..16) |offset| {
            var len: usize = offset; // every length once across the offsets
            while (len <= 2200) : (len += 16) {
                const data = buffer[offset..][0..len];
                const expected = std.hash.XxHash3.hash(seed, data);
                try std.testing.expectEqual(expected, xxh3.Xxh3(xxh3.scalar).hash(data, seed));
                try std.testing.expectEqual(expected, xxh3.Xxh3(xxh3.vectorized).hash(data, seed));
            }
        }
    }
}

test "xxh3: published values" {
    const H = xxh3.Xxh3(xxh3.vectorized);
    try std.testing.expectEqual(@as(u64, 0x2d06800538d394c2), H.hash("", 0));
    try std.testing.expectEqual(@as(u64, 0x78af5f94892f3950), H.hash("abc", 0));
    try std.testing.expectEqual(@as(u64, 0x6b4467b443c76228), H.hash("abc", 1));
    try std.testing.expectEqual(@as(u64, 0x643542bb51639cb2), H.hash("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 0));
}

test "xxh3: streaming in random pieces equals one-shot, for both accumulators" {
    var prng = std.Random.DefaultPrng.init(0x57e4);
    const random = prng.random();
    const buffer = try std.testing.allocator.alloc(u8, 5000);
    defer std.testing.allocator.free(buffer);
    random.bytes(buffer);
    inline for (.{ xxh3.scalar, xxh3.vectorized }) |Acc| {
        const H = xxh3.Xxh3(Acc);
        for (0..400) |round| {
            const len = if (round < 300) round * 7 % 1300 else random.uintLessThan(usize, buffer.len + 1);
            const seed = random.int(u64);
            var state = xxh3.State.init(seed);
            var at: usize = 0;
            while (at < len) {
                const piece = @min(len - at, random.uintLessThan(usize, 300) + 1);
                H.update(&state, buffer[at..][0..piece]);
                at += piece;
                // A digest midway must not disturb the stream.
                if (random.boolean()) try std.testing.expectEqual(H.hash(buffer[0..at], seed), H.digest(&state));
            }
            try std.testing.expectEqual(H.hash(buffer[0..len], seed), H.digest(&state));
        }
    }
}

const utf8 = @import("utf8.zig");

/// The vector widths this test binary's CPU features can run.
/// Widths whose runtime byte lookups (simd.lookup16) this CPU can run.
const lookup_widths = blk: {
    const builtin = @import("builtin");
    if (builtin.cpu.arch == .aarch64) break :blk .{16};
    const has = std.Target.x86.featureSetHas;
    const features = builtin.cpu.features;
    if (has(features, .avx512bw)) break :blk .{ 16, 32, 64 };
    if (has(features, .avx2)) break :blk .{ 16, 32 };
    if (has(features, .ssse3)) break :blk .{16};
    break :blk .{};
};

/// Mostly valid text of 1- to 4-byte characters, with an error injected now and then.
fn fillText(random: std.Random, bytes: []u8) void {
    var index: usize = 0;
    while (index < bytes.len) {
        var sequence: [4]u8 = undefined;
        const code_point: u21 = switch (random.uintLessThan(u8, 4)) {
            0 => random.uintLessThan(u21, 0x80),
            1 => random.intRangeAtMost(u21, 0x80, 0x7FF),
            2 => random.intRangeAtMost(u21, 0xE000, 0xFFFF),
            else => random.intRangeAtMost(u21, 0x10000, 0x10FFFF),
        };
        const len = std.unicode.utf8Encode(code_point, &sequence) catch unreachable;
        const take = @min(len, bytes.len - index);
        @memcpy(bytes[index..][0..take], sequence[0..take]);
        index += take;
    }
    if (random.uintLessThan(u8, 3) == 0 and bytes.len > 0) {
        bytes[random.uintLessThan(usize, bytes.len)] = random.int(u8);
    }
}

test "utf8: every vector width equals the scalar reference, and std.unicode agrees on validity" {
    var prng = std.Random.DefaultPrng.init(0x0f8);
    const random = prng.random();
    var buffer: [600]u8 = undefined;
    for (0..4000) |round| {
        const len = round % 300 + random.uintLessThan(usize, 300);
        const data = buffer[0..len];
        fillText(random, data);
        const expected = utf8.scalar.errorIndex(data);
        try std.testing.expectEqual(expected == null, std.unicode.utf8ValidateSlice(data));
        if (expected) |at| try std.testing.expect(std.unicode.utf8ValidateSlice(data[0..at]));
        inline for (lookup_widths) |width| {
            const V = utf8.Vectorized(width);
            try std.testing.expectEqual(expected, V.errorIndex(data));
            try std.testing.expectEqual(utf8.scalar.countCodePoints(data), V.countCodePoints(data));
        }
    }
}

test "utf8: every one-, two- and three-byte input, and edge sequences at every block position" {
    var input: [3]u8 = undefined;
    for (0..256) |a| for (0..256) |b| {
        input = .{ @intCast(a), @intCast(b), 0 };
        const valid = std.unicode.utf8ValidateSlice(input[0..2]);
        try std.testing.expectEqual(valid, utf8.scalar.errorIndex(input[0..2]) == null);
    };
    const edges = [_][]const u8{
        "\xC0\x80",         "\xC1\xBF",         "\xE0\x80\x80",     "\xE0\x9F\xBF",     "\xED\xA0\x80", "\xED\xBF\xBF", "\xF0\x80\x80\x80",
        "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",             "\x80",         "\xBF",         "\xE2\x82",
        "\xF0\x9F\x98",     "\xC2",             "\xE2\x82\xAC",     "\xF0\x9F\x98\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xF4\x8F\xBF\xBF",
    };
    var buffer: [200]u8 = undefined;
    for (edges) |edge| {
        for (0..130) |at| {
            @memset(&buffer, 'a');
            const end = at + edge.len;
            @memcpy(buffer[at..end], edge);
            for ([_]usize{ end, end + 1, buffer.len }) |len| {
                const data = buffer[0..len];
                const expected = utf8.scalar.errorIndex(data);
                try std.testing.expectEqual(expected == null, std.unicode.utf8ValidateSlice(data));
                inline for (lookup_widths) |width| {
                    try std.testing.expectEqual(expected, utf8.Vectorized(width).errorIndex(data));
                }
            }
        }
    }
}

const hex = @import("hex.zig");
const base64 = @import("base64.zig");

test "hex: every width equals the scalar reference and std.fmt, and finds every bad digit" {
    var prng = std.Random.DefaultPrng.init(0x4e7);
    const random = prng.random();
    var bytes: [300]u8 = undefined;
    random.bytes(&bytes);
    var digits: [600]u8 = undefined;
    var expected: [600]u8 = undefined;
    var decoded: [300]u8 = undefined;
    inline for (.{ 16, 32, 64 }) |width| {
        const V = hex.Vectorized(width);
        for (0..300) |len| {
            const src = bytes[300 - len ..];
            hex.scalar.encode(expected[0 .. 2 * len], src);
            V.encode(digits[0 .. 2 * len], src);
            try std.testing.expectEqualSlices(u8, expected[0 .. 2 * len], digits[0 .. 2 * len]);
            const std_hex = std.fmt.bytesToHex(bytes, .lower);
            try std.testing.expectEqualSlices(u8, std_hex[2 * (300 - len) ..], digits[0 .. 2 * len]);
            // Upper case decodes too.
            for (digits[0 .. 2 * len], 0..) |*d, i| {
                if (i % 3 == 0) d.* = std.ascii.toUpper(d.*);
            }
            try std.testing.expectEqual(@as(?usize, null), V.decode(decoded[0..len], digits[0 .. 2 * len]));
            try std.testing.expectEqualSlices(u8, src, decoded[0..len]);
            if (len == 0) continue;
            const bad_at = random.uintLessThan(usize, 2 * len);
            const saved = digits[bad_at];
            for ([_]u8{ 'g', 'G', '/', ':', '@', '`', 0x80, 0xFF, ' ' }) |bad| {
                digits[bad_at] = bad;
                try std.testing.expectEqual(@as(?usize, bad_at), V.decode(decoded[0..len], digits[0 .. 2 * len]));
                try std.testing.expectEqual(@as(?usize, bad_at), hex.scalar.decode(decoded[0..len], digits[0 .. 2 * len]));
            }
            digits[bad_at] = saved;
        }
    }
}

fn base64Flags(url: bool, lenient: bool, padding: bool) base64.Flags {
    return .{ .url = url, .lenient = lenient, .padding = padding, .final = true };
}

test "base64: encode at every width equals the scalar reference and std.base64" {
    var prng = std.Random.DefaultPrng.init(0xb64);
    var bytes: [400]u8 = undefined;
    prng.random().bytes(&bytes);
    var out: [600]u8 = undefined;
    var std_out: [600]u8 = undefined;
    inline for (lookup_widths) |width| {
        const V = base64.Vectorized(width);
        for (0..400) |len| {
            const src = bytes[400 - len ..];
            inline for (.{ false, true }) |url| inline for (.{ false, true }) |padding| {
                const codec = if (url)
                    (if (padding) std.base64.url_safe else std.base64.url_safe_no_pad)
                else
                    (if (padding) std.base64.standard else std.base64.standard_no_pad);
                const n = base64.encodedLength(len, padding);
                try std.testing.expectEqual(codec.Encoder.calcSize(len), n);
                V.encode(out[0..n], src, url, padding);
                try std.testing.expectEqualStrings(codec.Encoder.encode(&std_out, src), out[0..n]);
            };
        }
    }
}

fn expectDecoded(expected: base64.Decoded, actual: base64.Decoded) !void {
    try std.testing.expectEqual(expected.failure, actual.failure);
    try std.testing.expectEqual(expected.offset, actual.offset);
    try std.testing.expectEqual(expected.written, actual.written);
}

test "base64: decode at every width equals the scalar reference, clean and damaged" {
    var prng = std.Random.DefaultPrng.init(0xdec0de);
    const random = prng.random();
    var bytes: [300]u8 = undefined;
    random.bytes(&bytes);
    var text: [500]u8 = undefined;
    var out_scalar: [300]u8 = undefined;
    var out_simd: [300]u8 = undefined;
    inline for (lookup_widths) |width| {
        const V = base64.Vectorized(width);
        for (0..300) |len| {
            inline for (.{ false, true }) |url| inline for (.{ false, true }) |padding| {
                const n = base64.encodedLength(len, padding);
                base64.scalar.encode(text[0..n], bytes[0..len], url, padding);
                for ([_]bool{ false, true }) |lenient| {
                    const flags = base64Flags(url, lenient, padding);
                    const clean = V.decode(&out_simd, text[0..n], flags);
                    try expectDecoded(.{ .written = len, .offset = n, .failure = .none }, clean);
                    try std.testing.expectEqualSlices(u8, bytes[0..len], out_simd[0..len]);
                    // A too-small output fails at the same place on both paths.
                    if (len > 0) {
                        const room = random.uintLessThan(usize, len);
                        try expectDecoded(
                            base64.scalar.decode(out_scalar[0..room], text[0..n], flags),
                            V.decode(out_simd[0..room], text[0..n], flags),
                        );
                    }
                    if (n == 0) continue;
                    const at = random.uintLessThan(usize, n);
                    const saved = text[at];
                    for ([_]u8{ '=', ' ', '\n', '+', '-', '_', '/', '*', 0x80, 'A' }) |bad| {
                        text[at] = bad;
                        try expectDecoded(
                            base64.scalar.decode(&out_scalar, text[0..n], flags),
                            V.decode(&out_simd, text[0..n], flags),
                        );
                    }
                    text[at] = saved;
                }
            };
        }
    }
}

test "base64: decoding edge cases, as Uint8Array.fromBase64" {
    const Case = struct { text: []const u8, lenient: bool, padding: bool, failure: base64.Failure, offset: usize, bytes: []const u8 = "" };
    const cases = [_]Case{
        .{ .text = "", .lenient = false, .padding = true, .failure = .none, .offset = 0 },
        .{ .text = "Zg==", .lenient = false, .padding = true, .failure = .none, .offset = 4, .bytes = "f" },
        .{ .text = "Zm8=", .lenient = false, .padding = true, .failure = .none, .offset = 4, .bytes = "fo" },
        .{ .text = "Zg", .lenient = false, .padding = true, .failure = .invalid_padding, .offset = 2 },
        .{ .text = "Zg", .lenient = false, .padding = false, .failure = .none, .offset = 2, .bytes = "f" },
        .{ .text = "Zg==", .lenient = false, .padding = false, .failure = .invalid_character, .offset = 2 },
        .{ .text = "Zh==", .lenient = false, .padding = true, .failure = .trailing_bits, .offset = 1 },
        .{ .text = "Zh==", .lenient = true, .padding = true, .failure = .none, .offset = 4, .bytes = "f" },
        .{ .text = "Zm9=", .lenient = false, .padding = true, .failure = .trailing_bits, .offset = 2 },
        .{ .text = "Z", .lenient = true, .padding = true, .failure = .incomplete_chunk, .offset = 0 },
        .{ .text = "Zm9vY", .lenient = false, .padding = false, .failure = .incomplete_chunk, .offset = 4 },
        .{ .text = "Zg=", .lenient = true, .padding = true, .failure = .invalid_padding, .offset = 3 },
        .{ .text = "Zg=a", .lenient = true, .padding = true, .failure = .invalid_padding, .offset = 3 },
        .{ .text = "Zg==Zg==", .lenient = true, .padding = true, .failure = .invalid_padding, .offset = 4 },
        .{ .text = "Z===", .lenient = true, .padding = true, .failure = .invalid_padding, .offset = 1 },
        .{ .text = "=", .lenient = true, .padding = true, .failure = .invalid_padding, .offset = 0 },
        .{ .text = " Z g = = \n", .lenient = true, .padding = true, .failure = .none, .offset = 10, .bytes = "f" },
        .{ .text = "Zm 9v", .lenient = false, .padding = true, .failure = .invalid_character, .offset = 2 },
        .{ .text = "Zm9v", .lenient = false, .padding = true, .failure = .none, .offset = 4, .bytes = "foo" },
        .{ .text = "Zm-_", .lenient = false, .padding = true, .failure = .invalid_character, .offset = 2 },
    };
    var out: [16]u8 = undefined;
    for (cases) |case| {
        const decoded = base64.scalar.decode(&out, case.text, base64Flags(false, case.lenient, case.padding));
        errdefer std.debug.print("case {s}\n", .{case.text});
        try std.testing.expectEqual(case.failure, decoded.failure);
        try std.testing.expectEqual(case.offset, decoded.offset);
        if (case.failure == .none) try std.testing.expectEqualSlices(u8, case.bytes, out[0..decoded.written]);
    }
}

const transpose = @import("transpose.zig");

test "transpose: gather then scatter round-trips every field shape, and agrees with readInt" {
    var prng = std.Random.DefaultPrng.init(0x7a5);
    const random = prng.random();
    var rows: [4096]u8 = undefined;
    var back: [4096]u8 = undefined;
    var column: [1024]u8 = undefined;
    for ([_]usize{ 1, 2, 3, 7, 8, 13, 16, 24, 32, 100 }) |record_size| {
        random.bytes(&rows);
        @memcpy(&back, &rows);
        inline for (.{ 1, 2, 4, 8 }) |size| {
            if (size <= record_size) for ([_]bool{ false, true }) |swap| {
                if (swap and size == 1) continue;
                const offset = random.uintLessThan(usize, record_size - size + 1);
                const count: usize = @min(1024 / size, 4096 / record_size);
                const field: transpose.Field = .{ .offset = offset, .size = size, .swap = swap };
                transpose.gather(column[0 .. count * size], &rows, record_size, field);
                const T = std.meta.Int(.unsigned, 8 * size);
                for (0..count) |i| {
                    const expected = std.mem.readInt(T, rows[i * record_size + offset ..][0..size], if (swap) .big else .little);
                    try std.testing.expectEqual(expected, std.mem.readInt(T, column[i * size ..][0..size], .little));
                }
                @memset(back[0 .. count * record_size], 0xAA);
                transpose.scatter(&back, column[0 .. count * size], record_size, field);
                for (0..count) |i| {
                    try std.testing.expectEqualSlices(u8, rows[i * record_size + offset ..][0..size], back[i * record_size + offset ..][0..size]);
                    if (offset > 0) try std.testing.expectEqual(@as(u8, 0xAA), back[i * record_size + offset - 1]);
                }
            };
        }
    }
}

test "transpose: the vectorized gather equals the scalar one at every width, record size, offset, count and tail" {
    var prng = std.Random.DefaultPrng.init(0x9a7e);
    const random = prng.random();
    var rows: [8192]u8 = undefined;
    random.bytes(&rows);
    var expected: [2048]u8 = undefined;
    var actual: [2048]u8 = undefined;
    inline for (.{ 16, 32, 64 }) |width| {
        const Vector = transpose.Vectorized(width);
        inline for (.{ 1, 2, 4, 8 }) |size| {
            for ([_]usize{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 16, 17, 24, 31, 32, 33, 48, 64, 65, 128, 129 }) |record_size| {
                if (size > record_size) continue;
                const last = record_size - size;
                // Every offset of small records; the edges and one inside for larger ones.
                for (0..last + 1) |offset| {
                    if (record_size > 17 and offset > 1 and offset != last and offset != last / 2) continue;
                    for ([_]bool{ false, true }) |swap| {
                        if (swap and size == 1) continue;
                        const field: transpose.Field = .{ .offset = offset, .size = size, .swap = swap };
                        const most = @min(2048 / size, (8192 - offset - size) / record_size + 1);
                        // Whole vector blocks, a block and a tail, and rows that end right after the last field.
                        for ([_]usize{ 0, 1, most / 3, most - 1, most }) |count| {
                            const used = if (count == 0) 0 else (count - 1) * record_size + offset + size;
                            for ([_]usize{ used, @min(8192, used + record_size) }) |rows_len| {
                                @memset(&expected, 0xEE);
                                @memset(&actual, 0xEE);
                                transpose.scalar.gather(expected[0 .. count * size], rows[0..rows_len], record_size, field);
                                Vector.gather(actual[0 .. count * size], rows[0..rows_len], record_size, field);
                                errdefer std.debug.print("width {d} size {d} record {d} offset {d} swap {} count {d} rows {d}\n", .{ width, size, record_size, offset, swap, count, rows_len });
                                try std.testing.expectEqualSlices(u8, &expected, &actual);
                            }
                        }
                    }
                }
            }
        }
    }
}

const intcode = @import("intcode.zig");

test "intcode: delta and zigzag at every width equal the scalar reference, in place too, and invert" {
    var prng = std.Random.DefaultPrng.init(0x1c0de);
    const random = prng.random();
    inline for (.{ u32, u64 }) |T| {
        var values: [300]T = undefined;
        for (&values) |*v| v.* = if (random.boolean()) random.int(T) else random.uintLessThan(T, 100);
        var expected: [300]T = undefined;
        var actual: [300]T = undefined;
        inline for (.{ 16, 32, 64 }) |width| {
            const V = intcode.Vectorized(width);
            for (0..300) |len| {
                const seed = random.int(T);
                const src = values[300 - len ..];
                intcode.scalar.deltaEncode(T, expected[0..len], src, seed);
                V.deltaEncode(T, actual[0..len], src, seed);
                try std.testing.expectEqualSlices(T, expected[0..len], actual[0..len]);
                V.deltaDecode(T, actual[0..len], actual[0..len], seed);
                try std.testing.expectEqualSlices(T, src, actual[0..len]);
                intcode.scalar.zigzagEncode(T, expected[0..len], src);
                @memcpy(actual[0..len], src);
                V.zigzagEncode(T, actual[0..len], actual[0..len]);
                try std.testing.expectEqualSlices(T, expected[0..len], actual[0..len]);
                V.zigzagDecode(T, actual[0..len], actual[0..len]);
                try std.testing.expectEqualSlices(T, src, actual[0..len]);
            }
        }
    }
}

test "intcode: zigzag maps 0, -1, 1, -2 to 0, 1, 2, 3 and the extremes to the top" {
    const S = i32;
    const input = [_]S{ 0, -1, 1, -2, std.math.maxInt(S), std.math.minInt(S) };
    var values: [6]u32 = undefined;
    for (input, &values) |v, *out| out.* = @bitCast(v);
    intcode.scalar.zigzagEncode(u32, &values, &values);
    try std.testing.expectEqualSlices(u32, &.{ 0, 1, 2, 3, 0xFFFF_FFFE, 0xFFFF_FFFF }, &values);
}

test "intcode: varints at every width equal the scalar reference and std.leb" {
    var prng = std.Random.DefaultPrng.init(0x1eb);
    const random = prng.random();
    inline for (.{ u32, u64 }) |T| {
        var values: [400]T = undefined;
        for (&values, 0..) |*v, i| v.* = if (i % 5 == 0) random.int(T) >> random.uintLessThan(std.math.Log2Int(T), @bitSizeOf(T) - 1) else random.uintLessThan(T, 128);
        var bytes: [4000]u8 = undefined;
        var expected: [4000]u8 = undefined;
        var decoded: [400]T = undefined;
        inline for (.{ 16, 32, 64 }) |width| {
            const V = intcode.VarintVectorized(width);
            for (0..400) |count| {
                const src = values[400 - count ..];
                const total = intcode.varintTotalLength(T, src);
                intcode.varint_scalar.encode(T, expected[0..total], src);
                var stream = std.io.fixedBufferStream(expected[0..total]);
                for (src) |v| try std.testing.expectEqual(v, try std.leb.readUleb128(T, stream.reader()));
                V.encode(T, bytes[0..total], src);
                try std.testing.expectEqualSlices(u8, expected[0..total], bytes[0..total]);
                const result = V.decode(T, &decoded, bytes[0..total]);
                try std.testing.expectEqual(intcode.VarintFailure.none, result.failure);
                try std.testing.expectEqual(count, result.written);
                try std.testing.expectEqual(total, result.read);
                try std.testing.expectEqualSlices(T, src, decoded[0..count]);
                if (total == 0) continue;
                // Cut anywhere: the same truncation at the same value on both paths.
                const cut = random.uintLessThan(usize, total);
                const a = V.decode(T, &decoded, bytes[0..cut]);
                const b = intcode.varint_scalar.decode(T, &decoded, bytes[0..cut]);
                try std.testing.expectEqual(b.failure, a.failure);
                try std.testing.expectEqual(b.read, a.read);
                try std.testing.expectEqual(b.written, a.written);
            }
        }
    }
}

test "intcode: over-long and too-large varints are refused where they start" {
    var out: [4]u64 = undefined;
    const eleven = [_]u8{ 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    const bad64 = intcode.varint_scalar.decode(u64, &out, &eleven);
    try std.testing.expectEqual(intcode.VarintFailure.overflow, bad64.failure);
    try std.testing.expectEqual(@as(usize, 1), bad64.read);
    const max64 = [_]u8{ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
    const ok64 = intcode.varint_scalar.decode(u64, &out, &max64);
    try std.testing.expectEqual(@as(u64, std.math.maxInt(u64)), out[0]);
    try std.testing.expectEqual(intcode.VarintFailure.none, ok64.failure);
    var out32: [2]u32 = undefined;
    const too_big32 = [_]u8{ 0xFF, 0xFF, 0xFF, 0xFF, 0x10 };
    try std.testing.expectEqual(intcode.VarintFailure.overflow, intcode.varint_scalar.decode(u32, &out32, &too_big32).failure);
    const truncated = [_]u8{ 5, 0x80 };
    const cut = intcode.varint_scalar.decode(u32, &out32, &truncated);
    try std.testing.expectEqual(intcode.VarintFailure.truncated, cut.failure);
    try std.testing.expectEqual(@as(usize, 1), cut.read);
    try std.testing.expectEqual(@as(usize, 1), cut.written);
}

const reduce = @import("reduce.zig");

test "reduce: min, max and sums at every width equal the scalar reference, for every element type" {
    var prng = std.Random.DefaultPrng.init(0x5a3);
    const random = prng.random();
    var raw: [2400]u8 align(8) = undefined;
    inline for (comptime std.meta.tags(reduce.ElementType)) |element| {
        const T = reduce.Native(element);
        const values: []T = @as([*]T, @ptrCast(&raw))[0 .. raw.len / @sizeOf(T)];
        inline for (.{ 16, 32, 64 }) |width| {
            const V = reduce.Vectorized(width);
            for (0..200) |round| {
                random.bytes(&raw);
                if (comptime @typeInfo(T) == .float) {
                    for (values) |*v| v.* = switch (random.uintLessThan(u8, 8)) {
                        0 => -0.0,
                        1 => 0.0,
                        2 => if (round % 7 == 0) std.math.nan(T) else 1.5,
                        3 => std.math.inf(T),
                        4 => -std.math.inf(T),
                        else => @as(T, @floatFromInt(random.int(i32))) / 1024.0,
                    };
                }
                const len = 1 + random.uintLessThan(usize, @min(values.len, 300));
                const data = values[values.len - len ..];
                const a = reduce.scalar.minMax(T, data);
                const b = V.minMax(T, data);
                try std.testing.expectEqual(std.mem.toBytes(a.min), std.mem.toBytes(b.min));
                try std.testing.expectEqual(std.mem.toBytes(a.max), std.mem.toBytes(b.max));
                if (comptime @typeInfo(T) == .float) {
                    const x = reduce.scalar.sumFloat(T, data);
                    const y = V.sumFloat(T, data);
                    try std.testing.expectEqual(@as(u64, @bitCast(x)), @as(u64, @bitCast(y)));
                } else {
                    try std.testing.expectEqual(reduce.scalar.sumInt(T, data), V.sumInt(T, data));
                }
            }
        }
    }
}

test "reduce: -0 sits below +0, NaN wins, and 64-bit sums are exact past 2^64" {
    const zeros = [_]f64{ 0.0, -0.0, 0.0 };
    const zero_range = reduce.Vectorized(64).minMax(f64, &zeros);
    try std.testing.expect(std.math.signbit(zero_range.min) and !std.math.signbit(zero_range.max));
    const huge = [_]u64{std.math.maxInt(u64)} ** 40;
    try std.testing.expectEqual(@as(i128, std.math.maxInt(u64)) * 40, reduce.Vectorized(64).sumInt(u64, &huge));
    const low = [_]i64{std.math.minInt(i64)} ** 40;
    try std.testing.expectEqual(@as(i128, std.math.minInt(i64)) * 40, reduce.Vectorized(32).sumInt(i64, &low));
    const negative_zeros = [_]f32{-0.0} ** 20;
    try std.testing.expect(std.math.signbit(reduce.Vectorized(16).sumFloat(f32, &negative_zeros)));
}

const alloc = @import("alloc.zig");
const mmap = @import("mmap.zig");
const abi = @import("abi.zig");
const zig_builtin = @import("builtin");

extern "c" fn mkfifo(path: [*:0]const u8, mode: c_uint) c_int;

test "alloc: large zeroed memory is fresh zero pages, aligned, freed once; too much: out_of_memory" {
    // The allocator is libc's: run with -lc (the library always links it).
    if (comptime !zig_builtin.link_libc) return error.SkipZigTest;
    const size: u64 = alloc.zero_pages_min * 4;
    var out: abi.AllocResult = undefined;
    try std.testing.expectEqual(.ok, alloc.alloc(.buffer, size, 4096, true, &out));
    const memory: [*]u8 = @ptrFromInt(@as(usize, @intCast(out.address)));
    try std.testing.expectEqual(@as(u64, 0), out.address % 4096);
    for (memory[0..@intCast(size)]) |byte| try std.testing.expectEqual(@as(u8, 0), byte);
    @memset(memory[0..@intCast(size)], 0xab);
    try std.testing.expectEqual(.ok, alloc.free(out.handle, .buffer, size));
    try std.testing.expectEqual(.invalid_handle, alloc.free(out.handle, .buffer, size));
    // 1 TiB: refused by the system (out_of_memory) or reserved without being committed,
    // never memset.
    const huge: u64 = 1 << 40;
    const status = alloc.alloc(.buffer, huge, 64, true, &out);
    if (status == .ok) {
        try std.testing.expectEqual(.ok, alloc.free(out.handle, .buffer, huge));
    } else {
        try std.testing.expectEqual(.out_of_memory, status);
    }
    // Below the threshold, malloc and memset still zero.
    try std.testing.expectEqual(.ok, alloc.alloc(.buffer, 1000, 64, true, &out));
    const small: [*]u8 = @ptrFromInt(@as(usize, @intCast(out.address)));
    for (small[0..1000]) |byte| try std.testing.expectEqual(@as(u8, 0), byte);
    try std.testing.expectEqual(.ok, alloc.free(out.handle, .buffer, 1000));
}

test "mmap: a FIFO is refused as not a regular file at once, never waited on" {
    if (comptime !zig_builtin.link_libc or !mmap.supported) return error.SkipZigTest;
    var name_buffer: [64]u8 = undefined;
    const pid = std.c.getpid();
    const name = try std.fmt.bufPrintZ(&name_buffer, "/tmp/binlane-fifo-{d}", .{pid});
    _ = std.c.unlink(name);
    try std.testing.expectEqual(@as(c_int, 0), mkfifo(name, 0o600));
    defer _ = std.c.unlink(name);
    var out: abi.AllocResult = undefined;
    // Without O_NONBLOCK the reader's open(2) would wait here for a writer that never comes.
    try std.testing.expectEqual(.not_regular_file, mmap.open(name, 0, mmap.whole_file, &out));
    try std.testing.expectEqual(.not_regular_file, mmap.open(name, mmap.Flags.readwrite, 16, &out));
}
