//! Root of each SIMD level's object: the same kernel sources, compiled with
//! the level's -mcpu (build.ts), exported as one hidden table whose name
//! build.ts passes in through the `level_name` option module.

const kernels = @import("kernels.zig");
const level_name = @import("level_name").name;

const table: kernels.KernelTable = kernels.table(.simd);

comptime {
    @export(&table, .{ .name = "binlane_level_" ++ level_name, .visibility = .hidden });
}
