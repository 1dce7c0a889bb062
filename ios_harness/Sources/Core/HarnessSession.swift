import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What the UI (or a test) is told while a plan runs.
enum SessionEvent: Sendable {
    case status(String)
    case planLoaded(Plan)
    case runStarted(index: Int, total: Int, runId: String)
    case roundStarted(index: Int, total: Int, runId: String, round: Int)
    case runFinished(index: Int, total: Int, result: RunResult)
    case finished(Report)
    case failed(String)
}

/// Runs one plan end to end, the same way for the app, the command-line
/// harness and XCTest: find the plan, (network mode) fetch it and its models,
/// run every entry with `BenchmarkRunner` on a dedicated thread, keep
/// report.json / progress.json current, print a run line per finished run,
/// and (network mode) post the report.
///
/// `@unchecked Sendable`: its settings are fixed before `start` and it holds no
/// other mutable state, so handing it to another thread is safe.
final class HarnessSession: @unchecked Sendable {
    let documents: URL
    let options: LaunchOptions
    let engine: any InferenceEngine
    var probe: any DeviceProbe = SystemProbe()
    var appState: AppStateLog = .shared
    var verifyHashes = true
    var echoRunLines = true
    var thermalPollSeconds = 1.0
    /// The URLSession for network mode (tests pass one with a stub protocol).
    var urlSession: URLSession = .shared
    /// How a report post that does not get through is retried.
    var retry = HostConnection.RetryPolicy()

    init(documents: URL, options: LaunchOptions, engine: any InferenceEngine) {
        self.documents = documents
        self.options = options
        self.engine = engine
    }

    /// The app's Documents folder (what house_arrest / devicectl push into).
    static func documentsDirectory() throws -> URL {
        try FileManager.default.url(for: .documentDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
    }

    var planURL: URL {
        documents.appendingPathComponent(options.planPath)
    }

    var writer: ReportWriter {
        ReportWriter(directory: documents, reportName: options.reportName, echoRunLines: echoRunLines)
    }

    /// Reports not yet acknowledged by the host (Documents/outbox): kept across launches and
    /// sent before the next plan's report.
    var outbox: HostConnection.ReportOutbox {
        HostConnection.ReportOutbox(folder: documents.appendingPathComponent("outbox"))
    }

    func connection(server: URL, token: String) -> HostConnection {
        HostConnection(server: server, token: token, session: urlSession)
    }

    /// Reads and checks the plan named by the launch options.
    func loadPlan() throws -> Plan {
        guard FileManager.default.fileExists(atPath: planURL.path) else {
            throw PlanError(
                description: "no plan at Documents/\(options.planPath); push one with `mobench ios run` or start `mobench ios serve` and launch with --server/--token"
            )
        }
        return try Plan.decode(from: Data(contentsOf: planURL))
    }

    /// Network mode: downloads the plan and its models into Documents.
    func fetchFromHost(events: @escaping @Sendable (SessionEvent) -> Void) async throws -> Plan {
        guard let server = options.server, let token = options.token else {
            throw PlanError(description: "network mode needs --server and --token")
        }
        let connection = connection(server: server, token: token)
        events(.status("Fetching the plan from \(server.absoluteString)"))
        let fetched = try await connection.fetchPlan()
        let listing = try await connection.fetchListing()
        try await connection.downloadFiles(listing, into: documents) { done, total, path in
            events(.status(path.isEmpty ? "Downloaded \(total) files" : "Downloading \(done + 1)/\(total): \(path)"))
        }
        try FileManager.default.createDirectory(
            at: planURL.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try fetched.data.write(to: planURL, options: [.atomic])
        return fetched.plan
    }

    /// Fetches (network mode) or loads the plan, runs it and returns the report.
    /// Failures to get a plan at all are reported through `.failed` and progress.json.
    @discardableResult
    func start(events: @escaping @Sendable (SessionEvent) -> Void) async -> Report? {
        let plan: Plan
        do {
            if options.isNetworkMode {
                plan = try await fetchFromHost(events: events)
            } else {
                plan = try loadPlan()
            }
        } catch {
            let message = BenchmarkRunner.describe(error)
            try? writer.write(ProgressMarker(planId: planIdHint(), done: 0, total: 0, state: .failed, error: message))
            events(.failed(message))
            return nil
        }
        let destination = reportDestination(for: plan)
        if let destination, !outbox.pending().isEmpty {
            // reports an earlier launch could not get acknowledged go first (the host stores a
            // report posted twice once); one that still does not get through stays kept
            do {
                let sent = try await destination.connection.sendPending(outbox, to: destination.reportURL, retry: retry)
                events(.status("Sent \(sent) report(s) kept from an earlier session"))
            } catch {
                events(.status("Reports kept from an earlier session stay in Documents/outbox: \(BenchmarkRunner.describe(error))"))
            }
        }
        let report = await run(plan, modelsDirectory: planURL.deletingLastPathComponent(), events: events)
        if let destination {
            do {
                let answer = try await destination.connection.postReport(
                    report, to: destination.reportURL, retry: retry, outbox: outbox
                )
                events(.status("Report sent: \(answer)"))
            } catch {
                events(.failed("The report is saved in Documents/\(options.reportName) and kept in Documents/outbox to send on the next start, but could not be sent: \(BenchmarkRunner.describe(error))"))
                return nil
            }
        }
        return report
    }

    /// Where to POST the finished report: in network mode the host we fetched
    /// from (its `report_url`, else `<server>/report`) with the launch token; a
    /// pushed plan that carries both `report_url` and `token` is posted there too.
    func reportDestination(for plan: Plan) -> (connection: HostConnection, reportURL: URL?)? {
        let planReportURL = plan.reportUrl.flatMap { URL(string: $0) }
        if let server = options.server, let token = options.token {
            return (connection(server: server, token: token), planReportURL)
        }
        if let planReportURL, let token = plan.token {
            return (connection(server: planReportURL.deletingLastPathComponent(), token: token), planReportURL)
        }
        return nil
    }

    /// Runs every entry of `plan`, in order, with models from `modelsDirectory`,
    /// on a dedicated thread.
    func run(_ plan: Plan, modelsDirectory: URL, events: @escaping @Sendable (SessionEvent) -> Void) async -> Report {
        let progressConnection = options.server.flatMap { server in
            options.token.map { connection(server: server, token: $0) }
        }
        // Posted from the loop's thread between runs (never inside a timed
        // region), one at a time, so the host sees them in order.
        let progressPoster: @Sendable (ProgressMarker) -> Void = { marker in
            guard let progressConnection else {
                return
            }
            try? BlockingAsync.run {
                await progressConnection.postProgress(marker)
            }
        }
        let report = await DedicatedThread.run { [self] in
            self.runBlocking(plan, modelsDirectory: modelsDirectory, events: events, postProgress: progressPoster)
        }
        if let progressConnection {
            // The final marker, awaited so the host sees it before the report.
            await progressConnection.postProgress(ProgressMarker(
                planId: plan.planId, done: plan.runs.count, total: plan.runs.count, state: .finished
            ))
        }
        return report
    }

    /// The plan loop itself: blocking, on the calling thread.
    func runBlocking(
        _ plan: Plan,
        modelsDirectory: URL,
        events: @escaping @Sendable (SessionEvent) -> Void,
        postProgress: (ProgressMarker) -> Void = { _ in }
    ) -> Report {
        let writer = self.writer
        writer.removeStaleOutputs()
        events(.planLoaded(plan))
        let started = WallClock.timestamp()
        var report = Report(
            schemaVersion: supportedSchemaVersion,
            planId: plan.planId,
            appVersion: SchemaText.truncated(DeviceInfo.appVersion(), toScalars: 64),
            protocolVersion: harnessProtocolVersion,
            clock: .continuousClock,
            started: started,
            finished: started,
            device: DeviceInfo.describe(probe: probe),
            measurementProtocol: plan.measurementProtocol,
            inputKind: plan.inputKind,
            engine: engine.name,
            runs: []
        )
        let total = plan.runs.count
        var progress = ProgressMarker(planId: plan.planId, done: 0, total: total, state: .running)
        writeProgress(progress, writer: writer)

        let runner = BenchmarkRunner(
            modelsDirectory: modelsDirectory,
            measurementProtocol: plan.measurementProtocol,
            engine: engine,
            probe: probe,
            appState: appState,
            verifyHashes: verifyHashes,
            thermalPollSeconds: thermalPollSeconds
        )
        let cache = CompileCache()
        defer { cache.discardAll(engine: engine) }
        for (index, planRun) in plan.runs.enumerated() {
            let result = runner.run(planRun, index: index, cache: cache) { event in
                switch event {
                case .runStarted(let index, let runId):
                    progress.current = runId
                    progress.round = nil
                    writeProgress(progress, writer: writer)
                    events(.runStarted(index: index, total: total, runId: runId))
                case .roundStarted(let index, let runId, let round):
                    progress.current = runId
                    progress.round = round
                    writeProgress(progress, writer: writer)
                    events(.roundStarted(index: index, total: total, runId: runId, round: round))
                case .runFinished:
                    break
                }
            }
            report.runs.append(result)
            report.finished = WallClock.timestamp()
            do {
                try writer.write(report)
                try writer.emitRunLine(report: report, run: result)
            } catch {
                events(.status("Could not write the report: \(BenchmarkRunner.describe(error))"))
            }
            progress.done = index + 1
            progress.current = nil
            progress.round = nil
            if index + 1 == total {
                progress.state = .finished
            }
            writeProgress(progress, writer: writer)
            if index + 1 < total {
                postProgress(progress)
            }
            events(.runFinished(index: index, total: total, result: result))
        }
        progress.state = .finished
        writeProgress(progress, writer: writer)
        events(.finished(report))
        return report
    }

    /// The plan_id of a plan file that could not be decoded, so the host that
    /// polls progress.json for that plan sees the failure.
    private func planIdHint() -> String {
        guard let data = try? Data(contentsOf: planURL),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let planId = object["plan_id"] as? String else {
            return "unknown"
        }
        return planId
    }

    private func writeProgress(_ marker: ProgressMarker, writer: ReportWriter) {
        try? writer.write(marker)
    }
}
