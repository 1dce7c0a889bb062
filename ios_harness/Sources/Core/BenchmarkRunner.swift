import Foundation

/// Something the runner reports while it works (for progress.json and the UI).
enum RunnerEvent: Sendable {
    case runStarted(index: Int, runId: String)
    case roundStarted(index: Int, runId: String, round: Int)
    case runFinished(index: Int, result: RunResult)
}

/// Why a run failed; the message ends up in the run's `error`.
struct RunFailure: HarnessError {
    let description: String
}

/// What the runs of one plan share: each model file is hashed and compiled
/// once, and every compiled model is removed when the plan is done.
final class CompileCache {
    struct Entry {
        let compiled: URL
        let compileMs: Double?
    }

    private(set) var entries: [String: Entry] = [:]
    private(set) var hashes: [String: String] = [:]
    /// (compiled path, compute units) pairs loaded so far: the next load of one is warm.
    var loaded: Set<String> = []

    func entry(for file: URL) -> Entry? {
        entries[file.path]
    }

    func store(_ entry: Entry, for file: URL) {
        entries[file.path] = entry
    }

    func hash(of file: URL) throws -> String {
        if let known = hashes[file.path] {
            return known
        }
        let digest = try ModelHasher.sha256(of: file)
        hashes[file.path] = digest
        return digest
    }

    /// Removes every compiled model the engine created.
    func discardAll(engine: any InferenceEngine) {
        for (source, entry) in entries {
            engine.discardCompiled(entry.compiled, source: URL(fileURLWithPath: source))
        }
        entries = [:]
    }
}

/// Times one run of a plan: compile, load, first prediction, warm-up and the
/// timed inferences, following PROTOCOL.md "Measurement procedure"
/// (protocol_version 1), with any `InferenceEngine`. No code per model.
/// Every error becomes a failed `RunResult` that keeps what was measured.
///
/// Synchronous and blocking: `HarnessSession` calls it on a dedicated thread
/// (`DedicatedThread`), never on Swift's cooperative thread pool.
struct BenchmarkRunner {
    /// Where the plan's model files are (the app's Documents folder).
    var modelsDirectory: URL
    var measurementProtocol: MeasurementProtocol
    var engine: any InferenceEngine
    var probe: any DeviceProbe = SystemProbe()
    var appState: AppStateLog = .shared
    /// Recompute each model's sha256 and fail the run on a mismatch.
    var verifyHashes = true
    /// How often the thermal gate looks at the thermal state.
    var thermalPollSeconds = 1.0

    /// Runs one entry of the plan and returns what was measured, ok or failed.
    func run(_ planRun: PlanRun, index: Int, cache: CompileCache, events: (RunnerEvent) -> Void) -> RunResult {
        var result = RunResult(planRun: planRun, started: WallClock.timestamp())
        events(.runStarted(index: index, runId: planRun.runId))
        do {
            try measure(planRun, index: index, cache: cache, into: &result, events: events)
            result.status = .ok
            result.error = nil
        } catch {
            result.status = .failed
            result.error = SchemaText.truncated(Self.describe(error), toScalars: 4000)
        }
        result.finished = WallClock.timestamp()
        events(.runFinished(index: index, result: result))
        return result
    }

    private func measure(
        _ planRun: PlanRun,
        index: Int,
        cache: CompileCache,
        into result: inout RunResult,
        events: (RunnerEvent) -> Void
    ) throws {
        let p = measurementProtocol
        let modelURL = modelsDirectory.appendingPathComponent(planRun.file)
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw RunFailure(
                description: "model file \(planRun.file) not found in Documents; push it with `mobench ios run` (or copy it next to plan.json)"
            )
        }

        // 1. Integrity: the file the host hashed is the file we time.
        if verifyHashes {
            let actual = try cache.hash(of: modelURL)
            result.sha256Verified = actual == planRun.sha256
            guard actual == planRun.sha256 else {
                throw RunFailure(
                    description: "sha256 mismatch for \(planRun.file): plan says \(planRun.sha256), file has \(actual); push the models again"
                )
            }
        }

        // 2. Thermal gate: wait (bounded) for a nominal or fair state.
        if let limit = p.thermalWaitS, limit > 0 {
            result.thermalWait = waitForThermalHeadroom(limitSeconds: limit)
        }

        // 3. Compile once per model file and plan.
        let compiledURL: URL
        if let cached = cache.entry(for: modelURL) {
            compiledURL = cached.compiled
            result.compileMs = nil
            result.compileReused = true
        } else if engine.needsCompile(modelURL) {
            do {
                let compiled = try Timing.measure { try engine.compile(modelURL) }
                compiledURL = compiled.value
                result.compileMs = compiled.milliseconds
                cache.store(CompileCache.Entry(compiled: compiledURL, compileMs: compiled.milliseconds), for: modelURL)
            } catch {
                throw RunFailure(description: "compile failed: \(Self.describe(error))")
            }
            result.compileReused = false
        } else {
            compiledURL = modelURL
            result.compileMs = nil
            result.compileReused = false
        }

        var memory = MemoryUsage(footprintBeforeLoadMb: Memory.mebibytes(probe.footprintBytes()))
        var peak = PeakFootprint()
        var sink = OutputSink()
        var model: (any LoadedModel)?
        var input: PreparedInput?
        let loadKey = compiledURL.path + "|" + planRun.computeUnits.rawValue
        result.coldLoadMs = []
        result.warmLoadMs = []

        // 4. Rounds.
        for round in 0..<p.rounds {
            let appMark = appState.mark()
            events(.roundStarted(index: index, runId: planRun.runId, round: round))
            let roundStart = Timing.now()
            let thermalBefore = probe.thermalState()
            let lowPowerBefore = probe.isLowPowerModeEnabled()
            var warmup: [Double] = []
            var samples: [Double] = []
            var remainingWarmup = p.warmup
            // Whatever happens in the round, what was measured is kept.
            defer {
                if result.warmupMs.count == round {
                    result.warmupMs.append(warmup)
                }
                if result.samplesMs.count == round, !samples.isEmpty {
                    result.samplesMs.append(samples)
                }
                let events = appState.events(since: appMark)
                let lowPowerAfter = probe.isLowPowerModeEnabled()
                result.rounds.append(RoundInfo(
                    index: round,
                    thermalStateBefore: thermalBefore,
                    thermalStateAfter: probe.thermalState(),
                    lowPowerMode: lowPowerBefore || lowPowerAfter,
                    durationMs: Timing.milliseconds(since: roundStart),
                    appStateEvents: events,
                    interrupted: !events.isEmpty
                ))
                memory.peakFootprintMb = peak.peakMB
                result.memory = memory
            }

            if round == 0 || p.reloadPerRound {
                // Release the previous instance first, as ModelBench re-creates it.
                model = nil
                let loaded: any LoadedModel
                let cold = !cache.loaded.contains(loadKey)
                do {
                    let timed = try Timing.measure {
                        try engine.load(compiledURL, computeUnits: planRun.computeUnits)
                    }
                    loaded = timed.value
                    result.loadMs.append(timed.milliseconds)
                    if cold {
                        result.coldLoadMs?.append(timed.milliseconds)
                    } else {
                        result.warmLoadMs?.append(timed.milliseconds)
                    }
                    cache.loaded.insert(loadKey)
                } catch {
                    throw RunFailure(description: "load failed (\(planRun.computeUnits.rawValue)): \(Self.describe(error))")
                }
                if round == 0 {
                    memory.footprintAfterLoadMb = Memory.mebibytes(probe.footprintBytes())
                }
                if input == nil {
                    let planInputs = (planRun.inputs ?? []).map { $0.located(in: modelsDirectory) }
                    let prepared = try loaded.prepareInput(planInputs: planInputs)
                    input = prepared
                    result.inputs = prepared.descriptions
                }
                guard let firstInput = input else {
                    throw RunFailure(description: "no input could be prepared")
                }
                // The first prediction after a load, timed on its own; it
                // also counts as the first warm-up inference.
                let first = try timedPrediction(loaded, firstInput, sink: &sink)
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
                warmup.append(try timedPrediction(current, prepared, sink: &sink))
            }
            result.warmupMs.append(warmup)

            samples.reserveCapacity(p.inferences)
            for _ in 0..<p.inferences {
                samples.append(try timedPrediction(current, prepared, sink: &sink))
                peak.sample(probe)
            }
            result.samplesMs.append(samples)

            if let cooldown = p.cooldownS, cooldown > 0, round + 1 < p.rounds {
                Thread.sleep(forTimeInterval: cooldown)
            }
        }
        model = nil

        // 5. Where the runtime placed the operations, after the timed rounds.
        result.computePlan = engine.computePlan(compiledURL, computeUnits: planRun.computeUnits)
    }

    /// One prediction, timed. Only `predict` is inside the timed region; the
    /// output stays alive in `sink` until after the clock is read, so freeing
    /// it is not timed either.
    @inline(never)
    private func timedPrediction(_ model: any LoadedModel, _ input: PreparedInput, sink: inout OutputSink) throws -> Double {
        let start = Timing.now()
        let output = try model.predict(input)
        let elapsed = Timing.milliseconds(since: start)
        sink.keep(output)
        return elapsed
    }

    /// Waits, up to `limitSeconds`, for the thermal state to be nominal or fair.
    func waitForThermalHeadroom(limitSeconds: Double) -> ThermalWait {
        let waitStart = Timing.now()
        let before = probe.thermalState()
        var state = before
        while state == .serious || state == .critical {
            let waited = Timing.milliseconds(since: waitStart) / 1_000
            if waited >= limitSeconds {
                return ThermalWait(waitedMs: waited * 1_000, thermalStateBefore: before, thermalStateAfter: state, timedOut: true)
            }
            Thread.sleep(forTimeInterval: min(thermalPollSeconds, limitSeconds - waited))
            state = probe.thermalState()
        }
        return ThermalWait(
            waitedMs: Timing.milliseconds(since: waitStart),
            thermalStateBefore: before,
            thermalStateAfter: state,
            timedOut: false
        )
    }

    /// A one-line description of any error, with the NSError domain and code.
    static func describe(_ error: Error) -> String {
        if let hashing = error as? ModelHasher.HashError {
            return "hashing failed: \(hashing.description)"
        }
        if let harness = error as? HarnessError {
            return harness.description
        }
        let nsError = error as NSError
        let message = nsError.localizedDescription.replacingOccurrences(of: "\n", with: " ")
        return "\(message) (\(nsError.domain) \(nsError.code))"
    }
}
