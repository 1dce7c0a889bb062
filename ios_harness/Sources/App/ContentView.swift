import SwiftUI

/// Plan, progress and the last results, with a Run button. Deliberately plain:
/// nothing on screen animates while the benchmark runs.
@MainActor
struct ContentView: View {
    @ObservedObject var model: HarnessViewModel
    @AppStorage("serverURL") private var serverURL = ""
    @State private var token = ""

    var body: some View {
        NavigationStack {
            List {
                if let optionsError = model.optionsError {
                    Section("Launch arguments") {
                        Text(optionsError).foregroundStyle(.red)
                    }
                }
                planSection
                networkSection
                progressSection
                if !model.rows.isEmpty {
                    resultsSection
                }
            }
            .navigationTitle("mobench harness")
            .toolbar {
                ToolbarItem(placement: .primaryAction) {
                    Button(model.isRunning ? "Running" : "Run") {
                        Task {
                            await model.run()
                        }
                    }
                    .disabled(model.isRunning || (model.plan == nil && !model.options.isNetworkMode))
                }
                ToolbarItem(placement: .secondaryAction) {
                    Button("Reload plan") {
                        model.reloadPlan()
                    }
                    .disabled(model.isRunning)
                }
            }
        }
    }

    private var planSection: some View {
        Section("Plan") {
            if let plan = model.plan {
                LabeledContent("Plan", value: plan.planId)
                LabeledContent("Runs", value: "\(plan.runs.count)")
                LabeledContent(
                    "Protocol",
                    value: "\(plan.measurementProtocol.rounds) x \(plan.measurementProtocol.inferences), warm-up \(plan.measurementProtocol.warmup)"
                )
                ForEach(plan.runs, id: \.runId) { run in
                    Text("\(run.model) - \(run.computeUnits.rawValue)")
                        .font(.footnote)
                }
            } else if let planError = model.planError {
                Text(planError).foregroundStyle(.secondary)
            } else {
                Text("No plan loaded").foregroundStyle(.secondary)
            }
        }
    }

    /// For a phone on the same Wi-Fi as `mobench ios serve --host 0.0.0.0`:
    /// type the URL and token it prints (the token is never stored).
    private var networkSection: some View {
        Section("From a computer (mobench ios serve)") {
            TextField("http://192.168.1.20:8765", text: $serverURL)
                .keyboardType(.URL)
                .textInputAutocapitalization(.never)
                .autocorrectionDisabled()
            SecureField("Token", text: $token)
            Button("Fetch plan and run") {
                Task {
                    await model.runFromHost(server: serverURL, token: token)
                }
            }
            .disabled(model.isRunning || serverURL.isEmpty || token.isEmpty)
        }
    }

    private var progressSection: some View {
        Section("Progress") {
            Text(model.status)
            if model.totalRuns > 0 {
                ProgressView(value: Double(model.completedRuns), total: Double(model.totalRuns))
            }
            if let run = model.currentRun {
                LabeledContent("Current", value: model.currentRound.map { "\(run), round \($0 + 1)" } ?? run)
            }
            if let path = model.reportPath {
                Text(path).font(.caption2).foregroundStyle(.secondary)
            }
        }
    }

    private var resultsSection: some View {
        Section("Results (ms)") {
            ForEach(model.rows) { row in
                VStack(alignment: .leading, spacing: 2) {
                    Text("\(row.model) - \(row.computeUnits)").font(.headline)
                    if let summary = row.summary {
                        Text(String(
                            format: "min %.3f  median %.3f  trimmed mean %.3f  (n=%ld)",
                            summary.minimum, summary.median, summary.trimmedMean, summary.count
                        ))
                        .font(.footnote.monospacedDigit())
                    } else {
                        Text(row.error ?? row.status.rawValue)
                            .font(.footnote)
                            .foregroundStyle(.red)
                    }
                }
            }
        }
    }
}
