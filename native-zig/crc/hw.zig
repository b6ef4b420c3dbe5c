//! CRC instructions: x86 SSE4.2 `crc32` (CRC-32C only) and the ARMv8 CRC
//! extension (both polynomials). Which exist is a comptime fact of the
//! object being compiled; callers test `available(poly)` first.

const std = @import("std");
const builtin = @import("builtin");
const config = @import("../config.zig");
const poly_math = @import("poly.zig");
const Poly = poly_math.Poly;
const assert = std.debug.assert;

const has_sse42 = builtin.cpu.arch == .x86_64 and
    std.Target.x86.featureSetHas(builtin.cpu.features, .sse4_2);
const has_arm_crc = builtin.cpu.arch == .aarch64 and
    std.Target.aarch64.featureSetHas(builtin.cpu.features, .crc);

pub fn available(comptime poly: Poly) bool {
    if (!config.simd_enabled) return false;
    return switch (poly) {
        .castagnoli => has_sse42 or has_arm_crc,
        .ieee => has_arm_crc,
    };
}

inline fn step64(comptime poly: Poly, reg: u32, word: u64) u32 {
    if (has_sse42) {
        comptime assert(poly == .castagnoli);
        return @truncate(asm ("crc32q %[word], %[reg]"
            : [reg] "=r" (-> u64),
            : [word] "r" (word),
              [_] "0" (@as(u64, reg)),
        ));
    }
    return switch (poly) {
        .castagnoli => asm ("crc32cx %[out:w], %[reg:w], %[word:x]"
            : [out] "=r" (-> u32),
            : [reg] "r" (reg),
              [word] "r" (word),
        ),
        .ieee => asm ("crc32x %[out:w], %[reg:w], %[word:x]"
            : [out] "=r" (-> u32),
            : [reg] "r" (reg),
              [word] "r" (word),
        ),
    };
}

inline fn step8(comptime poly: Poly, reg: u32, byte: u8) u32 {
    if (has_sse42) {
        return asm ("crc32b %[byte], %[reg]"
            : [reg] "=r" (-> u32),
            : [byte] "r" (byte),
              [_] "0" (reg),
        );
    }
    return switch (poly) {
        .castagnoli => asm ("crc32cb %[out:w], %[reg:w], %[byte:w]"
            : [out] "=r" (-> u32),
            : [reg] "r" (reg),
              [byte] "r" (byte),
        ),
        .ieee => asm ("crc32b %[out:w], %[reg:w], %[byte:w]"
            : [out] "=r" (-> u32),
            : [reg] "r" (reg),
              [byte] "r" (byte),
        ),
    };
}

/// One instruction stream: latency-bound (3 cycles per 8 bytes on x86).
pub fn update(comptime poly: Poly, reg_in: u32, data: []const u8) u32 {
    comptime assert(available(poly));
    var reg = reg_in;
    var i: usize = 0;
    while (i + 8 <= data.len) : (i += 8) {
        reg = step64(poly, reg, std.mem.readInt(u64, data[i..][0..8], .little));
    }
    while (i < data.len) : (i += 1) reg = step8(poly, reg, data[i]);
    return reg;
}

/// Stream lengths for the three-way split, as in Mark Adler's crc32c.c: long
/// blocks amortise the combine, short blocks keep medium inputs parallel.
const long_len = 8192;
const short_len = 256;

fn ShiftTables(comptime poly: Poly) type {
    return struct {
        const long = poly_math.shiftTables(poly, long_len);
        const short = poly_math.shiftTables(poly, short_len);
    };
}

fn threeStreams(comptime poly: Poly, comptime len: usize, reg: u32, block: *const [3 * len]u8) [3]u32 {
    var regs = [3]u32{ reg, 0, 0 };
    var i: usize = 0;
    while (i < len) : (i += 8) {
        inline for (0..3) |s| {
            regs[s] = step64(poly, regs[s], std.mem.readInt(u64, block[s * len + i ..][0..8], .little));
        }
    }
    return regs;
}

/// Three independent instruction streams over thirds of a block, combined by
/// shifting with comptime tables: the instruction's throughput, not its
/// latency, becomes the limit.
pub fn updateInterleaved(comptime poly: Poly, reg_in: u32, data: []const u8) u32 {
    comptime assert(available(poly));
    const tables = ShiftTables(poly);
    var reg = reg_in;
    var rest = data;
    while (rest.len >= 3 * long_len) : (rest = rest[3 * long_len ..]) {
        const r = threeStreams(poly, long_len, reg, rest[0 .. 3 * long_len]);
        reg = poly_math.shift(&tables.long, poly_math.shift(&tables.long, r[0]) ^ r[1]) ^ r[2];
    }
    while (rest.len >= 3 * short_len) : (rest = rest[3 * short_len ..]) {
        const r = threeStreams(poly, short_len, reg, rest[0 .. 3 * short_len]);
        reg = poly_math.shift(&tables.short, poly_math.shift(&tables.short, r[0]) ^ r[1]) ^ r[2];
    }
    return update(poly, reg, rest);
}
