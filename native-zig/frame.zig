//! Frame format v1 (docs/FORMAT.md), checked natively many frames a call:
//! the stream decoder hands over a chunk and gets back where each
//! well-formed frame starts, instead of two calls and a header parse per
//! frame in JavaScript. It says only "well-formed" or not: the first frame
//! that is not (or is incomplete) goes back to the JavaScript reader, which
//! names the problem exactly as before.

const std = @import("std");
const assert = std.debug.assert;

/// The header, as `FrameHeader` in src/frame.ts declares it.
pub const Header = extern struct {
    magic: u32,
    version: u8,
    flags: u8,
    type: u16,
    fingerprint: u64,
    timestamp: u64,
    payload_length: u32,
    header_crc: u32,
};

comptime {
    assert(@sizeOf(Header) == 32);
    assert(@offsetOf(Header, "payload_length") == 24);
    assert(@offsetOf(Header, "header_crc") == 28);
}

pub const header_size: usize = @sizeOf(Header);
pub const trailer_size: usize = 8;
pub const magic: u32 = 0x464e_4c42;
pub const version: u8 = 1;
/// No frame is larger: the payload length is a u32 (src/frame.ts, ABSOLUTE_MAX_FRAME_SIZE).
pub const absolute_max_frame_size: u64 = (1 << 32) - 1;

/// CRC-32C of `len` bytes continuing `seed`, as the kernel table provides it.
pub const Crc32cFn = *const fn (seed: u32, data: [*]const u8, len: usize) callconv(.c) u32;

fn word(bytes: []const u8, at: usize) u32 {
    return std.mem.readInt(u32, bytes[at..][0..4], .little);
}

/// The length of the frame at the start of `bytes` if all of it is there
/// and well-formed: magic, header CRC, version, flags, size, zero padding,
/// zero reserved word and payload CRC. Null otherwise.
pub fn wellFormedLength(bytes: []const u8, max_frame_size: u64, crc32c: Crc32cFn) ?usize {
    assert(max_frame_size <= absolute_max_frame_size);
    if (bytes.len < header_size) return null;
    if (word(bytes, @offsetOf(Header, "magic")) != magic) return null;
    const crc_at = @offsetOf(Header, "header_crc");
    if (crc32c(0, bytes.ptr, crc_at) != word(bytes, crc_at)) return null;
    if (bytes[@offsetOf(Header, "version")] != version or bytes[@offsetOf(Header, "flags")] != 0) return null;
    const payload_length: usize = word(bytes, @offsetOf(Header, "payload_length"));
    const padded_length = std.mem.alignForward(usize, payload_length, 8);
    const frame_length = header_size + padded_length + trailer_size;
    if (frame_length > max_frame_size or frame_length > bytes.len) return null;
    const payload = bytes[header_size..][0..payload_length];
    const trailer = header_size + padded_length;
    for (bytes[header_size + payload_length .. trailer]) |byte| if (byte != 0) return null;
    if (word(bytes, trailer + 4) != 0) return null;
    if (crc32c(0, payload.ptr, payload.len) != word(bytes, trailer)) return null;
    return frame_length;
}

/// Writes to `starts` where each frame begins, from the start of `bytes`
/// on, for as long as frames are whole and well-formed and `starts` has
/// room. Returns how many were written; the next frame begins after the last.
pub fn scan(bytes: []const u8, max_frame_size: u64, starts: []u32, crc32c: Crc32cFn) usize {
    assert(bytes.len <= std.math.maxInt(u32));
    var at: usize = 0;
    var count: usize = 0;
    // Each pass takes at least a header's worth of bytes, so this ends.
    while (count < starts.len) : (count += 1) {
        const length = wellFormedLength(bytes[at..], max_frame_size, crc32c) orelse break;
        assert(length >= header_size + trailer_size and at + length <= bytes.len);
        starts[count] = @intCast(at);
        at += length;
    }
    return count;
}
