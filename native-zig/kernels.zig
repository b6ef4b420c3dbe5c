//! The kernel table: what one CPU level provides. Each level object exports
//! one (level.zig); the boundary calls through the table in force (cpu.zig).

const std = @import("std");
const builtin = @import("builtin");
const config = @import("config.zig");
const crc = @import("crc/crc.zig");
const search = @import("search.zig");
const endian = @import("endian.zig");
const xxh3 = @import("hash/xxh3.zig");
const utf8 = @import("utf8.zig");
const hex = @import("hex.zig");
const base64 = @import("base64.zig");
const intcode = @import("intcode.zig");
const reduce = @import("reduce.zig");
const transpose = @import("transpose.zig");

/// Returned by search kernels for "no such position".
pub const none: usize = std.math.maxInt(usize);

pub const Crc32Fn = *const fn (seed: u32, data: [*]const u8, len: usize) callconv(.c) u32;
/// Copies `len` bytes of `src` to `dst` (not overlapping) and returns their CRC continued from `seed`.
pub const CopyCrc32Fn = *const fn (seed: u32, dst: [*]u8, src: [*]const u8, len: usize) callconv(.c) u32;
pub const ByteFn = *const fn (data: [*]const u8, len: usize, byte: u8) callconv(.c) usize;
pub const AnyFn = *const fn (data: [*]const u8, len: usize, set: [*]const u8, set_len: usize) callconv(.c) usize;
pub const PairFn = *const fn (a: [*]const u8, a_len: usize, b: [*]const u8, b_len: usize) callconv(.c) usize;
pub const FindAllFn = *const fn (data: [*]const u8, len: usize, byte: u8, out: [*]u32, capacity: usize) callconv(.c) usize;
pub const MismatchFn = *const fn (a: [*]const u8, b: [*]const u8, len: usize) callconv(.c) usize;
/// Reverses each `size`-byte element of `src` into `dst`; they may be the same.
pub const CopySwapFn = *const fn (dst: [*]u8, src: [*]const u8, len: usize) callconv(.c) void;

pub const Xxh3Fn = *const fn (data: [*]const u8, len: usize, seed: u64) callconv(.c) u64;
pub const Xxh3UpdateFn = *const fn (state: *xxh3.State, data: [*]const u8, len: usize) callconv(.c) void;
pub const Xxh3DigestFn = *const fn (state: *const xxh3.State) callconv(.c) u64;

/// A kernel over one byte span returning a position (`none`) or a count.
pub const SpanFn = *const fn (data: [*]const u8, len: usize) callconv(.c) usize;

/// Hex: `src_len` bytes to twice as many digits.
pub const HexEncodeFn = *const fn (dst: [*]u8, src: [*]const u8, src_len: usize) callconv(.c) void;
/// Hex: `dst_len` bytes from twice as many digits; the offset of the first
/// non-digit, or `none`.
pub const HexDecodeFn = *const fn (dst: [*]u8, src: [*]const u8, dst_len: usize) callconv(.c) usize;
/// Base64: `dst_len` must be `base64.encodedLength(src_len, flags.padding)`.
pub const Base64EncodeFn = *const fn (dst: [*]u8, dst_len: usize, src: [*]const u8, src_len: usize, flags: u32) callconv(.c) void;
pub const Base64DecodeFn = *const fn (dst: [*]u8, dst_len: usize, src: [*]const u8, src_len: usize, flags: u32, out: *base64.Decoded) callconv(.c) void;

/// Delta or zigzag (`intcode.Op`) over `len` elements; `seed` is the
/// element before the first (delta encode) or the running total (decode).
pub const IntTransform32Fn = *const fn (dst: [*]u32, src: [*]const u32, len: usize, op: u32, seed: u32) callconv(.c) void;
pub const IntTransform64Fn = *const fn (dst: [*]u64, src: [*]const u64, len: usize, op: u32, seed: u64) callconv(.c) void;
pub const VarintEncode32Fn = *const fn (dst: [*]u8, dst_len: usize, src: [*]const u32, count: usize) callconv(.c) void;
pub const VarintEncode64Fn = *const fn (dst: [*]u8, dst_len: usize, src: [*]const u64, count: usize) callconv(.c) void;
pub const VarintDecode32Fn = *const fn (dst: [*]u32, capacity: usize, src: [*]const u8, src_len: usize, out: *intcode.VarintDecoded) callconv(.c) void;
pub const VarintDecode64Fn = *const fn (dst: [*]u64, capacity: usize, src: [*]const u8, src_len: usize, out: *intcode.VarintDecoded) callconv(.c) void;

/// A reduction over `count` elements of `reduce.ElementType` `element`,
/// its result written to `out` as `binlane_reduce` documents.
pub const ReduceFn = *const fn (data: [*]const u8, count: usize, element: u32, out: *[16]u64) callconv(.c) void;

/// Copies one field (its shape checked by the caller, as
/// `binlane_gather_fields` does) of each record of `rows` into `column`.
pub const GatherFn = *const fn (column: [*]u8, column_len: usize, rows: [*]const u8, rows_len: usize, record_size: usize, offset: usize, size: usize, swap: bool) callconv(.c) void;

pub const KernelTable = extern struct {
    crc32: Crc32Fn,
    crc32c: Crc32Fn,
    crc32c_copy: CopyCrc32Fn,
    index_of_byte: ByteFn,
    last_index_of_byte: ByteFn,
    count_byte: ByteFn,
    index_of_any: AnyFn,
    index_of_other: AnyFn,
    index_of_subarray: PairFn,
    find_all_byte: FindAllFn,
    mismatch: MismatchFn,
    copy_swap16: CopySwapFn,
    copy_swap32: CopySwapFn,
    copy_swap64: CopySwapFn,
    xxh3: Xxh3Fn,
    xxh3_update: Xxh3UpdateFn,
    xxh3_digest: Xxh3DigestFn,
    utf8_error_index: SpanFn,
    utf8_count: SpanFn,
    hex_encode: HexEncodeFn,
    hex_decode: HexDecodeFn,
    base64_encode: Base64EncodeFn,
    base64_decode: Base64DecodeFn,
    int_transform32: IntTransform32Fn,
    int_transform64: IntTransform64Fn,
    varint_encode32: VarintEncode32Fn,
    varint_encode64: VarintEncode64Fn,
    varint_decode32: VarintDecode32Fn,
    varint_decode64: VarintDecode64Fn,
    min_max: ReduceFn,
    sum: ReduceFn,
    gather_field: GatherFn,
};

fn TransposeFns(comptime mode: Mode) type {
    const Impl = if (mode == .simd and config.simd_enabled) transpose.Vectorized(vectorWidth()) else transpose.scalar;
    return struct {
        fn gather(column: [*]u8, column_len: usize, rows: [*]const u8, rows_len: usize, record_size: usize, offset: usize, size: usize, swap: bool) callconv(.c) void {
            const field: transpose.Field = .{ .offset = offset, .size = size, .swap = swap };
            Impl.gather(column[0..column_len], rows[0..rows_len], record_size, field);
        }
    };
}

/// Which implementations a table holds.
pub const Mode = enum { scalar, simd };

fn checksumFn(comptime poly: crc.Poly) Crc32Fn {
    return &struct {
        fn checksum(seed: u32, data: [*]const u8, len: usize) callconv(.c) u32 {
            return crc.checksum(poly, seed, data[0..len]);
        }
    }.checksum;
}

fn copyChecksumFn(comptime poly: crc.Poly) CopyCrc32Fn {
    return &struct {
        fn copyChecksum(seed: u32, dst: [*]u8, src: [*]const u8, len: usize) callconv(.c) u32 {
            return crc.copyChecksum(poly, seed, dst[0..len], src[0..len]);
        }
    }.copyChecksum;
}

/// The widest byte vector this object's CPU features make fast.
fn vectorWidth() usize {
    if (builtin.cpu.arch == .x86_64) {
        const features = builtin.cpu.features;
        if (std.Target.x86.featureSetHas(features, .avx512bw)) return 64;
        if (std.Target.x86.featureSetHas(features, .avx2)) return 32;
    }
    return 16;
}

fn SearchFns(comptime mode: Mode) type {
    const Impl = if (mode == .simd and config.simd_enabled) search.Vectorized(vectorWidth()) else search.scalar;
    return struct {
        fn position(found: ?usize) usize {
            return found orelse none;
        }
        fn indexOfByte(data: [*]const u8, len: usize, byte: u8) callconv(.c) usize {
            return position(Impl.indexOfByte(data[0..len], byte));
        }
        fn lastIndexOfByte(data: [*]const u8, len: usize, byte: u8) callconv(.c) usize {
            return position(Impl.lastIndexOfByte(data[0..len], byte));
        }
        fn countByte(data: [*]const u8, len: usize, byte: u8) callconv(.c) usize {
            return Impl.countByte(data[0..len], byte);
        }
        fn indexOfAny(data: [*]const u8, len: usize, set: [*]const u8, set_len: usize) callconv(.c) usize {
            return position(Impl.indexOfAny(data[0..len], set[0..set_len]));
        }
        fn indexOfOther(data: [*]const u8, len: usize, set: [*]const u8, set_len: usize) callconv(.c) usize {
            return position(Impl.indexOfOther(data[0..len], set[0..set_len]));
        }
        fn indexOfSubarray(a: [*]const u8, a_len: usize, b: [*]const u8, b_len: usize) callconv(.c) usize {
            return position(Impl.indexOfSubarray(a[0..a_len], b[0..b_len]));
        }
        fn findAllByte(data: [*]const u8, len: usize, byte: u8, out: [*]u32, capacity: usize) callconv(.c) usize {
            if (Impl == search.scalar) return Impl.findAllByte(data[0..len], byte, out[0..capacity], 0);
            return Impl.findAllByte(data[0..len], byte, out[0..capacity]);
        }
        fn mismatch(a: [*]const u8, b: [*]const u8, len: usize) callconv(.c) usize {
            return position(Impl.mismatch(a[0..len], b[0..len]));
        }
    };
}

fn copySwapFn(comptime mode: Mode, comptime size: usize) CopySwapFn {
    const Impl = if (mode == .simd and config.simd_enabled) endian.Vectorized(vectorWidth()) else endian.scalar;
    return &struct {
        fn copySwap(dst: [*]u8, src: [*]const u8, len: usize) callconv(.c) void {
            Impl.copySwap(size, dst[0..len], src[0..len]);
        }
    }.copySwap;
}

fn Xxh3Fns(comptime mode: Mode) type {
    const Impl = xxh3.Xxh3(if (mode == .simd and config.simd_enabled) xxh3.vectorized else xxh3.scalar);
    return struct {
        fn hash(data: [*]const u8, len: usize, seed: u64) callconv(.c) u64 {
            return Impl.hash(data[0..len], seed);
        }
        fn update(state: *xxh3.State, data: [*]const u8, len: usize) callconv(.c) void {
            Impl.update(state, data[0..len]);
        }
        fn digest(state: *const xxh3.State) callconv(.c) u64 {
            return Impl.digest(state);
        }
    };
}

fn Utf8Fns(comptime mode: Mode) type {
    const Impl = if (mode == .simd and config.simd_enabled) utf8.Vectorized(vectorWidth()) else utf8.scalar;
    return struct {
        fn errorIndex(data: [*]const u8, len: usize) callconv(.c) usize {
            return Impl.errorIndex(data[0..len]) orelse none;
        }
        fn count(data: [*]const u8, len: usize) callconv(.c) usize {
            return Impl.countCodePoints(data[0..len]);
        }
    };
}

fn CodecFns(comptime mode: Mode) type {
    const simd = mode == .simd and config.simd_enabled;
    const Hex = if (simd) hex.Vectorized(vectorWidth()) else hex.scalar;
    const Base64 = if (simd) base64.Vectorized(vectorWidth()) else base64.scalar;
    return struct {
        fn hexEncode(dst: [*]u8, src: [*]const u8, src_len: usize) callconv(.c) void {
            Hex.encode(dst[0 .. 2 * src_len], src[0..src_len]);
        }
        fn hexDecode(dst: [*]u8, src: [*]const u8, dst_len: usize) callconv(.c) usize {
            return Hex.decode(dst[0..dst_len], src[0 .. 2 * dst_len]) orelse none;
        }
        fn base64Encode(dst: [*]u8, dst_len: usize, src: [*]const u8, src_len: usize, flags: u32) callconv(.c) void {
            const options: base64.Flags = @bitCast(flags);
            Base64.encode(dst[0..dst_len], src[0..src_len], options.url, options.padding);
        }
        fn base64Decode(dst: [*]u8, dst_len: usize, src: [*]const u8, src_len: usize, flags: u32, out: *base64.Decoded) callconv(.c) void {
            out.* = Base64.decode(dst[0..dst_len], src[0..src_len], @bitCast(flags));
        }
    };
}

fn IntFns(comptime mode: Mode) type {
    const simd = mode == .simd and config.simd_enabled;
    const Ints = if (simd) intcode.Vectorized(vectorWidth()) else intcode.scalar;
    const Varints = if (simd) intcode.VarintVectorized(vectorWidth()) else intcode.varint_scalar;
    return struct {
        fn transform(comptime T: type, dst: []T, src: []const T, op: u32, seed: T) void {
            switch (@as(intcode.Op, @enumFromInt(op))) {
                .delta_encode => Ints.deltaEncode(T, dst, src, seed),
                .delta_decode => Ints.deltaDecode(T, dst, src, seed),
                .zigzag_encode => Ints.zigzagEncode(T, dst, src),
                .zigzag_decode => Ints.zigzagDecode(T, dst, src),
            }
        }
        fn transform32(dst: [*]u32, src: [*]const u32, len: usize, op: u32, seed: u32) callconv(.c) void {
            transform(u32, dst[0..len], src[0..len], op, seed);
        }
        fn transform64(dst: [*]u64, src: [*]const u64, len: usize, op: u32, seed: u64) callconv(.c) void {
            transform(u64, dst[0..len], src[0..len], op, seed);
        }
        fn encode32(dst: [*]u8, dst_len: usize, src: [*]const u32, count: usize) callconv(.c) void {
            Varints.encode(u32, dst[0..dst_len], src[0..count]);
        }
        fn encode64(dst: [*]u8, dst_len: usize, src: [*]const u64, count: usize) callconv(.c) void {
            Varints.encode(u64, dst[0..dst_len], src[0..count]);
        }
        fn decode32(dst: [*]u32, capacity: usize, src: [*]const u8, src_len: usize, out: *intcode.VarintDecoded) callconv(.c) void {
            out.* = Varints.decode(u32, dst[0..capacity], src[0..src_len]);
        }
        fn decode64(dst: [*]u64, capacity: usize, src: [*]const u8, src_len: usize, out: *intcode.VarintDecoded) callconv(.c) void {
            out.* = Varints.decode(u64, dst[0..capacity], src[0..src_len]);
        }
    };
}

fn ReduceFns(comptime mode: Mode) type {
    const Impl = if (mode == .simd and config.simd_enabled) reduce.Vectorized(vectorWidth()) else reduce.scalar;
    return struct {
        fn elements(comptime T: type, data: [*]const u8, count: usize) []const T {
            const typed: [*]const T = @ptrCast(@alignCast(data));
            return typed[0..count];
        }
        /// Integers sign- or zero-extended to 64 bits, f32 widened to f64.
        fn widened(comptime T: type, value: T) u64 {
            if (T == f32) return @bitCast(@as(f64, value));
            if (T == f64) return @bitCast(value);
            if (@typeInfo(T).int.signedness == .signed) return @bitCast(@as(i64, value));
            return value;
        }
        fn minMax(data: [*]const u8, count: usize, element: u32, out: *[16]u64) callconv(.c) void {
            switch (@as(reduce.ElementType, @enumFromInt(element))) {
                inline else => |e| {
                    const T = reduce.Native(e);
                    const result = Impl.minMax(T, elements(T, data, count));
                    out[0..2].* = .{ widened(T, result.min), widened(T, result.max) };
                },
            }
        }
        /// Integers: the exact sum as an i128 in out[0..2]. Floats: out is
        /// 16 f64 lanes, in and out, that the elements are added to.
        fn sum(data: [*]const u8, count: usize, element: u32, out: *[16]u64) callconv(.c) void {
            switch (@as(reduce.ElementType, @enumFromInt(element))) {
                inline else => |e| {
                    const T = reduce.Native(e);
                    if (comptime @typeInfo(T) == .float) {
                        Impl.addToLanes(T, elements(T, data, count), @ptrCast(out));
                    } else {
                        const total: u128 = @bitCast(Impl.sumInt(T, elements(T, data, count)));
                        out[0..2].* = .{ @truncate(total), @truncate(total >> 64) };
                    }
                },
            }
        }
    };
}

/// This object's kernels: `.simd` as its CPU features allow, or `.scalar`
/// for the reference level.
pub fn table(comptime mode: Mode) KernelTable {
    const S = SearchFns(mode);
    return .{
        .crc32 = checksumFn(.ieee),
        .crc32c = checksumFn(.castagnoli),
        .crc32c_copy = copyChecksumFn(.castagnoli),
        .index_of_byte = &S.indexOfByte,
        .last_index_of_byte = &S.lastIndexOfByte,
        .count_byte = &S.countByte,
        .index_of_any = &S.indexOfAny,
        .index_of_other = &S.indexOfOther,
        .index_of_subarray = &S.indexOfSubarray,
        .find_all_byte = &S.findAllByte,
        .mismatch = &S.mismatch,
        .copy_swap16 = copySwapFn(mode, 2),
        .copy_swap32 = copySwapFn(mode, 4),
        .copy_swap64 = copySwapFn(mode, 8),
        .xxh3 = &Xxh3Fns(mode).hash,
        .xxh3_update = &Xxh3Fns(mode).update,
        .xxh3_digest = &Xxh3Fns(mode).digest,
        .utf8_error_index = &Utf8Fns(mode).errorIndex,
        .utf8_count = &Utf8Fns(mode).count,
        .hex_encode = &CodecFns(mode).hexEncode,
        .hex_decode = &CodecFns(mode).hexDecode,
        .base64_encode = &CodecFns(mode).base64Encode,
        .base64_decode = &CodecFns(mode).base64Decode,
        .int_transform32 = &IntFns(mode).transform32,
        .int_transform64 = &IntFns(mode).transform64,
        .varint_encode32 = &IntFns(mode).encode32,
        .varint_encode64 = &IntFns(mode).encode64,
        .varint_decode32 = &IntFns(mode).decode32,
        .varint_decode64 = &IntFns(mode).decode64,
        .min_max = &ReduceFns(mode).minMax,
        .sum = &ReduceFns(mode).sum,
        .gather_field = &TransposeFns(mode).gather,
    };
}
