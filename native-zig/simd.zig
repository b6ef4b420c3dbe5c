//! SIMD operations Zig has no builtin for: a runtime byte table lookup and
//! x86's multiply-and-pack instructions, as inline asm per architecture.
//! Every lane computes the same as the portable code it replaces; the
//! kernels' scalar references test that.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;

const is_x86 = builtin.cpu.arch == .x86_64;
const has_avx = is_x86 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx);

/// `table[index[i]]` per byte, where every index is below 16. Zig's
/// `@shuffle` takes only comptime masks; this is PSHUFB, VPSHUFB or TBL.
/// x86's shuffles look up within each 16-byte lane, so the table repeats.
pub fn lookup16(comptime width: usize, comptime table: [16]u8, index: @Vector(width, u8)) @Vector(width, u8) {
    const Block = @Vector(width, u8);
    const repeated: Block = comptime blk: {
        var bytes: [width]u8 = undefined;
        for (0..width) |i| bytes[i] = table[i % 16];
        break :blk bytes;
    };
    if (builtin.cpu.arch == .aarch64) {
        comptime assert(width == 16);
        return asm ("tbl %[out].16b, {%[table].16b}, %[index].16b"
            : [out] "=w" (-> Block),
            : [table] "w" (repeated),
              [index] "w" (index),
        );
    }
    comptime assert(is_x86);
    if (!has_avx) {
        comptime assert(width == 16);
        return asm ("pshufb %[index], %[out]"
            : [out] "=x" (-> Block),
            : [index] "x" (index),
              [_] "0" (repeated),
        );
    }
    return asm ("vpshufb %[index], %[table], %[out]"
        : [out] "=v" (-> Block),
        : [table] "v" (repeated),
          [index] "v" (index),
    );
}

/// A two-operand x86 vector instruction, `out = op(a, b)`, in its VEX or
/// EVEX form when AVX is there and its SSE form otherwise.
fn x86Binary(comptime mnemonic: []const u8, comptime Out: type, a: anytype, b: anytype) Out {
    comptime assert(is_x86);
    if (!has_avx) {
        comptime assert(@sizeOf(Out) == 16);
        return asm (mnemonic ++ " %[b], %[out]"
            : [out] "=x" (-> Out),
            : [b] "x" (b),
              [_] "0" (a),
        );
    }
    return asm ("v" ++ mnemonic ++ " %[b], %[a], %[out]"
        : [out] "=v" (-> Out),
        : [a] "v" (a),
          [b] "v" (b),
    );
}

/// The high halves of the unsigned products of u16 lanes (PMULHUW).
pub fn mulHigh16(comptime lanes: usize, a: @Vector(lanes, u16), b: @Vector(lanes, u16)) @Vector(lanes, u16) {
    if (is_x86) return x86Binary("pmulhuw", @Vector(lanes, u16), a, b);
    const wide = @as(@Vector(lanes, u32), a) * @as(@Vector(lanes, u32), b);
    return @truncate(wide >> @splat(16));
}

/// Per pair of bytes, `a[2i] * b[2i] + a[2i+1] * b[2i+1]` as a u16, for
/// unsigned `a` and small positive `b` whose sums fit (PMADDUBSW).
pub fn pairSums8(comptime width: usize, a: @Vector(width, u8), b: @Vector(width, u8)) @Vector(width / 2, u16) {
    if (is_x86) return x86Binary("pmaddubsw", @Vector(width / 2, u16), a, b);
    const pairs_a: @Vector(width / 2, u16) = @bitCast(a);
    const pairs_b: @Vector(width / 2, u16) = @bitCast(b);
    const mask: @Vector(width / 2, u16) = @splat(0xFF);
    return (pairs_a & mask) * (pairs_b & mask) + (pairs_a >> @splat(8)) * (pairs_b >> @splat(8));
}

/// Per pair of u16 lanes, `a[2i] * b[2i] + a[2i+1] * b[2i+1]` as a u32,
/// for values whose sums fit (PMADDWD).
pub fn pairSums16(comptime lanes: usize, a: @Vector(lanes, u16), b: @Vector(lanes, u16)) @Vector(lanes / 2, u32) {
    if (is_x86) return x86Binary("pmaddwd", @Vector(lanes / 2, u32), a, b);
    const pairs_a: @Vector(lanes / 2, u32) = @bitCast(a);
    const pairs_b: @Vector(lanes / 2, u32) = @bitCast(b);
    const mask: @Vector(lanes / 2, u32) = @splat(0xFFFF);
    return (pairs_a & mask) * (pairs_b & mask) + (pairs_a >> @splat(16)) * (pairs_b >> @splat(16));
}
