#if canImport(CoreML)
import CoreML
import CoreVideo
import Foundation

extension ComputeUnits {
    var mlComputeUnits: MLComputeUnits {
        switch self {
        case .all:
            return .all
        case .cpuOnly:
            return .cpuOnly
        case .cpuAndGPU:
            return .cpuAndGPU
        case .cpuAndNeuralEngine:
            return .cpuAndNeuralEngine
        }
    }
}

/// Core ML behind the engine seam: `MLModel.compileModel(at:)`,
/// `MLModel(contentsOf:configuration:)` with the plan's compute units, inputs
/// synthesized from `MLModel.modelDescription`, `prediction(from:)`, and
/// `MLComputePlan` (iOS 17.4+).
struct CoreMLEngine: InferenceEngine {
    let name = EngineName.coreml
    var synthesizer = InputSynthesizer()

    func needsCompile(_ file: URL) -> Bool {
        file.pathExtension != "mlmodelc"
    }

    func compile(_ file: URL) throws -> URL {
        try BlockingAsync.run {
            try await MLModel.compileModel(at: file)
        }
    }

    func load(_ compiled: URL, computeUnits: ComputeUnits) throws -> any LoadedModel {
        let configuration = MLModelConfiguration()
        configuration.computeUnits = computeUnits.mlComputeUnits
        return Model(model: try MLModel(contentsOf: compiled, configuration: configuration), synthesizer: synthesizer)
    }

    func computePlan(_ compiled: URL, computeUnits: ComputeUnits) -> ComputePlanSummary {
        do {
            return try BlockingAsync.run {
                await ComputePlanInspector.summarize(compiledModelURL: compiled, computeUnits: computeUnits)
            }
        } catch {
            return .unavailable("MLComputePlan: \(BenchmarkRunner.describe(error))")
        }
    }

    func discardCompiled(_ compiled: URL, source: URL) {
        if compiled.standardizedFileURL != source.standardizedFileURL {
            try? FileManager.default.removeItem(at: compiled)
        }
    }

    /// A loaded `MLModel`.
    final class Model: LoadedModel {
        let model: MLModel
        let synthesizer: InputSynthesizer

        init(model: MLModel, synthesizer: InputSynthesizer) {
            self.model = model
            self.synthesizer = synthesizer
        }

        func prepareInput() throws -> PreparedInput {
            let description = model.modelDescription
            return PreparedInput(
                payload: try synthesizer.makeInputs(for: description),
                descriptions: CoreMLEngine.describeInputs(description)
            )
        }

        /// Every input by name at the plan's shape (flexible-shape models), with the plan's values.
        func prepareInput(planInputs: [PlanInput]) throws -> PreparedInput {
            var planned = synthesizer
            planned.planInputs = planInputs
            let description = model.modelDescription
            let byName = Dictionary(planInputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            return PreparedInput(
                payload: try planned.makeInputs(for: description),
                descriptions: CoreMLEngine.describeInputs(description).map { d in
                    guard d.kind == .multiArray, let plan = byName[d.name] else {
                        return d
                    }
                    return InputDescription(name: d.name, kind: d.kind, shape: plan.shape, dataType: d.dataType)
                }
            )
        }

        func predict(_ input: PreparedInput) throws -> AnyObject {
            // prepareInput made the payload; the unchecked cast costs nothing in the timed region.
            let features = unsafeDowncast(input.payload, to: MLDictionaryFeatureProvider.self)
            return try model.prediction(from: features) as AnyObject
        }
    }

    /// The `inputs` entries of the report, from the model's description.
    static func describeInputs(_ description: MLModelDescription) -> [InputDescription] {
        description.inputDescriptionsByName.keys.sorted().compactMap { name -> InputDescription? in
            guard let feature = description.inputDescriptionsByName[name] else {
                return nil
            }
            switch feature.type {
            case .image:
                let constraint = feature.imageConstraint
                let size = constraint.map(InputSynthesizer.concreteSize(of:)) ?? (width: 0, height: 0)
                return InputDescription(
                    name: name,
                    kind: .image,
                    shape: [size.height, size.width],
                    dataType: constraint.map { pixelFormatName($0.pixelFormatType) }
                )
            case .multiArray:
                let constraint = feature.multiArrayConstraint
                let shape = constraint.flatMap { try? InputSynthesizer.concreteShape(of: $0, name: name) } ?? []
                return InputDescription(
                    name: name,
                    kind: .multiArray,
                    shape: shape,
                    dataType: constraint.map { multiArrayTypeName($0.dataType) }
                )
            default:
                return nil
            }
        }
    }

    static func pixelFormatName(_ format: OSType) -> String {
        switch format {
        case kCVPixelFormatType_32BGRA:
            return "BGRA32"
        case kCVPixelFormatType_32ARGB:
            return "ARGB32"
        case kCVPixelFormatType_OneComponent8:
            return "OneComponent8"
        case kCVPixelFormatType_OneComponent16Half:
            return "OneComponent16Half"
        default:
            return InputSynthesizer.fourCharacterCode(format)
        }
    }

    static func multiArrayTypeName(_ type: MLMultiArrayDataType) -> String {
        switch type {
        case .float32:
            return "float32"
        case .float16:
            return "float16"
        case .double:
            return "float64"
        case .int32:
            return "int32"
        default:
            return "rawValue:\(type.rawValue)"
        }
    }
}
#endif
