#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// What the loop reads about the device around every round: thermal state,
/// Low Power Mode and the process's memory footprint. A protocol, so tests can
/// script the states (a hot phone, Low Power Mode switched on mid-run).
protocol DeviceProbe: Sendable {
    func thermalState() -> ThermalState
    func isLowPowerModeEnabled() -> Bool
    /// The process's memory footprint in bytes, or nil when it cannot be read.
    func footprintBytes() -> UInt64?
}

/// The real device.
///
/// Apple platforms: `ProcessInfo.thermalState`, `isLowPowerModeEnabled` and
/// `task_vm_info.phys_footprint` (what Xcode's memory gauge and jetsam count).
/// Linux has neither a thermal state nor Low Power Mode in this sense: it
/// reports `nominal` / off, and the resident set size from `/proc/self/statm`
/// as the footprint.
struct SystemProbe: DeviceProbe {
    func thermalState() -> ThermalState {
        #if canImport(Darwin)
        return SystemProbe.thermalState(ProcessInfo.processInfo.thermalState)
        #else
        return .nominal
        #endif
    }

    func isLowPowerModeEnabled() -> Bool {
        #if canImport(Darwin)
        return ProcessInfo.processInfo.isLowPowerModeEnabled
        #else
        return false
        #endif
    }

    func footprintBytes() -> UInt64? {
        #if canImport(Darwin)
        var info = task_vm_info_data_t()
        var count = mach_msg_type_number_t(
            MemoryLayout<task_vm_info_data_t>.size / MemoryLayout<integer_t>.size
        )
        let result: kern_return_t = withUnsafeMutablePointer(to: &info) { pointer in
            pointer.withMemoryRebound(to: integer_t.self, capacity: Int(count)) { raw in
                task_info(machTaskSelf, task_flavor_t(TASK_VM_INFO), raw, &count)
            }
        }
        guard result == KERN_SUCCESS else {
            return nil
        }
        return info.phys_footprint
        #else
        // /proc/self/statm: "size resident shared text lib data dt", in pages.
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else {
            return nil
        }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else {
            return nil
        }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
        #endif
    }

    #if canImport(Darwin)
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
    #endif
}

#if canImport(Darwin)
/// The task port, read once: the global `mach_task_self_` is a mutable C
/// variable that Swift 6 refuses to read from concurrent code.
private let machTaskSelf: mach_port_t = task_self_trap()
#endif

enum Memory {
    static let bytesPerMebibyte = 1_048_576.0

    static func mebibytes(_ bytes: UInt64?) -> Double? {
        bytes.map { Double($0) / bytesPerMebibyte }
    }
}

/// The largest footprint seen across explicit samples.
///
/// The runner samples after every prediction, outside the timed region
/// (`task_info` costs a few microseconds), so the peak covers the timed run
/// without disturbing it.
struct PeakFootprint {
    private(set) var peakBytes: UInt64 = 0

    mutating func sample(_ probe: DeviceProbe) {
        if let bytes = probe.footprintBytes(), bytes > peakBytes {
            peakBytes = bytes
        }
    }

    /// The peak in MiB, or nil when no sample could be read.
    var peakMB: Double? {
        peakBytes == 0 ? nil : Double(peakBytes) / Memory.bytesPerMebibyte
    }
}
