import Foundation

// Codable mirror of mobench/devices/iphone/schema/plan.schema.json (schema_version 1).
//
// The JSON Schema is the one source of truth; these types follow it key for key
// through explicit `CodingKeys` whose raw values are the schema's snake_case keys
// (tests/ios_harness checks that they match, for every object of the schema).

/// The schema version this app reads and writes.
let supportedSchemaVersion = 1

/// `MLComputeUnits` case names, as the plan and the report spell them.
enum ComputeUnits: String, Codable, CaseIterable, Sendable {
    case all
    case cpuOnly
    case cpuAndGPU
    case cpuAndNeuralEngine

    /// Whether Core ML may place operations on the Neural Engine.
    var allowsNeuralEngine: Bool {
        self == .all || self == .cpuAndNeuralEngine
    }
}

/// What the host exported: image inputs (`CVPixelBuffer`) or tensors (`MLMultiArray`).
enum InputKind: String, Codable, Sendable {
    case image
    case tensor
}

/// The measurement protocol (PROTOCOL.md, "Measurement procedure").
struct MeasurementProtocol: Codable, Equatable, Sendable {
    var name: String?
    var warmup: Int
    var rounds: Int
    var inferences: Int
    var trim: Int
    var reloadPerRound: Bool
    var cooldownS: Double?
    var thermalWaitS: Double?

    enum CodingKeys: String, CodingKey {
        case name
        case warmup
        case rounds
        case inferences
        case trim
        case reloadPerRound = "reload_per_round"
        case cooldownS = "cooldown_s"
        case thermalWaitS = "thermal_wait_s"
    }
}

/// One model with one compute-unit setting.
struct PlanRun: Codable, Equatable, Sendable {
    var runId: String
    var model: String
    var file: String
    var sha256: String
    var computeUnits: ComputeUnits
    /// The export recipe of the model file (fp16, int8, palettize4 ...): recorded by the host,
    /// carried here so a plan read back says what it holds; the app runs the file as it is.
    var recipe: String?
    /// Every input the app feeds, by name, as the host resolved them (absent: synthesized from
    /// the model description alone).
    var inputs: [PlanInput]?

    enum CodingKeys: String, CodingKey {
        case runId = "run_id"
        case model
        case file
        case sha256
        case computeUnits = "compute_units"
        case recipe
        case inputs
    }
}

/// How the app feeds a plan input: a multi-array or a pixel buffer.
enum PlanInputKind: String, Codable, Sendable {
    case tensor
    case image
}

/// The element type of a plan input (numpy names, as the host writes them).
enum PlanDType: String, Codable, Sendable {
    case float32
    case float16
    case float64
    case int64
    case int32
    case int16
    case int8
    case uint8
    case bool

    /// Bytes of one element.
    var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }
}

/// One model input as the plan fixes it: every dim set (a flexible-shape model gets this shape),
/// its element type, and optionally a file of its values beside the plan (raw little-endian
/// C-order bytes of `dtype`).
struct PlanInput: Codable, Equatable, Sendable {
    var name: String
    var shape: [Int]
    var dtype: PlanDType
    var kind: PlanInputKind
    /// A file name in the plan; `located(in:)` makes it a path on this device.
    var valuesFile: String?
    var valuesSha256: String?

    enum CodingKeys: String, CodingKey {
        case name
        case shape
        case dtype
        case kind
        case valuesFile = "values_file"
        case valuesSha256 = "values_sha256"
    }

    init(
        name: String, shape: [Int], dtype: PlanDType, kind: PlanInputKind, valuesFile: String? = nil,
        valuesSha256: String? = nil
    ) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.kind = kind
        self.valuesFile = valuesFile
        self.valuesSha256 = valuesSha256
    }

    /// This input with its values file as a path in `directory` (the app's Documents).
    func located(in directory: URL) -> PlanInput {
        var copy = self
        copy.valuesFile = valuesFile.map { directory.appendingPathComponent($0).path }
        return copy
    }

    /// The values file (a path once `located(in:)`), nil when the input gets seeded values.
    var valuesURL: URL? {
        valuesFile.map { URL(fileURLWithPath: $0) }
    }

    /// Elements of the input (1 for a scalar).
    var count: Int { shape.reduce(1, *) }

    /// What the report says about this input.
    var reportDescription: InputDescription {
        InputDescription(name: name, kind: kind == .image ? .image : .multiArray, shape: shape, dataType: dtype.rawValue)
    }
}

extension LoadedModel {
    /// The default for a runtime that synthesizes its inputs from the model alone.
    func prepareInput(planInputs: [PlanInput]) throws -> PreparedInput {
        try prepareInput()
    }
}

/// What the app runs, written by `mobench ios plan`.
struct Plan: Codable, Equatable, Sendable {
    var schemaVersion: Int
    var planId: String
    var created: String
    var measurementProtocol: MeasurementProtocol
    var inputKind: InputKind
    var runs: [PlanRun]
    var reportUrl: String?
    var token: String?
    var host: JSONValue?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case planId = "plan_id"
        case created
        case measurementProtocol = "protocol"
        case inputKind = "input_kind"
        case runs
        case reportUrl = "report_url"
        case token
        case host
    }
}

/// A plan the app cannot run, with what to do about it.
struct PlanError: HarnessError, Equatable {
    let description: String
}

extension Plan {
    /// Decodes a plan and checks what the app relies on (the host validated it
    /// against the schema already; this catches a hand-edited or stale plan).
    static func decode(from data: Data) throws -> Plan {
        // Read the version first, so a newer plan gets a clear message instead
        // of a decoding error about some key this app does not know.
        struct VersionProbe: Decodable {
            var schemaVersion: Int?

            enum CodingKeys: String, CodingKey {
                case schemaVersion = "schema_version"
            }
        }
        let probe: VersionProbe
        do {
            probe = try JSONDecoder().decode(VersionProbe.self, from: data)
        } catch {
            throw PlanError(description: "plan is not a JSON object: \(error.localizedDescription); rewrite it with `mobench ios plan`")
        }
        guard probe.schemaVersion == supportedSchemaVersion else {
            let found = probe.schemaVersion.map { String($0) } ?? "missing"
            throw PlanError(
                description: "plan schema_version \(found) is not supported (this app reads \(supportedSchemaVersion)); update the app or the host so they match"
            )
        }
        let plan: Plan
        do {
            plan = try JSONDecoder().decode(Plan.self, from: data)
        } catch {
            throw PlanError(description: "plan does not match the schema: \(describeDecodingError(error)); rewrite it with `mobench ios plan`")
        }
        try plan.validate()
        return plan
    }

    /// The checks of plan.schema.json the runner depends on.
    func validate() throws {
        let p = measurementProtocol
        guard !runs.isEmpty else {
            throw PlanError(description: "plan \(planId) has no runs")
        }
        guard p.rounds >= 1, p.inferences >= 1, p.warmup >= 0, p.trim >= 0 else {
            throw PlanError(description: "plan protocol needs rounds >= 1, inferences >= 1, warmup >= 0, trim >= 0")
        }
        if let cooldown = p.cooldownS, !(0...600).contains(cooldown) {
            throw PlanError(description: "plan protocol cooldown_s must be within 0...600 seconds")
        }
        if let wait = p.thermalWaitS, !(0...3600).contains(wait) {
            throw PlanError(description: "plan protocol thermal_wait_s must be within 0...3600 seconds")
        }
        var seen = Set<String>()
        for run in runs {
            guard seen.insert(run.runId).inserted else {
                throw PlanError(description: "plan has run_id \(run.runId) twice")
            }
            guard Plan.isSafeFileName(run.file) else {
                throw PlanError(description: "run \(run.runId): file '\(run.file)' must be a plain .mlpackage/.mlmodel/.mlmodelc name in Documents")
            }
        }
    }

    /// A plain file name directly in Documents: no separators, no `..`, a Core ML extension.
    static func isSafeFileName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 210, !name.hasPrefix("."),
              !name.contains("/"), !name.contains("\\"), !name.contains("..") else {
            return false
        }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            return false
        }
        return ["mlpackage", "mlmodel", "mlmodelc"].contains((name as NSString).pathExtension)
    }
}

/// A short, readable description of a `DecodingError` (which key, what went wrong).
func describeDecodingError(_ error: Error) -> String {
    guard let decodingError = error as? DecodingError else {
        return error.localizedDescription
    }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { key -> String in
            if let index = key.intValue {
                return "[\(index)]"
            }
            return key.stringValue
        }
        return keys.isEmpty ? "top level" : keys.joined(separator: ".")
    }
    switch decodingError {
    case .keyNotFound(let key, let context):
        return "missing key '\(key.stringValue)' at \(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "\(context.debugDescription) at \(path(context))"
    @unknown default:
        return error.localizedDescription
    }
}
