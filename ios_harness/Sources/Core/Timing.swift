import Foundation

/// Monotonic timing for every number the harness reports.
///
/// `ContinuousClock` (iOS 16+) is monotonic and keeps counting while the device
/// sleeps; it never jumps the way the wall clock (`Date`) does when the network
/// time is corrected. The reference ModelBench app timed with the wall clock;
/// mobench does not.
enum Timing {
    static let clock = ContinuousClock()

    /// The current instant of the monotonic clock.
    @inline(__always)
    static func now() -> ContinuousClock.Instant {
        clock.now
    }

    /// Milliseconds elapsed from `start` until now.
    @inline(__always)
    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        milliseconds(start.duration(to: clock.now))
    }

    /// A `Duration` as fractional milliseconds.
    static func milliseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1_000 + Double(parts.attoseconds) / 1e15
    }

    /// Runs `body` once and returns its result with the elapsed milliseconds.
    /// Only `body` is inside the timed region.
    @inline(__always)
    static func measure<T>(_ body: () throws -> T) rethrows -> (value: T, milliseconds: Double) {
        let start = clock.now
        let value = try body()
        let end = clock.now
        return (value, milliseconds(start.duration(to: end)))
    }
}
