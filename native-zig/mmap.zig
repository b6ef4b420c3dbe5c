//! Memory-mapped files behind opaque handles, safe against truncation.
//!
//! A file truncated under a mapping raises SIGBUS on the next access to a
//! page past its new end, in JIT code, in a kernel, anywhere: the runtime
//! dies. So the first mapping installs a SIGBUS handler. For a fault inside
//! one of our mappings it maps anonymous zero pages over the rest of the
//! mapping, counts the fault and returns: the access is retried and reads
//! zero. `binlane_map_check` and `binlane_map_sync` then report `truncated`
//! (TypeScript makes that `E_TRUNCATED`), so the zeros never pass as data.
//! Any other SIGBUS goes to the handler that was there before (the
//! runtime's), or, if there was none, kills the process as it would have.
//!
//! The handler reads the slot table without locks: a slot is published by
//! storing `state = open` after its fields, and a closer marks it `closing`
//! and waits for running handlers to finish before it unmaps, so a handler
//! never maps zero pages over memory that was unmapped and reused.

const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const Status = @import("status.zig").Status;
const assert = std.debug.assert;

pub const supported = builtin.os.tag == .linux or builtin.os.tag.isDarwin();

/// Bits of `binlane_map_open`'s flags.
pub const Flags = struct {
    pub const readwrite: u32 = 1;
    /// Create the file when missing (readwrite only).
    pub const create: u32 = 2;
    pub const all: u32 = readwrite | create;
};

/// `binlane_map_open`'s size for "the whole file, as it is".
pub const whole_file: u64 = std.math.maxInt(u64);
/// As in alloc.zig: a length past this is a caller's arithmetic slip.
pub const max_size: u64 = 1 << 48;
/// Mappings open at once; a fault scans them all, so the table stays small.
pub const max_maps: u32 = 1024;

const State = enum(u8) { free, open, closing };

const Slot = struct {
    state: std.atomic.Value(State) = .init(.free),
    /// Page-aligned start and page-rounded length of the mapping.
    start: usize = 0,
    span: usize = 0,
    /// The length the caller asked for and the handle checks.
    len: u64 = 0,
    fd: c_int = -1,
    writable: bool = false,
    faults: std.atomic.Value(u32) = .init(0),
    generation: u32 = 0,
};

var slots: [max_maps]Slot = [_]Slot{.{}} ** max_maps;
var mutex: std.Thread.Mutex = .{};
var handlers_running: std.atomic.Value(u32) = .init(0);
var handler_installed: bool = false;
var previous_action: Sigaction = undefined;
var page_size: usize = 0;

/// errno of the last failed call on this thread, for `binlane_last_os_error`.
threadlocal var last_errno: u32 = 0;

pub fn lastOsError() u32 {
    return last_errno;
}

const Sigaction = if (supported) std.c.Sigaction else void;

fn osError() Status {
    last_errno = @intCast(@max(0, std.c._errno().*));
    return .os_error;
}

fn handleOf(index: u32, generation: u32) u64 {
    return (@as(u64, generation) << 32) | (@as(u64, index) + 1);
}

/// The open slot `handle` names, if it maps `len` bytes.
fn find(handle: u64, len: u64) ?*Slot {
    const index_plus_one: u32 = @truncate(handle);
    const generation: u32 = @intCast(handle >> 32);
    if (index_plus_one == 0 or index_plus_one > max_maps) return null;
    const slot = &slots[index_plus_one - 1];
    if (slot.state.load(.acquire) != .open) return null;
    if (slot.generation != generation or slot.len != len) return null;
    return slot;
}

fn freeIndex() ?u32 {
    for (&slots, 0..) |*slot, index| {
        if (slot.state.load(.acquire) == .free) return @intCast(index);
    }
    return null;
}

pub fn open(path: []const u8, flags: u32, size: u64, out: *abi.AllocResult) Status {
    if (!supported) return .unsupported_platform;
    if (flags & ~Flags.all != 0) return .invalid_argument;
    const writable = flags & Flags.readwrite != 0;
    if (flags & Flags.create != 0 and !writable) return .invalid_argument;
    if (size != whole_file and size > max_size) return .length;
    var path_z: [4096]u8 = undefined;
    if (path.len == 0 or path.len >= path_z.len) return .invalid_argument;
    if (std.mem.indexOfScalar(u8, path, 0) != null) return .invalid_argument;
    @memcpy(path_z[0..path.len], path);
    path_z[path.len] = 0;

    const path_ptr: [*:0]const u8 = @ptrCast(&path_z);
    // O_NONBLOCK: open(2) of a FIFO would wait for a writer forever; fstat checks the type next.
    var open_flags: std.c.O = .{
        .ACCMODE = if (writable) .RDWR else .RDONLY,
        .CLOEXEC = true,
        .NONBLOCK = true,
        .NOCTTY = true,
    };
    var fd = std.c.open(path_ptr, open_flags, @as(c_uint, 0o644));
    // A file this call creates is removed again if the mapping fails: a failed call leaves no trace.
    var created = false;
    if (fd < 0 and flags & Flags.create != 0 and std.c._errno().* == @intFromEnum(std.c.E.NOENT)) {
        open_flags.CREAT = true;
        open_flags.EXCL = true;
        fd = std.c.open(path_ptr, open_flags, @as(c_uint, 0o644));
        created = fd >= 0;
    }
    if (fd < 0) return osError();
    const status = mapOpened(fd, writable, size, out);
    if (status != .ok) {
        _ = std.c.close(fd);
        if (created) _ = std.c.unlink(path_ptr);
    }
    return status;
}

fn mapOpened(fd: c_int, writable: bool, size: u64, out: *abi.AllocResult) Status {
    var stat: std.c.Stat = undefined;
    if (std.c.fstat(fd, &stat) != 0) return osError();
    if (!std.c.S.ISREG(@intCast(stat.mode))) return .not_regular_file;
    // A regular file never blocks; the flag is cleared so the descriptor behaves as any other.
    const fd_flags = std.c.fcntl(fd, std.c.F.GETFL);
    if (fd_flags < 0) return osError();
    const nonblock: c_int = @bitCast(@as(u32, @bitCast(std.c.O{ .NONBLOCK = true })));
    if (std.c.fcntl(fd, std.c.F.SETFL, fd_flags & ~nonblock) != 0) return osError();
    const file_len: u64 = @intCast(@max(0, stat.size));
    if (file_len > max_size) return .length;
    const len = if (size == whole_file) file_len else size;
    if (len <= file_len) return install(fd, writable, len, out);
    // Mapping past the end would fault at once; only a writer may grow the file.
    if (!writable) return .length;
    if (std.c.ftruncate(fd, @intCast(len)) != 0) return osError();
    const status = install(fd, writable, len, out);
    // A failed call leaves the file as it found it.
    if (status != .ok) _ = std.c.ftruncate(fd, @intCast(file_len));
    return status;
}

/// Maps `len` bytes of `fd`, which holds at least that many, into a free slot.
fn install(fd: c_int, writable: bool, len: u64, out: *abi.AllocResult) Status {
    mutex.lock();
    defer mutex.unlock();
    const index = freeIndex() orelse return .out_of_memory;
    const slot = &slots[index];
    var start: usize = 0;
    var span: usize = 0;
    if (len > 0) {
        if (page_size == 0) page_size = std.heap.pageSize();
        span = std.mem.alignForward(usize, @intCast(len), page_size);
        const protection: c_uint = std.c.PROT.READ | std.c.PROT.WRITE;
        // A reader's mapping is private: a write from JavaScript (the bytes are
        // an ordinary ArrayBuffer) stays in this process instead of faulting.
        const sharing: std.c.MAP = .{ .TYPE = if (writable) .SHARED else .PRIVATE };
        const mapped = std.c.mmap(null, span, protection, sharing, fd, 0);
        if (mapped == std.c.MAP_FAILED) return osError();
        start = @intFromPtr(mapped);
        installHandler();
    }
    slot.start = start;
    slot.span = span;
    slot.len = len;
    slot.fd = fd;
    slot.writable = writable;
    slot.faults.store(0, .monotonic);
    slot.state.store(.open, .release);
    out.* = .{ .handle = handleOf(index, slot.generation), .address = start, .size = len };
    return .ok;
}

/// `truncated` once a fault was covered with zero pages, or while the file
/// is shorter than the mapping; `ok` otherwise.
pub fn check(handle: u64, len: u64) Status {
    if (!supported) return .unsupported_platform;
    mutex.lock();
    defer mutex.unlock();
    const slot = find(handle, len) orelse return .invalid_handle;
    return checkSlot(slot);
}

fn checkSlot(slot: *Slot) Status {
    if (slot.faults.load(.acquire) != 0) return .truncated;
    var stat: std.c.Stat = undefined;
    if (std.c.fstat(slot.fd, &stat) != 0) return osError();
    if (stat.size < 0 or @as(u64, @intCast(stat.size)) < slot.len) return .truncated;
    return .ok;
}

/// Writes a writer's dirty pages to the file and waits, then checks.
pub fn sync(handle: u64, len: u64) Status {
    if (!supported) return .unsupported_platform;
    mutex.lock();
    defer mutex.unlock();
    const slot = find(handle, len) orelse return .invalid_handle;
    if (slot.writable and slot.span > 0) {
        const memory: *align(std.heap.page_size_min) anyopaque = @ptrFromInt(slot.start);
        if (std.c.msync(memory, slot.span, std.c.MSF.SYNC) != 0) return osError();
    }
    return checkSlot(slot);
}

/// Closes in every case a handle is valid, then reports `truncated` if zeros
/// were ever read in place of the file's bytes.
pub fn close(handle: u64, len: u64) Status {
    if (!supported) return .unsupported_platform;
    mutex.lock();
    defer mutex.unlock();
    const slot = find(handle, len) orelse return .invalid_handle;
    slot.state.store(.closing, .seq_cst);
    // A handler that saw `open` may be mapping zero pages into this range.
    var spins: u64 = 0;
    while (handlers_running.load(.seq_cst) != 0) : (spins += 1) {
        assert(spins < 1 << 40);
        std.atomic.spinLoopHint();
    }
    if (slot.span > 0) {
        const memory: *align(std.heap.page_size_min) anyopaque = @ptrFromInt(slot.start);
        const unmapped = std.c.munmap(memory, slot.span);
        assert(unmapped == 0);
    }
    _ = std.c.close(slot.fd);
    const faults = slot.faults.load(.acquire);
    slot.fd = -1;
    slot.start = 0;
    slot.span = 0;
    slot.len = 0;
    slot.generation +%= 1;
    slot.state.store(.free, .release);
    return if (faults == 0) .ok else .truncated;
}

// The SIGBUS handler ---------------------------------------------------------

fn installHandler() void {
    assert(supported);
    if (handler_installed) return;
    const ours: Sigaction = .{
        .handler = .{ .sigaction = &onSigbus },
        .mask = std.mem.zeroes(std.c.sigset_t),
        .flags = std.c.SA.SIGINFO | std.c.SA.ONSTACK,
    };
    // The previous action is saved before ours can run, so a fault never chains to garbage.
    const queried = std.c.sigaction(std.c.SIG.BUS, null, &previous_action);
    assert(queried == 0);
    const installed = std.c.sigaction(std.c.SIG.BUS, &ours, null);
    assert(installed == 0);
    handler_installed = true;
}

fn faultAddress(info: *const std.c.siginfo_t) usize {
    if (builtin.os.tag == .linux) return @intFromPtr(info.fields.sigfault.addr);
    return @intFromPtr(info.addr);
}

fn onSigbus(signal: i32, info: *const std.c.siginfo_t, context: ?*anyopaque) callconv(.c) void {
    _ = handlers_running.fetchAdd(1, .seq_cst);
    const covered = coverFault(faultAddress(info));
    _ = handlers_running.fetchSub(1, .seq_cst);
    if (!covered) chain(signal, info, context);
}

/// Maps zero pages from the faulting page to the end of the mapping that
/// holds `address`; false when no mapping of ours holds it.
fn coverFault(address: usize) bool {
    for (&slots) |*slot| {
        if (slot.state.load(.seq_cst) != .open) continue;
        if (address < slot.start or address - slot.start >= slot.span) continue;
        const page = address & ~(page_size - 1);
        const rest = slot.start + slot.span - page;
        const protection: c_uint = std.c.PROT.READ | std.c.PROT.WRITE;
        const zero_pages: std.c.MAP = .{ .TYPE = .PRIVATE, .ANONYMOUS = true, .FIXED = true };
        const mapped = std.c.mmap(@ptrFromInt(page), rest, protection, zero_pages, -1, 0);
        if (mapped == std.c.MAP_FAILED) return false;
        _ = slot.faults.fetchAdd(1, .release);
        return true;
    }
    return false;
}

fn chain(signal: i32, info: *const std.c.siginfo_t, context: ?*anyopaque) void {
    const previous = previous_action;
    if (previous.flags & std.c.SA.SIGINFO != 0) {
        if (previous.handler.sigaction) |handler| return handler(signal, info, context);
    } else if (previous.handler.handler) |handler| {
        if (@intFromPtr(handler) != 1) return handler(signal); // 1 is SIG_IGN
    }
    // No handler before ours: die as the fault would have. The re-raised signal
    // is blocked until this returns; a fault simply recurs.
    const default_action: Sigaction = .{
        .handler = .{ .handler = null },
        .mask = std.mem.zeroes(std.c.sigset_t),
        .flags = 0,
    };
    _ = std.c.sigaction(std.c.SIG.BUS, &default_action, null);
    _ = std.c.raise(signal);
}
