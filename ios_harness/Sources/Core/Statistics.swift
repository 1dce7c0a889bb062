import Foundation

/// Summary figures for the app's screen. The host computes the statistics it
/// stores from the raw samples (PROTOCOL.md); these only let a user see at a
/// glance what a run measured.
struct LatencySummary: Equatable, Sendable {
    var count: Int
    var minimum: Double
    var median: Double
    /// ModelBench's figure: the mean of the per-round means after dropping the
    /// `trim` lowest and highest samples of every round.
    var trimmedMean: Double

    /// Nil when there are no samples.
    init?(rounds: [[Double]], trim: Int) {
        let all = rounds.flatMap { $0 }
        guard !all.isEmpty else {
            return nil
        }
        count = all.count
        minimum = all.min() ?? 0
        median = Statistics.median(all)
        let roundMeans = rounds.compactMap { Statistics.trimmedMean($0, trim: trim) }
        trimmedMean = roundMeans.isEmpty ? median : roundMeans.reduce(0, +) / Double(roundMeans.count)
    }
}

enum Statistics {
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else {
            return .nan
        }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Mean after dropping `trim` samples at each end; nil when nothing is left.
    static func trimmedMean(_ values: [Double], trim: Int) -> Double? {
        let sorted = values.sorted()
        guard trim >= 0, sorted.count > 2 * trim else {
            return nil
        }
        let kept = sorted[trim..<(sorted.count - trim)]
        return kept.reduce(0, +) / Double(kept.count)
    }
}
