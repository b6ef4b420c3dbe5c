//! Byte order: reverse the bytes of every 2-, 4- or 8-byte element, in place
//! or while copying. A scalar reference, and a SIMD version generic over the
//! vector width that reverses within elements with one comptime shuffle per
//! block (PSHUFB, VPSHUFB or TBL), then a scalar tail.

const std = @import("std");
const assert = std.debug.assert;

fn Element(comptime size: usize) type {
    return std.meta.Int(.unsigned, 8 * size);
}

/// The scalar reference every SIMD kernel is tested against.
pub const scalar = struct {
    /// Reverses each `size`-byte element of `src` into `dst` (which may be `src`).
    pub fn copySwap(comptime size: usize, dst: []u8, src: []const u8) void {
        assert(dst.len == src.len and src.len % size == 0);
        var index: usize = 0;
        while (index < src.len) : (index += size) {
            const value = std.mem.readInt(Element(size), src[index..][0..size], .little);
            std.mem.writeInt(Element(size), dst[index..][0..size], value, .big);
        }
    }
};

pub fn Vectorized(comptime width: usize) type {
    return struct {
        const Block = @Vector(width, u8);

        fn reverseMask(comptime size: usize) @Vector(width, i32) {
            var mask: [width]i32 = undefined;
            for (0..width) |i| mask[i] = @intCast((i / size) * size + (size - 1 - i % size));
            return mask;
        }

        /// Reverses each `size`-byte element of `src` into `dst` (which may be `src`).
        pub fn copySwap(comptime size: usize, dst: []u8, src: []const u8) void {
            assert(dst.len == src.len and src.len % size == 0);
            comptime assert(width % size == 0);
            const mask = comptime reverseMask(size);
            var index: usize = 0;
            while (index + width <= src.len) : (index += width) {
                const block: Block = src[index..][0..width].*;
                dst[index..][0..width].* = @shuffle(u8, block, undefined, mask);
            }
            scalar.copySwap(size, dst[index..], src[index..]);
        }
    };
}
