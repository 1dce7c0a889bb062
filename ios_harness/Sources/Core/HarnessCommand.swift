import Foundation

/// The command-line harness (`mobench-harness`): the app's session without
/// the SwiftUI shell, with the app's launch arguments (PROTOCOL.md) plus its own:
///
///     --documents DIR        the folder standing in for the app's Documents
///                            (default: $MOBENCH_DOCUMENTS, else the working directory)
///     --engine NAME          coreml (default where Core ML exists) or known-cost
///     --cost-ms MS           known-cost: the cost of one prediction (default 2)
///
/// The host's folder transport runs it as the app:
/// `mobench ios run --transport folder --app-command "mobench-harness --engine known-cost"`.
public enum HarnessCommand {
    public static let usage = """
        usage: mobench-harness [--plan plan.json] [--report report.json] [--server URL --token TOKEN]
                               [--autostart] [--documents DIR] [--engine coreml|known-cost] [--cost-ms MS]
        """

    /// Runs the command; returns the process exit code (0 done, 1 no report, 2 bad arguments).
    public static func main(arguments: [String], environment: [String: String]) async -> Int32 {
        let parsed: (options: LaunchOptions, documents: URL, engine: any InferenceEngine)
        do {
            parsed = try parse(arguments: arguments, environment: environment)
        } catch {
            printError("mobench-harness: \(BenchmarkRunner.describe(error))\n\(usage)")
            return 2
        }
        let session = HarnessSession(documents: parsed.documents, options: parsed.options, engine: parsed.engine)
        guard parsed.options.autostart else {
            // Like the app without --autostart: show the plan, run nothing.
            if parsed.options.isNetworkMode {
                print("mobench-harness: network mode; add --autostart to fetch and run the plan")
                return 0
            }
            do {
                let plan = try session.loadPlan()
                print("plan \(plan.planId): \(plan.runs.count) runs, engine \(parsed.engine.name.rawValue); add --autostart to run it")
                return 0
            } catch {
                printError("mobench-harness: \(BenchmarkRunner.describe(error))")
                return 1
            }
        }
        let report = await session.start { event in
            switch event {
            case .failed(let message):
                printError("mobench-harness: \(message)")
            case .status(let message):
                printError("mobench-harness: \(message)")
            default:
                break
            }
        }
        return report == nil ? 1 : 0
    }

    static func parse(
        arguments: [String],
        environment: [String: String]
    ) throws -> (options: LaunchOptions, documents: URL, engine: any InferenceEngine) {
        var rest: [String] = []
        var documents = environment["MOBENCH_DOCUMENTS"].map { URL(fileURLWithPath: $0) }
        var engineName: String?
        var cost = KnownCostEngine.Costs()
        var index = 0
        func value(_ flag: String) throws -> String {
            guard index + 1 < arguments.count else {
                throw LaunchOptions.ParseError(description: "\(flag) needs a value")
            }
            index += 1
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--documents":
                documents = URL(fileURLWithPath: try value(argument))
            case "--engine":
                engineName = try value(argument)
            case "--cost-ms":
                let text = try value(argument)
                guard let ms = Double(text), ms >= 0, ms <= 60_000 else {
                    throw LaunchOptions.ParseError(description: "--cost-ms must be a number of milliseconds (0 to 60000), got '\(text)'")
                }
                cost.predictMs = ms
            case "-h", "--help":
                throw LaunchOptions.ParseError(description: "help")
            default:
                rest.append(argument)
            }
            index += 1
        }
        let options = try LaunchOptions.parse(rest)
        let folder = documents ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return (options, folder.standardizedFileURL, try makeEngine(named: engineName, costs: cost))
    }

    static func makeEngine(named name: String?, costs: KnownCostEngine.Costs) throws -> any InferenceEngine {
        switch name ?? defaultEngineName {
        case EngineName.knownCost.rawValue:
            return KnownCostEngine(costs: costs)
        case EngineName.coreml.rawValue:
            #if canImport(CoreML)
            return CoreMLEngine()
            #else
            throw LaunchOptions.ParseError(description: "--engine coreml: Core ML does not exist on this platform; use --engine known-cost")
            #endif
        default:
            throw LaunchOptions.ParseError(description: "--engine must be coreml or known-cost, got '\(name ?? "")'")
        }
    }

    static var defaultEngineName: String {
        #if canImport(CoreML)
        return EngineName.coreml.rawValue
        #else
        return EngineName.knownCost.rawValue
        #endif
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
