#if canImport(CoreML)
import CoreML
import Foundation

/// Where Core ML plans to run a model's operations, from `MLComputePlan`
/// (iOS 17.4+): operations counted by their preferred compute device, and a
/// flag when the Neural Engine was allowed but some operations prefer the CPU
/// (a CPU fallback that usually costs a round trip per fallback segment), and
/// for ML Programs every operation of `main` with its preferred and supported
/// devices and `MLComputePlanCost.weight` (the host scales the weights by the
/// measured median, as coremltools' `MLModelBenchmarker` does).
///
/// The plan is made on the device itself, so it describes that device.
enum ComputePlanInspector {
    static func summarize(compiledModelURL: URL, computeUnits: ComputeUnits) async -> ComputePlanSummary {
        guard #available(iOS 17.4, macOS 14.4, *) else {
            return .unavailable("requires iOS 17.4")
        }
        let configuration = MLModelConfiguration()
        configuration.computeUnits = computeUnits.mlComputeUnits
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
                    visit(function.block, plan: plan, listOperations: name == "main", tally: &tally)
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

    /// Counts the block's operations (nested blocks after their operation); for
    /// the `main` function also lists each with its device usage and estimated
    /// cost, whose weights are shares of one prediction of `main`.
    @available(iOS 17.4, macOS 14.4, *)
    private static func visit(
        _ block: MLModelStructure.Program.Block,
        plan: MLComputePlan,
        listOperations: Bool,
        tally: inout OperationTally
    ) {
        for operation in block.operations {
            // Constants are folded into their consumers and never "run".
            if !OperationTally.isConstant(operation.operatorName) {
                let usage = plan.deviceUsage(for: operation)
                if listOperations {
                    tally.record(PlanOperation(
                        name: operation.outputs.first?.name ?? operation.operatorName,
                        operatorName: operation.operatorName,
                        preferredDevice: deviceKind(usage?.preferred),
                        supportedDevices: (usage?.supported ?? []).map { deviceKind($0) },
                        estimatedCost: plan.estimatedCost(of: operation)?.weight
                    ))
                } else {
                    tally.record(device: deviceKind(usage?.preferred), operatorName: operation.operatorName)
                }
            }
            for nested in operation.blocks {
                visit(nested, plan: plan, listOperations: listOperations, tally: &tally)
            }
        }
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
#endif
