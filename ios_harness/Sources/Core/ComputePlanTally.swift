import Foundation

/// A compute device, as counted in `ops_by_device` and named in `ops`.
enum DeviceKind: String, Codable, Sendable {
    case cpu
    case gpu
    case neuralEngine = "neural_engine"
    case unknown
}

/// Counts of operations by preferred device; plain Swift, so it is unit-tested
/// without a compute plan.
struct OperationTally: Equatable, Sendable {
    /// Most operator names listed in `cpu_fallback_ops` (the schema's maxItems).
    static let maxFallbackNames = 1000

    /// Most entries listed in `ops` (the schema's maxItems).
    static let maxOperations = 5000

    var counts = OpsByDevice()
    var cpuOperatorNames: [String] = []
    var operations: [PlanOperation] = []
    var unsupportedStructure = false

    /// Counts `operation` and lists it in `ops` (up to `maxOperations`).
    /// A cost outside [0, 1] or not finite is dropped (null), not clamped; names
    /// longer than the schema allows are cut.
    mutating func record(_ operation: PlanOperation) {
        record(device: operation.preferredDevice, operatorName: operation.operatorName)
        guard operations.count < OperationTally.maxOperations else {
            return
        }
        var entry = operation
        // The schema's maxLength of name and operator, in Unicode scalars.
        entry.name = SchemaText.truncated(entry.name, toScalars: 1000)
        entry.operatorName = SchemaText.truncated(entry.operatorName, toScalars: 200)
        if let cost = entry.estimatedCost, !(cost.isFinite && cost >= 0 && cost <= 1) {
            entry.estimatedCost = nil
        }
        operations.append(entry)
    }

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
            cpuFallbackOps: fallback ? cpuOperatorNames : [],
            ops: operations.isEmpty ? nil : operations
        )
    }
}
