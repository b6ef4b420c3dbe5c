//! UTF-8 validation (Unicode Table 3-7: no overlongs, no surrogates, nothing
//! above U+10FFFF, no truncated sequences, no stray continuation bytes) and
//! code point counting. A scalar reference, and the lookup algorithm of
//! Keiser and Lemire ("Validating UTF-8 in less than one instruction per
//! byte", 2021) generic over the vector width, with an all-ASCII test per
//! block. Its three 16-entry table lookups need a runtime byte shuffle,
//! which Zig's comptime-masked @shuffle cannot express: PSHUFB, VPSHUFB or
//! TBL through inline assembly.
//!
//! The SIMD validator only answers "is there an error in this block"; the
//! exact offset comes from the scalar reference, restarted at the start of
//! the sequence the failing block may continue.

const std = @import("std");
const simd = @import("simd.zig");
const assert = std.debug.assert;

fn isContinuation(byte: u8) bool {
    return byte & 0xC0 == 0x80;
}

/// The scalar reference every SIMD path is tested against.
pub const scalar = struct {
    /// Offset of the first byte of the first invalid sequence, or null.
    pub fn errorIndex(data: []const u8) ?usize {
        var index: usize = 0;
        while (index < data.len) {
            // Eight ASCII bytes at a time: most text is mostly ASCII.
            if (index + 8 <= data.len and std.mem.readInt(u64, data[index..][0..8], .little) & 0x8080_8080_8080_8080 == 0) {
                index += 8;
                continue;
            }
            const lead = data[index];
            if (lead < 0x80) {
                index += 1;
                continue;
            }
            index += sequenceLength(data[index..]) orelse return index;
        }
        return null;
    }

    /// The length of the valid sequence `bytes` starts with, or null.
    fn sequenceLength(bytes: []const u8) ?usize {
        assert(bytes.len > 0 and bytes[0] >= 0x80);
        const lead = bytes[0];
        // The second byte's range depends on the lead (overlongs, surrogates, > U+10FFFF).
        const length: usize, const low: u8, const high: u8 = switch (lead) {
            0xC2...0xDF => .{ 2, 0x80, 0xBF },
            0xE0 => .{ 3, 0xA0, 0xBF },
            0xE1...0xEC, 0xEE...0xEF => .{ 3, 0x80, 0xBF },
            0xED => .{ 3, 0x80, 0x9F },
            0xF0 => .{ 4, 0x90, 0xBF },
            0xF1...0xF3 => .{ 4, 0x80, 0xBF },
            0xF4 => .{ 4, 0x80, 0x8F },
            else => return null,
        };
        if (bytes.len < length) return null;
        if (bytes[1] < low or bytes[1] > high) return null;
        for (bytes[2..length]) |byte| {
            if (!isContinuation(byte)) return null;
        }
        return length;
    }

    /// Code points in valid UTF-8: the bytes that are not continuations.
    pub fn countCodePoints(data: []const u8) usize {
        var count: usize = 0;
        for (data) |byte| count += @intFromBool(!isContinuation(byte));
        return count;
    }
};

// Error bits of the lookup tables (Keiser and Lemire, table 8).
const too_short: u8 = 1 << 0;
const too_long: u8 = 1 << 1;
const overlong_3: u8 = 1 << 2;
const too_large: u8 = 1 << 3;
const surrogate: u8 = 1 << 4;
const overlong_2: u8 = 1 << 5;
const too_large_1000: u8 = 1 << 6;
const overlong_4: u8 = 1 << 6;
const two_conts: u8 = 1 << 7;
const carry: u8 = too_short | too_long | two_conts;

/// Indexed by the high nibble of the previous byte.
const byte_1_high = [16]u8{
    too_long,               too_long,  too_long,                           too_long,
    too_long,               too_long,  too_long,                           too_long,
    two_conts,              two_conts, two_conts,                          two_conts,
    too_short | overlong_2, too_short, too_short | overlong_3 | surrogate, too_short | too_large | too_large_1000 | overlong_4,
};

/// Indexed by the low nibble of the previous byte.
const byte_1_low = [16]u8{
    carry | overlong_3 | overlong_2 | overlong_4,
    carry | overlong_2,
    carry,
    carry,
    carry | too_large,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000 | surrogate,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
};

/// Indexed by the high nibble of the current byte.
const byte_2_high = [16]u8{
    too_short,                                                                    too_short,                                                  too_short,                                                 too_short,
    too_short,                                                                    too_short,                                                  too_short,                                                 too_short,
    too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4, too_long | overlong_2 | two_conts | overlong_3 | too_large, too_long | overlong_2 | two_conts | surrogate | too_large, too_long | overlong_2 | two_conts | surrogate | too_large,
    too_short,                                                                    too_short,                                                  too_short,                                                 too_short,
};

pub fn Vectorized(comptime width: usize) type {
    comptime assert(width == 16 or width == 32 or width == 64);
    return struct {
        const Block = @Vector(width, u8);

        fn lookup(comptime table: [16]u8, index: Block) Block {
            return simd.lookup16(width, table, index);
        }

        /// The block `shift` bytes earlier: the end of `previous`, then `current`.
        fn earlier(previous: Block, current: Block, comptime shift: usize) Block {
            const mask = comptime blk: {
                var indices: [width]i32 = undefined;
                for (0..width) |i| {
                    const from: i32 = @as(i32, @intCast(i)) - @as(i32, @intCast(shift));
                    // Negative indices pick from the second operand (`previous`).
                    indices[i] = if (from >= 0) from else ~@as(i32, @intCast(width - shift + i));
                }
                break :blk indices;
            };
            return @shuffle(u8, current, previous, mask);
        }

        fn splat(value: u8) Block {
            return @splat(value);
        }

        /// Error bits for `current`, given the block before it.
        fn blockErrors(previous: Block, current: Block) Block {
            const prev1 = earlier(previous, current, 1);
            const special = lookup(byte_1_high, prev1 >> @splat(4)) &
                lookup(byte_1_low, prev1 & splat(0x0F)) &
                lookup(byte_2_high, current >> @splat(4));
            const prev2 = earlier(previous, current, 2);
            const prev3 = earlier(previous, current, 3);
            // Bit 7 set where a third or fourth byte must be a continuation.
            const must_continue = ((prev2 -| splat(0xE0 - 0x80)) | (prev3 -| splat(0xF0 - 0x80))) & splat(0x80);
            return must_continue ^ special;
        }

        /// Non-zero where `block` ends inside a sequence that must continue.
        fn incompleteAtEnd(block: Block) Block {
            const limits = comptime blk: {
                var bytes = [_]u8{0xFF} ** width;
                bytes[width - 3] = 0xF0 - 1;
                bytes[width - 2] = 0xE0 - 1;
                bytes[width - 1] = 0xC0 - 1;
                break :blk bytes;
            };
            return block -| @as(Block, limits);
        }

        fn anySet(block: Block) bool {
            return @reduce(.Or, block) != 0;
        }

        /// Where the scalar reference restarts after block `start` failed:
        /// the lead of a sequence the previous block left open, else `start`.
        fn restartPoint(data: []const u8, start: usize) usize {
            var back: usize = 1;
            while (back <= 3 and back <= start) : (back += 1) {
                const byte = data[start - back];
                if (byte < 0x80) break;
                if (byte >= 0xC0) return start - back;
            }
            return start;
        }

        pub fn errorIndex(data: []const u8) ?usize {
            var previous: Block = @splat(0);
            var pending: Block = @splat(0); // the previous block's open sequences
            var start: usize = 0;
            while (start + width <= data.len) : (start += width) {
                const current: Block = data[start..][0..width].*;
                var errors: Block = undefined;
                if (!anySet(current & splat(0x80))) {
                    errors = pending;
                    pending = @splat(0);
                } else {
                    errors = blockErrors(previous, current);
                    pending = incompleteAtEnd(current);
                }
                if (anySet(errors)) break;
                previous = current;
            }
            // The tail, or the first failing block, goes to the reference.
            const restart = restartPoint(data, start);
            const found = scalar.errorIndex(data[restart..]) orelse return null;
            return restart + found;
        }

        pub fn countCodePoints(data: []const u8) usize {
            var count: usize = 0;
            var start: usize = 0;
            const Mask = std.meta.Int(.unsigned, width);
            while (start + width <= data.len) : (start += width) {
                const block: @Vector(width, i8) = @bitCast(@as(Block, data[start..][0..width].*));
                // Continuation bytes are 0x80..0xBF, as i8 -128..-65.
                const leads: Mask = @bitCast(block > @as(@Vector(width, i8), @splat(-65)));
                count += @popCount(leads);
            }
            return count + scalar.countCodePoints(data[start..]);
        }
    };
}
