import Foundation

/// Runs blocking work on a thread of its own and awaits the result.
///
/// The measurement loop blocks for minutes in synchronous predictions; on
/// Swift's cooperative thread pool that would starve every other task (the
/// pool has one thread per core). A dedicated `Thread` at `.userInitiated`
/// quality of service keeps the pool free and the loop's scheduling steady.
enum DedicatedThread {
    static func run<T: Sendable>(
        name: String = "org.mobench.harness.benchmark",
        qualityOfService: QualityOfService = .userInitiated,
        _ body: @escaping @Sendable () -> T
    ) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.qualityOfService = qualityOfService
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
