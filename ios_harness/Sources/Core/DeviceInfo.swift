import Darwin
import Foundation

/// What the report says about the phone: model identifier, OS, power and thermal state.
///
/// Deliberately free of UIKit (`UIDevice`), so it also runs under XCTest and on
/// a Mac: the model identifier comes from `uname`, the OS version and power
/// state from `ProcessInfo`.
enum DeviceInfo {
    /// The hardware model identifier, e.g. `iPhone13,2` for an iPhone 12.
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

    /// The OS build, e.g. `21E236`, read with `sysctl kern.osversion`.
    static func osBuild() -> String? {
        var size = 0
        guard sysctlbyname("kern.osversion", nil, &size, nil, 0) == 0, size > 0 else {
            return nil
        }
        var buffer = [CChar](repeating: 0, count: size)
        guard sysctlbyname("kern.osversion", &buffer, &size, nil, 0) == 0 else {
            return nil
        }
        return String(cString: buffer)
    }

    /// Whether Low Power Mode is on (it lowers CPU and GPU clocks).
    static var isLowPowerModeEnabled: Bool {
        ProcessInfo.processInfo.isLowPowerModeEnabled
    }

    /// The current thermal state.
    static func thermalState() -> ThermalState {
        thermalState(ProcessInfo.processInfo.thermalState)
    }

    /// `nominal`, `fair`, `serious` or `critical`. A state added by a future iOS
    /// is reported as `critical`, the worst the schema knows, so the host flags
    /// the round rather than trusting it.
    static func thermalState(_ state: ProcessInfo.ThermalState) -> ThermalState {
        switch state {
        case .nominal:
            return .nominal
        case .fair:
            return .fair
        case .serious:
            return .serious
        case .critical:
            return .critical
        @unknown default:
            return .critical
        }
    }

    /// Physical memory in MiB.
    static var physicalMemoryMB: Double {
        Double(ProcessInfo.processInfo.physicalMemory) / Memory.bytesPerMebibyte
    }

    /// The OS name: `iOS`, `iPadOS` (an iPad), `macOS` (Mac Catalyst / Apple silicon).
    static func osName() -> String {
        #if os(iOS)
        if ProcessInfo.processInfo.isiOSAppOnMac {
            return "macOS"
        }
        return modelIdentifier().hasPrefix("iPad") ? "iPadOS" : "iOS"
        #elseif os(macOS)
        return "macOS"
        #else
        return "unknown"
        #endif
    }

    /// The `device` object of the report, read now.
    static func describe() -> DeviceDescription {
        DeviceDescription(
            modelIdentifier: String(modelIdentifier().prefix(64)),
            osName: osName(),
            osVersion: osVersion(),
            osBuild: osBuild(),
            lowPowerMode: isLowPowerModeEnabled,
            thermalState: thermalState(),
            physicalMemoryMb: physicalMemoryMB,
            processorCount: ProcessInfo.processInfo.processorCount
        )
    }

    /// The app's marketing version and build number from its Info.plist, e.g. `1.0 (1)`.
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
            return "unknown"
        }
    }
}
