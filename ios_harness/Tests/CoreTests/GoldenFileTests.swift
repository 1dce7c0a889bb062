import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// The golden plan and report (mobench/devices/iphone/schema/examples/, the
/// same files the Python tests validate against the JSON Schema) decode into
/// the Codable mirror, and what the app encodes keeps every required key.
final class GoldenFileTests: XCTestCase {
    func testGoldenPlanDecodes() throws {
        let plan = try Plan.decode(from: TestResources.goldenData("plan"))
        XCTAssertEqual(plan.schemaVersion, supportedSchemaVersion)
        XCTAssertEqual(plan.inputKind, .image)
        XCTAssertEqual(plan.runs.count, 5)
        XCTAssertEqual(plan.runs.map(\.computeUnits), [.all, .cpuAndNeuralEngine, .cpuOnly, .cpuOnly, .all])
        XCTAssertEqual(plan.measurementProtocol.rounds, 2)
        XCTAssertEqual(plan.measurementProtocol.inferences, 5)
        XCTAssertTrue(plan.measurementProtocol.reloadPerRound)
        XCTAssertNotNil(plan.reportUrl)
        XCTAssertNotNil(plan.token)
    }

    func testGoldenReportDecodesAndFollowsTheWarmupRule() throws {
        let report = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        XCTAssertEqual(report.schemaVersion, supportedSchemaVersion)
        XCTAssertEqual(report.clock, .continuousClock)
        XCTAssertEqual(report.device.modelIdentifier, "iPhone13,2")
        let ok = report.runs.filter { $0.status == .ok }
        XCTAssertFalse(ok.isEmpty)
        for run in ok {
            XCTAssertEqual(run.samplesMs.count, report.measurementProtocol.rounds)
            XCTAssertTrue(run.samplesMs.allSatisfy { $0.count == report.measurementProtocol.inferences })
            // A round that loaded starts its warm-up with the first prediction.
            for (round, warmup) in run.warmupMs.enumerated() where round < run.firstPredictionMs.count {
                XCTAssertEqual(warmup.first, run.firstPredictionMs[round])
            }
            XCTAssertNotNil(run.memory)
        }
        let failed = report.runs.filter { $0.status == .failed }
        XCTAssertTrue(failed.allSatisfy { $0.error?.isEmpty == false })
    }

    func testReportRoundTripKeepsRequiredNullKeys() throws {
        let original = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        let encoded = try ReportWriter.encoder(pretty: false).encode(original)
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: encoded), original)

        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        let runs = try XCTUnwrap(object["runs"] as? [[String: Any]])
        for run in runs {
            // Required by the schema even when null.
            for key in ["error", "compile_ms", "load_ms", "first_prediction_ms", "warmup_ms", "samples_ms", "rounds"] {
                XCTAssertTrue(run.keys.contains(key), "run \(run["run_id"] ?? "?") lacks \(key)")
            }
        }
    }

    func testGoldenPlanRoundTrips() throws {
        let plan = try Plan.decode(from: TestResources.goldenData("plan"))
        let encoded = try ReportWriter.encoder(pretty: false).encode(plan)
        XCTAssertEqual(try Plan.decode(from: encoded), plan)
        XCTAssertEqual(plan.measurementProtocol.thermalWaitS, 120)
    }

    func testGoldenFilesAndTheirRoundTripsPassTheHostSchemas() throws {
        let planSchema = try SchemaCheck(schema: "plan")
        let reportSchema = try SchemaCheck(schema: "report")
        let planData = try TestResources.goldenData("plan")
        let reportData = try TestResources.goldenData("report")
        XCTAssertEqual(try planSchema.problems(planData), [])
        XCTAssertEqual(try reportSchema.problems(reportData), [])
        let report = try JSONDecoder().decode(Report.self, from: reportData)
        XCTAssertEqual(report.engine, .coreml)
        XCTAssertEqual(try reportSchema.problems(ReportWriter.encoder(pretty: true).encode(report)), [])
        let plan = try Plan.decode(from: planData)
        XCTAssertEqual(try planSchema.problems(ReportWriter.encoder(pretty: true).encode(plan)), [])
        // The checker can fail: an unknown key and a wrong enum value.
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: reportData) as? [String: Any])
        object["surprise"] = 1
        object["engine"] = "tflite"
        let broken = try reportSchema.problems(JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(broken.count, 2, "\(broken)")
    }

    func testRunLineIsOneLineWithTheMarkerKey() throws {
        let report = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        let line = try ReportWriter.runLine(report: report, run: report.runs[0])
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["mobench_run"] as? Int, 1)
        XCTAssertEqual(try JSONDecoder().decode(RunLine.self, from: Data(line.utf8)).run, report.runs[0])
    }

    func testNewerSchemaVersionIsRejectedWithAClearMessage() throws {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: TestResources.goldenData("plan")) as? [String: Any])
        object["schema_version"] = 2
        let data = try JSONSerialization.data(withJSONObject: object)
        XCTAssertThrowsError(try Plan.decode(from: data)) { error in
            XCTAssertTrue(String(describing: error).contains("schema_version 2"))
        }
    }
}
