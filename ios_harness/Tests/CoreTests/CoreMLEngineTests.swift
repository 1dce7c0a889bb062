import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// The Core ML engine for real: compile a tiny `.mlpackage` exported by
/// mobench, load it with each compute-unit setting, synthesize its input from
/// the model description and time predictions, and ask for the compute plan.
/// Runs wherever Core ML exists (`swift test` on a Mac, the Xcode test
/// target); skipped elsewhere. On Linux it still compiles against the
/// stand-in SDK modules (tools/apple-typecheck).
///
/// The model: `$MOBENCH_COREML_TEST_MODEL` (the macOS workflow exports one
/// with `mobench export`), else Tests/Fixtures/tiny_cnn.mlpackage
/// (tools/make_fixture.py: a 64x64 image in, 10 logits out).
final class CoreMLEngineTests: XCTestCase {
    func testCompileLoadAndTimePredictionsForEveryComputeUnitSetting() throws {
        #if canImport(CoreML)
        let model = try Self.modelURL()
        let engine = CoreMLEngine()
        XCTAssertTrue(engine.needsCompile(model))
        let clock = ContinuousClock()
        var compiled: URL?
        let compileTime = try clock.measure {
            compiled = try engine.compile(model)
        }
        let compiledURL = try XCTUnwrap(compiled)
        defer { engine.discardCompiled(compiledURL, source: model) }
        XCTAssertEqual(compiledURL.pathExtension, "mlmodelc")
        XCTAssertFalse(engine.needsCompile(compiledURL))
        XCTAssertGreaterThan(compileTime, .zero)

        for units in ComputeUnits.allCases {
            let loaded = try engine.load(compiledURL, computeUnits: units)
            let input = try loaded.prepareInput()
            XCTAssertFalse(input.descriptions.isEmpty, "no input described for \(units)")
            for description in input.descriptions {
                XCTAssertFalse(description.shape.isEmpty, "\(description.name) has no shape")
                XCTAssertTrue(description.shape.allSatisfy { $0 > 0 }, "\(description.name): \(description.shape)")
            }
            var sink = OutputSink()
            var samples: [Duration] = []
            for _ in 0..<10 {
                let start = clock.now
                let output = try loaded.predict(input)
                samples.append(clock.now - start)
                sink.keep(output)
            }
            XCTAssertEqual(sink.count, 10)
            XCTAssertTrue(samples.allSatisfy { $0 > .zero }, "\(units): \(samples)")
            let plan = engine.computePlan(compiledURL, computeUnits: units)
            if #available(iOS 17.4, macOS 14.4, *) {
                XCTAssertTrue(plan.available, plan.reason ?? "")
                XCTAssertGreaterThan(plan.ops?.count ?? 0, 0, "an ML Program lists its operations")
            } else {
                XCTAssertFalse(plan.available)
            }
        }
        #else
        throw XCTSkip("Core ML is not available on this platform (it is compiled against stand-ins on Linux)")
        #endif
    }

    func testTheFixtureImageInputIsDescribedAsTheModelDeclaresIt() throws {
        #if canImport(CoreML)
        let fixtures = try XCTUnwrap(TestResources.folder("Fixtures"), "Fixtures folder missing")
        let engine = CoreMLEngine()
        let package = fixtures.appendingPathComponent("tiny_cnn.mlpackage")
        let compiled = try engine.compile(package)
        defer { engine.discardCompiled(compiled, source: package) }
        let input = try engine.load(compiled, computeUnits: .cpuOnly).prepareInput()
        let image = try XCTUnwrap(input.descriptions.first)
        XCTAssertEqual(input.descriptions.count, 1)
        XCTAssertEqual(image.name, "image")
        XCTAssertEqual(image.kind, .image)
        XCTAssertEqual(image.shape, [64, 64])  // height, width
        XCTAssertTrue(["BGRA32", "ARGB32"].contains(image.dataType ?? ""), image.dataType ?? "nil")
        #else
        throw XCTSkip("Core ML is not available on this platform (it is compiled against stand-ins on Linux)")
        #endif
    }

    #if canImport(CoreML)
    private static func modelURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["MOBENCH_COREML_TEST_MODEL"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                throw MissingResource(description: "MOBENCH_COREML_TEST_MODEL=\(path) does not exist")
            }
            return URL(fileURLWithPath: path)
        }
        guard let fixtures = TestResources.folder("Fixtures") else {
            throw MissingResource(description: "Tests/Fixtures is missing")
        }
        return fixtures.appendingPathComponent("tiny_cnn.mlpackage")
    }
    #endif
}
