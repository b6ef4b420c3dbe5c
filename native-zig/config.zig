//! Build-wide switches.

/// Turns every SIMD and CRC-instruction path off at comptime, leaving the
/// scalar references: for bisecting a suspected kernel bug.
pub const simd_enabled = true;
