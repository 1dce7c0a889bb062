// mobench-harness: the harness session from the command line (see
// HarnessCommand in Sources/Core for its arguments).
import Foundation
import MobenchHarnessCore

let code = await HarnessCommand.main(
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(code)
