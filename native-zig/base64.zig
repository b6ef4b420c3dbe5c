//! Base64 (RFC 4648, the standard and the URL-safe alphabet).
//!
//! Decoding follows `Uint8Array.fromBase64` (TC39) exactly: lenient mode is
//! its `lastChunkHandling: "loose"`, and strict mode is its `"strict"`
//! without the whitespace skipping (a space is a bad character), with
//! padding either required or forbidden. The state machine below is the
//! reference; the SIMD versions only decode runs of whole, clean quads and
//! hand everything else (whitespace, padding, errors) back to it.
//!
//! SIMD encoding and decoding work on 16-byte lanes, so every byte shuffle
//! stays within a lane (PSHUFB, VPSHUFB, TBL); the only cross-lane step is a
//! dword permute that packs decoded lanes together.

const std = @import("std");
const simd = @import("simd.zig");
const assert = std.debug.assert;

/// What the boundary passes as a u32 of flags.
pub const Flags = packed struct(u32) {
    /// The URL-safe alphabet (`-` and `_`) instead of `+` and `/`.
    url: bool,
    /// Skip ASCII whitespace, accept missing padding and ignore non-zero
    /// trailing bits (TC39 "loose"); otherwise strict.
    lenient: bool,
    /// Strict mode: the final partial quad must be padded with `=` (else
    /// it must not be). Encoding: write padding.
    padding: bool,
    /// False for a piece of a longer strict input that is not its end:
    /// padding there is an error.
    final: bool,
    unused: u28 = 0,
};

/// Why a decode stopped; the boundary maps these to statuses.
pub const Failure = enum(u32) {
    none = 0,
    invalid_character,
    invalid_padding,
    trailing_bits,
    incomplete_chunk,
    no_room,
};

/// A decode's outcome: bytes written, or a failure at a byte offset.
pub const Decoded = extern struct {
    written: usize,
    offset: usize,
    failure: Failure,
};

const standard_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const url_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn alphabet(url: bool) *const [64]u8 {
    return if (url) url_chars else standard_chars;
}

const not_base64: u8 = 0xFF;
const whitespace: u8 = 0xFE;

fn decodeTable(comptime chars: *const [64]u8) [256]u8 {
    var table = [_]u8{not_base64} ** 256;
    for (chars, 0..) |c, v| table[c] = v;
    // TC39's ASCII whitespace: tab, line feed, form feed, carriage return, space.
    for ("\t\n\x0C\r ") |c| table[c] = whitespace;
    return table;
}

const standard_table = decodeTable(standard_chars);
const url_table = decodeTable(url_chars);

/// Characters `n` bytes encode to.
pub fn encodedLength(n: usize, padding: bool) usize {
    if (padding) return (n + 2) / 3 * 4;
    return n / 3 * 4 + (n % 3 * 4 + 2) / 3;
}

/// Encodes whole 3-byte groups and the tail. `dst` holds exactly
/// `encodedLength(src.len, padding)` bytes.
pub fn encodeScalar(dst: []u8, src: []const u8, url: bool, padding: bool) void {
    assert(dst.len == encodedLength(src.len, padding));
    const chars = alphabet(url);
    const whole = src.len / 3;
    for (0..whole) |group| {
        const triple = src[3 * group ..][0..3];
        const bits = @as(u24, triple[0]) << 16 | @as(u24, triple[1]) << 8 | triple[2];
        inline for (0..4) |k| dst[4 * group + k] = chars[@as(u6, @truncate(bits >> (18 - 6 * k)))];
    }
    const tail = src[3 * whole ..];
    const out = dst[4 * whole ..];
    switch (tail.len) {
        0 => {},
        1 => {
            out[0] = chars[tail[0] >> 2];
            out[1] = chars[@as(u6, @truncate(tail[0] << 4))];
            if (padding) @memcpy(out[2..4], "==");
        },
        2 => {
            out[0] = chars[tail[0] >> 2];
            out[1] = chars[@as(u6, @truncate(tail[0] << 4 | tail[1] >> 4))];
            out[2] = chars[@as(u6, @truncate(tail[1] << 2))];
            if (padding) out[3] = '=';
        },
        else => unreachable,
    }
}

/// Decodes whole quads of alphabet characters from the start of `src`
/// while they are clean and `dst` has room; returns the characters used.
pub fn decodeQuadsScalar(dst: []u8, src: []const u8, url: bool) usize {
    const table = if (url) &url_table else &standard_table;
    const quads = @min(src.len / 4, dst.len / 3);
    for (0..quads) |quad| {
        const chars = src[4 * quad ..][0..4];
        const a = table[chars[0]];
        const b = table[chars[1]];
        const c = table[chars[2]];
        const d = table[chars[3]];
        if ((a | b | c | d) >= 64) return 4 * quad;
        const bits = @as(u24, a) << 18 | @as(u24, b) << 12 | @as(u24, c) << 6 | d;
        dst[3 * quad ..][0..3].* = .{ @truncate(bits >> 16), @truncate(bits >> 8), @truncate(bits) };
    }
    return 4 * quads;
}

/// The reference decoder, with `decodeQuads` (scalar or SIMD) for runs of
/// clean quads.
pub fn Decoder(comptime decodeQuads: fn ([]u8, []const u8, bool) usize) type {
    return struct {
        dst: []u8,
        src: []const u8,
        flags: Flags,
        table: *const [256]u8,
        index: usize = 0,
        written: usize = 0,
        /// Values of the quad being gathered, and where its last one was.
        chunk: [4]u8 = undefined,
        chunk_len: u8 = 0,
        chunk_last: usize = 0,

        const Self = @This();

        pub fn decode(dst: []u8, src: []const u8, flags: Flags) Decoded {
            var decoder: Self = .{
                .dst = dst,
                .src = src,
                .flags = flags,
                .table = if (flags.url) &url_table else &standard_table,
            };
            return decoder.run();
        }

        fn fail(self: *const Self, failure: Failure, offset: usize) Decoded {
            assert(failure != .none and offset <= self.src.len);
            return .{ .written = self.written, .offset = offset, .failure = failure };
        }

        fn done(self: *const Self) Decoded {
            return .{ .written = self.written, .offset = self.src.len, .failure = .none };
        }

        fn run(self: *Self) Decoded {
            // Each pass consumes at least one character.
            while (self.index < self.src.len) {
                if (self.chunk_len == 0) {
                    const used = decodeQuads(self.dst[self.written..], self.src[self.index..], self.flags.url);
                    assert(used % 4 == 0);
                    self.index += used;
                    self.written += used / 4 * 3;
                    if (self.index == self.src.len) break;
                }
                const c = self.src[self.index];
                const value = self.table[c];
                if (value < 64) {
                    if (self.take(value)) |failure| return failure;
                } else if (value == whitespace and self.flags.lenient) {
                    self.index += 1;
                } else if (c == '=' and (self.flags.lenient or self.flags.padding)) {
                    return self.padded();
                } else {
                    return self.fail(.invalid_character, self.index);
                }
            }
            return self.end();
        }

        fn take(self: *Self, value: u8) ?Decoded {
            assert(self.chunk_len < 4);
            self.chunk[self.chunk_len] = value;
            self.chunk_len += 1;
            self.chunk_last = self.index;
            self.index += 1;
            if (self.chunk_len < 4) return null;
            if (self.dst.len - self.written < 3) return self.fail(.no_room, self.index - 4);
            const v = self.chunk;
            const bits = @as(u24, v[0]) << 18 | @as(u24, v[1]) << 12 | @as(u24, v[2]) << 6 | v[3];
            self.dst[self.written..][0..3].* = .{ @truncate(bits >> 16), @truncate(bits >> 8), @truncate(bits) };
            self.written += 3;
            self.chunk_len = 0;
            return null;
        }

        fn skipWhitespace(self: *const Self, from: usize) usize {
            var index = from;
            if (!self.flags.lenient) return index;
            while (index < self.src.len and self.table[self.src[index]] == whitespace) index += 1;
            return index;
        }

        /// At a `=`: the quad ends here, and so must the input.
        fn padded(self: *Self) Decoded {
            const at = self.index;
            if (!self.flags.final or self.chunk_len < 2) return self.fail(.invalid_padding, at);
            var index = self.skipWhitespace(at + 1);
            if (self.chunk_len == 2) {
                if (index == self.src.len) return self.fail(.invalid_padding, index);
                if (self.src[index] != '=') return self.fail(.invalid_padding, index);
                index = self.skipWhitespace(index + 1);
            }
            if (index < self.src.len) return self.fail(.invalid_padding, index);
            self.index = index;
            return self.partial(!self.flags.lenient);
        }

        fn end(self: *Self) Decoded {
            assert(self.index == self.src.len);
            if (self.chunk_len == 0) return self.done();
            assert(self.flags.final or self.flags.lenient);
            if (self.chunk_len == 1) return self.fail(.incomplete_chunk, self.chunk_last);
            if (self.flags.lenient) return self.partial(false);
            if (self.flags.padding) return self.fail(.invalid_padding, self.src.len);
            return self.partial(true);
        }

        /// Decodes a final quad of 2 or 3 values.
        fn partial(self: *Self, strict_bits: bool) Decoded {
            assert(self.chunk_len == 2 or self.chunk_len == 3);
            const v = self.chunk;
            const bytes = self.chunk_len - 1;
            const extra = if (self.chunk_len == 2) v[1] & 0x0F else v[2] & 0x03;
            if (strict_bits and extra != 0) return self.fail(.trailing_bits, self.chunk_last);
            if (self.dst.len - self.written < bytes) return self.fail(.no_room, self.chunk_last + 1 - self.chunk_len);
            self.dst[self.written] = v[0] << 2 | v[1] >> 4;
            if (bytes == 2) self.dst[self.written + 1] = v[1] << 4 | v[2] >> 2;
            self.written += bytes;
            self.chunk_len = 0;
            return self.done();
        }
    };
}

/// The scalar reference every SIMD kernel is tested against.
pub const scalar = struct {
    pub fn encode(dst: []u8, src: []const u8, url: bool, padding: bool) void {
        encodeScalar(dst, src, url, padding);
    }

    pub fn decode(dst: []u8, src: []const u8, flags: Flags) Decoded {
        return Decoder(decodeQuadsScalar).decode(dst, src, flags);
    }
};

/// Tables for validating a character by its two nibbles with two lookups
/// (Keiser and Lemire's scheme): each high nibble gets one bit per distinct
/// set of low nibbles it allows, and `low[l]` holds the bits of the sets
/// that do not allow `l`. A character is in `chars` when
/// `low[c & 15] & high[c >> 4]` is 0.
const NibbleClasses = struct { high: [16]u8, low: [16]u8 };

fn nibbleClasses(comptime chars: *const [64]u8) NibbleClasses {
    var allowed = [_]u16{0} ** 16;
    for (chars) |c| allowed[c >> 4] |= @as(u16, 1) << @as(u4, @truncate(c));
    var sets: [8]u16 = undefined;
    var count: usize = 0;
    var classes: NibbleClasses = .{ .high = undefined, .low = [_]u8{0} ** 16 };
    for (allowed, 0..) |set, high| {
        const class = for (sets[0..count], 0..) |known, j| {
            if (known == set) break j;
        } else blk: {
            sets[count] = set;
            count += 1;
            break :blk count - 1;
        };
        classes.high[high] = @as(u8, 1) << @intCast(class);
    }
    for (0..16) |low| {
        for (sets[0..count], 0..) |set, j| {
            if (set >> low & 1 == 0) classes.low[low] |= @as(u8, 1) << @intCast(j);
        }
    }
    return classes;
}

/// Per high nibble, what to add to a character to get its value; the
/// character for 63 is fixed up on its own.
fn valueOffsets(comptime chars: *const [64]u8) [16]u8 {
    var offsets = [_]u8{0} ** 16;
    for (chars[0..63], 0..) |c, value| {
        const offset: u8 = @as(u8, @intCast(value)) -% c;
        // Characters sharing a high nibble must share an offset.
        if (offsets[c >> 4] != 0) assert(offsets[c >> 4] == offset);
        offsets[c >> 4] = offset;
    }
    return offsets;
}

pub fn Vectorized(comptime width: usize) type {
    comptime assert(width == 16 or width == 32 or width == 64);
    return struct {
        const Bytes = @Vector(width, u8);
        const Words = @Vector(width / 2, u16);
        const Dwords = @Vector(width / 4, u32);
        const lanes = width / 16;

        fn splat(value: u8) Bytes {
            return @splat(value);
        }

        fn pairSplat(comptime T: type, comptime n: usize, low: T, high: T) @Vector(n, T) {
            var pattern: [n]T = undefined;
            for (0..n) |i| pattern[i] = if (i % 2 == 0) low else high;
            return pattern;
        }

        /// Lane l takes input dwords 3l..3l+3: the 12 bytes it encodes, then 4 unused.
        const spread_dwords: @Vector(width / 4, i32) = blk: {
            var mask: [width / 4]i32 = undefined;
            for (0..width / 4) |i| mask[i] = @intCast(3 * (i / 4) + i % 4);
            break :blk mask;
        };

        /// Per 4-byte group of each lane, the bytes b1 b0 b2 b1 of its
        /// 3-byte group, which the multiplies below cut into four 6-bit
        /// indices (Muła and Lemire, "Faster Base64 Encoding and Decoding
        /// using AVX2 Instructions", 2018).
        const spread_bytes: @Vector(width, i32) = blk: {
            const order = [4]usize{ 1, 0, 2, 1 };
            var mask: [width]i32 = undefined;
            for (0..width) |i| mask[i] = @intCast(16 * (i / 16) + 3 * (i % 16 / 4) + order[i % 4]);
            break :blk mask;
        };

        fn indicesOf(input: *const [width]u8) Bytes {
            const dwords: Dwords = @bitCast(input.*);
            const block: Bytes = @bitCast(@shuffle(u32, dwords, undefined, spread_dwords));
            const spread: Dwords = @bitCast(@shuffle(u8, block, undefined, spread_bytes));
            const words_a: Words = @bitCast(spread & @as(Dwords, @splat(0x0FC0_FC00)));
            const words_b: Words = @bitCast(spread & @as(Dwords, @splat(0x003F_03F0)));
            const high = simd.mulHigh16(width / 2, words_a, comptime pairSplat(u16, width / 2, 0x0040, 0x0400));
            const low = words_b *% comptime pairSplat(u16, width / 2, 0x0010, 0x0100);
            return @bitCast(high | low);
        }

        /// What to add to an index, by `index -| 51`, or 13 below 26.
        fn charOffsets(comptime url: bool) [16]u8 {
            const chars = alphabet(url);
            var offsets = [_]u8{0} ** 16;
            offsets[0] = 'a' - 26;
            for (1..11) |i| offsets[i] = @as(u8, '0') -% 52;
            offsets[11] = chars[62] -% 62;
            offsets[12] = chars[63] -% 63;
            offsets[13] = 'A';
            return offsets;
        }

        fn charsOf(comptime url: bool, indices: Bytes) Bytes {
            const reduced = @select(u8, indices < splat(26), splat(13), indices -| splat(51));
            return indices +% simd.lookup16(width, comptime charOffsets(url), reduced);
        }

        fn encodeWith(comptime url: bool, dst: []u8, src: []const u8, padding: bool) void {
            var index: usize = 0;
            // Each step loads a whole vector and encodes 3/4 of it.
            while (index + width <= src.len) : (index += 12 * lanes) {
                dst[index / 3 * 4 ..][0..width].* = charsOf(url, indicesOf(src[index..][0..width]));
            }
            encodeScalar(dst[index / 3 * 4 ..], src[index..], url, padding);
        }

        /// Encodes as `encodeScalar`.
        pub fn encode(dst: []u8, src: []const u8, url: bool, padding: bool) void {
            assert(dst.len == encodedLength(src.len, padding));
            if (!little_endian) return encodeScalar(dst, src, url, padding);
            if (url) encodeWith(true, dst, src, padding) else encodeWith(false, dst, src, padding);
        }

        /// Values of the characters of one vector, or null if one is not
        /// in the alphabet.
        fn valuesOf(comptime url: bool, chars: Bytes) ?Bytes {
            const classes = comptime nibbleClasses(alphabet(url));
            const high = chars >> @splat(4);
            const low = chars & splat(0x0F);
            const clash = simd.lookup16(width, classes.low, low) & simd.lookup16(width, classes.high, high);
            if (@reduce(.Or, clash) != 0) return null;
            const values = chars +% simd.lookup16(width, comptime valueOffsets(alphabet(url)), high);
            return @select(u8, chars == splat(alphabet(url)[63]), splat(63), values);
        }

        /// Per lane, the three output bytes of each 4-byte group, packed
        /// to the lane's start.
        const gather_mask: @Vector(width, i32) = blk: {
            var mask: [width]i32 = undefined;
            for (0..width) |i| {
                const at = i % 16;
                mask[i] = @intCast(16 * (i / 16) + if (at < 12) 4 * (at / 3) + 2 - at % 3 else 0);
            }
            break :blk mask;
        };

        const compact_mask: @Vector(3 * lanes, i32) = blk: {
            var mask: [3 * lanes]i32 = undefined;
            for (0..3 * lanes) |i| mask[i] = @intCast(4 * (i / 3) + i % 3);
            break :blk mask;
        };

        fn bytesOf(values: Bytes) [3 * width / 4]u8 {
            // v0 v1 v2 v3 to the 24-bit v0v1v2v3 per dword, low byte first.
            const pairs = simd.pairSums8(width, values, comptime pairSplat(u8, width, 0x40, 0x01));
            const groups = simd.pairSums16(width / 2, pairs, comptime pairSplat(u16, width / 2, 0x1000, 0x0001));
            const gathered: Dwords = @bitCast(@shuffle(u8, @as(Bytes, @bitCast(groups)), undefined, gather_mask));
            return @bitCast(@shuffle(u32, gathered, undefined, compact_mask));
        }

        fn decodeQuadsWith(comptime url: bool, dst: []u8, src: []const u8) usize {
            var index: usize = 0;
            var written: usize = 0;
            while (index + width <= src.len and written + 3 * width / 4 <= dst.len) {
                const values = valuesOf(url, src[index..][0..width].*) orelse break;
                dst[written..][0 .. 3 * width / 4].* = bytesOf(values);
                index += width;
                written += 3 * width / 4;
            }
            return index + decodeQuadsScalar(dst[written..], src[index..], url);
        }

        /// Decodes whole clean quads, as `decodeQuadsScalar`.
        pub fn decodeQuads(dst: []u8, src: []const u8, url: bool) usize {
            if (!little_endian) return decodeQuadsScalar(dst, src, url);
            return if (url) decodeQuadsWith(true, dst, src) else decodeQuadsWith(false, dst, src);
        }

        pub fn decode(dst: []u8, src: []const u8, flags: Flags) Decoded {
            return Decoder(decodeQuads).decode(dst, src, flags);
        }
    };
}

/// The lane arithmetic above assumes little-endian byte order in words.
const little_endian = @import("builtin").cpu.arch.endian() == .little;
