import SwiftUI

/// The harness app: a thin SwiftUI shell over `HarnessSession` (Sources/Core,
/// the same sources as the Swift package that `swift test` builds and tests).
///
/// Launched by the host with `--plan plan.json --autostart` (PROTOCOL.md), it
/// runs the plan at once and exits when done; launched by hand it shows the
/// plan in Documents and a Run button.
@main
struct MobenchHarnessApp: App {
    @StateObject private var model = HarnessViewModel(arguments: Array(ProcessInfo.processInfo.arguments.dropFirst()))

    var body: some Scene {
        WindowGroup {
            ContentView(model: model)
                .task {
                    await model.autostartIfRequested()
                }
        }
    }
}
