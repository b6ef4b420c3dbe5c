//! Byte search and comparison: a scalar reference, and SIMD kernels generic
//! over the vector width (16 bytes with SSE4.2 or NEON, 32 with AVX2, 64
//! with AVX-512BW). Each SIMD loop tests a whole block with one cheap mask
//! test and finds the position with a bit scan only on a hit; a scalar
//! loop takes the tail.

const std = @import("std");
const assert = std.debug.assert;

/// The scalar reference every SIMD kernel is tested against.
pub const scalar = struct {
    pub fn indexOfByte(data: []const u8, byte: u8) ?usize {
        for (data, 0..) |value, index| {
            if (value == byte) return index;
        }
        return null;
    }

    pub fn lastIndexOfByte(data: []const u8, byte: u8) ?usize {
        var index = data.len;
        while (index > 0) {
            index -= 1;
            if (data[index] == byte) return index;
        }
        return null;
    }

    pub fn countByte(data: []const u8, byte: u8) usize {
        var count: usize = 0;
        for (data) |value| count += @intFromBool(value == byte);
        return count;
    }

    pub fn indexOfAny(data: []const u8, set: []const u8) ?usize {
        assert(set.len <= 16);
        var member = [_]bool{false} ** 256;
        for (set) |value| member[value] = true;
        for (data, 0..) |value, index| {
            if (member[value]) return index;
        }
        return null;
    }

    /// The first byte that is none of `set`'s: where a column of byte codes
    /// stops being valid.
    pub fn indexOfOther(data: []const u8, set: []const u8) ?usize {
        assert(set.len <= 16);
        var member = [_]bool{false} ** 256;
        for (set) |value| member[value] = true;
        for (data, 0..) |value, index| {
            if (!member[value]) return index;
        }
        return null;
    }

    pub fn indexOfSubarray(haystack: []const u8, needle: []const u8) ?usize {
        if (needle.len > haystack.len) return null;
        var start: usize = 0;
        while (start + needle.len <= haystack.len) : (start += 1) {
            if (std.mem.eql(u8, haystack[start..][0..needle.len], needle)) return start;
        }
        return null;
    }

    /// Writes positions (plus `base`) while `out` has room; returns how many.
    pub fn findAllByte(data: []const u8, byte: u8, out: []u32, base: usize) usize {
        var written: usize = 0;
        for (data, 0..) |value, index| {
            if (value != byte) continue;
            if (written == out.len) break;
            out[written] = @intCast(base + index);
            written += 1;
        }
        return written;
    }

    /// First index where `a` and `b` (of equal length) differ.
    pub fn mismatch(a: []const u8, b: []const u8) ?usize {
        assert(a.len == b.len);
        for (a, b, 0..) |x, y, index| {
            if (x != y) return index;
        }
        return null;
    }
};

/// SIMD kernels over `width`-byte vectors.
pub fn Vectorized(comptime width: usize) type {
    return struct {
        const Block = @Vector(width, u8);
        const Mask = std.meta.Int(.unsigned, width);
        /// Blocks per step in the long loops: one test for four blocks.
        const unroll = 4;

        inline fn load(data: []const u8, index: usize) Block {
            return data[index..][0..width].*;
        }

        inline fn equalMask(block: Block, splat: Block) Mask {
            return @bitCast(block == splat);
        }

        /// The first set bit of `unroll` consecutive blocks' masks, as an offset from the first block,
        /// or null: one test covers them all, since most blocks of a long scan have none.
        inline fn firstHit(masks: [unroll]Mask) ?usize {
            var any: Mask = 0;
            inline for (masks) |mask| any |= mask;
            if (any == 0) return null;
            inline for (masks, 0..) |mask, u| {
                if (mask != 0) return u * width + @ctz(mask);
            }
            unreachable;
        }

        pub fn indexOfByte(data: []const u8, byte: u8) ?usize {
            const splat: Block = @splat(byte);
            var index: usize = 0;
            while (index + unroll * width <= data.len) : (index += unroll * width) {
                var masks: [unroll]Mask = undefined;
                inline for (0..unroll) |u| masks[u] = equalMask(load(data, index + u * width), splat);
                if (firstHit(masks)) |at| return index + at;
            }
            while (index + width <= data.len) : (index += width) {
                const mask = equalMask(load(data, index), splat);
                if (mask != 0) return index + @ctz(mask);
            }
            const tail = scalar.indexOfByte(data[index..], byte) orelse return null;
            return index + tail;
        }

        pub fn lastIndexOfByte(data: []const u8, byte: u8) ?usize {
            const splat: Block = @splat(byte);
            var end = data.len;
            while (end >= width) : (end -= width) {
                const mask = equalMask(load(data, end - width), splat);
                if (mask != 0) return end - 1 - @clz(mask);
            }
            return scalar.lastIndexOfByte(data[0..end], byte);
        }

        pub fn countByte(data: []const u8, byte: u8) usize {
            const splat: Block = @splat(byte);
            const ones: Block = @splat(1);
            const zeros: Block = @splat(0);
            var count: usize = 0;
            var index: usize = 0;
            while (index + width <= data.len) {
                // Byte lanes count to at most 255 before they are widened.
                var lanes: Block = zeros;
                var rounds: usize = 0;
                while (rounds < 255 and index + width <= data.len) : ({
                    rounds += 1;
                    index += width;
                }) {
                    lanes += @select(u8, load(data, index) == splat, ones, zeros);
                }
                count += @reduce(.Add, @as(@Vector(width, u16), lanes));
            }
            return count + scalar.countByte(data[index..], byte);
        }

        pub fn indexOfAny(data: []const u8, set: []const u8) ?usize {
            return indexOfSet(data, set, true);
        }

        pub fn indexOfOther(data: []const u8, set: []const u8) ?usize {
            return indexOfSet(data, set, false);
        }

        /// The first byte in (`member`) or not in the set. Blocks go in
        /// fours, each value compared against all four, so a block without a
        /// hit costs one test: a valid column for indexOfOther is read whole.
        fn indexOfSet(data: []const u8, set: []const u8, comptime member: bool) ?usize {
            assert(set.len <= 16);
            if (set.len == 0) return if (member or data.len == 0) null else 0;
            var splats: [16]Block = undefined;
            for (set, 0..) |value, i| splats[i] = @splat(value);
            var index: usize = 0;
            while (index + unroll * width <= data.len) : (index += unroll * width) {
                var blocks: [unroll]Block = undefined;
                inline for (0..unroll) |u| blocks[u] = load(data, index + u * width);
                var masks = [_]Mask{0} ** unroll;
                for (splats[0..set.len]) |splat| {
                    inline for (0..unroll) |u| masks[u] |= equalMask(blocks[u], splat);
                }
                var hits: [unroll]Mask = undefined;
                inline for (0..unroll) |u| hits[u] = if (member) masks[u] else ~masks[u];
                if (firstHit(hits)) |at| return index + at;
            }
            while (index + width <= data.len) : (index += width) {
                const block = load(data, index);
                var mask: Mask = 0;
                for (splats[0..set.len]) |splat| mask |= equalMask(block, splat);
                const hit = if (member) mask else ~mask;
                if (hit != 0) return index + @ctz(hit);
            }
            const rest = data[index..];
            const tail = (if (member) scalar.indexOfAny(rest, set) else scalar.indexOfOther(rest, set)) orelse return null;
            return index + tail;
        }

        /// Candidates where the needle's first and last bytes both match
        /// (Muła's SIMD-friendly filter), each confirmed by a comparison.
        pub fn indexOfSubarray(haystack: []const u8, needle: []const u8) ?usize {
            if (needle.len == 0) return 0;
            if (needle.len > haystack.len) return null;
            if (needle.len == 1) return indexOfByte(haystack, needle[0]);
            const first: Block = @splat(needle[0]);
            const last: Block = @splat(needle[needle.len - 1]);
            const middle = needle[1 .. needle.len - 1];
            var start: usize = 0;
            // Four blocks per test while nothing matches: most of a long scan.
            while (start + needle.len - 1 + unroll * width <= haystack.len) : (start += unroll * width) {
                var masks: [unroll]Mask = undefined;
                inline for (0..unroll) |u| {
                    const at = start + u * width;
                    masks[u] = equalMask(load(haystack, at), first) &
                        equalMask(load(haystack, at + needle.len - 1), last);
                }
                if (masks[0] | masks[1] | masks[2] | masks[3] == 0) continue;
                inline for (0..unroll) |u| {
                    if (confirm(haystack, start + u * width, masks[u], middle)) |at| return at;
                }
            }
            while (start + needle.len - 1 + width <= haystack.len) : (start += width) {
                const candidates = equalMask(load(haystack, start), first) &
                    equalMask(load(haystack, start + needle.len - 1), last);
                if (confirm(haystack, start, candidates, middle)) |at| return at;
            }
            const tail = scalar.indexOfSubarray(haystack[start..], needle) orelse return null;
            return start + tail;
        }

        /// The first candidate in a block whose middle bytes match too.
        inline fn confirm(haystack: []const u8, start: usize, candidates_in: Mask, middle: []const u8) ?usize {
            var candidates = candidates_in;
            while (candidates != 0) : (candidates &= candidates -% 1) {
                const at = start + @ctz(candidates);
                if (std.mem.eql(u8, haystack[at + 1 ..][0..middle.len], middle)) return at;
            }
            return null;
        }

        pub fn findAllByte(data: []const u8, byte: u8, out: []u32) usize {
            const splat: Block = @splat(byte);
            var written: usize = 0;
            var index: usize = 0;
            while (index + width <= data.len) : (index += width) {
                var mask = equalMask(load(data, index), splat);
                while (mask != 0) : (mask &= mask -% 1) {
                    if (written == out.len) return written;
                    out[written] = @intCast(index + @ctz(mask));
                    written += 1;
                }
            }
            return written + scalar.findAllByte(data[index..], byte, out[written..], index);
        }

        pub fn mismatch(a: []const u8, b: []const u8) ?usize {
            assert(a.len == b.len);
            var index: usize = 0;
            while (index + unroll * width <= a.len) : (index += unroll * width) {
                var masks: [unroll]Mask = undefined;
                inline for (0..unroll) |u| {
                    masks[u] = @bitCast(load(a, index + u * width) != load(b, index + u * width));
                }
                if (firstHit(masks)) |at| return index + at;
            }
            while (index + width <= a.len) : (index += width) {
                const mask: Mask = @bitCast(load(a, index) != load(b, index));
                if (mask != 0) return index + @ctz(mask);
            }
            const tail = scalar.mismatch(a[index..], b[index..]) orelse return null;
            return index + tail;
        }
    };
}
