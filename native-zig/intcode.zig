//! Integer coding: delta (differences of neighbours, and their running
//! sums back), zigzag (signed to unsigned with small magnitudes small), and
//! unsigned LEB128 varints as protobuf writes them. All arithmetic wraps,
//! as two's complement does, so every round trip is exact.
//!
//! The SIMD versions take a vector of elements at a time: delta decoding is
//! a prefix sum in log2(lanes) shifted adds plus the carried total, and
//! varint coding has a fast path for blocks whose values all take one byte.

const std = @import("std");
const assert = std.debug.assert;

/// The operations `binlane_int_transform` names by number.
pub const Op = enum(u32) {
    delta_encode = 0,
    delta_decode = 1,
    zigzag_encode = 2,
    zigzag_decode = 3,
};

fn Unsigned(comptime T: type) type {
    return std.meta.Int(.unsigned, @bitSizeOf(T));
}

fn zigzag(comptime T: type, value: T) Unsigned(T) {
    const signed: std.meta.Int(.signed, @bitSizeOf(T)) = @bitCast(value);
    return @bitCast((signed << 1) ^ (signed >> (@bitSizeOf(T) - 1)));
}

fn unzigzag(comptime T: type, value: T) T {
    const bits: Unsigned(T) = @bitCast(value);
    return @bitCast((bits >> 1) ^ (0 -% (bits & 1)));
}

/// The scalar reference every SIMD kernel is tested against. Elements are
/// unsigned; signedness only matters to zigzag, which reinterprets.
pub const scalar = struct {
    /// `dst[i] = src[i] - src[i - 1]`, with `previous` before `src[0]`.
    /// `dst` may be `src`.
    pub fn deltaEncode(comptime T: type, dst: []T, src: []const T, previous: T) void {
        assert(dst.len == src.len);
        var before = previous;
        for (src, dst) |value, *out| {
            out.* = value -% before;
            before = value;
        }
    }

    /// `dst[i] = total + src[0] + ... + src[i]`. `dst` may be `src`.
    pub fn deltaDecode(comptime T: type, dst: []T, src: []const T, total: T) void {
        assert(dst.len == src.len);
        var sum = total;
        for (src, dst) |value, *out| {
            sum +%= value;
            out.* = sum;
        }
    }

    pub fn zigzagEncode(comptime T: type, dst: []T, src: []const T) void {
        assert(dst.len == src.len);
        for (src, dst) |value, *out| out.* = zigzag(T, value);
    }

    pub fn zigzagDecode(comptime T: type, dst: []T, src: []const T) void {
        assert(dst.len == src.len);
        for (src, dst) |value, *out| out.* = unzigzag(T, value);
    }
};

pub fn Vectorized(comptime width: usize) type {
    return struct {
        fn Lanes(comptime T: type) type {
            return @Vector(width / @sizeOf(T), T);
        }

        /// `block` moved up by `by` lanes, with `fill` in the lanes it leaves.
        fn shiftUp(comptime T: type, block: Lanes(T), fill: Lanes(T), comptime by: usize) Lanes(T) {
            const n = width / @sizeOf(T);
            const mask = comptime blk: {
                var indices: [n]i32 = undefined;
                for (0..n) |i| indices[i] = if (i >= by) @intCast(i - by) else ~@as(i32, @intCast(n - by + i));
                break :blk indices;
            };
            return @shuffle(T, block, fill, mask);
        }

        pub fn deltaEncode(comptime T: type, dst: []T, src: []const T, previous: T) void {
            assert(dst.len == src.len);
            const n = width / @sizeOf(T);
            var before = previous;
            var index: usize = 0;
            while (index + n <= src.len) : (index += n) {
                const block: Lanes(T) = src[index..][0..n].*;
                dst[index..][0..n].* = block -% shiftUp(T, block, @splat(before), 1);
                before = block[n - 1];
            }
            scalar.deltaEncode(T, dst[index..], src[index..], before);
        }

        pub fn deltaDecode(comptime T: type, dst: []T, src: []const T, total: T) void {
            assert(dst.len == src.len);
            const n = width / @sizeOf(T);
            const zero: Lanes(T) = @splat(0);
            var sum = total;
            var index: usize = 0;
            while (index + n <= src.len) : (index += n) {
                var block: Lanes(T) = src[index..][0..n].*;
                comptime var by: usize = 1;
                inline while (by < n) : (by *= 2) block +%= shiftUp(T, block, zero, by);
                block +%= @as(Lanes(T), @splat(sum));
                dst[index..][0..n].* = block;
                sum = block[n - 1];
            }
            scalar.deltaDecode(T, dst[index..], src[index..], sum);
        }

        pub fn zigzagEncode(comptime T: type, dst: []T, src: []const T) void {
            assert(dst.len == src.len);
            const n = width / @sizeOf(T);
            const S = @Vector(n, std.meta.Int(.signed, @bitSizeOf(T)));
            var index: usize = 0;
            while (index + n <= src.len) : (index += n) {
                const block: S = @bitCast(@as(Lanes(T), src[index..][0..n].*));
                dst[index..][0..n].* = @bitCast((block << @splat(1)) ^ (block >> @splat(@bitSizeOf(T) - 1)));
            }
            scalar.zigzagEncode(T, dst[index..], src[index..]);
        }

        pub fn zigzagDecode(comptime T: type, dst: []T, src: []const T) void {
            assert(dst.len == src.len);
            const n = width / @sizeOf(T);
            var index: usize = 0;
            while (index + n <= src.len) : (index += n) {
                const block: Lanes(T) = src[index..][0..n].*;
                const one: Lanes(T) = @splat(1);
                dst[index..][0..n].* = (block >> one) ^ (@as(Lanes(T), @splat(0)) -% (block & one));
            }
            scalar.zigzagDecode(T, dst[index..], src[index..]);
        }
    };
}

/// Why a varint decode stopped.
pub const VarintFailure = enum(u32) {
    none = 0,
    /// The input ends inside a value.
    truncated,
    /// A value longer than its type allows (5 bytes for u32, 10 for u64),
    /// or whose last byte carries bits beyond the type.
    overflow,
};

/// A varint decode's outcome: values written and bytes read, or a failure
/// at the offset where the bad value starts.
pub const VarintDecoded = extern struct {
    written: usize,
    read: usize,
    failure: VarintFailure = .none,
};

/// Bytes the varint of `value` takes: one per started 7 bits.
pub fn varintLength(comptime T: type, value: T) usize {
    const bits: usize = @bitSizeOf(T) - @clz(value | 1);
    return (bits + 6) / 7;
}

/// Bytes the varints of `values` take. Counting, per value, the 7-bit
/// boundaries it reaches is compares and adds, which vectorize; the
/// `@clz` of `varintLength` did not (0.55-0.75 ns a value against 0.1).
pub fn varintTotalLength(comptime T: type, values: []const T) usize {
    const lanes = 16;
    const Lanes = @Vector(lanes, T);
    const steps = (@bitSizeOf(T) + 6) / 7;
    // Per lane, at most 9 extra bytes a value over 2^32 / 9 values: u32 lanes hold it.
    assert(values.len / lanes < std.math.maxInt(u32) / 9);
    var extra: @Vector(lanes, u32) = @splat(0);
    var index: usize = 0;
    while (index + lanes <= values.len) : (index += lanes) {
        const block: Lanes = values[index..][0..lanes].*;
        inline for (1..steps) |k| {
            extra += @intFromBool(block >= @as(Lanes, @splat(@as(T, 1) << (7 * k))));
        }
    }
    var total: usize = values.len + @reduce(.Add, @as(@Vector(lanes, u64), extra));
    for (values[index..]) |value| total += varintLength(T, value) - 1;
    return total;
}

/// Values in well-formed varints `src`: the bytes that end one (high bit
/// clear). Plain enough that LLVM vectorizes it at every level.
pub fn varintCount(src: []const u8) usize {
    var count: usize = 0;
    for (src) |byte| count += @intFromBool(byte < 0x80);
    return count;
}

/// Writes one varint at the start of `dst`; returns its length.
fn putVarint(comptime T: type, dst: []u8, value: T) usize {
    var rest = value;
    var index: usize = 0;
    while (rest >= 0x80) : (index += 1) {
        dst[index] = @as(u8, @truncate(rest)) | 0x80;
        rest >>= 7;
    }
    dst[index] = @intCast(rest);
    return index + 1;
}

/// The most bytes a varint of T takes, and the largest last byte then.
fn limits(comptime T: type) struct { bytes: usize, last: u8 } {
    return if (T == u32) .{ .bytes = 5, .last = 0x0F } else .{ .bytes = 10, .last = 0x01 };
}

const OneValue = struct { value: u64 = 0, length: usize = 0, failure: VarintFailure = .none };

fn getVarint(comptime T: type, src: []const u8) OneValue {
    const limit = limits(T);
    var value: u64 = 0;
    for (0..limit.bytes) |index| {
        if (index == src.len) return .{ .failure = .truncated };
        const byte = src[index];
        if (index == limit.bytes - 1 and byte > limit.last) return .{ .failure = .overflow };
        value |= @as(u64, byte & 0x7F) << @intCast(7 * index);
        if (byte < 0x80) return .{ .value = value, .length = index + 1 };
    }
    unreachable;
}

pub const varint_scalar = struct {
    /// Writes the varints of `values` to `dst`, which holds exactly
    /// `varintTotalLength(values)` bytes.
    pub fn encode(comptime T: type, dst: []u8, values: []const T) void {
        var at: usize = 0;
        for (values) |value| at += putVarint(T, dst[at..], value);
        assert(at == dst.len);
    }

    /// Decodes varints from `src` into `dst` until either ends.
    pub fn decode(comptime T: type, dst: []T, src: []const u8) VarintDecoded {
        var read: usize = 0;
        var written: usize = 0;
        while (written < dst.len and read < src.len) : (written += 1) {
            const one = getVarint(T, src[read..]);
            if (one.failure != .none) return .{ .written = written, .read = read, .failure = one.failure };
            dst[written] = @intCast(one.value);
            read += one.length;
        }
        return .{ .written = written, .read = read };
    }
};

/// Varints with a fast path for blocks of one-byte values, which small
/// counts, lengths and zigzagged deltas mostly are.
pub fn VarintVectorized(comptime width: usize) type {
    return struct {
        const Bytes = @Vector(width, u8);

        pub fn encode(comptime T: type, dst: []u8, values: []const T) void {
            const Values = @Vector(width, T);
            var at: usize = 0;
            var index: usize = 0;
            while (index + width <= values.len) {
                const block: Values = values[index..][0..width].*;
                if (@reduce(.Max, block) < 0x80) {
                    dst[at..][0..width].* = @as(Bytes, @intCast(block));
                    at += width;
                    index += width;
                    continue;
                }
                // A block with a long value goes one value at a time.
                for (values[index..][0..width]) |value| at += putVarint(T, dst[at..], value);
                index += width;
            }
            for (values[index..]) |value| at += putVarint(T, dst[at..], value);
            assert(at == dst.len);
        }

        pub fn decode(comptime T: type, dst: []T, src: []const u8) VarintDecoded {
            const Values = @Vector(width, T);
            var read: usize = 0;
            var written: usize = 0;
            while (written + width <= dst.len and read + width <= src.len) {
                const block: Bytes = src[read..][0..width].*;
                if (@reduce(.Max, block) < 0x80) {
                    dst[written..][0..width].* = @as(Values, block);
                    written += width;
                    read += width;
                    continue;
                }
                // Values one at a time until this block's bytes are passed.
                const end = read + width;
                while (read < end and written < dst.len) : (written += 1) {
                    const one = getVarint(T, src[read..]);
                    if (one.failure != .none) return .{ .written = written, .read = read, .failure = one.failure };
                    dst[written] = @intCast(one.value);
                    read += one.length;
                }
            }
            const rest = varint_scalar.decode(T, dst[written..], src[read..]);
            return .{ .written = written + rest.written, .read = read + rest.read, .failure = rest.failure };
        }
    };
}
