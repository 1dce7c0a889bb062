import Foundation

/// A compute device, as counted in `ops_by_device`.
enum DeviceKind: Sendable {
    case cpu
    case gpu
    case neuralEngine
    case unknown
}

/// Counts of operations by preferred device; plain Swift, so it is unit-tested
/// without a compute plan.
struct OperationTally: Equatable, Sendable {
    /// Most operator names listed in `cpu_fallback_ops` (the schema's maxItems).
    static let maxFallbackNames = 1000

    var counts = OpsByDevice()
    var cpuOperatorNames: [String] = []
    var unsupportedStructure = false

    mutating func record(device: DeviceKind, operatorName: String) {
        switch device {
        case .cpu:
            counts.cpu += 1
            if !cpuOperatorNames.contains(operatorName),
               cpuOperatorNames.count < OperationTally.maxFallbackNames {
                cpuOperatorNames.append(operatorName)
            }
        case .gpu:
            counts.gpu += 1
        case .neuralEngine:
            counts.neuralEngine += 1
        case .unknown:
            counts.unknown += 1
        }
    }

    /// `const`, or a versioned spelling such as `ios17.const`: constants are
    /// folded into their consumers and never "run".
    static func isConstant(_ operatorName: String) -> Bool {
        operatorName == "const" || operatorName.hasSuffix(".const")
    }

    var totalOperations: Int {
        counts.cpu + counts.gpu + counts.neuralEngine + counts.unknown
    }

    func summary(allowsNeuralEngine: Bool) -> ComputePlanSummary {
        if totalOperations == 0 {
            let reason = unsupportedStructure
                ? "the model structure is not inspectable by MLComputePlan"
                : "MLComputePlan listed no operations"
            return .unavailable(reason)
        }
        let fallback = allowsNeuralEngine && counts.cpu > 0
        return ComputePlanSummary(
            available: true,
            reason: nil,
            opsByDevice: counts,
            cpuFallbackWithAneAllowed: fallback,
            cpuFallbackOps: fallback ? cpuOperatorNames : []
        )
    }
}
