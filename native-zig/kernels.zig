//! The kernel table: what one CPU level provides. Each level object exports
//! one (level.zig); the boundary calls through the table in force (cpu.zig).

const crc = @import("crc/crc.zig");

pub const Crc32Fn = *const fn (seed: u32, data: [*]const u8, len: usize) callconv(.c) u32;

pub const KernelTable = extern struct {
    crc32: Crc32Fn,
    crc32c: Crc32Fn,
};

fn checksumFn(comptime poly: crc.Poly) Crc32Fn {
    return &struct {
        fn checksum(seed: u32, data: [*]const u8, len: usize) callconv(.c) u32 {
            return crc.checksum(poly, seed, data[0..len]);
        }
    }.checksum;
}

/// This object's kernels, as its CPU features allow.
pub fn table() KernelTable {
    return .{
        .crc32 = checksumFn(.ieee),
        .crc32c = checksumFn(.castagnoli),
    };
}
