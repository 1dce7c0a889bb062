#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// What the report says about the device: model identifier, OS, power and thermal state.
///
/// Free of UIKit (`UIDevice`), so it also runs under XCTest, on a Mac and on
/// Linux: the model identifier comes from `uname`, the OS version from
/// `ProcessInfo`, the power and thermal state from a `DeviceProbe`.
enum DeviceInfo {
    /// The hardware model identifier, e.g. `iPhone13,2` for an iPhone 12
    /// (on Linux the machine, e.g. `x86_64`).
    ///
    /// In the Simulator `uname` names the Mac's CPU (`arm64`), so the simulated
    /// model from `SIMULATOR_MODEL_IDENTIFIER` is used instead.
    static func modelIdentifier() -> String {
        if let simulated = ProcessInfo.processInfo.environment["SIMULATOR_MODEL_IDENTIFIER"],
           !simulated.isEmpty {
            return simulated
        }
        var system = utsname()
        guard uname(&system) == 0 else {
            return "unknown"
        }
        let machine = withUnsafeBytes(of: &system.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return machine.isEmpty ? "unknown" : machine
    }

    /// The OS version as `major.minor[.patch]`, e.g. `17.4.1`.
    static func osVersion() -> String {
        let version = ProcessInfo.processInfo.operatingSystemVersion
        var text = "\(version.majorVersion).\(version.minorVersion)"
        if version.patchVersion != 0 {
            text += ".\(version.patchVersion)"
        }
        return text
    }

    /// The OS build, e.g. `21E236`, read with `sysctl kern.osversion` (nil on Linux).
    static func osBuild() -> String? {
        #if canImport(Darwin)
        var size = 0
        guard sysctlbyname("kern.osversion", nil, &size, nil, 0) == 0, size > 0 else {
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: size)
        guard sysctlbyname("kern.osversion", &buffer, &size, nil, 0) == 0 else {
            return nil
        }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
        return text.isEmpty ? nil : text
        #else
        return nil
        #endif
    }

    /// Physical memory in MiB.
    static var physicalMemoryMB: Double {
        Double(ProcessInfo.processInfo.physicalMemory) / Memory.bytesPerMebibyte
    }

    /// The OS name: `iOS`, `iPadOS` (an iPad), `macOS` (Mac Catalyst / Apple silicon), `Linux`.
    static func osName() -> String {
        #if os(iOS)
        if ProcessInfo.processInfo.isiOSAppOnMac {
            return "macOS"
        }
        return modelIdentifier().hasPrefix("iPad") ? "iPadOS" : "iOS"
        #elseif os(macOS)
        return "macOS"
        #elseif os(Linux)
        return "Linux"
        #else
        return "unknown"
        #endif
    }

    /// The `device` object of the report, read now.
    static func describe(probe: DeviceProbe) -> DeviceDescription {
        DeviceDescription(
            modelIdentifier: SchemaText.truncated(modelIdentifier(), toScalars: 64),
            osName: osName(),
            osVersion: osVersion(),
            osBuild: osBuild(),
            lowPowerMode: probe.isLowPowerModeEnabled(),
            thermalState: probe.thermalState(),
            physicalMemoryMb: physicalMemoryMB,
            processorCount: ProcessInfo.processInfo.processorCount
        )
    }

    /// The harness version when no app bundle says otherwise (the command-line
    /// build); the Xcode project's MARKETING_VERSION is the same.
    static let harnessVersion = "1.0"

    /// The app's marketing version and build number from its Info.plist, e.g.
    /// `1.0 (1)`; the command-line build says `1.0 (mobench-harness)`.
    static func appVersion(bundle: Bundle = .main) -> String {
        let short = bundle.object(forInfoDictionaryKey: "CFBundleShortVersionString") as? String
        let build = bundle.object(forInfoDictionaryKey: "CFBundleVersion") as? String
        switch (short, build) {
        case let (short?, build?):
            return "\(short) (\(build))"
        case let (short?, nil):
            return short
        case let (nil, build?):
            return build
        case (nil, nil):
            return "\(harnessVersion) (mobench-harness)"
        }
    }
}
