import CoreML
import Foundation

/// Where Core ML plans to run a model's operations, from `MLComputePlan`
/// (iOS 17.4+): operations counted by their preferred compute device, and a
/// flag when the Neural Engine was allowed but some operations prefer the CPU
/// (a CPU fallback that usually costs a round trip per fallback segment).
///
/// The plan is made on the device itself, so it describes that device.
enum ComputePlanInspector {
    /// Most operator names listed in `cpu_fallback_ops` (the schema's maxItems).
    static let maxFallbackNames = 1000

    static func summarize(
        compiledModelURL: URL,
        configuration: MLModelConfiguration,
        computeUnits: ComputeUnits
    ) async -> ComputePlanSummary {
        guard #available(iOS 17.4, macOS 14.4, *) else {
            return .unavailable("requires iOS 17.4")
        }
        do {
            let plan = try await MLComputePlan.load(contentsOf: compiledModelURL, configuration: configuration)
            var tally = OperationTally()
            visit(plan.modelStructure, plan: plan, tally: &tally)
            return tally.summary(allowsNeuralEngine: computeUnits.allowsNeuralEngine)
        } catch {
            return .unavailable("MLComputePlan.load failed: \(error.localizedDescription)")
        }
    }

    @available(iOS 17.4, macOS 14.4, *)
    private static func visit(_ structure: MLModelStructure, plan: MLComputePlan, tally: inout OperationTally) {
        switch structure {
        case .program(let program):
            for name in program.functions.keys.sorted() {
                if let function = program.functions[name] {
                    visit(function.block, plan: plan, tally: &tally)
                }
            }
        case .neuralNetwork(let network):
            for layer in network.layers {
                tally.record(device: deviceKind(plan.deviceUsage(for: layer)?.preferred), operatorName: layer.type)
            }
        case .pipeline(let pipeline):
            for model in pipeline.subModels {
                visit(model, plan: plan, tally: &tally)
            }
        case .unsupported:
            tally.unsupportedStructure = true
        @unknown default:
            tally.unsupportedStructure = true
        }
    }

    @available(iOS 17.4, macOS 14.4, *)
    private static func visit(_ block: MLModelStructure.Program.Block, plan: MLComputePlan, tally: inout OperationTally) {
        for operation in block.operations {
            // Constants are folded into their consumers and never "run".
            if !isConstant(operation.operatorName) {
                tally.record(
                    device: deviceKind(plan.deviceUsage(for: operation)?.preferred),
                    operatorName: operation.operatorName
                )
            }
            for nested in operation.blocks {
                visit(nested, plan: plan, tally: &tally)
            }
        }
    }

    /// `const`, or a versioned spelling such as `ios17.const`.
    static func isConstant(_ operatorName: String) -> Bool {
        operatorName == "const" || operatorName.hasSuffix(".const")
    }

    @available(iOS 17.4, macOS 14.4, *)
    private static func deviceKind(_ device: MLComputeDevice?) -> DeviceKind {
        guard let device else {
            return .unknown
        }
        switch device {
        case .cpu:
            return .cpu
        case .gpu:
            return .gpu
        case .neuralEngine:
            return .neuralEngine
        @unknown default:
            return .unknown
        }
    }
}

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
    var counts = OpsByDevice()
    var cpuOperatorNames: [String] = []
    var unsupportedStructure = false

    mutating func record(device: DeviceKind, operatorName: String) {
        switch device {
        case .cpu:
            counts.cpu += 1
            if !cpuOperatorNames.contains(operatorName),
               cpuOperatorNames.count < ComputePlanInspector.maxFallbackNames {
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
