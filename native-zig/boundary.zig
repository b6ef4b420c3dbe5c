//! The boundary: every `export fn` of the library, and nothing else. Only
//! pointers, fixed-width integers and the extern structs of abi.zig cross.
//!
//! Conventions, relied on by ffi/symbols.ts:
//! - Calls that can fail return a `Status` (u32); results go to out-pointers.
//!   Kernels are the exception: they return their result, since an
//!   out-pointer is a second buffer argument and in Deno each costs ~11 ns
//!   (two buffers 25.5 ns a call, one 15.1 ns, measured here). A kernel that
//!   refuses its input returns its seed unchanged and leaves the status for
//!   `binlane_take_status`; TypeScript asks for it whenever a non-empty
//!   input comes back equal to its seed, so no refusal goes unseen.
//! - A (NULL, 0) buffer is valid and empty: Deno passes NULL for empty and
//!   detached buffers. A NULL pointer with a non-zero length is refused.
//! - Byte lengths are u32, so Deno's fast call path takes plain JS numbers
//!   (a 64-bit parameter would want a BigInt); src/ splits larger inputs.
//! - Search kernels return positions and counts as u32, which are below
//!   2^31 because their inputs are (longer ones are refused). Values from
//!   2^31 up are signals: `not_found`, and `refused` with the status left
//!   for `binlane_take_status`.
//! - Out-structs come with their size, checked against @sizeOf.

const std = @import("std");
const abi = @import("abi.zig");
const alloc = @import("alloc.zig");
const cpu = @import("cpu.zig");
const kernels = @import("kernels.zig");
const xxh3 = @import("hash/xxh3.zig");
const base64 = @import("base64.zig");
const transpose = @import("transpose.zig");
const frame = @import("frame.zig");
const intcode = @import("intcode.zig");
const reduce = @import("reduce.zig");
const mmap = @import("mmap.zig");
const Status = @import("status.zig").Status;

fn code(status: Status) u32 {
    return @intFromEnum(status);
}

/// Per thread: native code may be called from workers at once.
threadlocal var refused: Status = .ok;

fn refuse(status: Status, seed: u32) u32 {
    refused = status;
    return seed;
}

/// The status of the last refused kernel call on this thread, then .ok.
export fn binlane_take_status() u32 {
    const status = refused;
    refused = .ok;
    return code(status);
}

fn bytesOrNull(data: ?[*]const u8, len: u32) ?[]const u8 {
    if (data) |pointer| return pointer[0..len];
    if (len == 0) return &.{};
    return null;
}

/// Search kernels' "no such position".
const not_found: u32 = 0xFFFF_FFFF;
/// Search kernels' "input refused; ask binlane_take_status why".
const refused_signal: u32 = 0xFFFF_FFFE;
/// `binlane_utf8_count`'s "the input is not valid UTF-8".
const invalid_utf8: u32 = 0xFFFF_FFFD;
/// Longest input a search kernel takes, so positions never meet the signals.
const max_search_len: u32 = 1 << 31;

fn refuseSearch(status: Status) u32 {
    refused = status;
    return refused_signal;
}

fn searchBytes(data: ?[*]const u8, len: u32) ?[]const u8 {
    if (len >= max_search_len) return null;
    return bytesOrNull(data, len);
}

fn position(found: usize) u32 {
    if (found == kernels.none) return not_found;
    std.debug.assert(found < max_search_len);
    return @intCast(found);
}

export fn binlane_abi_version() u32 {
    return abi.abi_version;
}

export fn binlane_layout_table_len() u32 {
    return abi.layout_table.len;
}

export fn binlane_layout_table(out: ?[*]u32, capacity: u32) u32 {
    const target = out orelse return code(.invalid_argument);
    if (capacity < abi.layout_table.len) return code(.buffer_too_small);
    @memcpy(target[0..abi.layout_table.len], &abi.layout_table);
    return code(.ok);
}

/// The best level this library and CPU support.
export fn binlane_cpu_best() u32 {
    return @intFromEnum(cpu.best());
}

/// Bit i set: level i can be selected.
export fn binlane_cpu_supported() u32 {
    return cpu.supportedMask();
}

export fn binlane_cpu_active() u32 {
    return @intFromEnum(cpu.activeLevel());
}

export fn binlane_cpu_select(level: u32) u32 {
    return code(cpu.select(level));
}

export fn binlane_crc32(data: ?[*]const u8, len: u32, seed: u32) u32 {
    const bytes = bytesOrNull(data, len) orelse return refuse(.invalid_argument, seed);
    return cpu.active().crc32(seed, bytes.ptr, bytes.len);
}

export fn binlane_crc32c(data: ?[*]const u8, len: u32, seed: u32) u32 {
    const bytes = bytesOrNull(data, len) orelse return refuse(.invalid_argument, seed);
    return cpu.active().crc32c(seed, bytes.ptr, bytes.len);
}

/// Copies `src` into the first `src_len` bytes of `dst` and returns their
/// CRC-32C continued from `seed`, reading `src` once for both. `dst` shorter
/// than `src`, a NULL with a length, or overlapping buffers are refused:
/// nothing is written and `seed` comes back, the status left.
export fn binlane_crc32c_copy(dst: ?[*]u8, dst_len: u32, src: ?[*]const u8, src_len: u32, seed: u32) u32 {
    const from = bytesOrNull(src, src_len) orelse return refuse(.invalid_argument, seed);
    const to = outBytes(dst, dst_len) orelse return refuse(.invalid_argument, seed);
    if (from.len > to.len) return refuse(.length, seed);
    const target = to[0..from.len];
    if (!apart(@intFromPtr(target.ptr), @intFromPtr(from.ptr), from.len)) return refuse(.invalid_argument, seed);
    return cpu.active().crc32c_copy(seed, target.ptr, from.ptr, from.len);
}

/// Copies `count` bytes from `src` at `src_at` to `dst` at `dst_at`, and
/// returns the CRC-32C, continued from `seed`, of the copied bytes that land
/// in `dst[crc_from..crc_to]`: a frame assembled from chunks, its payload
/// checksummed as it is copied, with one call and no views made in JS for
/// the header and trailer around it. A range past either buffer, a window
/// that ends before it starts, a NULL with a length, or overlapping bytes
/// are refused: nothing is written and `seed` comes back, the status left.
export fn binlane_crc32c_copy_at(
    dst: ?[*]u8,
    dst_len: u32,
    dst_at: u32,
    src: ?[*]const u8,
    src_len: u32,
    src_at: u32,
    count: u32,
    crc_from: u32,
    crc_to: u32,
    seed: u32,
) u32 {
    const from = bytesOrNull(src, src_len) orelse return refuse(.invalid_argument, seed);
    const to = outBytes(dst, dst_len) orelse return refuse(.invalid_argument, seed);
    if (src_at > from.len or count > from.len - src_at) return refuse(.length, seed);
    if (dst_at > to.len or count > to.len - dst_at) return refuse(.length, seed);
    if (crc_from > crc_to) return refuse(.invalid_argument, seed);
    const source = from[src_at..][0..count];
    const target = to[dst_at..][0..count];
    if (!apart(@intFromPtr(target.ptr), @intFromPtr(source.ptr), count)) return refuse(.invalid_argument, seed);
    // The window in offsets from dst_at, clipped to the bytes copied.
    const window_start: usize = @min(count, @as(usize, @max(crc_from, dst_at)) - dst_at);
    const window_end: usize = @min(count, @as(usize, @max(crc_to, dst_at)) - dst_at);
    assert(window_start <= window_end and window_end <= count);
    @memcpy(target[0..window_start], source[0..window_start]);
    @memcpy(target[window_end..], source[window_end..]);
    if (window_start == window_end) return seed;
    const window_len = window_end - window_start;
    return cpu.active().crc32c_copy(seed, target[window_start..].ptr, source[window_start..].ptr, window_len);
}

export fn binlane_index_of_byte(data: ?[*]const u8, len: u32, byte: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    if (byte > 0xFF) return refuseSearch(.invalid_argument);
    return position(cpu.active().index_of_byte(bytes.ptr, bytes.len, @intCast(byte)));
}

export fn binlane_last_index_of_byte(data: ?[*]const u8, len: u32, byte: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    if (byte > 0xFF) return refuseSearch(.invalid_argument);
    return position(cpu.active().last_index_of_byte(bytes.ptr, bytes.len, @intCast(byte)));
}

export fn binlane_count_byte(data: ?[*]const u8, len: u32, byte: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    if (byte > 0xFF) return refuseSearch(.invalid_argument);
    return @intCast(cpu.active().count_byte(bytes.ptr, bytes.len, @intCast(byte)));
}

/// The set's bytes come packed little-endian in four u32s rather than as a
/// second buffer, which would cost a Deno call ~11 ns.
fn unpackSet(words: [4]u32) [16]u8 {
    var set: [16]u8 = undefined;
    for (words, 0..) |word, i| std.mem.writeInt(u32, set[4 * i ..][0..4], word, .little);
    return set;
}

export fn binlane_index_of_any(data: ?[*]const u8, len: u32, set0: u32, set1: u32, set2: u32, set3: u32, set_len: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    if (set_len > 16) return refuseSearch(.length);
    const set = unpackSet(.{ set0, set1, set2, set3 });
    return position(cpu.active().index_of_any(bytes.ptr, bytes.len, &set, set_len));
}

/// The first byte that is none of the set's, the set packed as for `binlane_index_of_any`.
export fn binlane_index_of_other(data: ?[*]const u8, len: u32, set0: u32, set1: u32, set2: u32, set3: u32, set_len: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    if (set_len > 16) return refuseSearch(.length);
    const set = unpackSet(.{ set0, set1, set2, set3 });
    return position(cpu.active().index_of_other(bytes.ptr, bytes.len, &set, set_len));
}

export fn binlane_index_of_subarray(haystack: ?[*]const u8, haystack_len: u32, needle: ?[*]const u8, needle_len: u32) u32 {
    const hay = searchBytes(haystack, haystack_len) orelse return refuseSearch(.invalid_argument);
    const pattern = searchBytes(needle, needle_len) orelse return refuseSearch(.invalid_argument);
    return position(cpu.active().index_of_subarray(hay.ptr, hay.len, pattern.ptr, pattern.len));
}

/// Offset of the first byte of the first invalid UTF-8 sequence, or
/// `not_found` when all of `data` is valid.
export fn binlane_utf8_error_index(data: ?[*]const u8, len: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    return position(cpu.active().utf8_error_index(bytes.ptr, bytes.len));
}

/// Code points in `data` if it is valid UTF-8, else `invalid_utf8`.
export fn binlane_utf8_count(data: ?[*]const u8, len: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    const table = cpu.active();
    if (table.utf8_error_index(bytes.ptr, bytes.len) != kernels.none) return invalid_utf8;
    return @intCast(table.utf8_count(bytes.ptr, bytes.len));
}

/// Writes the position of every `byte` into `out` (room for `capacity`
/// u32s) and returns how many it wrote; it stops when `out` is full.
export fn binlane_find_all_byte(data: ?[*]const u8, len: u32, byte: u32, out: ?[*]u32, capacity: u32) u32 {
    const bytes = searchBytes(data, len) orelse return refuseSearch(.invalid_argument);
    if (byte > 0xFF) return refuseSearch(.invalid_argument);
    const positions = out orelse if (capacity == 0) return 0 else return refuseSearch(.invalid_argument);
    return @intCast(cpu.active().find_all_byte(bytes.ptr, bytes.len, @intCast(byte), positions, capacity));
}

/// First index where `a` and `b` differ over their first `len` bytes.
export fn binlane_mismatch(a: ?[*]const u8, b: ?[*]const u8, len: u32) u32 {
    const left = searchBytes(a, len) orelse return refuseSearch(.invalid_argument);
    const right = searchBytes(b, len) orelse return refuseSearch(.invalid_argument);
    return position(cpu.active().mismatch(left.ptr, right.ptr, len));
}

/// Reverses the bytes of each `size`-byte element (2, 4 or 8) of `src` into
/// `dst`, both `len` bytes; `dst` may be `src` (in place). `len` must be a
/// multiple of `size`. Returns a status. Buffers that overlap other than
/// exactly are refused: the kernels read a block before writing it, which
/// is safe in place but not shifted (TypeScript copies such a source first).
export fn binlane_copy_swap(dst: ?[*]u8, src: ?[*]const u8, len: u32, size: u32) u32 {
    const from = bytesOrNull(src, len) orelse return code(.invalid_argument);
    const to_ptr = dst orelse if (len == 0) return code(.ok) else return code(.invalid_argument);
    const table = cpu.active();
    const swap = switch (size) {
        2 => table.copy_swap16,
        4 => table.copy_swap32,
        8 => table.copy_swap64,
        else => return code(.invalid_argument),
    };
    if (len % size != 0) return code(.length);
    if (!exactOrApart(@intFromPtr(to_ptr), @intFromPtr(from.ptr), len)) return code(.invalid_argument);
    if (len != 0) swap(to_ptr, from.ptr, len);
    return code(.ok);
}

/// Decoders return the bytes they wrote, below 2^31 because their inputs
/// are; from 2^31 up, the input was refused or malformed at byte offset
/// `result - decode_failed`, with the reason left for `binlane_take_status`.
const decode_failed: u32 = 0x8000_0000;

fn failDecode(status: Status, offset: usize) u32 {
    assert(offset < max_search_len);
    refused = status;
    return decode_failed + @as(u32, @intCast(offset));
}

const assert = std.debug.assert;

fn outBytes(data: ?[*]u8, len: u32) ?[]u8 {
    if (data) |pointer| return pointer[0..len];
    if (len == 0) return &.{};
    return null;
}

/// Writes two lowercase hex digits per byte of `src` to the start of `dst`
/// (at least twice as long). Returns a status.
export fn binlane_hex_encode(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32) u32 {
    const from = searchBytes(src, src_len) orelse return code(.invalid_argument);
    const to = outBytes(dst, dst_len) orelse return code(.invalid_argument);
    if (to.len < 2 * from.len) return code(.buffer_too_small);
    if (from.len != 0) cpu.active().hex_encode(to.ptr, from.ptr, from.len);
    return code(.ok);
}

/// Decodes the hex digits of `src` (either case, an even count) into the
/// start of `dst` (at least half as long). A decoder result.
export fn binlane_hex_decode(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32) u32 {
    const from = searchBytes(src, src_len) orelse return failDecode(.invalid_argument, 0);
    const to = outBytes(dst, dst_len) orelse return failDecode(.invalid_argument, 0);
    const pairs = from.len / 2;
    if (to.len < pairs) return failDecode(.buffer_too_small, 0);
    // The pairs first, so the first bad character is reported before an odd end.
    const bad = if (pairs == 0) kernels.none else cpu.active().hex_decode(to.ptr, from.ptr, pairs);
    if (bad != kernels.none) return failDecode(.invalid_character, bad);
    if (from.len % 2 != 0) return failDecode(.incomplete_input, from.len - 1);
    return @intCast(pairs);
}

fn base64Flags(flags: u32) ?base64.Flags {
    const options: base64.Flags = @bitCast(flags);
    if (options.unused != 0) return null;
    return options;
}

/// Encodes `src` to base64 at the start of `dst`, which must hold
/// `base64.encodedLength`. `flags` as `base64.Flags` (url, padding).
/// Returns a status.
export fn binlane_base64_encode(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32, flags: u32) u32 {
    const options = base64Flags(flags) orelse return code(.invalid_argument);
    // Three quarters of 2^31, so the output length stays below 2^31.
    if (src_len >= max_search_len / 4 * 3) return code(.length);
    const from = bytesOrNull(src, src_len) orelse return code(.invalid_argument);
    const to = outBytes(dst, dst_len) orelse return code(.invalid_argument);
    const needed = base64.encodedLength(from.len, options.padding);
    if (to.len < needed) return code(.buffer_too_small);
    if (needed != 0) cpu.active().base64_encode(to.ptr, needed, from.ptr, from.len, flags);
    return code(.ok);
}

/// Decodes base64 text from `src` into `dst` per `flags` (`base64.Flags`).
/// A piece that is not `final` must be strict and a whole number of quads.
/// A decoder result; `dst` past what was written is untouched.
export fn binlane_base64_decode(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32, flags: u32) u32 {
    const options = base64Flags(flags) orelse return failDecode(.invalid_argument, 0);
    const from = searchBytes(src, src_len) orelse return failDecode(.invalid_argument, 0);
    const to = outBytes(dst, dst_len) orelse return failDecode(.invalid_argument, 0);
    if (!options.final and (options.lenient or from.len % 4 != 0)) return failDecode(.invalid_argument, 0);
    if (from.len == 0) return 0;
    var decoded: base64.Decoded = undefined;
    cpu.active().base64_decode(to.ptr, to.len, from.ptr, from.len, flags, &decoded);
    assert(decoded.written <= to.len and decoded.written <= from.len);
    const status: Status = switch (decoded.failure) {
        .none => return @intCast(decoded.written),
        .invalid_character => .invalid_character,
        .invalid_padding => .invalid_padding,
        .trailing_bits => .trailing_bits,
        .incomplete_chunk => .incomplete_input,
        .no_room => .buffer_too_small,
    };
    return failDecode(status, decoded.offset);
}

/// A field of `shape` (bits 0-3 its size, 1, 2, 4 or 8; bit 4 a byte
/// swap) at `offset` in records of `record_size` bytes, if it fits them,
/// and `column_len` bytes of its column reach only records of `rows_len`.
fn transposeField(rows_len: u32, column_len: u32, record_size: u32, offset: u32, shape: u32) ?transpose.Field {
    const size = shape & 0x0F;
    const swap = shape & 0x10 != 0;
    if (shape & ~@as(u32, 0x1F) != 0) return null;
    if (size != 1 and size != 2 and size != 4 and size != 8) return null;
    if (swap and size == 1) return null;
    if (@as(u64, offset) + size > record_size) return null;
    if (column_len % size != 0) return null;
    const count: u64 = column_len / size;
    if (count > 0 and (count - 1) * record_size + offset + size > rows_len) return null;
    return .{ .offset = offset, .size = size, .swap = swap };
}

/// Frames from the start of `bytes` that are whole and well-formed (format
/// v1, no larger than `max_frame_size`): writes where each starts, as
/// little-endian u32s, to `starts`, until one is not or `starts` is full.
/// Returns how many; `refused_signal` for arguments it cannot take.
export fn binlane_frame_scan(bytes: ?[*]const u8, len: u32, max_frame_size: u32, starts: ?[*]u8, starts_len: u32) u32 {
    const data = bytesOrNull(bytes, len) orelse return refuseSearch(.invalid_argument);
    const out = outBytes(starts, starts_len) orelse return refuseSearch(.invalid_argument);
    if (max_frame_size < frame.header_size + frame.trailer_size) return refuseSearch(.invalid_argument);
    if (out.len == 0) return 0;
    if (out.len % 4 != 0 or @intFromPtr(out.ptr) % 4 != 0) return refuseSearch(.invalid_argument);
    const slots: [*]u32 = @ptrCast(@alignCast(out.ptr));
    const count = frame.scan(data, max_frame_size, slots[0 .. out.len / 4], cpu.active().crc32c);
    // Positions in `starts` are native-endian words; every supported target is little-endian.
    comptime std.debug.assert(@import("builtin").cpu.arch.endian() == .little);
    return @intCast(count);
}

/// Columns one `binlane_gather_fields` call fills at most.
const gather_fields_max = 4;
/// Rows per pass over the fields: a block stays in L1 while each field is copied out (bench/layout.bench.ts).
const gather_block_bytes = 32 * 1024;
/// Bytes per field in `binlane_gather_fields`' table: offset, shape, then the byte values it may hold.
const gather_entry_bytes = 24;
/// Shape bits 8-12: how many of the entry's byte values a 1-byte field is checked against (0: none).
const allowed_shift = 8;
const allowed_max = 16;

/// One field of a `binlane_gather_fields` table, with the set its bytes are checked against.
const GatherEntry = struct {
    field: transpose.Field,
    allowed: [allowed_max]u8,
    allowed_len: u32,
};

fn gatherEntry(entry: *const [gather_entry_bytes]u8, rows_len: u32, column_len: u32, record_size: u32) ?GatherEntry {
    const offset = std.mem.readInt(u32, entry[0..4], .little);
    const shape = std.mem.readInt(u32, entry[4..8], .little);
    const allowed_len = (shape >> allowed_shift) & 0x1F;
    if (allowed_len > allowed_max) return null;
    const field = transposeField(rows_len, column_len, record_size, offset, shape & ~(@as(u32, 0x1F) << allowed_shift)) orelse return null;
    // Only byte columns are checked: the set holds byte values.
    if (allowed_len > 0 and field.size != 1) return null;
    return .{ .field = field, .allowed = entry[8..][0..allowed_max].*, .allowed_len = allowed_len };
}

/// Copies fields of the first `count` records of `rows` into columns `c0`
/// to `c3`. `fields` holds 24 bytes per column: its offset and shape (as
/// `transposeField` takes it) as little-endian u32s, the shape's
/// bits 8-12 a count of byte values to check a 1-byte field against, and
/// those values. Each column holds exactly `count` elements. One call does
/// what one call per field and per block of rows did, with each block of
/// rows read into cache once, and checks each block of a checked column
/// while it is still in cache. `found` (16 bytes, or empty when no field is
/// checked) gets, per column, the first record whose byte is none of its
/// values, as a little-endian u32, or 0xFFFFFFFF; every column is filled
/// whatever it finds. Returns a status.
export fn binlane_gather_fields(rows: ?[*]const u8, rows_len: u32, record_size: u32, count: u32, fields: ?[*]const u8, fields_len: u32, c0: ?[*]u8, c0_len: u32, c1: ?[*]u8, c1_len: u32, c2: ?[*]u8, c2_len: u32, c3: ?[*]u8, c3_len: u32, found: ?[*]u8, found_len: u32) u32 {
    const from = bytesOrNull(rows, rows_len) orelse return code(.invalid_argument);
    const table = bytesOrNull(fields, fields_len) orelse return code(.invalid_argument);
    const found_out = outBytes(found, found_len) orelse return code(.invalid_argument);
    if (table.len % gather_entry_bytes != 0 or table.len / gather_entry_bytes > gather_fields_max) return code(.length);
    const field_count = table.len / gather_entry_bytes;
    const targets = [gather_fields_max]?[]u8{ outBytes(c0, c0_len), outBytes(c1, c1_len), outBytes(c2, c2_len), outBytes(c3, c3_len) };
    var columns: [gather_fields_max][]u8 = undefined;
    var entries: [gather_fields_max]GatherEntry = undefined;
    var checked = false;
    for (0..field_count) |i| {
        columns[i] = targets[i] orelse return code(.invalid_argument);
        const entry = gatherEntry(table[i * gather_entry_bytes ..][0..gather_entry_bytes], rows_len, @intCast(columns[i].len), record_size) orelse return code(.length);
        if (columns[i].len != @as(u64, count) * entry.field.size) return code(.length);
        entries[i] = entry;
        checked = checked or entry.allowed_len > 0;
    }
    for (field_count..gather_fields_max) |i| if (targets[i] == null or targets[i].?.len != 0) return code(.invalid_argument);
    if (found_out.len != 4 * gather_fields_max and (checked or found_out.len != 0)) return code(.length);
    var first_bad = [_]usize{kernels.none} ** gather_fields_max;
    gatherBlocks(from, record_size, count, columns[0..field_count], entries[0..field_count], first_bad[0..field_count]);
    if (found_out.len == 0) return code(.ok);
    for (first_bad, 0..) |at, i| {
        assert(at == kernels.none or at < count);
        const word: u32 = if (at == kernels.none) 0xFFFF_FFFF else @intCast(at);
        std.mem.writeInt(u32, found_out[4 * i ..][0..4], word, .little);
    }
    return code(.ok);
}

/// The block loop of `binlane_gather_fields`: a checked column is checked
/// block by block until its first bad record is found.
fn gatherBlocks(from: []const u8, record_size: u32, count: u32, columns: []const []u8, entries: []const GatherEntry, first_bad: []usize) void {
    assert(columns.len == entries.len and first_bad.len == entries.len);
    const table_in_force = cpu.active();
    const block: usize = @max(1, gather_block_bytes / record_size);
    var first: usize = 0;
    while (first < count) : (first += block) {
        const records = @min(block, count - first);
        const span = from[first * record_size ..];
        for (columns, entries, first_bad) |column, *entry, *bad| {
            const field = entry.field;
            const part = column[first * field.size ..][0 .. records * field.size];
            table_in_force.gather_field(part.ptr, part.len, span.ptr, span.len, record_size, field.offset, field.size, field.swap);
            if (entry.allowed_len == 0 or bad.* != kernels.none) continue;
            const at = table_in_force.index_of_other(part.ptr, part.len, &entry.allowed, entry.allowed_len);
            if (at != kernels.none) bad.* = first + at;
        }
    }
}

/// Copies each element of `column` into one field of the matching record
/// of `rows`; the records' other bytes stay. Returns a status.
export fn binlane_scatter_field(rows: ?[*]u8, rows_len: u32, column: ?[*]const u8, column_len: u32, record_size: u32, offset: u32, shape: u32) u32 {
    const to = outBytes(rows, rows_len) orelse return code(.invalid_argument);
    const from = bytesOrNull(column, column_len) orelse return code(.invalid_argument);
    const field = transposeField(rows_len, column_len, record_size, offset, shape) orelse return code(.length);
    transpose.scatter(to, from, record_size, field);
    return code(.ok);
}

fn elements(comptime T: type, data: ?[*]const u8, len: u32) ?[]const T {
    const bytes = bytesOrNull(data, len) orelse return null;
    if (bytes.len == 0) return &.{};
    if (bytes.len % @sizeOf(T) != 0 or @intFromPtr(bytes.ptr) % @alignOf(T) != 0) return null;
    const aligned: [*]const T = @ptrCast(@alignCast(bytes.ptr));
    return aligned[0 .. bytes.len / @sizeOf(T)];
}

fn outElements(comptime T: type, data: ?[*]u8, len: u32) ?[]T {
    const bytes = outBytes(data, len) orelse return null;
    if (bytes.len == 0) return &.{};
    if (bytes.len % @sizeOf(T) != 0 or @intFromPtr(bytes.ptr) % @alignOf(T) != 0) return null;
    const aligned: [*]T = @ptrCast(@alignCast(bytes.ptr));
    return aligned[0 .. bytes.len / @sizeOf(T)];
}

/// Same memory, or none shared: in-place kernels take either.
fn exactOrApart(a: usize, b: usize, len: usize) bool {
    return a == b or apart(a, b, len);
}

/// `len` bytes at `a` and `len` bytes at `b` share none.
fn apart(a: usize, b: usize, len: usize) bool {
    return a + len <= b or b + len <= a;
}

/// Delta or zigzag coding (`op`, `intcode.Op`) of `width`-byte (4 or 8)
/// elements from `src` into `dst`: the same length, both aligned to
/// `width`, the same memory or apart. `seed` (`seed_high:seed_low`) is the
/// element before the first for delta encoding, the running total for
/// delta decoding. Returns a status.
export fn binlane_int_transform(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32, op: u32, width: u32, seed_low: u32, seed_high: u32) u32 {
    if (op > @intFromEnum(intcode.Op.zigzag_decode)) return code(.invalid_argument);
    if (src_len != dst_len) return code(.length);
    if (src_len == 0) return code(.ok);
    const table = cpu.active();
    switch (width) {
        4 => {
            const from = elements(u32, src, src_len) orelse return code(.alignment);
            const to = outElements(u32, dst, dst_len) orelse return code(.alignment);
            if (!exactOrApart(@intFromPtr(from.ptr), @intFromPtr(to.ptr), src_len)) return code(.invalid_argument);
            table.int_transform32(to.ptr, from.ptr, from.len, op, seed_low);
        },
        8 => {
            const from = elements(u64, src, src_len) orelse return code(.alignment);
            const to = outElements(u64, dst, dst_len) orelse return code(.alignment);
            if (!exactOrApart(@intFromPtr(from.ptr), @intFromPtr(to.ptr), src_len)) return code(.invalid_argument);
            table.int_transform64(to.ptr, from.ptr, from.len, op, @as(u64, seed_high) << 32 | seed_low);
        },
        else => return code(.invalid_argument),
    }
    return code(.ok);
}

/// Bytes the varints of the `width`-byte (4 or 8) values of `src` take,
/// as a decoder result (below 2^31, else refused).
export fn binlane_varint_length(src: ?[*]const u8, src_len: u32, width: u32) u32 {
    const total = switch (width) {
        4 => intcode.varintTotalLength(u32, elements(u32, src, src_len) orelse return failDecode(.alignment, 0)),
        8 => intcode.varintTotalLength(u64, elements(u64, src, src_len) orelse return failDecode(.alignment, 0)),
        else => return failDecode(.invalid_argument, 0),
    };
    if (total >= max_search_len) return failDecode(.length, 0);
    return @intCast(total);
}

/// Bytes of `src` that end a varint: the values it holds when well formed.
export fn binlane_varint_count(src: ?[*]const u8, src_len: u32) u32 {
    const bytes = searchBytes(src, src_len) orelse return refuseSearch(.invalid_argument);
    return @intCast(intcode.varintCount(bytes));
}

/// Writes the varints of the `width`-byte values of `src` to `dst`, which
/// must hold exactly `binlane_varint_length` bytes. Returns a status.
export fn binlane_varint_encode(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32, width: u32) u32 {
    const to = outBytes(dst, dst_len) orelse return code(.invalid_argument);
    const table = cpu.active();
    switch (width) {
        4 => {
            const values = elements(u32, src, src_len) orelse return code(.alignment);
            if (intcode.varintTotalLength(u32, values) != to.len) return code(.length);
            if (to.len != 0) table.varint_encode32(to.ptr, to.len, values.ptr, values.len);
        },
        8 => {
            const values = elements(u64, src, src_len) orelse return code(.alignment);
            if (intcode.varintTotalLength(u64, values) != to.len) return code(.length);
            if (to.len != 0) table.varint_encode64(to.ptr, to.len, values.ptr, values.len);
        },
        else => return code(.invalid_argument),
    }
    return code(.ok);
}

/// Decodes varints from `src` into the `width`-byte elements of `dst`
/// until either ends; writes the bytes read to `read_out` (4 bytes). A
/// decoder result counting values: a truncated or over-long value fails
/// at the offset where it starts.
export fn binlane_varint_decode(src: ?[*]const u8, src_len: u32, dst: ?[*]u8, dst_len: u32, width: u32, read_out: ?*align(1) u32, read_size: u32) u32 {
    const from = searchBytes(src, src_len) orelse return failDecode(.invalid_argument, 0);
    const read = read_out orelse return failDecode(.invalid_argument, 0);
    if (read_size != @sizeOf(u32)) return failDecode(.length, 0);
    var decoded: intcode.VarintDecoded = .{ .written = 0, .read = 0 };
    const table = cpu.active();
    switch (width) {
        4 => {
            const to = outElements(u32, dst, dst_len) orelse return failDecode(.alignment, 0);
            if (to.len != 0 and from.len != 0) table.varint_decode32(to.ptr, to.len, from.ptr, from.len, &decoded);
        },
        8 => {
            const to = outElements(u64, dst, dst_len) orelse return failDecode(.alignment, 0);
            if (to.len != 0 and from.len != 0) table.varint_decode64(to.ptr, to.len, from.ptr, from.len, &decoded);
        },
        else => return failDecode(.invalid_argument, 0),
    }
    assert(decoded.read <= from.len);
    read.* = @intCast(decoded.read);
    return switch (decoded.failure) {
        .none => @intCast(decoded.written),
        .truncated => failDecode(.incomplete_input, decoded.read),
        .overflow => failDecode(.varint_overflow, decoded.read),
    };
}

/// Reduces the elements of type `element` (`reduce.ElementType`) in
/// `data` (aligned to their size) into `out`, 16 u64s (128 bytes, aligned
/// to 8): `op` 0 writes the minimum and maximum to out[0..2] (integers
/// extended to 64 bits, floats as f64; `data` must not be empty); `op` 1
/// writes an integer sum to out[0..2] as an i128, low word first, and adds
/// float elements to the 16 f64 lanes in `out` (element i to lane i mod
/// 16), which the caller starts at -0 and combines
/// (`reduce.combineLanes`). Returns a status.
export fn binlane_reduce(data: ?[*]const u8, len: u32, element: u32, op: u32, out: ?[*]u8, out_size: u32) u32 {
    const result_bytes = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf([16]u64)) return code(.length);
    if (@intFromPtr(result_bytes) % @alignOf(u64) != 0) return code(.alignment);
    const result: *[16]u64 = @ptrCast(@alignCast(result_bytes));
    const kind = std.enums.fromInt(reduce.ElementType, element) orelse return code(.invalid_argument);
    if (op > 1) return code(.invalid_argument);
    const bytes = bytesOrNull(data, len) orelse return code(.invalid_argument);
    const size: usize = switch (kind) {
        .i8, .u8 => 1,
        .i16, .u16 => 2,
        .i32, .u32, .f32 => 4,
        .i64, .u64, .f64 => 8,
    };
    if (bytes.len % size != 0) return code(.length);
    if (bytes.len != 0 and @intFromPtr(bytes.ptr) % size != 0) return code(.alignment);
    const count = bytes.len / size;
    if (op == 0) {
        if (count == 0) return code(.length);
        cpu.active().min_max(bytes.ptr, count, element, result);
    } else if (count != 0) {
        cpu.active().sum(bytes.ptr, count, element, result);
    } else if (kind != .f32 and kind != .f64) {
        result[0..2].* = .{ 0, 0 };
    }
    return code(.ok);
}

/// Hashes return their digest; a refused input returns 0 with the status
/// left for `binlane_take_status`, which TypeScript asks for on every 0.
export fn binlane_xxh64(data: ?[*]const u8, len: u32, seed: u64) u64 {
    const bytes = bytesOrNull(data, len) orelse return refuse(.invalid_argument, 0);
    return std.hash.XxHash64.hash(seed, bytes);
}

export fn binlane_xxh3(data: ?[*]const u8, len: u32, seed: u64) u64 {
    const bytes = bytesOrNull(data, len) orelse return refuse(.invalid_argument, 0);
    return cpu.active().xxh3(bytes.ptr, bytes.len, seed);
}

/// Streaming hashers, by the numbers TypeScript passes as `kind`.
const Hasher = enum(u32) {
    xxh64 = 1,
    xxh3 = 2,

    fn from(kind: u32) ?Hasher {
        return std.enums.fromInt(Hasher, kind);
    }

    fn allocKind(hasher: Hasher) alloc.Kind {
        return switch (hasher) {
            .xxh64 => .xxh64,
            .xxh3 => .xxh3,
        };
    }

    fn stateSize(hasher: Hasher) u32 {
        return switch (hasher) {
            .xxh64 => @sizeOf(std.hash.XxHash64),
            .xxh3 => @sizeOf(xxh3.State),
        };
    }
};

/// Allocates a hasher's state behind a handle (written to `out`, 8 bytes),
/// freed only by `binlane_hasher_free` with the same kind.
export fn binlane_hasher_create(kind: u32, seed: u64, out: ?*align(1) u64, out_size: u32) u32 {
    const hasher = Hasher.from(kind) orelse return code(.invalid_argument);
    const handle_out = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(u64)) return code(.length);
    var allocation: abi.AllocResult = undefined;
    const status = alloc.alloc(hasher.allocKind(), hasher.stateSize(), 64, false, &allocation);
    if (status != .ok) return code(status);
    const memory: [*]align(64) u8 = @ptrFromInt(@as(usize, @intCast(allocation.address)));
    switch (hasher) {
        .xxh64 => @as(*std.hash.XxHash64, @ptrCast(memory)).* = .init(seed),
        .xxh3 => @as(*xxh3.State, @ptrCast(memory)).* = .init(seed),
    }
    handle_out.* = allocation.handle;
    return code(.ok);
}

export fn binlane_hasher_update(kind: u32, handle: u64, data: ?[*]const u8, len: u32) u32 {
    const hasher = Hasher.from(kind) orelse return code(.invalid_argument);
    const bytes = bytesOrNull(data, len) orelse return code(.invalid_argument);
    const memory = alloc.acquire(handle, hasher.allocKind(), hasher.stateSize()) orelse return code(.invalid_handle);
    defer alloc.release(handle);
    switch (hasher) {
        .xxh64 => @as(*std.hash.XxHash64, @ptrCast(@alignCast(memory))).update(bytes),
        .xxh3 => cpu.active().xxh3_update(@ptrCast(@alignCast(memory)), bytes.ptr, bytes.len),
    }
    return code(.ok);
}

/// Writes the digest of everything updated so far to `out` (8 bytes); the
/// hasher stays usable.
export fn binlane_hasher_digest(kind: u32, handle: u64, out: ?*align(1) u64, out_size: u32) u32 {
    const hasher = Hasher.from(kind) orelse return code(.invalid_argument);
    const digest_out = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(u64)) return code(.length);
    const memory = alloc.acquire(handle, hasher.allocKind(), hasher.stateSize()) orelse return code(.invalid_handle);
    defer alloc.release(handle);
    digest_out.* = switch (hasher) {
        .xxh64 => @as(*std.hash.XxHash64, @ptrCast(@alignCast(memory))).final(),
        .xxh3 => cpu.active().xxh3_digest(@ptrCast(@alignCast(memory))),
    };
    return code(.ok);
}

export fn binlane_hasher_free(kind: u32, handle: u64) u32 {
    const hasher = Hasher.from(kind) orelse return code(.invalid_argument);
    return code(alloc.free(handle, hasher.allocKind(), hasher.stateSize()));
}

/// Same signature as the CRC exports, doing nothing: the benchmarks' measure
/// of what a call costs.
export fn binlane_noop(data: ?[*]const u8, len: u32, seed: u32) u32 {
    _ = .{ data, len };
    return seed;
}

export fn binlane_alloc(size: u64, alignment: u32, zero: u32, out: ?*align(1) abi.AllocResult, out_size: u32) u32 {
    const result = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(abi.AllocResult)) return code(.length);
    if (zero > 1) return code(.invalid_argument);
    var written: abi.AllocResult = undefined;
    const status = alloc.alloc(.buffer, size, alignment, zero == 1, &written);
    if (status == .ok) result.* = written;
    return code(status);
}

/// `size` must be the size the handle was allocated with: a second check
/// that the caller holds the handle it thinks it holds.
export fn binlane_free(handle: u64, size: u64) u32 {
    return code(alloc.free(handle, .buffer, size));
}

export fn binlane_stats(out: ?*align(1) abi.NativeStats, out_size: u32) u32 {
    const result = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(abi.NativeStats)) return code(.length);
    result.* = alloc.snapshot();
    return code(.ok);
}

/// Maps `path` (UTF-8, no NUL) with `mmap.Flags`; `size` is `mmap.whole_file`
/// or the length to map, which a writer may grow the file to. Writes the
/// handle, address and length.
export fn binlane_map_open(path: ?[*]const u8, path_len: u32, flags: u32, size: u64, out: ?*align(1) abi.AllocResult, out_size: u32) u32 {
    const name = bytesOrNull(path, path_len) orelse return code(.invalid_argument);
    const result = out orelse return code(.invalid_argument);
    if (out_size != @sizeOf(abi.AllocResult)) return code(.length);
    var written: abi.AllocResult = undefined;
    const status = mmap.open(name, flags, size, &written);
    if (status == .ok) result.* = written;
    return code(status);
}

/// `truncated` when the file shrank under the mapping, now or at any time.
export fn binlane_map_check(handle: u64, size: u64) u32 {
    return code(mmap.check(handle, size));
}

/// msync a writer's mapping, then the same as `binlane_map_check`.
export fn binlane_map_sync(handle: u64, size: u64) u32 {
    return code(mmap.sync(handle, size));
}

/// Unmaps and closes the file; the views must be gone already. `truncated`
/// (after closing) if zeros were ever read in place of the file's bytes.
export fn binlane_map_close(handle: u64, size: u64) u32 {
    return code(mmap.close(handle, size));
}

/// errno of this thread's last `os_error`.
export fn binlane_last_os_error() u32 {
    return mmap.lastOsError();
}
