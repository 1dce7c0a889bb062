import Foundation
import SwiftUI
import UIKit

/// One finished run, as the screen lists it.
struct RunRow: Identifiable, Equatable {
    let id: String
    let model: String
    let computeUnits: String
    let status: RunStatus
    let summary: LatencySummary?
    let error: String?
}

/// The UI state. All benchmarking happens in `HarnessSession` (Sources/Core,
/// the Swift package), whose loop runs on a dedicated thread; this object only
/// mirrors its events on the main actor, and feeds app state changes
/// (background, screen lock) to the loop through `AppStateLog`.
@MainActor
final class HarnessViewModel: ObservableObject {
    @Published private(set) var options: LaunchOptions
    @Published private(set) var optionsError: String? = nil
    @Published private(set) var plan: Plan? = nil
    @Published private(set) var planError: String? = nil
    @Published private(set) var status = "Idle"
    @Published private(set) var isRunning = false
    @Published private(set) var completedRuns = 0
    @Published private(set) var totalRuns = 0
    @Published private(set) var currentRun: String? = nil
    @Published private(set) var currentRound: Int? = nil
    @Published private(set) var rows: [RunRow] = []
    @Published private(set) var reportPath: String? = nil

    private var autostartHandled = false
    private var appStateObservers: [NSObjectProtocol] = []

    init(arguments: [String]) {
        do {
            options = try LaunchOptions.parse(arguments)
            optionsError = nil
        } catch {
            options = LaunchOptions()
            optionsError = "Launch arguments: \(error)"
        }
        reloadPlan()
        observeAppState()
    }

    /// Every application state change goes to `AppStateLog.shared`; the loop
    /// records the changes of each round and flags the rounds they touch.
    private func observeAppState() {
        let events: [(Notification.Name, AppStateEvent)] = [
            (UIApplication.willResignActiveNotification, .inactive),
            (UIApplication.didEnterBackgroundNotification, .background),
            (UIApplication.willEnterForegroundNotification, .foreground),
            (UIApplication.didBecomeActiveNotification, .active),
            (UIApplication.protectedDataWillBecomeUnavailableNotification, .screenLocked),
            (UIApplication.protectedDataDidBecomeAvailableNotification, .screenUnlocked),
        ]
        for (name, event) in events {
            appStateObservers.append(NotificationCenter.default.addObserver(forName: name, object: nil, queue: .main) { _ in
                AppStateLog.shared.record(event)
            })
        }
    }

    /// Re-reads the plan in Documents (after the host pushed a new one).
    func reloadPlan() {
        guard !options.isNetworkMode else {
            plan = nil
            planError = nil
            status = "Network mode: the plan comes from \(options.server?.absoluteString ?? "the host")"
            return
        }
        do {
            let session = try makeSession()
            plan = try session.loadPlan()
            planError = nil
        } catch {
            plan = nil
            planError = BenchmarkRunner.describe(error)
        }
    }

    func autostartIfRequested() async {
        // Not under XCTest: `xcodebuild test` launches this app with the
        // scheme's run arguments, which may include --autostart.
        guard options.shouldAutostart(environment: ProcessInfo.processInfo.environment), !autostartHandled else {
            return
        }
        autostartHandled = true
        if let optionsError {
            FileHandle.standardError.write(Data("mobench harness: \(optionsError)\n".utf8))
            exit(2)
        }
        let report = await run()
        // The host waits for the process to end (PROTOCOL.md: --autostart exits when done).
        exit(report == nil ? 1 : 0)
    }

    /// Runs the plan; returns the report, or nil when no plan could be run.
    @discardableResult
    func run() async -> Report? {
        guard !isRunning else {
            return nil
        }
        let session: HarnessSession
        do {
            session = try makeSession()
        } catch {
            status = "Cannot open Documents: \(error.localizedDescription)"
            return nil
        }
        isRunning = true
        rows = []
        completedRuns = 0
        reportPath = nil
        status = "Starting"
        // Keep the screen on: a locked phone suspends the app mid-run.
        UIApplication.shared.isIdleTimerDisabled = true
        defer {
            UIApplication.shared.isIdleTimerDisabled = false
            isRunning = false
        }
        // The session runs its loop on a dedicated thread, not on the main actor.
        let report = await session.start { event in
            Task { @MainActor [weak self] in
                self?.apply(event)
            }
        }
        if report != nil {
            reportPath = session.writer.reportURL.path
        }
        return report
    }

    /// Network mode typed into the app: the URL and token `mobench ios serve` prints.
    func runFromHost(server: String, token: String) async {
        do {
            var parsed = try LaunchOptions.parse([
                "--server", server.trimmingCharacters(in: .whitespacesAndNewlines),
                "--token", token.trimmingCharacters(in: .whitespacesAndNewlines),
            ])
            parsed.reportName = options.reportName
            options = parsed
            optionsError = nil
        } catch {
            status = "\(error)"
            return
        }
        await run()
    }

    private func makeSession() throws -> HarnessSession {
        HarnessSession(documents: try HarnessSession.documentsDirectory(), options: options, engine: CoreMLEngine())
    }

    private func apply(_ event: SessionEvent) {
        switch event {
        case .status(let text):
            status = text
        case .planLoaded(let loaded):
            plan = loaded
            planError = nil
            totalRuns = loaded.runs.count
        case .runStarted(let index, let total, let runId):
            currentRun = runId
            currentRound = nil
            totalRuns = total
            status = "Run \(index + 1) of \(total): \(runId)"
        case .roundStarted(_, _, let runId, let round):
            currentRun = runId
            currentRound = round
        case .runFinished(let index, _, let result):
            completedRuns = index + 1
            rows.append(RunRow(
                id: result.runId,
                model: result.model,
                computeUnits: result.computeUnits.rawValue,
                status: result.status,
                summary: LatencySummary(rounds: result.samplesMs, trim: plan?.measurementProtocol.trim ?? 0),
                error: result.error
            ))
        case .finished(let report):
            currentRun = nil
            currentRound = nil
            let failed = report.runs.filter { $0.status == .failed }.count
            status = "Finished: \(report.runs.count) runs, \(failed) failed"
        case .failed(let message):
            status = message
        }
    }
}
