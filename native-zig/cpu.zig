//! CPU levels, their detection, and the dispatch table in force.
//!
//! Each SIMD level is a separate object built from the same sources with its
//! own -mcpu (see build.ts); each exports one hidden `KernelTable`. The table
//! in force is chosen once at load from CPUID and XGETBV, and may be forced
//! to any level this CPU supports (tests run every level on one machine).

const std = @import("std");
const builtin = @import("builtin");
const kernels = @import("kernels.zig");
const Status = @import("status.zig").Status;
const assert = std.debug.assert;

pub const Level = enum(u32) {
    scalar = 0,
    sse42 = 1,
    avx2 = 2,
    avx512 = 3,
    neon = 4,
};

const is_x86 = builtin.cpu.arch == .x86_64;
const is_aarch64 = builtin.cpu.arch == .aarch64;

extern const binlane_level_sse42: kernels.KernelTable;
extern const binlane_level_avx2: kernels.KernelTable;
extern const binlane_level_avx512: kernels.KernelTable;
extern const binlane_level_neon: kernels.KernelTable;

/// The levels compiled into this library, best last.
pub const built_levels: []const Level = if (is_x86)
    &.{ .scalar, .sse42, .avx2, .avx512 }
else if (is_aarch64)
    &.{ .scalar, .neon }
else
    &.{.scalar};

const scalar_table = kernels.table(.scalar);

fn tableFor(level: Level) *const kernels.KernelTable {
    if (is_x86) switch (level) {
        .sse42 => return &binlane_level_sse42,
        .avx2 => return &binlane_level_avx2,
        .avx512 => return &binlane_level_avx512,
        else => {},
    };
    if (is_aarch64 and level == .neon) return &binlane_level_neon;
    assert(level == .scalar);
    return &scalar_table;
}

var active_table: std.atomic.Value(*const kernels.KernelTable) = .init(&scalar_table);
var active_level: std.atomic.Value(u32) = .init(@intFromEnum(Level.scalar));

pub fn active() *const kernels.KernelTable {
    return active_table.load(.acquire);
}

pub fn activeLevel() Level {
    return @enumFromInt(active_level.load(.acquire));
}

/// Bit i set: level i is built into this library and this CPU runs it.
pub fn supportedMask() u32 {
    var mask: u32 = 0;
    for (built_levels) |level| {
        if (cpuRuns(level)) mask |= @as(u32, 1) << @intCast(@intFromEnum(level));
    }
    return mask;
}

pub fn best() Level {
    var result: Level = .scalar;
    for (built_levels) |level| {
        if (cpuRuns(level)) result = level;
    }
    return result;
}

pub fn select(raw_level: u32) Status {
    const level = std.enums.fromInt(Level, raw_level) orelse return .invalid_argument;
    if (supportedMask() & (@as(u32, 1) << @intCast(raw_level)) == 0) return .unsupported_cpu;
    active_table.store(tableFor(level), .release);
    active_level.store(raw_level, .release);
    return .ok;
}

fn cpuRuns(level: Level) bool {
    return switch (level) {
        .scalar => true,
        .sse42, .avx2, .avx512 => is_x86 and x86Runs(level),
        .neon => is_aarch64 and aarch64Runs(),
    };
}

const CpuidResult = struct { eax: u32, ebx: u32, ecx: u32, edx: u32 };

fn cpuid(leaf: u32, subleaf: u32) CpuidResult {
    var eax: u32 = undefined;
    var ebx: u32 = undefined;
    var ecx: u32 = undefined;
    var edx: u32 = undefined;
    asm volatile ("cpuid"
        : [_] "={eax}" (eax),
          [_] "={ebx}" (ebx),
          [_] "={ecx}" (ecx),
          [_] "={edx}" (edx),
        : [_] "{eax}" (leaf),
          [_] "{ecx}" (subleaf),
    );
    return .{ .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx };
}

fn xcr0() u32 {
    return asm volatile (
        \\ xor %%ecx, %%ecx
        \\ xgetbv
        : [_] "={eax}" (-> u32),
        :
        : .{ .edx = true, .ecx = true });
}

fn hasBits(word: u32, bits: []const u5) bool {
    for (bits) |bit| {
        if (word & (@as(u32, 1) << bit) == 0) return false;
    }
    return true;
}

/// Each level checks every feature its -mcpu lets the compiler use: all of
/// x86-64-v2/v3/v4 plus the carry-less multiply each level adds.
fn x86Runs(level: Level) bool {
    const max_leaf = cpuid(0, 0).eax;
    if (max_leaf < 7) return false;
    const l1 = cpuid(1, 0);
    const l7 = cpuid(7, 0);
    const ext = cpuid(0x8000_0001, 0);
    // v2: sse3 0, pclmul 1, ssse3 9, cx16 13, sse4.1 19, sse4.2 20, popcnt 23; lahf 0 (ext)
    const v2 = hasBits(l1.ecx, &.{ 0, 1, 9, 13, 19, 20, 23 }) and hasBits(ext.ecx, &.{0});
    if (level == .sse42) return v2;
    // XSAVE-enabled OS (osxsave 27) with SSE and AVX state in XCR0.
    if (!hasBits(l1.ecx, &.{27})) return false;
    const xcr = xcr0();
    // v3: fma 12, movbe 22, xsave 26, avx 28, f16c 29; avx2 5, bmi1 3, bmi2 8; lzcnt 5 (ext)
    const v3 = v2 and (xcr & 0b110) == 0b110 and hasBits(l1.ecx, &.{ 12, 22, 26, 28, 29 }) and
        hasBits(l7.ebx, &.{ 3, 5, 8 }) and hasBits(ext.ecx, &.{5});
    if (level == .avx2) return v3;
    assert(level == .avx512);
    // v4: avx512f 16, dq 17, cd 28, bw 30, vl 31; vpclmulqdq 10 (ecx); opmask and ZMM state
    return v3 and (xcr & 0b1110_0000) == 0b1110_0000 and
        hasBits(l7.ebx, &.{ 16, 17, 28, 30, 31 }) and hasBits(l7.ecx, &.{10});
}

fn aarch64Runs() bool {
    // Every Apple arm64 CPU has the CRC and PMULL extensions; Linux traps and
    // emulates reads of the ID registers for user space (HWCAP_CPUID, 4.11+).
    if (builtin.os.tag.isDarwin()) return true;
    if (builtin.os.tag != .linux) return false;
    const isar0 = asm volatile ("mrs %[out], ID_AA64ISAR0_EL1"
        : [out] "=r" (-> u64),
    );
    const aes_field = (isar0 >> 4) & 0xf; // 2 = AES + PMULL
    const crc_field = (isar0 >> 16) & 0xf; // 1 = CRC32
    return aes_field >= 2 and crc_field >= 1;
}
