import CoreML
import CoreVideo
import Foundation

/// Something the runner reports while it works (for progress.json and the UI).
enum RunnerEvent: Sendable {
    case runStarted(index: Int, runId: String)
    case roundStarted(index: Int, runId: String, round: Int)
    case runFinished(index: Int, result: RunResult)
}

/// Why a run failed; the message ends up in the run's `error`.
struct RunFailure: Error, CustomStringConvertible {
    let description: String
}

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

/// Times one run of a plan: compile, load, first prediction, warm-up and the
/// timed inferences, following PROTOCOL.md "Measurement procedure"
/// (protocol_version 1). No code per model: inputs come from the model's
/// description. Every error becomes a failed `RunResult`, never a crash.
///
/// Call it off the main thread (the app and the tests use a detached task at
/// `.userInitiated` priority): predictions are synchronous and block.
struct BenchmarkRunner {
    /// Where the plan's model files are (the app's Documents folder).
    var modelsDirectory: URL
    var measurementProtocol: MeasurementProtocol
    /// Recompute each model's sha256 and fail the run on a mismatch.
    var verifyHashes = true
    var synthesizer = InputSynthesizer()

    /// Runs one entry of the plan and returns what was measured, ok or failed.
    func run(_ planRun: PlanRun, index: Int, events: (RunnerEvent) -> Void) async -> RunResult {
        var result = RunResult(planRun: planRun, started: WallClock.timestamp())
        events(.runStarted(index: index, runId: planRun.runId))
        do {
            try await measure(planRun, index: index, into: &result, events: events)
            result.status = .ok
            result.error = nil
        } catch {
            result.status = .failed
            result.error = String(Self.describe(error).prefix(4000))
        }
        result.finished = WallClock.timestamp()
        events(.runFinished(index: index, result: result))
        return result
    }

    private func measure(
        _ planRun: PlanRun,
        index: Int,
        into result: inout RunResult,
        events: (RunnerEvent) -> Void
    ) async throws {
        let p = measurementProtocol
        let modelURL = modelsDirectory.appendingPathComponent(planRun.file)
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw RunFailure(
                description: "model file \(planRun.file) not found in Documents; push it with `mobench ios run` (or copy it next to plan.json)"
            )
        }

        // 1. Integrity: the file the host hashed is the file we time.
        if verifyHashes {
            let actual = try ModelHasher.sha256(of: modelURL)
            result.sha256Verified = actual == planRun.sha256
            guard actual == planRun.sha256 else {
                throw RunFailure(
                    description: "sha256 mismatch for \(planRun.file): plan says \(planRun.sha256), file has \(actual); push the models again"
                )
            }
        }

        // 2. Compile (.mlpackage / .mlmodel -> .mlmodelc), timed once per run.
        let compiledURL: URL
        var temporaryCompiledURL: URL?
        if modelURL.pathExtension == "mlmodelc" {
            compiledURL = modelURL
            result.compileMs = nil
        } else {
            do {
                let compiled = try await Timing.measureAsync {
                    try await MLModel.compileModel(at: modelURL)
                }
                compiledURL = compiled.value
                temporaryCompiledURL = compiled.value
                result.compileMs = compiled.milliseconds
            } catch {
                throw RunFailure(description: "compile failed: \(Self.describe(error))")
            }
        }
        defer {
            if let temporaryCompiledURL {
                try? FileManager.default.removeItem(at: temporaryCompiledURL)
            }
        }

        // 3. Compute units, set explicitly.
        let configuration = MLModelConfiguration()
        configuration.computeUnits = planRun.computeUnits.mlComputeUnits

        var memory = MemoryUsage(footprintBeforeLoadMb: Memory.physFootprintMB())
        var peak = PeakFootprint()
        var model: MLModel?
        var input: MLFeatureProvider?

        // 4. Rounds.
        for round in 0..<p.rounds {
            events(.roundStarted(index: index, runId: planRun.runId, round: round))
            let roundStart = Timing.now()
            let thermalBefore = DeviceInfo.thermalState()
            let lowPowerBefore = DeviceInfo.isLowPowerModeEnabled
            var warmup: [Double] = []
            var remainingWarmup = p.warmup

            if round == 0 || p.reloadPerRound {
                // Release the previous instance first, as ModelBench re-creates it.
                model = nil
                let loaded: MLModel
                do {
                    let timed = try Timing.measure {
                        try MLModel(contentsOf: compiledURL, configuration: configuration)
                    }
                    loaded = timed.value
                    result.loadMs.append(timed.milliseconds)
                } catch {
                    throw RunFailure(description: "load failed (\(planRun.computeUnits.rawValue)): \(Self.describe(error))")
                }
                if round == 0 {
                    memory.footprintAfterLoadMb = Memory.physFootprintMB()
                    result.memory = memory
                }
                if input == nil {
                    let description = loaded.modelDescription
                    input = try synthesizer.makeInputs(for: description)
                    result.inputs = Self.describeInputs(description)
                }
                guard let firstInput = input else {
                    throw RunFailure(description: "no input could be synthesized")
                }
                // The first prediction after a load, timed on its own; it
                // also counts as the first warm-up inference.
                let start = Timing.now()
                _ = try loaded.prediction(from: firstInput)
                let first = Timing.milliseconds(since: start)
                result.firstPredictionMs.append(first)
                if p.warmup > 0 {
                    warmup.append(first)
                    remainingWarmup = p.warmup - 1
                }
                model = loaded
            }
            guard let current = model, let prepared = input else {
                throw RunFailure(description: "internal error: no model loaded in round \(round)")
            }

            for _ in 0..<remainingWarmup {
                let start = Timing.now()
                _ = try current.prediction(from: prepared)
                warmup.append(Timing.milliseconds(since: start))
            }
            result.warmupMs.append(warmup)

            // Timed inferences: only `prediction(from:)` is inside the timed region.
            var samples: [Double] = []
            samples.reserveCapacity(p.inferences)
            for _ in 0..<p.inferences {
                let start = Timing.now()
                _ = try current.prediction(from: prepared)
                samples.append(Timing.milliseconds(since: start))
                peak.sample()
            }
            result.samplesMs.append(samples)

            let lowPowerAfter = DeviceInfo.isLowPowerModeEnabled
            result.rounds.append(RoundInfo(
                index: round,
                thermalStateBefore: thermalBefore,
                thermalStateAfter: DeviceInfo.thermalState(),
                lowPowerMode: lowPowerBefore || lowPowerAfter,
                durationMs: Timing.milliseconds(since: roundStart)
            ))
            memory.peakFootprintMb = peak.peakMB
            result.memory = memory

            if let cooldown = p.cooldownS, cooldown > 0, round + 1 < p.rounds {
                try await Task.sleep(for: .milliseconds(Int((cooldown * 1_000).rounded())))
            }
        }
        model = nil

        // 5. Where Core ML placed the operations (iOS 17.4+), after the timed rounds.
        result.computePlan = await ComputePlanInspector.summarize(
            compiledModelURL: compiledURL,
            configuration: configuration,
            computeUnits: planRun.computeUnits
        )
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

    /// A one-line description of any error, with the NSError domain and code.
    static func describe(_ error: Error) -> String {
        if let failure = error as? RunFailure {
            return failure.description
        }
        if let synthesis = error as? InputSynthesisError {
            return "input synthesis failed: \(synthesis.description)"
        }
        if let hashing = error as? ModelHasher.HashError {
            return "hashing failed: \(hashing.description)"
        }
        let nsError = error as NSError
        let message = nsError.localizedDescription.replacingOccurrences(of: "\n", with: " ")
        return "\(message) (\(nsError.domain) \(nsError.code))"
    }
}
