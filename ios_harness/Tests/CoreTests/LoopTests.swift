import Foundation
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// The measurement loop with the known-cost engine: the shape PROTOCOL.md
/// fixes, a known cost measured on the monotonic clock, failures that keep
/// what was measured, and the device state recorded per round.
final class LoopTests: XCTestCase {
    private func runner(
        _ documents: URL,
        protocol p: MeasurementProtocol,
        costs: KnownCostEngine.Costs = KnownCostEngine.Costs(predictMs: 0.2, compileMs: 1, coldLoadMs: 1, warmLoadMs: 0.5),
        probe: DeviceProbe = ScriptedProbe(),
        appState: AppStateLog = AppStateLog()
    ) -> BenchmarkRunner {
        BenchmarkRunner(
            modelsDirectory: documents,
            measurementProtocol: p,
            engine: KnownCostEngine(costs: costs),
            probe: probe,
            appState: appState,
            thermalPollSeconds: 0.01
        )
    }

    private func fixturePlan(_ documents: URL) throws -> Plan {
        try Plan.decode(from: Data(contentsOf: documents.appendingPathComponent("plan.json")))
    }

    private func proto(warmup: Int, rounds: Int, inferences: Int, reload: Bool, thermalWait: Double? = nil) -> MeasurementProtocol {
        MeasurementProtocol(
            name: "custom", warmup: warmup, rounds: rounds, inferences: inferences, trim: 0,
            reloadPerRound: reload, cooldownS: nil, thermalWaitS: thermalWait
        )
    }

    func testShapeWithReloadPerRound() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let planRun = try fixturePlan(documents).runs[0]
        let p = proto(warmup: 3, rounds: 4, inferences: 7, reload: true)
        var started: [Int] = []
        let result = runner(documents, protocol: p).run(planRun, index: 0, cache: CompileCache()) { event in
            if case .roundStarted(_, _, let round) = event {
                started.append(round)
            }
        }
        XCTAssertEqual(result.status, .ok, result.error ?? "")
        XCTAssertEqual(result.sha256Verified, true)
        XCTAssertEqual(started, [0, 1, 2, 3])
        XCTAssertEqual(result.loadMs.count, 4)
        XCTAssertEqual(result.firstPredictionMs.count, 4)
        XCTAssertEqual(result.warmupMs.map(\.count), [3, 3, 3, 3])
        // The first prediction after each load is the first warm-up inference.
        XCTAssertEqual(result.warmupMs.map(\.first), result.firstPredictionMs.map { Optional($0) })
        XCTAssertEqual(result.samplesMs.map(\.count), [7, 7, 7, 7])
        XCTAssertEqual(result.rounds.map(\.index), [0, 1, 2, 3])
        XCTAssertEqual(result.coldLoadMs?.count, 1)   // first load of this compiled model
        XCTAssertEqual(result.warmLoadMs?.count, 3)
        XCTAssertEqual(result.compileReused, false)
        XCTAssertNotNil(result.compileMs)
        XCTAssertEqual(result.inputs?.first?.kind, .multiArray)
        // The known-cost engine's synthetic plan: weights summing to 1, on no real device.
        XCTAssertEqual(result.computePlan?.ops, KnownCostEngine.syntheticOperations)
        XCTAssertEqual(result.computePlan?.opsByDevice, OpsByDevice(unknown: 3))
        XCTAssertEqual(result.computePlan?.cpuFallbackWithAneAllowed, false)
        XCTAssertNotNil(result.memory?.footprintAfterLoadMb)
        XCTAssertNotNil(result.memory?.peakFootprintMb)
    }

    func testShapeWithoutReloadAndWithoutWarmup() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let planRun = try fixturePlan(documents).runs[0]
        let result = runner(documents, protocol: proto(warmup: 0, rounds: 3, inferences: 5, reload: false))
            .run(planRun, index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.status, .ok, result.error ?? "")
        XCTAssertEqual(result.loadMs.count, 1)
        XCTAssertEqual(result.firstPredictionMs.count, 1)
        XCTAssertEqual(result.warmupMs, [[], [], []])   // warm-up 0: the first prediction is not a warm-up
        XCTAssertEqual(result.samplesMs.map(\.count), [5, 5, 5])
    }

    func testTrimLeavesTheRawSamplesAlone() throws {
        // The app records every sample; trimming is the host's statistic.
        let documents = try TestResources.fixtureDocuments(for: self)
        var p = proto(warmup: 1, rounds: 2, inferences: 5, reload: false)
        p.trim = 2
        let result = runner(documents, protocol: p).run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.samplesMs.map(\.count), [5, 5])
        let summary = try XCTUnwrap(LatencySummary(rounds: result.samplesMs, trim: p.trim))
        XCTAssertEqual(summary.count, 10)
    }

    func testAKnownCostIsMeasuredWithinTolerance() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let cost = 4.0
        // Cold and warm loads far apart, so scheduler delays on a loaded machine cannot swap them.
        let costs = KnownCostEngine.Costs(predictMs: cost, compileMs: 0, coldLoadMs: 60, warmLoadMs: 2)
        let result = runner(documents, protocol: proto(warmup: 1, rounds: 2, inferences: 10, reload: true), costs: costs)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.status, .ok, result.error ?? "")
        let samples = result.samplesMs.flatMap { $0 }
        // Never less than the cost (a monotonic clock cannot run short) ...
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(samples.min()), cost)
        // ... and the median near it: well under two costs even when a shared, loaded machine
        // delays some wake-ups by several milliseconds (the loop adds no timed work of its own).
        XCTAssertLessThan(Statistics.median(samples), 2 * cost, "\(samples)")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.coldLoadMs?.first), 60)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.warmLoadMs?.first), 2)
        XCTAssertLessThan(try XCTUnwrap(result.warmLoadMs?.first), 60)
    }

    func testCompileFailureIsAFailedRun() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        var costs = KnownCostEngine.Costs(predictMs: 0.1)
        costs.compileFailure = "the model needs a newer OS"
        let result = runner(documents, protocol: proto(warmup: 1, rounds: 2, inferences: 3, reload: true), costs: costs)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.status, .failed)
        XCTAssertEqual(result.error, "compile failed: the model needs a newer OS")
        XCTAssertEqual(result.sha256Verified, true)   // measured before the failure, kept
        XCTAssertEqual(result.loadMs, [])
    }

    func testLoadFailureKeepsTheCompileTime() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        var costs = KnownCostEngine.Costs(predictMs: 0.1, compileMs: 1)
        costs.loadFailure = "no such compute device"
        let result = runner(documents, protocol: proto(warmup: 1, rounds: 2, inferences: 3, reload: true), costs: costs)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.status, .failed)
        XCTAssertTrue(result.error?.hasPrefix("load failed (all): no such compute device") == true, result.error ?? "")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.compileMs), 1)
        XCTAssertEqual(result.rounds.count, 1)   // the round that failed is recorded
    }

    func testPredictionFailureMidRoundKeepsPartialSamples() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        var costs = KnownCostEngine.Costs(predictMs: 0.1)
        // warm-up 2 (first prediction + 1) and 5 inferences per round, no reload:
        // 7 predictions in round 0, then 3 more succeed in round 1.
        costs.predictFailsAfter = 10
        let result = runner(documents, protocol: proto(warmup: 2, rounds: 3, inferences: 5, reload: false), costs: costs)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.status, .failed)
        XCTAssertTrue(result.error?.contains("prediction 11 fails") == true, result.error ?? "")
        XCTAssertEqual(result.samplesMs.map(\.count), [5, 1])
        XCTAssertEqual(result.warmupMs.map(\.count), [2, 2])
        XCTAssertEqual(result.rounds.map(\.index), [0, 1])
    }

    func testMissingModelAndHashMismatchAreFailedRuns() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let plan = try fixturePlan(documents)
        let loop = runner(documents, protocol: proto(warmup: 1, rounds: 1, inferences: 1, reload: false))
        let missing = loop.run(plan.runs[2], index: 2, cache: CompileCache()) { _ in }
        XCTAssertEqual(missing.status, .failed)
        XCTAssertTrue(missing.error?.contains("not found in Documents") == true)
        var wrong = plan.runs[0]
        wrong.sha256 = String(repeating: "0", count: 64)
        let mismatch = loop.run(wrong, index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(mismatch.status, .failed)
        XCTAssertEqual(mismatch.sha256Verified, false)
        XCTAssertTrue(mismatch.error?.contains("sha256 mismatch") == true)
    }

    func testThermalAndLowPowerStatesAreRecordedPerRound() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        // Reads per round: before, after (plus one for the device description elsewhere).
        let probe = ScriptedProbe(
            thermal: [.nominal, .fair, .fair, .serious, .serious, .critical],
            lowPower: [false, false, false, true, true, true]
        )
        let result = runner(documents, protocol: proto(warmup: 0, rounds: 3, inferences: 2, reload: false), probe: probe)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(result.status, .ok, result.error ?? "")
        XCTAssertEqual(result.rounds.map(\.thermalStateBefore), [.nominal, .fair, .serious])
        XCTAssertEqual(result.rounds.map(\.thermalStateAfter), [.fair, .serious, .critical])
        XCTAssertEqual(result.rounds.map(\.lowPowerMode), [false, true, true])
    }

    func testThermalGateWaitsForHeadroomAndRecordsTheWait() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let hot = ScriptedProbe(thermal: [.critical, .serious, .serious, .fair, .nominal])
        let gated = runner(documents, protocol: proto(warmup: 0, rounds: 1, inferences: 1, reload: false, thermalWait: 5), probe: hot)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        let wait = try XCTUnwrap(gated.thermalWait)
        XCTAssertEqual(wait.thermalStateBefore, .critical)
        XCTAssertEqual(wait.thermalStateAfter, .fair)
        XCTAssertFalse(wait.timedOut)
        XCTAssertGreaterThanOrEqual(wait.waitedMs, 30)   // three polls of 10 ms
        XCTAssertEqual(gated.status, .ok)

        let stuck = ScriptedProbe(thermal: [.serious])
        let timedOut = runner(documents, protocol: proto(warmup: 0, rounds: 1, inferences: 1, reload: false, thermalWait: 0.05), probe: stuck)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertEqual(timedOut.thermalWait?.timedOut, true)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(timedOut.thermalWait?.waitedMs), 50)
        XCTAssertEqual(timedOut.status, .ok)   // the run goes ahead, flagged

        let ungated = runner(documents, protocol: proto(warmup: 0, rounds: 1, inferences: 1, reload: false), probe: stuck)
            .run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { _ in }
        XCTAssertNil(ungated.thermalWait)
    }

    func testAppStateChangesFlagTheRoundsTheyTouch() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let log = AppStateLog()
        let loop = runner(documents, protocol: proto(warmup: 0, rounds: 3, inferences: 1, reload: false), appState: log)
        let result = loop.run(try fixturePlan(documents).runs[0], index: 0, cache: CompileCache()) { event in
            if case .roundStarted(_, _, 1) = event {
                log.record(.background)
                log.record(.screenLocked)
            }
        }
        XCTAssertEqual(result.rounds.map { $0.interrupted }, [false, true, false])
        XCTAssertEqual(result.rounds[1].appStateEvents, [.background, .screenLocked])
        XCTAssertEqual(result.rounds[2].appStateEvents, [])
    }

    func testEachModelFileIsCompiledOncePerPlan() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        let plan = try fixturePlan(documents)   // runs 0 and 1 share tiny_cnn.mlpackage
        let engine = KnownCostEngine(costs: KnownCostEngine.Costs(predictMs: 0.1, compileMs: 1, coldLoadMs: 1, warmLoadMs: 0.1))
        let loop = BenchmarkRunner(
            modelsDirectory: documents, measurementProtocol: proto(warmup: 0, rounds: 2, inferences: 1, reload: true),
            engine: engine, probe: ScriptedProbe(), appState: AppStateLog()
        )
        let cache = CompileCache()
        let first = loop.run(plan.runs[0], index: 0, cache: cache) { _ in }
        let second = loop.run(plan.runs[1], index: 1, cache: cache) { _ in }
        XCTAssertEqual(engine.compileCount, 1)
        XCTAssertEqual(first.compileReused, false)
        XCTAssertNotNil(first.compileMs)
        XCTAssertEqual(second.compileReused, true)
        XCTAssertNil(second.compileMs)
        // Other compute units: its first load is cold again, the reload warm.
        XCTAssertEqual(second.coldLoadMs?.count, 1)
        XCTAssertEqual(second.warmLoadMs?.count, 1)
        let again = loop.run(plan.runs[0], index: 0, cache: cache) { _ in }
        XCTAssertEqual(again.coldLoadMs, [])
        XCTAssertEqual(again.warmLoadMs?.count, 2)
    }

    func testOutputIsReleasedOutsideTheTimedRegion() throws {
        // The sink keeps the last output until the next one replaces it, after
        // the clock read; a released output would leave the weak reference nil.
        final class Output {}
        var sink = OutputSink()
        weak var first: Output?
        do {
            let output = Output()
            first = output
            sink.keep(output)
        }
        XCTAssertNotNil(first)
        sink.keep(Output())
        XCTAssertNil(first)
        XCTAssertEqual(sink.count, 2)
    }

    func testBlockingWorkRunsOnDedicatedThreadsNotTheCooperativePool() async throws {
        // The cooperative pool has one thread per core; blocking work on it
        // would serialize. Four blocking 250 ms calls at once on dedicated
        // threads take about 250 ms on any machine.
        let onMain = await DedicatedThread.run { Thread.isMainThread }
        XCTAssertFalse(onMain)
        let start = Timing.now()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await DedicatedThread.run { Thread.sleep(forTimeInterval: 0.25) }
                }
            }
        }
        // On a 2-thread pool they would take 500 ms or more.
        XCTAssertLessThan(Timing.milliseconds(since: start), 450)
    }
}

/// A plan run with several inputs of several dtypes: the known-cost engine feeds every one of
/// them by name at the plan's shape, and the report says so.
final class PlanInputTests: XCTestCase {
    func testEveryPlanInputIsFedByNameAndReported() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        var run = try Plan.decode(from: Data(contentsOf: documents.appendingPathComponent("plan.json"))).runs[0]
        run.inputs = [
            PlanInput(name: "input", shape: [1, 512], dtype: .float32, kind: .tensor),
            PlanInput(name: "state", shape: [2, 1, 128], dtype: .float32, kind: .tensor),
            PlanInput(name: "sr", shape: [], dtype: .int64, kind: .tensor),
        ]
        let engine = KnownCostEngine(costs: KnownCostEngine.Costs(predictMs: 0.1, compileMs: 1, coldLoadMs: 1, warmLoadMs: 0.1))
        let loop = BenchmarkRunner(
            modelsDirectory: documents,
            measurementProtocol: MeasurementProtocol(warmup: 0, rounds: 1, inferences: 2, trim: 0, reloadPerRound: false),
            engine: engine, probe: ScriptedProbe(), appState: AppStateLog()
        )
        let result = loop.run(run, index: 0, cache: CompileCache()) { _ in }
        XCTAssertNil(result.error)
        XCTAssertEqual(result.inputs?.map(\.name), ["input", "state", "sr"])
        XCTAssertEqual(result.inputs?.map(\.shape), [[1, 512], [2, 1, 128], []])
        XCTAssertEqual(result.inputs?.map(\.dataType), ["float32", "float32", "int64"])
    }

    func testAValuesFileOfTheWrongSizeFailsTheRunWithItsName() throws {
        let documents = try TestResources.fixtureDocuments(for: self)
        try Data(count: 3).write(to: documents.appendingPathComponent("k.bin"))
        var run = try Plan.decode(from: Data(contentsOf: documents.appendingPathComponent("plan.json"))).runs[0]
        run.inputs = [PlanInput(name: "k", shape: [1, 4], dtype: .int32, kind: .tensor, valuesFile: "k.bin")]
        let engine = KnownCostEngine(costs: KnownCostEngine.Costs(predictMs: 0.1, compileMs: 1, coldLoadMs: 1, warmLoadMs: 0.1))
        let loop = BenchmarkRunner(
            modelsDirectory: documents,
            measurementProtocol: MeasurementProtocol(warmup: 0, rounds: 1, inferences: 1, trim: 0, reloadPerRound: false),
            engine: engine, probe: ScriptedProbe(), appState: AppStateLog()
        )
        let result = loop.run(run, index: 0, cache: CompileCache()) { _ in }
        XCTAssertTrue(result.error?.contains("'k'") ?? false, result.error ?? "no error")
        XCTAssertTrue(result.error?.contains("3 bytes") ?? false, result.error ?? "no error")
    }

    func testAnUnknownDtypeIsRefusedWhenThePlanIsRead() throws {
        let json = #"{"name": "z", "shape": [2], "dtype": "complex64", "kind": "tensor"}"#
        XCTAssertThrowsError(try JSONDecoder().decode(PlanInput.self, from: Data(json.utf8)))
    }

    func testTheGoldenPlanHoldsAMultiInputRun() throws {
        let plan = try Plan.decode(from: TestResources.goldenData("plan"))
        let multi = try XCTUnwrap(plan.runs.first { ($0.inputs?.count ?? 0) >= 3 })
        XCTAssertEqual(multi.inputs?.map(\.dtype), [.float32, .float32, .int32])
        XCTAssertEqual(multi.inputs?.first?.valuesFile, "silero_vad.input.bin")
        XCTAssertEqual(multi.inputs?.last?.shape, [])
    }
}
