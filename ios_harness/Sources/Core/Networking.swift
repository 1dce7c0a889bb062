import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Network mode: talks to `mobench ios serve` on the host (PROTOCOL.md
/// "Network mode"). Every request carries `Authorization: Bearer <token>`.
///
///     GET  /plan.json         the plan (report_url set, token not included)
///     GET  /files             {"files": [{"path", "size", "sha256"}]}
///     GET  /files/<path>      one file, saved under Documents/<path>
///     POST /progress          progress.json object (best effort)
///     POST /report            the report -> 200 {"stored": n, "duplicates": m}
struct HostConnection: Sendable {
    var server: URL
    var token: String
    var session: URLSession = .shared

    struct NetworkError: HarnessError {
        let description: String
        /// The HTTP status of a refused request (nil: the request did not get an answer).
        var status: Int? = nil
    }

    /// How a report post that did not get through is retried: up to `attempts` tries, pausing
    /// `firstPause`, then twice as long each time, at most `maxPause`. A transport failure
    /// (no answer, connection lost, timeout) and a busy host (408, 429, 5xx) are retried; a
    /// refusal (401, 413, 422 ...) is not: sending the same report again cannot change it.
    struct RetryPolicy: Sendable {
        var attempts: Int = 6
        var firstPause: Duration = .seconds(1)
        var maxPause: Duration = .seconds(30)

        /// The pause after failed attempt `attempt` (1-based): 1 s, 2 s, 4 s ... capped.
        func pause(after attempt: Int) -> Duration {
            var pause = firstPause
            for _ in 1..<max(attempt, 1) {
                pause = min(pause * 2, maxPause)
            }
            return min(pause, maxPause)
        }

        static func isRetryable(_ error: Error) -> Bool {
            if error is URLError {
                return true
            }
            if let error = error as? NetworkError, let status = error.status {
                return status == 408 || status == 429 || (500..<600).contains(status)
            }
            return false
        }
    }

    /// Reports waiting for the host's acknowledgment, one JSON file each (written atomically
    /// before the first try, removed only once the host answered 2xx), so a report survives a
    /// failed post, the app being killed, or the phone rebooting, and is sent on the next start.
    struct ReportOutbox: Sendable {
        var folder: URL

        func put(_ body: Data, planId: String) throws -> URL {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let name = "\(LaunchOptions.isSafeRelativePath(planId) ? planId : "report")-\(ModelHasher.sha256(of: body).prefix(12)).json"
            let url = folder.appendingPathComponent(name)
            try body.write(to: url, options: [.atomic])
            return url
        }

        /// The reports still waiting, oldest name first.
        func pending() -> [URL] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.filter { $0.hasSuffix(".json") }.sorted().map { folder.appendingPathComponent($0) }
        }

        func acknowledged(_ url: URL) {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// One entry of `GET /files`.
    struct RemoteFile: Codable, Equatable, Sendable {
        var path: String
        var size: Int
        var sha256: String
    }

    struct FileListing: Codable, Sendable {
        var files: [RemoteFile]
    }

    /// Downloads the plan, returning its bytes (to save as plan.json) and the decoded plan.
    ///
    /// The first request of a fresh install can fail while iOS shows the Local
    /// Network permission prompt, so connection errors are retried for a while.
    func fetchPlan(attempts: Int = 10, pause: Duration = .seconds(3)) async throws -> (data: Data, plan: Plan) {
        var attempt = 1
        while true {
            do {
                let data = try await get("plan.json", timeout: 30)
                return (data, try Plan.decode(from: data))
            } catch is URLError where attempt < attempts {
                attempt += 1
                try await Task.sleep(for: pause)
            } catch let error as URLError {
                throw NetworkError(
                    description: "cannot reach \(server.absoluteString) (\(error.localizedDescription)); is `mobench ios serve --host 0.0.0.0` running, on the same Wi-Fi, with Local Network access allowed for mobench in Settings > Privacy & Security?"
                )
            }
        }
    }

    func fetchListing() async throws -> [RemoteFile] {
        let data = try await get("files", timeout: 60)
        do {
            return try JSONDecoder().decode(FileListing.self, from: data).files
        } catch {
            throw NetworkError(description: "GET /files returned an unexpected body: \(describeDecodingError(error))")
        }
    }

    /// Downloads every listed file into `documents`, verifying size and sha256.
    /// Model folders named in the listing are replaced as a whole, so no stale
    /// file from an earlier push changes a folder's hash.
    func downloadFiles(
        _ files: [RemoteFile],
        into documents: URL,
        progress: (_ done: Int, _ total: Int, _ path: String) -> Void
    ) async throws {
        for file in files {
            guard LaunchOptions.isSafeRelativePath(file.path) else {
                throw NetworkError(description: "the host listed an unsafe path '\(file.path)'; refusing to write it")
            }
        }
        let manager = FileManager.default
        let topLevel = Set(files.compactMap { $0.path.split(separator: "/").first.map { String($0) } })
        for name in topLevel where name != "plan.json" {
            let url = documents.appendingPathComponent(name)
            if manager.fileExists(atPath: url.path) {
                try manager.removeItem(at: url)
            }
        }
        for (index, file) in files.enumerated() {
            progress(index, files.count, file.path)
            let destination = documents.appendingPathComponent(file.path)
            try manager.createDirectory(
                at: destination.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            let request = try makeRequest(path: "files/" + file.path, method: "GET", timeout: 600)
            if manager.fileExists(atPath: destination.path) {
                try manager.removeItem(at: destination)
            }
            #if canImport(FoundationNetworking)
            // swift-corelibs-foundation's download task crashes when a
            // URLProtocol finishes it (Swift 6.3.1 on Linux), so the file
            // comes through a data task there; Apple platforms stream to disk.
            let (data, response) = try await session.data(for: request)
            try check(response, body: data, what: "GET /files/\(file.path)")
            try data.write(to: destination, options: [.atomic])
            #else
            let (temporary, response) = try await session.download(for: request)
            try check(response, body: nil, what: "GET /files/\(file.path)")
            try manager.moveItem(at: temporary, to: destination)
            #endif
            let attributes = try manager.attributesOfItem(atPath: destination.path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
            let digest = try ModelHasher.sha256(of: destination)
            guard size == file.size, digest == file.sha256 else {
                try? manager.removeItem(at: destination)
                throw NetworkError(
                    description: "\(file.path) arrived damaged (size \(size) of \(file.size), sha256 \(digest)); check the Wi-Fi and run again"
                )
            }
        }
        progress(files.count, files.count, "")
    }

    /// Sends progress; failures are ignored (progress is informational).
    func postProgress(_ marker: ProgressMarker) async {
        guard let body = try? ReportWriter.encoder(pretty: false).encode(marker),
              var request = try? makeRequest(path: "progress", method: "POST", timeout: 10) else {
            return
        }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        _ = try? await session.data(for: request)
    }

    /// Posts the report; returns the host's answer (`{"stored": n, "duplicates": m}`).
    ///
    /// A post that does not get through is retried with backoff (`retry`); the host stores a
    /// report posted twice once, so a retry after a lost answer is harmless. With an `outbox`
    /// the report is kept there until the host acknowledged it.
    func postReport(
        _ report: Report, to reportURL: URL?, retry: RetryPolicy = RetryPolicy(), outbox: ReportOutbox? = nil
    ) async throws -> String {
        let body = try ReportWriter.encoder(pretty: false).encode(report)
        let kept = try outbox?.put(body, planId: report.planId)
        let answer = try await postReportBody(body, to: reportURL, retry: retry)
        if let kept {
            outbox?.acknowledged(kept)
        }
        return answer
    }

    /// Sends every report an earlier session left in `outbox`; returns how many the host acknowledged.
    /// A report the host refuses stays in the outbox (and the error is thrown).
    @discardableResult
    func sendPending(_ outbox: ReportOutbox, to reportURL: URL?, retry: RetryPolicy = RetryPolicy()) async throws -> Int {
        var sent = 0
        for url in outbox.pending() {
            let body = try Data(contentsOf: url)
            _ = try await postReportBody(body, to: reportURL, retry: retry)
            outbox.acknowledged(url)
            sent += 1
        }
        return sent
    }

    private func postReportBody(_ body: Data, to reportURL: URL?, retry: RetryPolicy) async throws -> String {
        var request: URLRequest
        if let reportURL {
            request = URLRequest(url: reportURL, timeoutInterval: 120)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        } else {
            request = try makeRequest(path: "report", method: "POST", timeout: 120)
        }
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        var attempt = 1
        while true {
            do {
                let (data, response) = try await session.data(for: request)
                try check(response, body: data, what: "POST /report")
                return String(decoding: data, as: UTF8.self)
            } catch where RetryPolicy.isRetryable(error) && attempt < retry.attempts {
                try await Task.sleep(for: retry.pause(after: attempt))
                attempt += 1
            } catch where RetryPolicy.isRetryable(error) {
                throw NetworkError(
                    description: "POST /report did not get through after \(attempt) attempts (\(BenchmarkRunner.describe(error))); the report is kept and sent again on the next start",
                    status: (error as? NetworkError)?.status
                )
            }
        }
    }

    // MARK: - Plumbing

    private func get(_ path: String, timeout: TimeInterval) async throws -> Data {
        let request = try makeRequest(path: path, method: "GET", timeout: timeout)
        let (data, response) = try await session.data(for: request)
        try check(response, body: data, what: "GET /\(path)")
        return data
    }

    func makeRequest(path: String, method: String, timeout: TimeInterval) throws -> URLRequest {
        let encoded = path.split(separator: "/").map { component in
            String(component).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String(component)
        }.joined(separator: "/")
        guard let url = URL(string: encoded, relativeTo: serverRoot)?.absoluteURL else {
            throw NetworkError(description: "cannot build a URL for \(path) on \(server)")
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        return request
    }

    /// The server URL with a trailing slash, so relative paths resolve below it.
    private var serverRoot: URL {
        server.absoluteString.hasSuffix("/") ? server : URL(string: server.absoluteString + "/") ?? server
    }

    private func check(_ response: URLResponse, body: Data?, what: String) throws {
        guard let http = response as? HTTPURLResponse else {
            throw NetworkError(description: "\(what): not an HTTP response")
        }
        guard (200..<300).contains(http.statusCode) else {
            let text = body.map { String(decoding: $0.prefix(500), as: UTF8.self) } ?? ""
            let hint: String
            switch http.statusCode {
            case 401:
                hint = "; the token is wrong or missing, copy it again from `mobench ios serve`"
            case 413:
                hint = "; the report is larger than the server accepts"
            case 422:
                hint = "; the host rejected the report (schema or plan_id), see the host's console"
            default:
                hint = ""
            }
            throw NetworkError(description: "\(what) failed with HTTP \(http.statusCode) \(text)\(hint)", status: http.statusCode)
        }
    }
}
