//! XXH3-64, bit-identical to the reference xxHash (XXH3_64bits_withSeed),
//! one-shot and streaming. Inputs up to 240 bytes take short scalar paths
//! that every level shares. Longer inputs run the stripe accumulator: eight
//! u64 lanes over 64-byte stripes, a scalar reference and a `@Vector(8, u64)`
//! version that LLVM lowers to SSE2, AVX2, AVX-512 or NEON per level.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;

const prime32_1: u64 = 0x9E3779B1;
const prime32_2: u64 = 0x85EBCA77;
const prime32_3: u64 = 0xC2B2AE3D;
const prime64_1: u64 = 0x9E3779B185EBCA87;
const prime64_2: u64 = 0xC2B2AE3D27D4EB4F;
const prime64_3: u64 = 0x165667B19E3779F9;
const prime64_4: u64 = 0x85EBCA77C2B2AE63;
const prime64_5: u64 = 0x27D4EB2F165667C5;
const prime_mx1: u64 = 0x165667919E3779F9;
const prime_mx2: u64 = 0x9FB21C651E98DF25;

pub const secret_len = 192;
pub const stripe_len = 64;
/// Stripes between scrambles: (secret_len - stripe_len) / 8.
const stripes_per_block = 16;
const block_len = stripe_len * stripes_per_block;
const short_max = 240;

/// kSecret of the reference implementation.
pub const default_secret: [secret_len]u8 = .{
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};

const initial_acc: [8]u64 = .{ prime32_3, prime64_1, prime64_2, prime64_3, prime64_4, prime32_2, prime64_5, prime32_1 };

fn read64(bytes: []const u8, offset: usize) u64 {
    return std.mem.readInt(u64, bytes[offset..][0..8], .little);
}

fn read32(bytes: []const u8, offset: usize) u32 {
    return std.mem.readInt(u32, bytes[offset..][0..4], .little);
}

fn fold(a: u64, b: u64) u64 {
    const product = @as(u128, a) * @as(u128, b);
    return @as(u64, @truncate(product)) ^ @as(u64, @truncate(product >> 64));
}

fn avalanche(h: u64) u64 {
    const x = (h ^ (h >> 37)) *% prime_mx1;
    return x ^ (x >> 32);
}

fn avalancheXxh64(h: u64) u64 {
    var x = (h ^ (h >> 33)) *% prime64_2;
    x = (x ^ (x >> 29)) *% prime64_3;
    return x ^ (x >> 32);
}

fn rrmxmx(h: u64, len: u64) u64 {
    var x = h ^ std.math.rotl(u64, h, 49) ^ std.math.rotl(u64, h, 24);
    x *%= prime_mx2;
    x ^= (x >> 35) +% len;
    x *%= prime_mx2;
    return x ^ (x >> 28);
}

fn mix16(input: []const u8, secret: []const u8, seed: u64) u64 {
    return fold(read64(input, 0) ^ (read64(secret, 0) +% seed), read64(input, 8) ^ (read64(secret, 8) -% seed));
}

fn hash0(seed: u64) u64 {
    return avalancheXxh64(seed ^ (read64(&default_secret, 56) ^ read64(&default_secret, 64)));
}

fn hash1to3(input: []const u8, seed: u64) u64 {
    assert(input.len >= 1 and input.len <= 3);
    const combined: u32 = (@as(u32, input[0]) << 16) | (@as(u32, input[input.len >> 1]) << 24) |
        @as(u32, input[input.len - 1]) | (@as(u32, @intCast(input.len)) << 8);
    const bitflip = @as(u64, read32(&default_secret, 0) ^ read32(&default_secret, 4)) +% seed;
    return avalancheXxh64(@as(u64, combined) ^ bitflip);
}

fn hash4to8(input: []const u8, seed: u64) u64 {
    assert(input.len >= 4 and input.len <= 8);
    const mixed_seed = seed ^ (@as(u64, @byteSwap(@as(u32, @truncate(seed)))) << 32);
    const bitflip = (read64(&default_secret, 8) ^ read64(&default_secret, 16)) -% mixed_seed;
    const combined = @as(u64, read32(input, input.len - 4)) +% (@as(u64, read32(input, 0)) << 32);
    return rrmxmx(combined ^ bitflip, input.len);
}

fn hash9to16(input: []const u8, seed: u64) u64 {
    assert(input.len >= 9 and input.len <= 16);
    const bitflip1 = (read64(&default_secret, 24) ^ read64(&default_secret, 32)) +% seed;
    const bitflip2 = (read64(&default_secret, 40) ^ read64(&default_secret, 48)) -% seed;
    const low = read64(input, 0) ^ bitflip1;
    const high = read64(input, input.len - 8) ^ bitflip2;
    return avalanche(@as(u64, input.len) +% @byteSwap(low) +% high +% fold(low, high));
}

fn hash17to128(input: []const u8, seed: u64) u64 {
    assert(input.len >= 17 and input.len <= 128);
    const len = input.len;
    const secret: []const u8 = &default_secret;
    var acc = @as(u64, len) *% prime64_1;
    if (len > 32) {
        if (len > 64) {
            if (len > 96) {
                acc +%= mix16(input[48..], secret[96..], seed);
                acc +%= mix16(input[len - 64 ..], secret[112..], seed);
            }
            acc +%= mix16(input[32..], secret[64..], seed);
            acc +%= mix16(input[len - 48 ..], secret[80..], seed);
        }
        acc +%= mix16(input[16..], secret[32..], seed);
        acc +%= mix16(input[len - 32 ..], secret[48..], seed);
    }
    acc +%= mix16(input, secret, seed);
    acc +%= mix16(input[len - 16 ..], secret[16..], seed);
    return avalanche(acc);
}

fn hash129to240(input: []const u8, seed: u64) u64 {
    assert(input.len >= 129 and input.len <= short_max);
    const secret: []const u8 = &default_secret;
    const rounds = input.len / 16;
    var acc = @as(u64, input.len) *% prime64_1;
    for (0..8) |i| acc +%= mix16(input[16 * i ..], secret[16 * i ..], seed);
    acc = avalanche(acc);
    assert(rounds <= 15);
    for (8..rounds) |i| acc +%= mix16(input[16 * i ..], secret[16 * (i - 8) + 3 ..], seed);
    acc +%= mix16(input[input.len - 16 ..], secret[136 - 17 ..], seed);
    return avalanche(acc);
}

fn hashShort(input: []const u8, seed: u64) u64 {
    assert(input.len <= short_max);
    if (input.len > 128) return hash129to240(input, seed);
    if (input.len > 16) return hash17to128(input, seed);
    if (input.len > 8) return hash9to16(input, seed);
    if (input.len > 3) return hash4to8(input, seed);
    if (input.len > 0) return hash1to3(input, seed);
    return hash0(seed);
}

/// The secret long inputs are hashed with: kSecret, each u64 pair moved by +seed and -seed.
pub fn seededSecret(seed: u64) [secret_len]u8 {
    var secret: [secret_len]u8 = undefined;
    var i: usize = 0;
    while (i < secret_len) : (i += 16) {
        std.mem.writeInt(u64, secret[i..][0..8], read64(&default_secret, i) +% seed, .little);
        std.mem.writeInt(u64, secret[i + 8 ..][0..8], read64(&default_secret, i + 8) -% seed, .little);
    }
    return secret;
}

fn mergeAccs(acc: *const [8]u64, secret: []const u8, total_len: u64) u64 {
    var result = total_len *% prime64_1;
    for (0..4) |i| {
        result +%= fold(acc[2 * i] ^ read64(secret, 11 + 16 * i), acc[2 * i + 1] ^ read64(secret, 11 + 16 * i + 8));
    }
    return avalanche(result);
}

/// The scalar reference of the stripe accumulator.
pub const scalar = struct {
    pub fn accumulate(acc: *[8]u64, stripe: *const [stripe_len]u8, secret: []const u8) void {
        for (0..8) |i| {
            const data = read64(stripe, 8 * i);
            const key = data ^ read64(secret, 8 * i);
            acc[i ^ 1] +%= data;
            acc[i] +%= (key & 0xFFFF_FFFF) *% (key >> 32);
        }
    }

    /// Accumulates consecutive stripes, the secret advancing 8 bytes each.
    pub fn accumulateStripes(acc: *[8]u64, input: []const u8, secret: []const u8) void {
        assert(input.len % stripe_len == 0 and input.len / 8 <= secret.len);
        var offset: usize = 0;
        while (offset < input.len) : (offset += stripe_len) {
            accumulate(acc, input[offset..][0..stripe_len], secret[offset / 8 ..]);
        }
    }

    pub fn scramble(acc: *[8]u64, secret: []const u8) void {
        for (0..8) |i| {
            var lane = acc[i];
            lane ^= lane >> 47;
            lane ^= read64(secret, secret_len - stripe_len + 8 * i);
            acc[i] = lane *% prime32_1;
        }
    }
};

/// The accumulator on eight-lane vectors; each level's -mcpu picks the width.
pub const vectorized = struct {
    const Lanes = @Vector(8, u64);

    fn load(bytes: []const u8) Lanes {
        const lanes: [8]u64 = @bitCast(bytes[0..64].*);
        if (builtin.cpu.arch.endian() == .big) return @byteSwap(@as(Lanes, lanes));
        return lanes;
    }

    fn round(lanes: Lanes, stripe: []const u8, secret: []const u8) Lanes {
        const data = load(stripe);
        const key = data ^ load(secret);
        const swapped = @shuffle(u64, data, undefined, [8]i32{ 1, 0, 3, 2, 5, 4, 7, 6 });
        const product = (key & @as(Lanes, @splat(0xFFFF_FFFF))) *% (key >> @splat(32));
        return lanes +% (swapped +% product);
    }

    pub fn accumulate(acc: *[8]u64, stripe: *const [stripe_len]u8, secret: []const u8) void {
        acc.* = round(acc.*, stripe, secret);
    }

    /// Accumulates consecutive stripes, the secret advancing 8 bytes each.
    /// The lanes stay in registers: through `acc` the compiler would have
    /// to assume every store may change the input.
    pub fn accumulateStripes(acc: *[8]u64, input: []const u8, secret: []const u8) void {
        assert(input.len % stripe_len == 0 and input.len / 8 <= secret.len);
        var lanes: Lanes = acc.*;
        var offset: usize = 0;
        while (offset < input.len) : (offset += stripe_len) {
            lanes = round(lanes, input[offset..], secret[offset / 8 ..]);
        }
        acc.* = lanes;
    }

    pub fn scramble(acc: *[8]u64, secret: []const u8) void {
        var lanes: Lanes = acc.*;
        lanes ^= lanes >> @splat(47);
        lanes ^= load(secret[secret_len - stripe_len ..]);
        acc.* = lanes *% @as(Lanes, @splat(prime32_1));
    }
};

/// Streaming state. An extern struct so its layout is the same in every
/// level's object: a stream may switch levels between updates.
pub const State = extern struct {
    acc: [8]u64,
    secret: [secret_len]u8,
    /// Unconsumed input; once `total_len` passes its size, its last 64
    /// bytes always hold the input's most recent 64 bytes, for the digest.
    buffer: [256]u8,
    seed: u64,
    total_len: u64,
    buffered: u32,
    /// Stripes accumulated since the last scramble.
    stripes_in_block: u32,

    pub fn init(seed: u64) State {
        return .{
            .acc = initial_acc,
            .secret = seededSecret(seed),
            .buffer = undefined,
            .seed = seed,
            .total_len = 0,
            .buffered = 0,
            .stripes_in_block = 0,
        };
    }
};

/// One-shot and streaming XXH3 over the accumulator `Acc`.
pub fn Xxh3(comptime Acc: type) type {
    return struct {
        /// Accumulates whole stripes, scrambling after every 16th.
        fn consume(acc: *[8]u64, stripes_in_block: *u32, secret: []const u8, input: []const u8) void {
            assert(input.len % stripe_len == 0);
            assert(stripes_in_block.* < stripes_per_block);
            var rest = input;
            if (stripes_in_block.* != 0) {
                const count = @min(stripes_per_block - stripes_in_block.*, rest.len / stripe_len);
                Acc.accumulateStripes(acc, rest[0 .. count * stripe_len], secret[8 * stripes_in_block.* ..]);
                rest = rest[count * stripe_len ..];
                stripes_in_block.* += @intCast(count);
                if (stripes_in_block.* < stripes_per_block) {
                    assert(rest.len == 0);
                    return;
                }
                Acc.scramble(acc, secret);
                stripes_in_block.* = 0;
            }
            // Whole blocks take a fixed-count loop the compiler unrolls:
            // 33 -> 51 GB/s at 64 KiB here (bench/hash.bench.ts, AVX-512).
            while (rest.len >= block_len) : (rest = rest[block_len..]) {
                Acc.accumulateStripes(acc, rest[0..block_len], secret);
                Acc.scramble(acc, secret);
            }
            Acc.accumulateStripes(acc, rest, secret);
            stripes_in_block.* = @intCast(rest.len / stripe_len);
        }

        /// Accumulates the final stripe (the input's last 64 bytes) and merges.
        fn finish(acc: *[8]u64, secret: []const u8, last_stripe: *const [stripe_len]u8, total_len: u64) u64 {
            Acc.accumulate(acc, last_stripe, secret[secret_len - stripe_len - 7 ..]);
            return mergeAccs(acc, secret, total_len);
        }

        fn hashLong(input: []const u8, seed: u64) u64 {
            assert(input.len > short_max);
            var seeded: [secret_len]u8 = undefined;
            if (seed != 0) seeded = seededSecret(seed);
            const secret: *const [secret_len]u8 = if (seed == 0) &default_secret else &seeded;
            var acc = initial_acc;
            var stripes_in_block: u32 = 0;
            const whole = ((input.len - 1) / stripe_len) * stripe_len;
            consume(&acc, &stripes_in_block, secret, input[0..whole]);
            return finish(&acc, secret, input[input.len - stripe_len ..][0..stripe_len], input.len);
        }

        pub fn hash(input: []const u8, seed: u64) u64 {
            if (input.len <= short_max) return hashShort(input, seed);
            return hashLong(input, seed);
        }

        pub fn update(state: *State, input: []const u8) void {
            assert(state.buffered <= state.buffer.len);
            state.total_len += input.len;
            const room = state.buffer.len - state.buffered;
            // Input is consumed only once more follows it: the final stripe is the digest's.
            if (input.len <= room) {
                @memcpy(state.buffer[state.buffered..][0..input.len], input);
                state.buffered += @intCast(input.len);
                return;
            }
            var rest = input;
            if (state.buffered > 0) {
                @memcpy(state.buffer[state.buffered..], rest[0..room]);
                rest = rest[room..];
                consume(&state.acc, &state.stripes_in_block, &state.secret, &state.buffer);
                state.buffered = 0;
            }
            if (rest.len > state.buffer.len) {
                const whole = ((rest.len - 1) / stripe_len) * stripe_len;
                consume(&state.acc, &state.stripes_in_block, &state.secret, rest[0..whole]);
                const tail = state.buffer.len - stripe_len;
                @memcpy(state.buffer[tail..], rest[whole - stripe_len ..][0..stripe_len]);
                rest = rest[whole..];
            }
            assert(rest.len <= state.buffer.len);
            @memcpy(state.buffer[0..rest.len], rest);
            state.buffered = @intCast(rest.len);
        }

        pub fn digest(state: *const State) u64 {
            if (state.total_len <= short_max) return hashShort(state.buffer[0..@intCast(state.total_len)], state.seed);
            var acc = state.acc;
            var stripes_in_block = state.stripes_in_block;
            const buffered: usize = state.buffered;
            if (buffered >= stripe_len) {
                const whole = ((buffered - 1) / stripe_len) * stripe_len;
                consume(&acc, &stripes_in_block, &state.secret, state.buffer[0..whole]);
                return finish(&acc, &state.secret, state.buffer[buffered - stripe_len ..][0..stripe_len], state.total_len);
            }
            // The last stripe straddles the previous bytes, kept at the buffer's end.
            var last: [stripe_len]u8 = undefined;
            const from_before = stripe_len - buffered;
            @memcpy(last[0..from_before], state.buffer[state.buffer.len - from_before ..]);
            @memcpy(last[from_before..], state.buffer[0..buffered]);
            return finish(&acc, &state.secret, &last, state.total_len);
        }
    };
}
