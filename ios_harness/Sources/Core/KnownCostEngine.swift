import Foundation

/// An engine whose every call costs a configured, known time: the loop can be
/// tested against it (a 2 ms prediction must measure about 2 ms on the
/// monotonic clock), and the command-line harness runs on machines without
/// Core ML. Its reports say `engine: known-cost`; the host never stores them as
/// an iPhone or Core ML measurement.
///
/// A call spends its cost by sleeping until shortly before its deadline and
/// spinning on `ContinuousClock` for the rest, so the cost holds to a few
/// microseconds on an idle machine.
final class KnownCostEngine: InferenceEngine, @unchecked Sendable {
    struct Costs: Equatable, Sendable {
        var predictMs: Double = 2
        /// Extra cost of the first prediction after each load.
        var firstPredictionExtraMs: Double = 0
        var compileMs: Double = 5
        /// The first load of a compiled model with given compute units.
        var coldLoadMs: Double = 10
        /// Every later load.
        var warmLoadMs: Double = 2
        /// Failures to inject: a message makes that call throw.
        var compileFailure: String?
        var loadFailure: String?
        /// Each loaded model throws on prediction number `predictFailsAfter + 1`.
        var predictFailsAfter: Int?
    }

    let name = EngineName.knownCost
    let costs: Costs

    private let lock = NSLock()
    private var loaded: Set<String> = []
    private var compileCalls = 0

    init(costs: Costs = Costs()) {
        self.costs = costs
    }

    /// How often `compile` ran (to check that a file is compiled once per plan).
    var compileCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return compileCalls
    }

    func needsCompile(_ file: URL) -> Bool {
        file.pathExtension != "mlmodelc"
    }

    func compile(_ file: URL) throws -> URL {
        lock.lock()
        compileCalls += 1
        lock.unlock()
        KnownCostEngine.spend(milliseconds: costs.compileMs)
        if let message = costs.compileFailure {
            throw EngineError(description: message)
        }
        return file
    }

    func load(_ compiled: URL, computeUnits: ComputeUnits) throws -> any LoadedModel {
        let key = compiled.path + "|" + computeUnits.rawValue
        lock.lock()
        let cold = loaded.insert(key).inserted
        lock.unlock()
        KnownCostEngine.spend(milliseconds: cold ? costs.coldLoadMs : costs.warmLoadMs)
        if let message = costs.loadFailure {
            throw EngineError(description: message)
        }
        return Model(costs: costs)
    }

    /// A synthetic plan of three `known_cost` operations on no real device
    /// (`unknown`) whose weights sum to exactly 1, so the host's per-op
    /// profile path runs end to end without Core ML. The report says
    /// `engine: known-cost`, so it is never taken for a phone's plan.
    static let syntheticOperations: [PlanOperation] = [
        PlanOperation(name: "known_cost/first", operatorName: "known_cost", preferredDevice: .unknown,
                      supportedDevices: [], estimatedCost: 0.25),
        PlanOperation(name: "known_cost/middle", operatorName: "known_cost", preferredDevice: .unknown,
                      supportedDevices: [], estimatedCost: 0.5),
        PlanOperation(name: "known_cost/last", operatorName: "known_cost", preferredDevice: .unknown,
                      supportedDevices: [], estimatedCost: 0.25),
    ]

    func computePlan(_ compiled: URL, computeUnits: ComputeUnits) -> ComputePlanSummary {
        var tally = OperationTally()
        for operation in KnownCostEngine.syntheticOperations {
            tally.record(operation)
        }
        var summary = tally.summary(allowsNeuralEngine: computeUnits.allowsNeuralEngine)
        summary.reason = "known-cost engine: synthetic plan, no runtime places operations"
        return summary
    }

    func discardCompiled(_ compiled: URL, source: URL) {}

    /// Spends `milliseconds` on the monotonic clock: sleep, then spin the last stretch.
    static func spend(milliseconds: Double) {
        guard milliseconds > 0 else {
            return
        }
        let deadline = Timing.now().advanced(by: .microseconds(Int64((milliseconds * 1_000).rounded())))
        let spinMargin = Duration.microseconds(1_500)
        while true {
            let left = Timing.now().duration(to: deadline)
            if left <= .zero {
                return
            }
            if left > spinMargin {
                Thread.sleep(forTimeInterval: Timing.milliseconds(left - spinMargin) / 1_000)
            }
        }
    }

    /// A loaded known-cost model.
    final class Model: LoadedModel {
        let costs: KnownCostEngine.Costs
        private var predictions = 0

        init(costs: KnownCostEngine.Costs) {
            self.costs = costs
        }

        func prepareInput() throws -> PreparedInput {
            PreparedInput(
                payload: Buffer(count: 16),
                descriptions: [InputDescription(name: "input", kind: .multiArray, shape: [1, 16], dataType: "float32")]
            )
        }

        /// One buffer per plan input, of the plan's element count, in the plan's order.
        func prepareInput(planInputs: [PlanInput]) throws -> PreparedInput {
            if planInputs.isEmpty {
                return try prepareInput()
            }
            for input in planInputs {
                let size = input.dtype.size
                // A values file is read and checked against the input's dtype and shape, as Core ML's copy does.
                if let url = input.valuesURL {
                    let bytes = try Data(contentsOf: url).count
                    guard bytes == input.count * size else {
                        throw EngineError(
                            description: "known-cost engine: values of input '\(input.name)' (\(url.lastPathComponent)) hold \(bytes) bytes; \(input.dtype.rawValue) \(input.shape) takes \(input.count * size)"
                        )
                    }
                }
            }
            return PreparedInput(
                payload: planInputs.map { Buffer(count: $0.count) } as NSArray,
                descriptions: planInputs.map(\.reportDescription)
            )
        }

        func predict(_ input: PreparedInput) throws -> AnyObject {
            if let limit = costs.predictFailsAfter, predictions >= limit {
                throw EngineError(description: "known-cost engine: prediction \(predictions + 1) fails as configured")
            }
            let extra = predictions == 0 ? costs.firstPredictionExtraMs : 0
            predictions += 1
            KnownCostEngine.spend(milliseconds: costs.predictMs + extra)
            return Buffer(count: 16)
        }
    }

    /// An input or output: a small heap buffer, as a runtime would hand out.
    final class Buffer {
        let values: [Float]

        init(count: Int) {
            values = [Float](repeating: 0.5, count: count)
        }
    }
}
