import Foundation

/// A small seeded generator (SplitMix64) so every run feeds the same values.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Half-precision floats as raw bits (`Float16` is unavailable on Intel Macs).
enum HalfFloat {
    /// IEEE 754 half-precision bits of `value` (truncating; tiny values become zero).
    static func bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        let mantissa = bits & 0x007F_FFFF
        if exponent <= 0 {
            return sign
        }
        if exponent >= 0x1F {
            return sign | 0x7C00
        }
        return sign | UInt16(exponent << 10) | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
}
