// swift-tools-version:6.0
// The harness logic as a Swift package: built and tested with `swift build` /
// `swift test` on Linux and on a Mac. Only the Core ML engine (behind
// `#if canImport(CoreML)` in Sources/Core) and the SwiftUI shell (Sources/App,
// built by MobenchHarness.xcodeproj) need Apple's SDKs; on Linux,
// tools/apple-typecheck type-checks them against stand-in SDK modules.
import PackageDescription

let package = Package(
    name: "MobenchHarness",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "MobenchHarnessCore", targets: ["MobenchHarnessCore"]),
        .executable(name: "mobench-harness", targets: ["MobenchHarnessCLI"]),
    ],
    targets: [
        .target(name: "MobenchHarnessCore", path: "Sources/Core"),
        .executableTarget(name: "MobenchHarnessCLI", dependencies: ["MobenchHarnessCore"], path: "Sources/CLI"),
        .testTarget(name: "MobenchHarnessCoreTests", dependencies: ["MobenchHarnessCore"], path: "Tests/CoreTests"),
    ],
    swiftLanguageModes: [.v6]
)
