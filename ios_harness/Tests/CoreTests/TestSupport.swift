import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// Finds the files the tests read: the golden examples (the very files the
/// host's tests validate, mobench/devices/iphone/schema/examples/), the JSON
/// Schemas next to them, and Tests/Fixtures (tiny_cnn.mlpackage + its plan,
/// hashed by the host). `swift test` reads them in place in the repository;
/// the Xcode test bundle carries them as resources.
enum TestResources {
    /// ios_harness/ in the repository (from this file's path).
    static var harnessRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var schemaDirectory: URL {
        harnessRoot.deletingLastPathComponent().appendingPathComponent("mobench/devices/iphone/schema")
    }

    static func goldenURL(_ name: String) throws -> URL {
        #if SWIFT_PACKAGE
        let url = schemaDirectory.appendingPathComponent("examples/\(name).json")
        #else
        let url = try XCTUnwrap(
            Bundle(for: BundleToken.self).url(forResource: name, withExtension: "json"),
            "\(name).json is missing from the test bundle's resources"
        )
        #endif
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is not there")
        }
        return url
    }

    static func goldenData(_ name: String) throws -> Data {
        try Data(contentsOf: goldenURL(name))
    }

    /// A JSON Schema file of the host (`plan`, `report`, `progress`).
    static func schemaURL(_ name: String) throws -> URL {
        #if SWIFT_PACKAGE
        let url = schemaDirectory.appendingPathComponent("\(name).schema.json")
        #else
        let url = try XCTUnwrap(
            Bundle(for: BundleToken.self).url(forResource: "\(name).schema", withExtension: "json"),
            "\(name).schema.json is missing from the test bundle's resources"
        )
        #endif
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("the host's schemas are not next to this build (\(url.path))")
        }
        return url
    }

    static func folder(_ name: String) -> URL? {
        #if SWIFT_PACKAGE
        let url = harnessRoot.appendingPathComponent(name == "Fixtures" ? "Tests/Fixtures" : name)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
        #else
        return Bundle(for: BundleToken.self).url(forResource: name, withExtension: nil)
        #endif
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryDirectory(for testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mobench-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock {
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }

    /// A Documents folder holding the fixture plan and model.
    static func fixtureDocuments(for testCase: XCTestCase) throws -> URL {
        let fixtures = try XCTUnwrap(folder("Fixtures"), "Fixtures folder missing")
        let documents = try temporaryDirectory(for: testCase)
        for name in ["plan.json", "tiny_cnn.mlpackage"] {
            try FileManager.default.copyItem(
                at: fixtures.appendingPathComponent(name),
                to: documents.appendingPathComponent(name)
            )
        }
        return documents
    }
}

private final class BundleToken {}

/// A probe whose states the test scripts: thermal state and Low Power Mode
/// per call, a fixed footprint.
final class ScriptedProbe: DeviceProbe, @unchecked Sendable {
    private let lock = NSLock()
    private var thermal: [ThermalState]
    private var lowPower: [Bool]
    private(set) var thermalReads = 0

    /// Each read takes the next state; the last one repeats.
    init(thermal: [ThermalState] = [.nominal], lowPower: [Bool] = [false]) {
        self.thermal = thermal
        self.lowPower = lowPower
    }

    func thermalState() -> ThermalState {
        lock.lock()
        defer { lock.unlock() }
        thermalReads += 1
        return thermal.count > 1 ? thermal.removeFirst() : thermal[0]
    }

    func isLowPowerModeEnabled() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return lowPower.count > 1 ? lowPower.removeFirst() : lowPower[0]
    }

    func footprintBytes() -> UInt64? {
        64 << 20
    }
}
