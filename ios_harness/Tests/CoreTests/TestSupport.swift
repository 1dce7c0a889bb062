import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// Finds the files the tests read: the golden examples and the JSON Schemas
/// (generated copies of the host's mobench/devices/iphone/schema/, kept in
/// Tests/Schemas by tools/sync_schemas.py, whose equality with the source the
/// host's tests check) and Tests/Fixtures (tiny_cnn.mlpackage + its plan,
/// hashed by the host). `swift test` reads them inside the package, so the
/// package's tests pass wherever ios_harness/ is copied; the Xcode test bundle
/// carries them as resources.
enum TestResources {
    /// ios_harness/ (from this file's path).
    static var harnessRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var schemaDirectory: URL {
        harnessRoot.appendingPathComponent("Tests/Schemas")
    }

    /// A golden example (`plan`, `report`).
    static func goldenURL(_ name: String) throws -> URL {
        #if SWIFT_PACKAGE
        return try existing(schemaDirectory.appendingPathComponent("examples/\(name).json"))
        #else
        return try bundled(name, "json")
        #endif
    }

    static func goldenData(_ name: String) throws -> Data {
        try Data(contentsOf: goldenURL(name))
    }

    /// A JSON Schema file of the host (`plan`, `report`, `progress`).
    static func schemaURL(_ name: String) throws -> URL {
        #if SWIFT_PACKAGE
        return try existing(schemaDirectory.appendingPathComponent("\(name).schema.json"))
        #else
        return try bundled("\(name).schema", "json")
        #endif
    }

    /// A missing file is a failure, never a skip: the package carries every file its tests read.
    private static func existing(_ url: URL) throws -> URL {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingResource(
                description: "\(url.path) is missing; regenerate the copy with `python ios_harness/tools/sync_schemas.py`"
            )
        }
        return url
    }

    private static func bundled(_ name: String, _ ext: String) throws -> URL {
        guard let url = Bundle(for: BundleToken.self).url(forResource: name, withExtension: ext) else {
            throw MissingResource(description: "\(name).\(ext) is missing from the test bundle's resources")
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

/// A file the tests need is not where the package keeps it.
struct MissingResource: Error, CustomStringConvertible {
    let description: String
}

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
