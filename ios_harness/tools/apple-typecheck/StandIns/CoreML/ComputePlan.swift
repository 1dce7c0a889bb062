// MLComputePlan and MLModelStructure (stand-in; see Model.swift). These are
// Swift-overlay types: declared here as the SDK's CoreML.swiftinterface has them.

/// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n
@available(iOS 17.4, macOS 14.4, tvOS 17.4, watchOS 10.4, *)
public class MLComputePlan {
    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/deviceusage
    public struct DeviceUsage: Sendable {
        public let supported: [MLComputeDevice]
        public let preferred: MLComputeDevice
    }

    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/cost
    public struct Cost: Sendable {
        public let weight: Double
    }

    private init() { fatalError() }

    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/modelstructure
    public final let modelStructure: MLModelStructure

    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/load(contentsof:configuration:)
    public static func load(contentsOf url: URL, configuration: MLModelConfiguration) async throws -> MLComputePlan {
        fatalError()
    }

    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/estimatedcost(of:)
    public func estimatedCost(of operation: MLModelStructure.Program.Operation) -> MLComputePlan.Cost? { fatalError() }

    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/deviceusage(for:)
    public func deviceUsage(for layer: MLModelStructure.NeuralNetwork.Layer) -> MLComputePlan.DeviceUsage? { fatalError() }

    /// https://developer.apple.com/documentation/coreml/mlcomputeplan-1w21n/deviceusage(for:)
    public func deviceUsage(for operation: MLModelStructure.Program.Operation) -> MLComputePlan.DeviceUsage? {
        fatalError()
    }
}

// The SDK states that a compute plan is not Sendable.
@available(*, unavailable)
extension MLComputePlan: Sendable {}

/// https://developer.apple.com/documentation/coreml/mlcomputedevice
@available(iOS 17.0, macOS 14.0, tvOS 17.0, watchOS 10.0, *)
public enum MLComputeDevice: Equatable, Hashable, CustomStringConvertible, Sendable {
    case cpu(MLCPUComputeDevice)
    case gpu(MLGPUComputeDevice)
    case neuralEngine(MLNeuralEngineComputeDevice)
    public var description: String { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlcpucomputedevice
@available(iOS 17.0, macOS 14.0, tvOS 17.0, watchOS 10.0, *)
public final class MLCPUComputeDevice: NSObject, @unchecked Sendable {
    private override init() { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlgpucomputedevice
@available(iOS 17.0, macOS 14.0, tvOS 17.0, watchOS 10.0, *)
public final class MLGPUComputeDevice: NSObject, @unchecked Sendable {
    private override init() { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlneuralenginecomputedevice
@available(iOS 17.0, macOS 14.0, tvOS 17.0, watchOS 10.0, *)
public final class MLNeuralEngineComputeDevice: NSObject, @unchecked Sendable {
    private override init() { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlmodelstructure-swift.enum
@available(iOS 17.4, macOS 14.4, tvOS 17.4, watchOS 10.4, *)
public enum MLModelStructure: Sendable {
    /// https://developer.apple.com/documentation/coreml/mlmodelstructure-swift.enum/program-swift.struct
    public struct Program: Sendable {
        public struct ValueType: Sendable {}
        public struct NamedValueType: Sendable {
            public let name: String
            public let type: MLModelStructure.Program.ValueType
        }
        public struct Function: Sendable {
            public let inputs: [MLModelStructure.Program.NamedValueType]
            public let block: MLModelStructure.Program.Block
        }
        public struct Block: Sendable {
            public let inputs: [MLModelStructure.Program.NamedValueType]
            public let outputNames: [String]
            public let operations: [MLModelStructure.Program.Operation]
        }
        public struct Operation: Sendable {
            public let operatorName: String
            public let outputs: [MLModelStructure.Program.NamedValueType]
            public let blocks: [MLModelStructure.Program.Block]
        }
        public let functions: [String: MLModelStructure.Program.Function]
    }

    /// https://developer.apple.com/documentation/coreml/mlmodelstructure-swift.enum/neuralnetwork-swift.struct
    public struct NeuralNetwork: Sendable {
        public struct Layer: Sendable {
            public let name: String
            public let type: String
            public let inputNames: [String]
            public let outputNames: [String]
        }
        public let layers: [MLModelStructure.NeuralNetwork.Layer]
    }

    /// https://developer.apple.com/documentation/coreml/mlmodelstructure-swift.enum/pipeline-swift.struct
    public struct Pipeline: Sendable {
        public let subModelNames: [String]
        public let subModels: [MLModelStructure]
    }

    case neuralNetwork(MLModelStructure.NeuralNetwork)
    case program(MLModelStructure.Program)
    case pipeline(MLModelStructure.Pipeline)
    case unsupported
}
