import Foundation
import XCTest
@testable import MobenchHarness

/// Finds the test bundle's resources: the golden examples (plan.json,
/// report.json, referenced from mobench/devices/iphone/schema/examples/), the
/// Fixtures folder (tiny_cnn.mlpackage + its plan) and the FarmPlan folder.
final class TestResources {
    static var bundle: Bundle {
        Bundle(for: TestResources.self)
    }

    static func goldenURL(_ name: String) throws -> URL {
        try XCTUnwrap(
            bundle.url(forResource: name, withExtension: "json"),
            "\(name).json is missing from the test bundle's resources"
        )
    }

    static func goldenData(_ name: String) throws -> Data {
        try Data(contentsOf: goldenURL(name))
    }

    static func folder(_ name: String) -> URL? {
        bundle.url(forResource: name, withExtension: nil)
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

    /// Attaches `data` to the test result (kept in the .xcresult, also on success).
    static func attach(_ data: Data, name: String, to testCase: XCTestCase) {
        let attachment = XCTAttachment(data: data, uniformTypeIdentifier: "public.json")
        attachment.name = name
        attachment.lifetime = .keepAlways
        testCase.add(attachment)
    }
}
