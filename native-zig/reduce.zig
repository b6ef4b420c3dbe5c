//! Reductions: the minimum and maximum of a numeric array, and its sum.
//!
//! Every path must give the same answer bit for bit, so:
//! - Integer sums are exact: 64-bit elements are summed as a wrapping low
//!   word plus counted carries (and counted negatives for signed input),
//!   which is their exact sum as an i128.
//! - Float sums use one fixed order: element i is added, in f64, to lane
//!   i mod 16, lanes start at -0, and the lanes are combined as
//!   `combineLanes` does. The scalar reference follows the same order, as
//!   does the TypeScript path. NaN propagates as IEEE addition makes it.
//! - Float min and max order values as `Math.min` and `Math.max` do:
//!   -0 below +0, and any NaN makes both NaN. Comparing integer keys that
//!   sort like the floats gives this with vector integer min and max.

const std = @import("std");
const assert = std.debug.assert;

/// Element types, by the numbers the boundary passes.
pub const ElementType = enum(u32) { i8 = 0, u8, i16, u16, i32, u32, i64, u64, f32, f64 };

pub fn Native(comptime element: ElementType) type {
    return switch (element) {
        .i8 => i8,
        .u8 => u8,
        .i16 => i16,
        .u16 => u16,
        .i32 => i32,
        .u32 => u32,
        .i64 => i64,
        .u64 => u64,
        .f32 => f32,
        .f64 => f64,
    };
}

pub const float_lanes = 16;
const Lanes = @Vector(float_lanes, f64);

/// The fixed combine order of the 16 float lanes: halves added pairwise,
/// 16 to 8 to 4 to 2 to 1. A NaN comes out as the one quiet NaN: which
/// payload IEEE addition leaves differs between scalar and vector units.
pub fn combineLanes(lanes: [float_lanes]f64) f64 {
    var values = lanes;
    var width: usize = float_lanes / 2;
    while (width >= 1) : (width /= 2) {
        for (0..width) |j| values[j] = values[j] + values[j + width];
    }
    return if (std.math.isNan(values[0])) std.math.nan(f64) else values[0];
}

/// A signed integer that orders like the float `T` (NaN aside): -0 below +0.
fn Key(comptime T: type) type {
    return std.meta.Int(.signed, @bitSizeOf(T));
}

fn keyOf(comptime T: type, value: T) Key(T) {
    const bits: Key(T) = @bitCast(value);
    // Negative floats order backwards as integers: flip all but the sign.
    return if (bits < 0) bits ^ std.math.maxInt(Key(T)) else bits;
}

fn floatOf(comptime T: type, key: Key(T)) T {
    return @bitCast(if (key < 0) key ^ std.math.maxInt(Key(T)) else key);
}

pub fn MinMax(comptime T: type) type {
    return struct { min: T, max: T };
}

fn isFloat(comptime T: type) bool {
    return @typeInfo(T) == .float;
}

/// The scalar reference every SIMD kernel is tested against.
pub const scalar = struct {
    pub fn minMax(comptime T: type, data: []const T) MinMax(T) {
        assert(data.len > 0);
        if (comptime isFloat(T)) {
            var low = keyOf(T, data[0]);
            var high = low;
            for (data) |value| {
                if (std.math.isNan(value)) return .{ .min = std.math.nan(T), .max = std.math.nan(T) };
                low = @min(low, keyOf(T, value));
                high = @max(high, keyOf(T, value));
            }
            return .{ .min = floatOf(T, low), .max = floatOf(T, high) };
        }
        var result: MinMax(T) = .{ .min = data[0], .max = data[0] };
        for (data) |value| {
            result.min = @min(result.min, value);
            result.max = @max(result.max, value);
        }
        return result;
    }

    pub fn sumInt(comptime T: type, data: []const T) i128 {
        var total: i128 = 0;
        for (data) |value| total += value;
        return total;
    }

    /// Adds element i of `data` to lane i mod 16 (`data` starts at a
    /// multiple of 16 of the whole), continuing earlier pieces.
    pub fn addToLanes(comptime T: type, data: []const T, lanes: *[float_lanes]f64) void {
        for (data, 0..) |value, i| lanes[i % float_lanes] += @floatCast(value);
    }

    pub fn sumFloat(comptime T: type, data: []const T) f64 {
        var lanes = [_]f64{-0.0} ** float_lanes;
        addToLanes(T, data, &lanes);
        return combineLanes(lanes);
    }
};

pub fn Vectorized(comptime width: usize) type {
    return struct {
        fn Vec(comptime T: type) type {
            return @Vector(width / @sizeOf(T), T);
        }

        pub fn minMax(comptime T: type, data: []const T) MinMax(T) {
            assert(data.len > 0);
            if (comptime isFloat(T)) return minMaxFloat(T, data);
            const n = width / @sizeOf(T);
            var low: Vec(T) = @splat(data[0]);
            var high = low;
            var index: usize = 0;
            while (index + n <= data.len) : (index += n) {
                const block: Vec(T) = data[index..][0..n].*;
                low = @min(low, block);
                high = @max(high, block);
            }
            const tail = if (index < data.len) scalar.minMax(T, data[index..]) else MinMax(T){ .min = data[0], .max = data[0] };
            return .{ .min = @min(@reduce(.Min, low), tail.min), .max = @max(@reduce(.Max, high), tail.max) };
        }

        fn minMaxFloat(comptime T: type, data: []const T) MinMax(T) {
            const K = Key(T);
            const n = width / @sizeOf(T);
            const KeyVec = @Vector(n, K);
            const sign_off: KeyVec = @splat(std.math.maxInt(K));
            var low: KeyVec = @splat(keyOf(T, data[0]));
            var high = low;
            var nan = false;
            var index: usize = 0;
            while (index + n <= data.len) : (index += n) {
                const block: Vec(T) = data[index..][0..n].*;
                // One cheap test a block; which lane was NaN does not matter.
                nan = nan or @reduce(.Or, block != block);
                const bits: KeyVec = @bitCast(block);
                const keys = @select(K, bits < @as(KeyVec, @splat(0)), bits ^ sign_off, bits);
                low = @min(low, keys);
                high = @max(high, keys);
            }
            if (nan) return .{ .min = std.math.nan(T), .max = std.math.nan(T) };
            var result: MinMax(T) = .{ .min = floatOf(T, @reduce(.Min, low)), .max = floatOf(T, @reduce(.Max, high)) };
            if (index < data.len) {
                const tail = scalar.minMax(T, data[index..]);
                if (std.math.isNan(tail.min)) return tail;
                result.min = floatOf(T, @min(keyOf(T, result.min), keyOf(T, tail.min)));
                result.max = floatOf(T, @max(keyOf(T, result.max), keyOf(T, tail.max)));
            }
            return result;
        }

        pub fn sumInt(comptime T: type, data: []const T) i128 {
            if (@sizeOf(T) == 8) return sumWide(T, data);
            if (@sizeOf(T) <= 2) return sumNarrow(T, data);
            // Narrow elements widen into i64 lanes, which cannot overflow
            // below 2^31 elements of 32 bits.
            const n = 8;
            const Wide = @Vector(n, i64);
            var total: Wide = @splat(0);
            var index: usize = 0;
            while (index + n <= data.len) : (index += n) {
                const block: @Vector(n, T) = data[index..][0..n].*;
                total += @as(Wide, block);
            }
            return @as(i128, @reduce(.Add, total)) + scalar.sumInt(T, data[index..]);
        }

        /// 8- and 16-bit elements: i32 lanes a vector wide, folded into
        /// the total before 2^15 additions of 16-bit values can overflow them.
        fn sumNarrow(comptime T: type, data: []const T) i128 {
            const n = width / @sizeOf(T);
            const Wide = @Vector(n, i32);
            const run_blocks = 1 << 14;
            var total: i64 = 0;
            var index: usize = 0;
            while (index + n <= data.len) {
                var lanes: Wide = @splat(0);
                var blocks: usize = 0;
                while (blocks < run_blocks and index + n <= data.len) : (blocks += 1) {
                    const block: @Vector(n, T) = data[index..][0..n].*;
                    lanes += @as(Wide, block);
                    index += n;
                }
                total += @reduce(.Add, @as(@Vector(n, i64), lanes));
            }
            return @as(i128, total) + scalar.sumInt(T, data[index..]);
        }

        /// 64-bit elements: a wrapping low word, its carries counted, and
        /// for signed input the negatives counted (each was read as
        /// 2^64 too much).
        fn sumWide(comptime T: type, data: []const T) i128 {
            const n = 8;
            const Words = @Vector(n, u64);
            var low: Words = @splat(0);
            var carries: Words = @splat(0);
            var negatives: Words = @splat(0);
            var index: usize = 0;
            while (index + n <= data.len) : (index += n) {
                const block: Words = @bitCast(@as(@Vector(n, T), data[index..][0..n].*));
                const next = low +% block;
                carries += @intFromBool(next < low);
                low = next;
                if (T == i64) negatives += block >> @splat(63);
            }
            var total: i128 = 0;
            for (0..n) |lane| {
                total += @as(i128, low[lane]) + (@as(i128, carries[lane]) - @as(i128, negatives[lane])) * (1 << 64);
            }
            return total + scalar.sumInt(T, data[index..]);
        }

        pub fn addToLanes(comptime T: type, data: []const T, state: *[float_lanes]f64) void {
            var lanes: Lanes = state.*;
            var index: usize = 0;
            while (index + float_lanes <= data.len) : (index += float_lanes) {
                const block: @Vector(float_lanes, T) = data[index..][0..float_lanes].*;
                lanes += @as(Lanes, @floatCast(block));
            }
            state.* = lanes;
            // The tail continues each element's lane: index is a multiple of 16.
            scalar.addToLanes(T, data[index..], state);
        }

        pub fn sumFloat(comptime T: type, data: []const T) f64 {
            var lanes = [_]f64{-0.0} ** float_lanes;
            addToLanes(T, data, &lanes);
            return combineLanes(lanes);
        }
    };
}
