import Foundation

/// The seam between the measurement loop and a runtime. The loop
/// (`BenchmarkRunner`) decides what is timed; an engine only does the work:
///
/// - `compile`: make the file loadable (Core ML: `.mlpackage` -> `.mlmodelc`),
///   timed by the loop, once per model file and plan;
/// - `load`: a model instance with the given compute units, timed per load;
/// - `LoadedModel.prepareInput`: build an input, outside any timed region;
/// - `LoadedModel.predict`: the only call inside a timed region;
/// - `computePlan`: where the runtime places the operations.
///
/// Implementations: `CoreMLEngine` (Apple platforms) and `KnownCostEngine`
/// (a configured cost per call, for tests and for Linux).
protocol InferenceEngine: Sendable {
    var name: EngineName { get }

    /// Whether `file` must be compiled before loading (false for an already
    /// compiled model such as `.mlmodelc`).
    func needsCompile(_ file: URL) -> Bool

    /// Compiles `file`; returns the location to load from.
    func compile(_ file: URL) throws -> URL

    /// Loads the compiled model with `computeUnits`.
    func load(_ compiled: URL, computeUnits: ComputeUnits) throws -> any LoadedModel

    /// Where the operations would run (after the timed rounds).
    func computePlan(_ compiled: URL, computeUnits: ComputeUnits) -> ComputePlanSummary

    /// Removes what `compile` created (called once per compiled file, at the end of a plan).
    func discardCompiled(_ compiled: URL, source: URL)
}

/// A loaded model instance. Used from one thread only (the loop's).
protocol LoadedModel: AnyObject {
    /// An input for `predict`, synthesized from the model's description, with
    /// what the report says about it. Never timed.
    func prepareInput() throws -> PreparedInput
    /// The same with the plan's inputs (names, shapes, dtypes, values files); see `PlanInput`.
    func prepareInput(planInputs: [PlanInput]) throws -> PreparedInput

    /// One prediction. The returned output is kept alive by the caller until
    /// after the clock is read, so its release is not timed.
    func predict(_ input: PreparedInput) throws -> AnyObject
}

/// An input built once per run and reused for every prediction.
struct PreparedInput {
    /// The runtime's input object (an `MLFeatureProvider` for Core ML).
    let payload: AnyObject
    /// The `inputs` entries of the report.
    let descriptions: [InputDescription]
}

/// Holds the last prediction output, so that releasing it (which can free
/// large buffers) happens outside the timed region.
struct OutputSink {
    private(set) var last: AnyObject?
    private(set) var count = 0

    mutating func keep(_ output: AnyObject) {
        last = output
        count += 1
    }
}

/// An engine failure with a message for the run's `error`.
struct EngineError: HarnessError {
    let description: String
}

/// The harness's own errors: their description is the message for the user.
protocol HarnessError: Error, CustomStringConvertible {}
