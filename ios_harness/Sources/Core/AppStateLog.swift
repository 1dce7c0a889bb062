import Foundation

/// Application state changes (background, screen lock, ...) as they happen.
///
/// The app shell records them from UIApplication notifications (the package
/// has no UIKit); the loop reads what arrived during each round and flags the
/// round. Thread-safe: notifications arrive on the main thread, the loop reads
/// on its own thread.
final class AppStateLog: @unchecked Sendable {
    /// The process's log, fed by the app shell.
    static let shared = AppStateLog()

    private let lock = NSLock()
    private var events: [AppStateEvent] = []

    func record(_ event: AppStateEvent) {
        lock.lock()
        defer { lock.unlock() }
        events.append(event)
    }

    /// A position in the log, to read what came after it.
    func mark() -> Int {
        lock.lock()
        defer { lock.unlock() }
        return events.count
    }

    /// The events recorded since `mark` (at most `limit`, the schema's maxItems).
    func events(since mark: Int, limit: Int = 1000) -> [AppStateEvent] {
        lock.lock()
        defer { lock.unlock() }
        guard mark < events.count else {
            return []
        }
        return Array(events[max(0, mark)...].prefix(limit))
    }
}
