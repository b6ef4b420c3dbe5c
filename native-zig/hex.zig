//! Hex (base16): encode bytes to lowercase digits, as
//! `Uint8Array.prototype.toHex`, and decode digits of either case back. A
//! scalar reference, and a SIMD version generic over the vector width that
//! turns nibbles to digits with compares (no table lookups) and widens or
//! narrows to u16 lanes to interleave or pair them.

const std = @import("std");
const assert = std.debug.assert;

const invalid_digit: u8 = 0xFF;

/// Digit value of every byte, `invalid_digit` for non-digits.
const digit_values: [256]u8 = blk: {
    var values = [_]u8{invalid_digit} ** 256;
    for ("0123456789", 0..) |c, v| values[c] = v;
    for ("abcdef", 10..) |c, v| values[c] = v;
    for ("ABCDEF", 10..) |c, v| values[c] = v;
    break :blk values;
};

const lower_digits = "0123456789abcdef";

/// The scalar reference every SIMD kernel is tested against.
pub const scalar = struct {
    /// Writes two lowercase digits per byte of `src` to `dst`.
    pub fn encode(dst: []u8, src: []const u8) void {
        assert(dst.len == 2 * src.len);
        for (src, 0..) |byte, i| {
            dst[2 * i] = lower_digits[byte >> 4];
            dst[2 * i + 1] = lower_digits[byte & 0x0F];
        }
    }

    /// Decodes pairs of digits of `src` into `dst`; returns the offset of
    /// the first non-digit, or null when all of `src` decoded.
    pub fn decode(dst: []u8, src: []const u8) ?usize {
        assert(src.len == 2 * dst.len);
        for (dst, 0..) |*byte, i| {
            const high = digit_values[src[2 * i]];
            const low = digit_values[src[2 * i + 1]];
            if (high == invalid_digit) return 2 * i;
            if (low == invalid_digit) return 2 * i + 1;
            byte.* = high << 4 | low;
        }
        return null;
    }
};

pub fn Vectorized(comptime width: usize) type {
    comptime assert(width == 16 or width == 32 or width == 64);
    return struct {
        const Bytes = @Vector(width, u8);
        const Pairs = @Vector(width / 2, u16);

        fn splat(value: u8) Bytes {
            return @splat(value);
        }

        fn digitsOf(nibbles: Bytes) Bytes {
            const letter = nibbles > splat(9);
            return nibbles + splat('0') + @select(u8, letter, splat('a' - '0' - 10), splat(0));
        }

        /// Writes two lowercase digits per byte of `src` to `dst`.
        pub fn encode(dst: []u8, src: []const u8) void {
            assert(dst.len == 2 * src.len);
            var index: usize = 0;
            while (index + width <= src.len) : (index += width) {
                const block: Bytes = src[index..][0..width].*;
                const high: @Vector(width, u16) = digitsOf(block >> @splat(4));
                const low: @Vector(width, u16) = digitsOf(block & splat(0x0F));
                // Little-endian u16 lanes: the low byte is written first.
                const pairs = high | (low << @splat(8));
                dst[2 * index ..][0 .. 2 * width].* = @bitCast(std.mem.nativeToLittle(@Vector(width, u16), pairs));
            }
            scalar.encode(dst[2 * index ..], src[index..]);
        }

        /// Decodes pairs of digits of `src` into `dst`; returns the offset of
        /// the first non-digit, or null when all of `src` decoded.
        pub fn decode(dst: []u8, src: []const u8) ?usize {
            assert(src.len == 2 * dst.len);
            var index: usize = 0;
            while (index + width <= src.len) : (index += width) {
                const chars: Bytes = src[index..][0..width].*;
                const decimal = chars -% splat('0');
                const folded = (chars | splat(0x20)) -% splat('a');
                const is_decimal = decimal < splat(10);
                const is_letter = folded < splat(6);
                // A block with a non-digit goes to the scalar pass, which finds its offset.
                if (!@reduce(.And, is_decimal | is_letter)) break;
                const values = @select(u8, is_decimal, decimal, folded +% splat(10));
                const pairs: Pairs = std.mem.littleToNative(Pairs, @bitCast(values));
                const bytes: @Vector(width / 2, u8) = @truncate((pairs << @splat(4)) | (pairs >> @splat(8)));
                dst[index / 2 ..][0 .. width / 2].* = bytes;
            }
            const rest = scalar.decode(dst[index / 2 ..], src[index..]) orelse return null;
            return index + rest;
        }
    };
}
