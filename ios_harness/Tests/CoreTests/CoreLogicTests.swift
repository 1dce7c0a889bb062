import XCTest
@testable import MobenchHarness

/// The plain-Swift pieces of Core: launch arguments, statistics, half floats,
/// the host-compatible sha256, the compute-plan tally, plan checks.
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
        XCTAssertEqual(InputSynthesizer.halfBits(1.0), 0x3C00)
        XCTAssertEqual(InputSynthesizer.halfBits(-2.0), 0xC000)
        XCTAssertEqual(InputSynthesizer.halfBits(0.5), 0x3800)
        XCTAssertEqual(InputSynthesizer.halfBits(0.0), 0x0000)
        XCTAssertEqual(InputSynthesizer.halfBits(1e-10), 0x0000)
    }

    func testSeededGeneratorIsDeterministic() {
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        XCTAssertEqual((0..<8).map { _ in a.next() }, (0..<8).map { _ in b.next() })
    }

    // MARK: sha256 as the host computes it

    func testFolderHashMatchesTheHost() throws {
        // The same tree hashed by mobench._util.sha256_path on the host; the
        // expected value is pinned in tests/ios_harness/test_fixtures.py too.
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
        XCTAssertTrue(ComputePlanInspector.isConstant("ios17.const"))
    }

    // MARK: Plan checks

    func testUnsafeFileNamesAreRejected() {
        XCTAssertTrue(Plan.isSafeFileName("mobileone_s0.mlpackage"))
        XCTAssertFalse(Plan.isSafeFileName("../mobileone_s0.mlpackage"))
        XCTAssertFalse(Plan.isSafeFileName("sub/mobileone_s0.mlpackage"))
        XCTAssertFalse(Plan.isSafeFileName("mobileone_s0.zip"))
    }
}
