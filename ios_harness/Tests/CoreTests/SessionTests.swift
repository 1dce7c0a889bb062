import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// A whole plan through `HarnessSession` with the known-cost engine: the
/// report, the progress file and the run lines are what the host's schemas
/// accept, and the command-line entry point behaves as the app does.
final class SessionTests: XCTestCase {
    private func session(_ documents: URL, _ arguments: [String] = []) throws -> HarnessSession {
        let costs = KnownCostEngine.Costs(predictMs: 0.2, compileMs: 1, coldLoadMs: 1, warmLoadMs: 0.5)
        let session = HarnessSession(
            documents: documents, options: try LaunchOptions.parse(arguments), engine: KnownCostEngine(costs: costs)
        )
        session.echoRunLines = false
        session.probe = ScriptedProbe()
        session.appState = AppStateLog()
        return session
    }

    func testAPlanWritesSchemaValidReportProgressAndRunLines() async throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let session = try session(documents)
        let recorder = EventRecorder()
        let finished = await session.start { recorder.append($0) }
        let report = try XCTUnwrap(finished)

        XCTAssertEqual(report.engine, .knownCost)
        XCTAssertEqual(report.runs.map(\.status), [.ok, .ok, .failed])
        XCTAssertEqual(report.runs.map(\.compileReused), [false, true, nil])
        XCTAssertEqual(recorder.runsFinished, 3)

        let reportSchema = try SchemaCheck(schema: "report")
        let progressSchema = try SchemaCheck(schema: "progress")
        let written = try Data(contentsOf: session.writer.reportURL)
        XCTAssertEqual(try reportSchema.problems(written), [])
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: written), report)
        let progressData = try Data(contentsOf: session.writer.progressURL)
        XCTAssertEqual(try progressSchema.problems(progressData), [])
        let progress = try JSONDecoder().decode(ProgressMarker.self, from: progressData)
        XCTAssertEqual(progress.state, .finished)
        XCTAssertEqual(progress.done, 3)
        for run in report.runs {
            let line = try ReportWriter.runLine(report: report, run: run)
            XCTAssertFalse(line.contains("\n"))
            XCTAssertEqual(try reportSchema.problems(Data(line.utf8), definition: "run_line"), [])
        }
    }

    func testAMissingPlanIsReportedInProgress() async throws {
        let documents = try TestResources.temporaryDirectory(for: self)
        let session = try session(documents)
        let finished = await session.start { _ in }
        XCTAssertNil(finished)
        let progress = try JSONDecoder().decode(ProgressMarker.self, from: Data(contentsOf: session.writer.progressURL))
        XCTAssertEqual(progress.state, .failed)
        XCTAssertTrue(progress.error?.contains("no plan at Documents/plan.json") == true)
    }

    func testCommandLineRunsThePlanAndRejectsBadArguments() async throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let environment = ["MOBENCH_DOCUMENTS": documents.path]
        let parsed = try HarnessCommand.parse(
            arguments: ["--engine", "known-cost", "--cost-ms", "0.5", "--plan", "plan.json", "--autostart"],
            environment: environment
        )
        XCTAssertEqual(parsed.documents.path, documents.standardizedFileURL.path)
        XCTAssertEqual(parsed.engine.name, .knownCost)
        XCTAssertEqual((parsed.engine as? KnownCostEngine)?.costs.predictMs, 0.5)
        XCTAssertTrue(parsed.options.autostart)
        let badEngine = await HarnessCommand.main(arguments: ["--engine", "tflite"], environment: environment)
        XCTAssertEqual(badEngine, 2)
        let badCost = await HarnessCommand.main(arguments: ["--cost-ms", "soon"], environment: environment)
        XCTAssertEqual(badCost, 2)
        // Without --autostart it shows the plan and runs nothing, like the app.
        let shown = await HarnessCommand.main(arguments: ["--engine", "known-cost"], environment: environment)
        XCTAssertEqual(shown, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: documents.appendingPathComponent("report.json").path))
        #if !canImport(CoreML)
        XCTAssertEqual(parsed.engine.name, EngineName(rawValue: HarnessCommand.defaultEngineName))
        let coreml = await HarnessCommand.main(arguments: ["--engine", "coreml"], environment: environment)
        XCTAssertEqual(coreml, 2)
        #endif
    }
}

/// Collects session events from any thread.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SessionEvent] = []

    func append(_ event: SessionEvent) {
        lock.lock()
        defer { lock.unlock() }
        events.append(event)
    }

    var runsFinished: Int {
        lock.lock()
        defer { lock.unlock() }
        return events.filter {
            if case .runFinished = $0 {
                return true
            }
            return false
        }.count
    }
}
