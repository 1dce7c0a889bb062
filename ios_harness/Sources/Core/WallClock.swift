import Foundation

/// Wall-clock timestamps for provenance only (`started` / `finished` in the
/// report). This is the one place in Core that reads the calendar clock; no
/// duration is ever computed from it (tests/ios_harness checks that). Every
/// measured duration comes from `Timing` (`ContinuousClock`).
enum WallClock {
    /// ISO 8601 UTC with `Z`, e.g. `2026-05-21T10:16:02Z`.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date.now)
    }
}
