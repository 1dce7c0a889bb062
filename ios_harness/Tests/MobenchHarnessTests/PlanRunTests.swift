import XCTest
@testable import MobenchHarness

/// Core ML on the device or simulator (Xcode only: `swift test` on Linux has
/// no Core ML). Runs plans through the same `HarnessSession` the app uses with
/// the Core ML engine and attaches the report to the test result, so
/// `xcodebuild test-without-building` on a device farm returns the
/// measurements in the .xcresult (and the run lines in the log).
final class PlanRunTests: XCTestCase {
    override func setUp() {
        super.setUp()
        continueAfterFailure = true
        executionTimeAllowance = 3_600
    }

    /// The bundled 5 KB model, timed for real: every phase of the measurement
    /// procedure, the report files, the run lines and a failed entry for a
    /// missing model.
    func testTinyModelEndToEnd() async throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let session = HarnessSession(documents: documents, options: LaunchOptions(), engine: CoreMLEngine())
        let finished = await session.start { _ in }
        let report = try XCTUnwrap(finished, "the fixture plan could not be run")
        attach(try ReportWriter.encoder(pretty: true).encode(report), name: "tiny_cnn-report.json")
        XCTAssertEqual(report.engine, .coreml)

        let p = report.measurementProtocol
        XCTAssertEqual(report.runs.count, 3)
        for run in report.runs.prefix(2) {
            XCTAssertEqual(run.status, .ok, run.error ?? "")
            XCTAssertEqual(run.sha256Verified, true)
            XCTAssertEqual(run.coldLoadMs?.count, 1)
            XCTAssertEqual(run.warmLoadMs?.count, p.rounds - 1)
            XCTAssertEqual(run.loadMs.count, p.rounds)  // reload_per_round
            XCTAssertEqual(run.firstPredictionMs.count, p.rounds)
            XCTAssertEqual(run.samplesMs.map(\.count), Array(repeating: p.inferences, count: p.rounds))
            XCTAssertEqual(run.warmupMs.map(\.count), Array(repeating: p.warmup, count: p.rounds))
            XCTAssertEqual(run.warmupMs.map(\.first), run.firstPredictionMs.map { Optional($0) })
            XCTAssertTrue(run.samplesMs.joined().allSatisfy { $0 > 0 })
            XCTAssertEqual(run.rounds.map(\.index), Array(0..<p.rounds))
            XCTAssertNotNil(run.memory?.footprintAfterLoadMb)
            XCTAssertNotNil(run.memory?.peakFootprintMb)
            XCTAssertEqual(run.inputs?.first?.kind, .image)
            XCTAssertEqual(run.inputs?.first?.shape, [64, 64])
            XCTAssertNotNil(run.computePlan)
        }
        // Both runs use tiny_cnn.mlpackage: compiled once, by the first.
        XCTAssertNotNil(report.runs[0].compileMs)
        XCTAssertEqual(report.runs[1].compileReused, true)
        XCTAssertNil(report.runs[1].compileMs)
        let missing = report.runs[2]
        XCTAssertEqual(missing.status, .failed)
        XCTAssertTrue(missing.error?.contains("not found") == true, missing.error ?? "")

        // The files the host reads.
        let written = try JSONDecoder().decode(Report.self, from: Data(contentsOf: session.writer.reportURL))
        XCTAssertEqual(written, report)
        let progress = try JSONDecoder().decode(ProgressMarker.self, from: Data(contentsOf: session.writer.progressURL))
        XCTAssertEqual(progress.state, .finished)
        XCTAssertEqual(progress.done, 3)
    }

    /// The farm entry point: runs Documents/plan.json, else the plan built into
    /// the bundle's FarmPlan folder, else the golden plan (whose models are
    /// absent: every run must then fail cleanly, without a crash).
    func testRunPlan() async throws {
        let documents = try HarnessSession.documentsDirectory()
        var options = LaunchOptions()
        var source = "Documents"
        var planFolder = documents
        if !FileManager.default.fileExists(atPath: documents.appendingPathComponent("plan.json").path) {
            if let farm = TestResources.folder("FarmPlan"),
               FileManager.default.fileExists(atPath: farm.appendingPathComponent("plan.json").path) {
                source = "FarmPlan"
                planFolder = farm
            } else {
                source = "golden"
                planFolder = try TestResources.goldenURL("plan").deletingLastPathComponent()
            }
        }
        options.planPath = "plan.json"
        // Reports always go to the app's Documents (the bundle is read-only).
        let session = HarnessSession(documents: documents, options: options, engine: CoreMLEngine())
        let plan = try Plan.decode(from: Data(contentsOf: planFolder.appendingPathComponent("plan.json")))
        let report = await session.run(plan, modelsDirectory: planFolder) { _ in }
        attach(try ReportWriter.encoder(pretty: true).encode(report), name: "report.json")

        XCTAssertEqual(report.runs.map(\.runId), plan.runs.map(\.runId))
        if source == "golden" {
            XCTAssertTrue(report.runs.allSatisfy { $0.status == .failed && $0.error?.contains("not found") == true })
        } else {
            for run in report.runs where run.status == .failed {
                XCTFail("\(run.runId) failed: \(run.error ?? "no error message")")
            }
        }
    }
}

extension PlanRunTests {
    /// Attaches `data` to the test result (kept in the .xcresult, also on success).
    func attach(_ data: Data, name: String) {
        let attachment = XCTAttachment(data: data, uniformTypeIdentifier: "public.json")
        attachment.name = name
        attachment.lifetime = .keepAlways
        add(attachment)
    }
}
