import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// The plain-Swift pieces of Core: launch arguments, statistics, half floats,
/// text limits, the host-compatible sha256, the compute-plan tally, plan checks.
final class CoreLogicTests: XCTestCase {
    // MARK: Launch options

    func testDefaultsAndUnknownArgumentsAreIgnored() throws {
        let options = try LaunchOptions.parse(["-NSDocumentRevisionsDebugMode", "YES"])
        XCTAssertEqual(options.planPath, "plan.json")
        XCTAssertEqual(options.reportName, "report.json")
        XCTAssertFalse(options.autostart)
        XCTAssertFalse(options.isNetworkMode)
    }

    func testHostLaunchLine() throws {
        let options = try LaunchOptions.parse(["--plan", "plan.json", "--autostart"])
        XCTAssertTrue(options.autostart)
        let network = try LaunchOptions.parse([
            "--server", "http://192.168.1.20:8765", "--token", "k3J9-example-token-0123456789abcdef", "--autostart",
        ])
        XCTAssertEqual(network.server?.host, "192.168.1.20")
        XCTAssertTrue(network.isNetworkMode)
    }

    func testBadLaunchOptionsAreRejected() {
        XCTAssertThrowsError(try LaunchOptions.parse(["--plan", "../etc/plan.json"]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--plan", "/var/plan.json"]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--report", "sub/report.json"]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--server", "http://10.0.0.2:8765"]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--server", "ftp://10.0.0.2", "--token", String(repeating: "a", count: 20)]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--server", "http://10.0.0.2:8765", "--token", "short"]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--plan"]))
        XCTAssertThrowsError(try LaunchOptions.parse(["--plan", "--autostart"]))  // not a .json path
    }

    func testAValueMayBeginWithTwoDashes() throws {
        // secrets.token_urlsafe can start with "--" (1 in 4,096 tokens).
        let token = "--k3J9-example-token-0123456789"
        let options = try LaunchOptions.parse(["--server", "http://127.0.0.1:8765", "--token", token, "--autostart"])
        XCTAssertEqual(options.token, token)
        XCTAssertTrue(options.autostart)
    }

    func testAutostartIsSkippedUnderXCTest() throws {
        let options = try LaunchOptions.parse(["--plan", "plan.json", "--autostart"])
        XCTAssertTrue(options.shouldAutostart(environment: [:]))
        XCTAssertFalse(options.shouldAutostart(environment: ["XCTestConfigurationFilePath": "/tmp/x.xctestconfiguration"]))
        XCTAssertFalse(options.shouldAutostart(environment: ["XCTestBundlePath": "/tmp/T.xctest"]))
        XCTAssertFalse(try LaunchOptions.parse([]).shouldAutostart(environment: [:]))
    }

    // MARK: Text limits

    func testTruncationCountsUnicodeScalarsLikeTheSchema() {
        // "e" + combining acute accent: 1 Character, 2 scalars (JSON Schema counts 2).
        let accented = String(repeating: "e\u{301}", count: 3)
        XCTAssertEqual(accented.count, 3)
        let cut = SchemaText.truncated(accented, toScalars: 5)
        XCTAssertEqual(cut.unicodeScalars.count, 5)
        XCTAssertEqual(SchemaText.truncated("short", toScalars: 10), "short")
        let flags = String(repeating: "\u{1F1E9}\u{1F1EA}", count: 2000)  // 2,000 Characters, 4,000 scalars
        XCTAssertEqual(SchemaText.truncated(flags + "x", toScalars: 4000).unicodeScalars.count, 4000)
    }

    // MARK: Statistics

    func testTrimmedMeanFollowsModelBench() throws {
        XCTAssertEqual(Statistics.trimmedMean([5, 1, 3, 2, 100], trim: 1), 10.0 / 3.0)
        XCTAssertNil(Statistics.trimmedMean([1, 2], trim: 1))
        XCTAssertEqual(Statistics.median([4, 1, 3, 2]), 2.5)
        let summary = try XCTUnwrap(LatencySummary(rounds: [[1, 2, 3], [3, 4, 50]], trim: 1))
        XCTAssertEqual(summary.minimum, 1)
        XCTAssertEqual(summary.trimmedMean, 3)  // mean of 2 and 4
        XCTAssertEqual(summary.count, 6)
        XCTAssertNil(LatencySummary(rounds: [[]], trim: 0))
    }

    // MARK: Input synthesis

    func testHalfBits() {
        XCTAssertEqual(HalfFloat.bits(1.0), 0x3C00)
        XCTAssertEqual(HalfFloat.bits(-2.0), 0xC000)
        XCTAssertEqual(HalfFloat.bits(0.5), 0x3800)
        XCTAssertEqual(HalfFloat.bits(0.0), 0x0000)
        XCTAssertEqual(HalfFloat.bits(1e-10), 0x0000)
    }

    func testSeededGeneratorIsDeterministic() {
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        XCTAssertEqual((0..<8).map { _ in a.next() }, (0..<8).map { _ in b.next() })
    }

    // MARK: sha256 as the host computes it

    func testFolderHashMatchesTheHost() throws {
        // The same tree hashed by mobench.core.util.sha256_path on the host; the
        // expected value is checked against the host in tests/ios_harness too.
        let root = try TestResources.temporaryDirectory(for: self)
            .appendingPathComponent("m.mlpackage", isDirectory: true)
        let files = [
            "Manifest.json": "{}",
            "a.txt": "first",
            "a/b.bin": "second",
            "Data/x": "third",
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        XCTAssertEqual(
            try ModelHasher.regularFiles(under: root),
            ["Data/x", "Manifest.json", "a/b.bin", "a.txt"]
        )
        XCTAssertEqual(
            try ModelHasher.sha256(of: root),
            "8180465fe33a83713c1a6996592a616878a16936d1a7f7fd0223e7567b98b1bd"
        )
    }

    func testPortableSHA256MatchesTheStandardVectors() {
        func hex(_ text: String) -> String {
            var hasher = PortableSHA256()
            hasher.update(data: Data(text.utf8))
            return ModelHasher.hexString(hasher.finalize())
        }
        // FIPS 180-4 examples.
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        // A million 'a's in uneven pieces: the block buffering across updates.
        var hasher = PortableSHA256()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let size = min(piece, left)
            hasher.update(data: Data(repeating: 0x61, count: size))
            left -= size
            piece = piece * 3 % 997 + 1
        }
        XCTAssertEqual(
            ModelHasher.hexString(hasher.finalize()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    func testFixtureModelHashIsTheOneTheHostWroteInItsPlan() throws {
        // tiny_cnn.mlpackage was hashed by mobench.core.util.sha256_path when its plan was written.
        let fixtures = try XCTUnwrap(TestResources.folder("Fixtures"))
        let plan = try Plan.decode(from: Data(contentsOf: fixtures.appendingPathComponent("plan.json")))
        let run = try XCTUnwrap(plan.runs.first { $0.file == "tiny_cnn.mlpackage" })
        XCTAssertEqual(try ModelHasher.sha256(of: fixtures.appendingPathComponent(run.file)), run.sha256)
    }

    // MARK: Compute plan tally

    func testFallbackIsFlaggedOnlyWhenTheNeuralEngineWasAllowed() {
        var tally = OperationTally()
        tally.record(device: .neuralEngine, operatorName: "ios16.conv")
        tally.record(device: .cpu, operatorName: "ios16.softmax")
        tally.record(device: .cpu, operatorName: "ios16.softmax")
        let allowed = tally.summary(allowsNeuralEngine: true)
        XCTAssertEqual(allowed.opsByDevice, OpsByDevice(cpu: 2, gpu: 0, neuralEngine: 1, unknown: 0))
        XCTAssertEqual(allowed.cpuFallbackWithAneAllowed, true)
        XCTAssertEqual(allowed.cpuFallbackOps, ["ios16.softmax"])
        XCTAssertEqual(tally.summary(allowsNeuralEngine: false).cpuFallbackWithAneAllowed, false)
        XCTAssertFalse(OperationTally().summary(allowsNeuralEngine: true).available)
        XCTAssertTrue(OperationTally.isConstant("ios17.const"))
    }

    func testPerOperationCostsRoundTripAndPassTheSchema() throws {
        var tally = OperationTally()
        tally.record(PlanOperation(name: "x_to_fp16", operatorName: "ios17.cast", preferredDevice: .cpu,
                                   supportedDevices: [.cpu, .gpu], estimatedCost: 0.1))
        tally.record(PlanOperation(name: "stage0_conv", operatorName: "ios17.conv", preferredDevice: .neuralEngine,
                                   supportedDevices: [.cpu, .gpu, .neuralEngine], estimatedCost: 0.9))
        tally.record(PlanOperation(name: "out", operatorName: "ios17.reshape", preferredDevice: .unknown,
                                   supportedDevices: [], estimatedCost: nil))
        tally.record(PlanOperation(name: "odd", operatorName: "ios17.add", preferredDevice: .gpu,
                                   supportedDevices: [.gpu], estimatedCost: 1.5))
        let summary = tally.summary(allowsNeuralEngine: true)
        XCTAssertEqual(summary.opsByDevice, OpsByDevice(cpu: 1, gpu: 1, neuralEngine: 1, unknown: 1))
        XCTAssertEqual(summary.ops?.map(\.estimatedCost), [0.1, 0.9, nil, nil])   // 1.5 is no weight: dropped

        let data = try ReportWriter.encoder(pretty: false).encode(summary)
        XCTAssertEqual(try JSONDecoder().decode(ComputePlanSummary.self, from: data), summary)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ops = try XCTUnwrap(object["ops"] as? [[String: Any]])
        XCTAssertEqual(ops[1]["preferred_device"] as? String, "neural_engine")
        XCTAssertTrue(ops[2]["estimated_cost"] is NSNull)   // required, written as null
        let schema = try SchemaCheck(schema: "report")
        XCTAssertEqual(try schema.problems(data, definition: "compute_plan"), [])
        // The checker can fail on the new fields: a device outside the enum, a weight above 1.
        let bad = String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "\"preferred_device\":\"neural_engine\"", with: "\"preferred_device\":\"npu\"")
            .replacingOccurrences(of: "0.9", with: "9")
        let problems = try schema.problems(Data(bad.utf8), definition: "compute_plan")
        XCTAssertTrue(problems.contains { $0.contains("preferred_device") && $0.contains("npu") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("9") && $0.contains("estimated_cost") }, "\(problems)")
    }

    func testOperationListIsCappedAtTheSchemaLimit() {
        var tally = OperationTally()
        let op = PlanOperation(name: "c", operatorName: "ios17.conv", preferredDevice: .neuralEngine,
                               supportedDevices: [.neuralEngine], estimatedCost: 0)
        for _ in 0...OperationTally.maxOperations {
            tally.record(op)
        }
        var long = OperationTally()
        long.record(PlanOperation(name: String(repeating: "n", count: 1_500), operatorName: "ios17.conv",
                                  preferredDevice: .cpu, supportedDevices: [.cpu], estimatedCost: 0.5))
        XCTAssertEqual(long.operations.first?.name.unicodeScalars.count, 1_000)
        XCTAssertEqual(tally.operations.count, OperationTally.maxOperations)
        XCTAssertEqual(tally.counts.neuralEngine, OperationTally.maxOperations + 1)
    }

    // MARK: Plan checks

    func testUnsafeFileNamesAreRejected() {
        XCTAssertTrue(Plan.isSafeFileName("mobileone_s0.mlpackage"))
        XCTAssertFalse(Plan.isSafeFileName("../mobileone_s0.mlpackage"))
        XCTAssertFalse(Plan.isSafeFileName("sub/mobileone_s0.mlpackage"))
        XCTAssertFalse(Plan.isSafeFileName("mobileone_s0.zip"))
    }
}
