import Foundation

/// Writes what the host reads: Documents/report.json (atomically, after every
/// finished run, so a crash leaves a valid partial report), Documents/progress.json
/// (after every round and run) and one `run_line` JSON line per finished run on
/// stdout, for console captures and device-farm logs (PROTOCOL.md).
struct ReportWriter {
    static let progressFileName = "progress.json"

    var directory: URL
    var reportName: String
    /// Also print run lines on stdout (off in unit tests that only check files).
    var echoRunLines = true

    var reportURL: URL {
        directory.appendingPathComponent(reportName)
    }

    var progressURL: URL {
        directory.appendingPathComponent(Self.progressFileName)
    }

    /// Deletes the report and progress marker of an earlier plan.
    func removeStaleOutputs() {
        for url in [reportURL, progressURL] where FileManager.default.fileExists(atPath: url.path) {
            try? FileManager.default.removeItem(at: url)
        }
    }

    func write(_ report: Report) throws {
        let data = try Self.encoder(pretty: true).encode(report)
        try data.write(to: reportURL, options: [.atomic])
    }

    func write(_ progress: ProgressMarker) throws {
        let data = try Self.encoder(pretty: false).encode(progress)
        try data.write(to: progressURL, options: [.atomic])
    }

    /// Prints the run line of `run` on stdout, unbuffered, as one `\n`-terminated line.
    func emitRunLine(report: Report, run: RunResult) throws {
        let line = try Self.runLine(report: report, run: run)
        guard echoRunLines else {
            return
        }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The compact single-line JSON of a `run_line` object.
    static func runLine(report: Report, run: RunResult) throws -> String {
        let data = try encoder(pretty: false).encode(RunLine(report: report, run: run))
        return String(decoding: data, as: UTF8.self)
    }

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        // Compact JSON has no newlines, so a run line is always one line.
        encoder.outputFormatting = pretty
            ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
