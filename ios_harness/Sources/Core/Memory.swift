import Darwin
import Foundation

/// The process's physical memory footprint, as Xcode's memory gauge and the
/// kernel's jetsam limit count it: `task_vm_info.phys_footprint`.
enum Memory {
    static let bytesPerMebibyte = 1_048_576.0

    /// The current footprint in bytes, or nil if `task_info` fails.
    static func physFootprintBytes() -> UInt64? {
        var info = task_vm_info_data_t()
        var count = mach_msg_type_number_t(
            MemoryLayout<task_vm_info_data_t>.size / MemoryLayout<integer_t>.size
        )
        let result: kern_return_t = withUnsafeMutablePointer(to: &info) { pointer in
            pointer.withMemoryRebound(to: integer_t.self, capacity: Int(count)) { raw in
                task_info(mach_task_self_, task_flavor_t(TASK_VM_INFO), raw, &count)
            }
        }
        guard result == KERN_SUCCESS else {
            return nil
        }
        return info.phys_footprint
    }

    /// The current footprint in MiB, or nil if it cannot be read.
    static func physFootprintMB() -> Double? {
        guard let bytes = physFootprintBytes() else {
            return nil
        }
        return Double(bytes) / bytesPerMebibyte
    }
}

/// The largest footprint seen across explicit samples.
///
/// The runner samples after every prediction, outside the timed region
/// (`task_info` costs a few microseconds), so the peak covers the timed run
/// without disturbing it.
struct PeakFootprint {
    private(set) var peakBytes: UInt64 = 0

    mutating func sample() {
        if let bytes = Memory.physFootprintBytes(), bytes > peakBytes {
            peakBytes = bytes
        }
    }

    /// The peak in MiB, or nil when no sample could be read.
    var peakMB: Double? {
        peakBytes == 0 ? nil : Double(peakBytes) / Memory.bytesPerMebibyte
    }
}
