//! Every status a native export returns. TypeScript maps each to a
//! `BinlaneError` code (src/errors.ts); append, never renumber.

pub const Status = enum(u32) {
    ok = 0,
    /// A NULL pointer with a non-zero length, or an argument out of its domain.
    invalid_argument = 1,
    /// A length that does not fit what the call requires.
    length = 2,
    out_of_memory = 3,
    /// A handle this library never issued, or one already released.
    invalid_handle = 4,
    /// The requested CPU level is not built in or this CPU cannot run it.
    unsupported_cpu = 5,
    /// An output buffer too small; the required size was written back.
    buffer_too_small = 6,
    /// An alignment that is not a power of two in 1..4096.
    alignment = 7,
    /// Decoders: a byte that is not part of the encoding.
    invalid_character = 8,
    /// Base64: padding where it may not be, missing, or followed by data.
    invalid_padding = 9,
    /// Base64, strict: the last character carries bits that are not zero.
    trailing_bits = 10,
    /// Base64: a lone character where a quad needs at least two.
    incomplete_input = 11,
    /// Varints: a value longer than its type allows, or too large for it.
    varint_overflow = 12,
    /// A file call failed; `binlane_last_os_error` has its errno.
    os_error = 13,
    /// A mapped file is shorter than its mapping: it was truncated underneath.
    truncated = 14,
    /// A path that names a directory, device or pipe: only files are mapped.
    not_regular_file = 15,
    /// Not available on this operating system (memory-mapped files on Windows).
    unsupported_platform = 16,
};
