import Foundation

// Codable mirror of mobench/devices/iphone/schema/report.schema.json and
// progress.schema.json (schema_version 1). Keys are the schema's, through
// explicit `CodingKeys`; every object of the schema rejects unknown keys, so
// nothing here may add one. Keys the schema requires but allows to be null
// (`error`, `compile_ms`, the memory figures) are written as an explicit JSON
// `null` by a hand-written `encode(to:)`; optional keys are omitted when nil.

/// Version of the measurement procedure (what is timed, in which order).
let harnessProtocolVersion = 1

/// `ProcessInfo.thermalState`, as the schema spells it.
enum ThermalState: String, Codable, Sendable {
    case nominal
    case fair
    case serious
    case critical
}

enum RunStatus: String, Codable, Sendable {
    case ok
    case failed
}

/// The monotonic clock the app timed with.
enum ClockName: String, Codable, Sendable {
    case continuousClock = "ContinuousClock"
    case machAbsoluteTime = "mach_absolute_time"
}

/// What ran the models (`engine` in the report schema).
enum EngineName: String, Codable, Sendable {
    /// Core ML: the app on an iPhone, or the command-line harness on a Mac.
    case coreml
    /// The package's synthetic engine with a configured cost per call (tests, Linux).
    case knownCost = "known-cost"
}

/// An application state change seen during a round (`app_state_event`).
enum AppStateEvent: String, Codable, Sendable {
    case inactive
    case background
    case foreground
    case active
    case screenLocked = "screen_locked"
    case screenUnlocked = "screen_unlocked"
}

/// The phone the report was measured on.
struct DeviceDescription: Codable, Equatable, Sendable {
    var modelIdentifier: String
    var osName: String
    var osVersion: String
    var osBuild: String?
    var lowPowerMode: Bool
    var thermalState: ThermalState
    var physicalMemoryMb: Double?
    var processorCount: Int?

    enum CodingKeys: String, CodingKey {
        case modelIdentifier = "model_identifier"
        case osName = "os_name"
        case osVersion = "os_version"
        case osBuild = "os_build"
        case lowPowerMode = "low_power_mode"
        case thermalState = "thermal_state"
        case physicalMemoryMb = "physical_memory_mb"
        case processorCount = "processor_count"
    }
}

/// Device state around one round.
struct RoundInfo: Codable, Equatable, Sendable {
    var index: Int
    var thermalStateBefore: ThermalState
    var thermalStateAfter: ThermalState
    var lowPowerMode: Bool
    var durationMs: Double?
    var appStateEvents: [AppStateEvent]?
    var interrupted: Bool?

    enum CodingKeys: String, CodingKey {
        case index
        case thermalStateBefore = "thermal_state_before"
        case thermalStateAfter = "thermal_state_after"
        case lowPowerMode = "low_power_mode"
        case durationMs = "duration_ms"
        case appStateEvents = "app_state_events"
        case interrupted
    }
}

/// The thermal gate before a run (`protocol.thermal_wait_s`).
struct ThermalWait: Codable, Equatable, Sendable {
    var waitedMs: Double
    var thermalStateBefore: ThermalState
    var thermalStateAfter: ThermalState
    var timedOut: Bool

    enum CodingKeys: String, CodingKey {
        case waitedMs = "waited_ms"
        case thermalStateBefore = "thermal_state_before"
        case thermalStateAfter = "thermal_state_after"
        case timedOut = "timed_out"
    }
}

/// `phys_footprint` in MiB around the load and during the timed inferences.
struct MemoryUsage: Codable, Equatable, Sendable {
    var footprintAfterLoadMb: Double?
    var peakFootprintMb: Double?
    var footprintBeforeLoadMb: Double?

    enum CodingKeys: String, CodingKey {
        case footprintAfterLoadMb = "footprint_after_load_mb"
        case peakFootprintMb = "peak_footprint_mb"
        case footprintBeforeLoadMb = "footprint_before_load_mb"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Required keys: written as null when unknown.
        try container.encode(footprintAfterLoadMb, forKey: .footprintAfterLoadMb)
        try container.encode(peakFootprintMb, forKey: .peakFootprintMb)
        try container.encodeIfPresent(footprintBeforeLoadMb, forKey: .footprintBeforeLoadMb)
    }
}

/// Whether an input feature was an image or a multi-array.
enum InputFeatureKind: String, Codable, Sendable {
    case image
    case multiArray
}

/// One synthesized input feature.
struct InputDescription: Codable, Equatable, Sendable {
    var name: String
    var kind: InputFeatureKind
    var shape: [Int]
    var dataType: String?

    enum CodingKeys: String, CodingKey {
        case name
        case kind
        case shape
        case dataType = "data_type"
    }
}

/// Number of operations by the compute device Core ML prefers for them.
struct OpsByDevice: Codable, Equatable, Sendable {
    var cpu: Int = 0
    var gpu: Int = 0
    var neuralEngine: Int = 0
    var unknown: Int = 0

    enum CodingKeys: String, CodingKey {
        case cpu
        case gpu
        case neuralEngine = "neural_engine"
        case unknown
    }

    init(cpu: Int = 0, gpu: Int = 0, neuralEngine: Int = 0, unknown: Int = 0) {
        self.cpu = cpu
        self.gpu = gpu
        self.neuralEngine = neuralEngine
        self.unknown = unknown
    }

    /// Every count is optional in the schema; a missing one is zero.
    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cpu = try container.decodeIfPresent(Int.self, forKey: .cpu) ?? 0
        gpu = try container.decodeIfPresent(Int.self, forKey: .gpu) ?? 0
        neuralEngine = try container.decodeIfPresent(Int.self, forKey: .neuralEngine) ?? 0
        unknown = try container.decodeIfPresent(Int.self, forKey: .unknown) ?? 0
    }
}

/// One operation of the compute plan: where Core ML prefers to run it and its
/// estimated cost (`MLComputePlanCost.weight`, its share of one prediction).
struct PlanOperation: Codable, Equatable, Sendable {
    var name: String
    var operatorName: String
    var preferredDevice: DeviceKind
    var supportedDevices: [DeviceKind]
    var estimatedCost: Double?

    enum CodingKeys: String, CodingKey {
        case name
        case operatorName = "operator"
        case preferredDevice = "preferred_device"
        case supportedDevices = "supported_devices"
        case estimatedCost = "estimated_cost"
    }

    init(name: String, operatorName: String, preferredDevice: DeviceKind, supportedDevices: [DeviceKind],
         estimatedCost: Double?) {
        self.name = name
        self.operatorName = operatorName
        self.preferredDevice = preferredDevice
        self.supportedDevices = supportedDevices
        self.estimatedCost = estimatedCost
    }

    /// `estimated_cost` is required and may be null: written as an explicit null.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(operatorName, forKey: .operatorName)
        try container.encode(preferredDevice, forKey: .preferredDevice)
        try container.encode(supportedDevices, forKey: .supportedDevices)
        try container.encode(estimatedCost, forKey: .estimatedCost)
    }
}

/// What `MLComputePlan` (iOS 17.4+) says about where the operations run.
struct ComputePlanSummary: Codable, Equatable, Sendable {
    var available: Bool
    var reason: String?
    var opsByDevice: OpsByDevice?
    var cpuFallbackWithAneAllowed: Bool?
    var cpuFallbackOps: [String]?
    /// One entry per ML Program operation, with its estimated cost.
    var ops: [PlanOperation]?

    enum CodingKeys: String, CodingKey {
        case available
        case reason
        case opsByDevice = "ops_by_device"
        case cpuFallbackWithAneAllowed = "cpu_fallback_with_ane_allowed"
        case cpuFallbackOps = "cpu_fallback_ops"
        case ops
    }

    static func unavailable(_ reason: String) -> ComputePlanSummary {
        ComputePlanSummary(available: false, reason: reason)
    }
}

/// Everything measured for one run of the plan, ok or failed.
struct RunResult: Codable, Equatable, Sendable {
    var runId: String
    var model: String
    var file: String
    var sha256: String
    var sha256Verified: Bool?
    var computeUnits: ComputeUnits
    var status: RunStatus
    var error: String?
    var compileMs: Double?
    var compileReused: Bool?
    var loadMs: [Double]
    var coldLoadMs: [Double]?
    var warmLoadMs: [Double]?
    var thermalWait: ThermalWait?
    var firstPredictionMs: [Double]
    var warmupMs: [[Double]]
    var samplesMs: [[Double]]
    var rounds: [RoundInfo]
    var memory: MemoryUsage?
    var inputs: [InputDescription]?
    var computePlan: ComputePlanSummary?
    var started: String?
    var finished: String?

    enum CodingKeys: String, CodingKey {
        case runId = "run_id"
        case model
        case file
        case sha256
        case sha256Verified = "sha256_verified"
        case computeUnits = "compute_units"
        case status
        case error
        case compileMs = "compile_ms"
        case compileReused = "compile_reused"
        case loadMs = "load_ms"
        case coldLoadMs = "cold_load_ms"
        case warmLoadMs = "warm_load_ms"
        case thermalWait = "thermal_wait"
        case firstPredictionMs = "first_prediction_ms"
        case warmupMs = "warmup_ms"
        case samplesMs = "samples_ms"
        case rounds
        case memory
        case inputs
        case computePlan = "compute_plan"
        case started
        case finished
    }

    /// An empty result for a run of the plan, before anything is measured.
    init(planRun: PlanRun, started: String?) {
        runId = planRun.runId
        model = planRun.model
        file = planRun.file
        sha256 = planRun.sha256
        sha256Verified = nil
        computeUnits = planRun.computeUnits
        status = .failed
        error = nil
        compileMs = nil
        compileReused = nil
        loadMs = []
        coldLoadMs = nil
        warmLoadMs = nil
        thermalWait = nil
        firstPredictionMs = []
        warmupMs = []
        samplesMs = []
        rounds = []
        memory = nil
        inputs = nil
        computePlan = nil
        self.started = started
        finished = nil
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runId, forKey: .runId)
        try container.encode(model, forKey: .model)
        try container.encode(file, forKey: .file)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(sha256Verified, forKey: .sha256Verified)
        try container.encode(computeUnits, forKey: .computeUnits)
        try container.encode(status, forKey: .status)
        // Required keys that may be null: always written.
        try container.encode(error, forKey: .error)
        try container.encode(compileMs, forKey: .compileMs)
        try container.encodeIfPresent(compileReused, forKey: .compileReused)
        try container.encode(loadMs, forKey: .loadMs)
        try container.encodeIfPresent(coldLoadMs, forKey: .coldLoadMs)
        try container.encodeIfPresent(warmLoadMs, forKey: .warmLoadMs)
        try container.encodeIfPresent(thermalWait, forKey: .thermalWait)
        try container.encode(firstPredictionMs, forKey: .firstPredictionMs)
        try container.encode(warmupMs, forKey: .warmupMs)
        try container.encode(samplesMs, forKey: .samplesMs)
        try container.encode(rounds, forKey: .rounds)
        try container.encodeIfPresent(memory, forKey: .memory)
        try container.encodeIfPresent(inputs, forKey: .inputs)
        try container.encodeIfPresent(computePlan, forKey: .computePlan)
        try container.encodeIfPresent(started, forKey: .started)
        try container.encodeIfPresent(finished, forKey: .finished)
    }
}

/// The report of one plan: written to Documents/report.json and sent to the host.
struct Report: Codable, Equatable, Sendable {
    var schemaVersion: Int
    var planId: String
    var appVersion: String
    var protocolVersion: Int
    var clock: ClockName
    var started: String
    var finished: String
    var device: DeviceDescription
    var measurementProtocol: MeasurementProtocol
    var inputKind: InputKind
    var engine: EngineName?
    var runs: [RunResult]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case planId = "plan_id"
        case appVersion = "app_version"
        case protocolVersion = "protocol_version"
        case clock
        case started
        case finished
        case device
        case measurementProtocol = "protocol"
        case inputKind = "input_kind"
        case engine
        case runs
    }
}

/// The line printed on stdout after every finished run (`run_line` in the
/// report schema): enough to rebuild a report from a console or farm log.
struct RunLine: Codable, Equatable, Sendable {
    var mobenchRun: Int
    var schemaVersion: Int
    var planId: String
    var appVersion: String
    var protocolVersion: Int
    var clock: ClockName
    var device: DeviceDescription
    var measurementProtocol: MeasurementProtocol
    var inputKind: InputKind
    var engine: EngineName?
    var run: RunResult

    enum CodingKeys: String, CodingKey {
        case mobenchRun = "mobench_run"
        case schemaVersion = "schema_version"
        case planId = "plan_id"
        case appVersion = "app_version"
        case protocolVersion = "protocol_version"
        case clock
        case device
        case measurementProtocol = "protocol"
        case inputKind = "input_kind"
        case engine
        case run
    }

    init(report: Report, run: RunResult) {
        mobenchRun = 1
        schemaVersion = report.schemaVersion
        planId = report.planId
        appVersion = report.appVersion
        protocolVersion = report.protocolVersion
        clock = report.clock
        device = report.device
        measurementProtocol = report.measurementProtocol
        inputKind = report.inputKind
        engine = report.engine
        self.run = run
    }
}

enum ProgressState: String, Codable, Sendable {
    case running
    case finished
    case failed
}

/// Documents/progress.json (progress.schema.json), rewritten after every round and run.
struct ProgressMarker: Codable, Equatable, Sendable {
    var planId: String
    var done: Int
    var total: Int
    var current: String?
    var round: Int?
    var state: ProgressState
    var error: String?

    enum CodingKeys: String, CodingKey {
        case planId = "plan_id"
        case done
        case total
        case current
        case round
        case state
        case error
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(planId, forKey: .planId)
        try container.encode(done, forKey: .done)
        try container.encode(total, forKey: .total)
        try container.encode(current, forKey: .current)
        try container.encode(round, forKey: .round)
        try container.encode(state, forKey: .state)
        try container.encode(error, forKey: .error)
    }
}
