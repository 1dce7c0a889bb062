import Dispatch
import Foundation

/// Waits on the current thread for an `async` call. Only for the loop's
/// dedicated thread (`DedicatedThread`), which may block: Core ML's compile and
/// compute-plan calls are `async` (the synchronous compile is deprecated),
/// while the measurement loop is synchronous by design.
enum BlockingAsync {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached(priority: .userInitiated) {
            do {
                box.result = .success(try await body())
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        guard let result = box.result else {
            throw EngineError(description: "internal error: an async call finished without a result")
        }
        return try result.get()
    }

    /// Written by the task before it signals, read after the wait: the
    /// semaphore orders the two accesses.
    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, Error>?
    }
}
