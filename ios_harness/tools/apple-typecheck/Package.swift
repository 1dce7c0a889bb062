// swift-tools-version:6.0
// Linux only: type-checks the Apple-only Swift of ios_harness (the Core ML
// engine, input synthesis, the compute plan and the SwiftUI shell) against
// stand-in modules named like Apple's frameworks (StandIns/), so every
// `#if canImport(CoreML)` in Sources/Core is true here. Two shapes:
//   MobenchHarnessCore  Sources/Core alone, as ../../Package.swift builds it
//                       (+ Tests/CoreTests, as `swift test` builds them);
//   MobenchHarness      Sources/Core + Sources/App as ONE module, as the Xcode
//                       app target builds them, so a Core name that hides an
//                       SDK name (a Core `Text` vs SwiftUI's) fails here.
// Targets/ holds symlinks to the real sources: nothing is copied. On a Mac use
// ../../Package.swift and the Xcode project, which compile against the real SDK.
// Run: scripts/swift_test.sh (what `make test` runs), or
//   swift build --package-path ios_harness/tools/apple-typecheck --build-tests
import PackageDescription

// Apple's frameworks are built with library evolution: their enums are not
// frozen (a `switch` needs `@unknown default` or `default`), as in the SDK.
// (Linux's Foundation is not built that way, which the compiler warns about
// once per stand-in; those warnings say nothing about the harness.)
let standIn: [SwiftSetting] = [.unsafeFlags(["-enable-library-evolution", "-suppress-warnings"])]
// The harness's own code: Swift 6 language mode, warnings are errors.
let strict: [SwiftSetting] = [.unsafeFlags(["-warnings-as-errors"])]

let package = Package(
    name: "AppleTypecheck",
    targets: [
        .target(name: "CoreVideo", path: "StandIns/CoreVideo", swiftSettings: standIn),
        .target(name: "CoreML", dependencies: ["CoreVideo"], path: "StandIns/CoreML", swiftSettings: standIn),
        .target(name: "Combine", path: "StandIns/Combine", swiftSettings: standIn),
        .target(name: "UIKit", path: "StandIns/UIKit", swiftSettings: standIn),
        .target(name: "SwiftUI", dependencies: ["Combine", "UIKit"], path: "StandIns/SwiftUI", swiftSettings: standIn),
        .target(name: "MobenchHarnessCore", dependencies: ["CoreML", "CoreVideo"], path: "Targets/PackageCore", swiftSettings: strict),
        .target(
            name: "MobenchHarness",
            dependencies: ["CoreML", "CoreVideo", "SwiftUI", "UIKit"],
            path: "Targets/AppModule",
            exclude: ["App/Info.plist"],
            swiftSettings: strict
        ),
        .testTarget(name: "MobenchHarnessCoreTests", dependencies: ["MobenchHarnessCore"], path: "Targets/CoreTests", swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
