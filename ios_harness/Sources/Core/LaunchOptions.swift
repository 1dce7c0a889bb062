import Foundation

/// The launch arguments of PROTOCOL.md "Launch arguments":
///
///     --plan <path relative to Documents>   default plan.json
///     --report <file name in Documents>     default report.json
///     --server <http://host:port> --token <token>   network mode
///     --autostart                           run the plan at launch, exit(0) when done
///
/// Arguments it does not know are ignored: Xcode, XCTest and the launch tools
/// add their own (`-NSDocumentRevisionsDebugMode YES`, `-XCTest ...`).
struct LaunchOptions: Equatable, Sendable {
    var planPath = "plan.json"
    var reportName = "report.json"
    var server: URL?
    var token: String?
    var autostart = false

    struct ParseError: HarnessError, Equatable {
        let description: String
    }

    /// Parses the arguments after the executable path.
    static func parse(_ arguments: [String]) throws -> LaunchOptions {
        var options = LaunchOptions()
        var index = 0
        // The argument after a flag is its value, whatever it looks like: a
        // token may begin with "--" (about 1 in 4,096 generated tokens does).
        func value(after flag: String) throws -> String {
            guard index + 1 < arguments.count else {
                throw ParseError(description: "\(flag) needs a value")
            }
            index += 1
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--plan":
                options.planPath = try value(after: argument)
            case "--report":
                options.reportName = try value(after: argument)
            case "--server":
                let text = try value(after: argument)
                guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                      scheme == "http" || scheme == "https", url.host != nil else {
                    throw ParseError(description: "--server must be an http(s) URL such as http://192.168.1.20:8765, got '\(text)'")
                }
                options.server = url
            case "--token":
                options.token = try value(after: argument)
            case "--autostart":
                options.autostart = true
            default:
                break
            }
            index += 1
        }
        try options.validate()
        return options
    }

    func validate() throws {
        guard LaunchOptions.isSafeRelativePath(planPath), planPath.hasSuffix(".json") else {
            throw ParseError(description: "--plan must be a .json path inside Documents (no '..', not absolute), got '\(planPath)'")
        }
        guard LaunchOptions.isSafeRelativePath(reportName), !reportName.contains("/"), reportName.hasSuffix(".json") else {
            throw ParseError(description: "--report must be a .json file name in Documents, got '\(reportName)'")
        }
        switch (server, token) {
        case (.some, .none):
            throw ParseError(description: "--server needs --token (printed by `mobench ios serve`)")
        case (.none, .some):
            throw ParseError(description: "--token is only used with --server")
        case (.some, .some(let token)):
            guard (16...256).contains(token.unicodeScalars.count) else {
                throw ParseError(description: "--token must be 16 to 256 characters (copy it from `mobench ios serve`)")
            }
        case (.none, .none):
            break
        }
    }

    /// Whether `--autostart` may run the plan in this process. Not under
    /// XCTest: `xcodebuild test` launches the host app with the scheme's run
    /// arguments, and the test would then race a second session in the app.
    func shouldAutostart(environment: [String: String]) -> Bool {
        autostart && !LaunchOptions.isRunningUnderXCTest(environment: environment)
    }

    /// XCTest sets one of these in the processes it hosts tests in.
    static func isRunningUnderXCTest(environment: [String: String]) -> Bool {
        ["XCTestConfigurationFilePath", "XCTestBundlePath", "XCTestSessionIdentifier"].contains {
            environment[$0] != nil
        }
    }

    /// True in network mode (plan and models come from `mobench ios serve`).
    var isNetworkMode: Bool {
        server != nil
    }

    /// A relative path without empty, `.` or `..` components.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\") else {
            return false
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
