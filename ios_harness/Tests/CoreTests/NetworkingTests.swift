import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// Network mode against a `URLProtocol` stub that plays `mobench ios serve`:
/// the token goes with every request, files are checked, and the 4xx answers
/// become clear errors.
final class NetworkingTests: XCTestCase {
    static let token = "--stub-token-0123456789abcdef"   // begins with "--", as some real tokens do
    static let server = URL(string: "http://127.0.0.1:8765")!

    override func tearDown() {
        StubServer.shared.reset()
        super.tearDown()
    }

    private func urlSession() -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.protocolClasses = [StubProtocol.self]
        return URLSession(configuration: configuration)
    }

    /// Serves the fixture plan and model the way the host does.
    private func serveFixture() throws -> (plan: Data, model: URL) {
        let fixtures = try XCTUnwrap(TestResources.folder("Fixtures"))
        var plan = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("plan.json"))) as? [String: Any])
        plan["runs"] = (plan["runs"] as? [[String: Any]])?.filter { ($0["file"] as? String) == "tiny_cnn.mlpackage" }
        plan["report_url"] = "http://127.0.0.1:8765/report"
        let planData = try JSONSerialization.data(withJSONObject: plan)
        let model = fixtures.appendingPathComponent("tiny_cnn.mlpackage")
        var files: [[String: Any]] = []
        for relative in try ModelHasher.regularFiles(under: model) {
            let data = try Data(contentsOf: model.appendingPathComponent(relative))
            let path = "tiny_cnn.mlpackage/" + relative
            files.append(["path": path, "size": data.count, "sha256": ModelHasher.sha256(of: data)])
            StubServer.shared.route("GET", "/files/" + path, status: 200, body: data)
        }
        StubServer.shared.route("GET", "/plan.json", status: 200, body: planData)
        StubServer.shared.route("GET", "/files", status: 200, body: try JSONSerialization.data(withJSONObject: ["files": files]))
        StubServer.shared.route("POST", "/progress", status: 204, body: Data())
        StubServer.shared.route("POST", "/report", status: 200, body: Data(#"{"stored": 1, "duplicates": 0}"#.utf8))
        return (planData, model)
    }

    func testNetworkModeFetchesRunsAndPostsWithTheTokenOnEveryRequest() async throws {
        _ = try serveFixture()
        let documents = try TestResources.temporaryDirectory(for: self)
        let options = try LaunchOptions.parse(["--server", Self.server.absoluteString, "--token", Self.token, "--autostart"])
        let session = HarnessSession(
            documents: documents, options: options,
            engine: KnownCostEngine(costs: KnownCostEngine.Costs(predictMs: 0.1, compileMs: 0, coldLoadMs: 0, warmLoadMs: 0))
        )
        session.urlSession = urlSession()
        session.echoRunLines = false
        session.probe = ScriptedProbe()
        let finished = await session.start { _ in }
        let report = try XCTUnwrap(finished)
        XCTAssertEqual(report.runs.map(\.status), [.ok, .ok])
        XCTAssertEqual(report.runs.map(\.sha256Verified), [true, true])   // downloaded files hash as on the host

        let requests = StubServer.shared.requests
        XCTAssertFalse(requests.isEmpty)
        for request in requests {
            XCTAssertEqual(request.authorization, "Bearer \(Self.token)", "\(request.method) \(request.path)")
        }
        let paths = requests.map { "\($0.method) \($0.path)" }
        XCTAssertEqual(paths.first, "GET /plan.json")
        XCTAssertEqual(paths.last, "POST /report")
        XCTAssertTrue(paths.contains("POST /progress"))
        let posted = try XCTUnwrap(requests.last?.body)
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: posted).planId, report.planId)
        XCTAssertTrue(FileManager.default.fileExists(atPath: documents.appendingPathComponent("plan.json").path))
    }

    func testASessionKeepsAReportTheHostDidNotAcknowledgeAndSendsItOnTheNextStart() async throws {
        _ = try serveFixture()
        StubServer.shared.route("POST", "/report", status: 503, body: Data(#"{"error": "busy"}"#.utf8))
        let documents = try TestResources.temporaryDirectory(for: self)
        let options = try LaunchOptions.parse(["--server", Self.server.absoluteString, "--token", Self.token, "--autostart"])
        func makeSession() -> HarnessSession {
            let session = HarnessSession(
                documents: documents, options: options,
                engine: KnownCostEngine(costs: KnownCostEngine.Costs(predictMs: 0.1, compileMs: 0, coldLoadMs: 0, warmLoadMs: 0))
            )
            session.urlSession = urlSession()
            session.echoRunLines = false
            session.probe = ScriptedProbe()
            session.retry = Self.quickRetry
            return session
        }
        let first = makeSession()
        let failed = await first.start { _ in }
        XCTAssertNil(failed)   // the host never acknowledged it
        let kept = first.outbox.pending()
        XCTAssertEqual(kept.count, 1)
        let keptBody = try Data(contentsOf: kept[0])
        let firstPosts = StubServer.shared.requests.filter { $0.method == "POST" && $0.path == "/report" }
        XCTAssertEqual(firstPosts.count, Self.quickRetry.attempts)
        XCTAssertEqual(Set(firstPosts.compactMap(\.body)), [keptBody])   // what was posted is what is kept

        StubServer.shared.reset()
        _ = try serveFixture()   // the host answers again
        let statuses = StatusLog()
        let second = makeSession()
        let finished = await second.start { event in
            if case .status(let text) = event { statuses.add(text) }
        }
        let report = try XCTUnwrap(finished)
        let posts = StubServer.shared.requests.filter { $0.method == "POST" && $0.path == "/report" }.compactMap(\.body)
        XCTAssertEqual(posts.count, 2)
        XCTAssertEqual(posts.first, keptBody)   // the kept report first, as it was
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: posts[1]).planId, report.planId)
        XCTAssertNotEqual(posts[0], posts[1])
        XCTAssertEqual(second.outbox.pending(), [])   // both acknowledged
        XCTAssertTrue(statuses.all.contains("Sent 1 report(s) kept from an earlier session"), "\(statuses.all)")
    }

    func testAWrongTokenIsAClearError() async throws {
        StubServer.shared.route("GET", "/plan.json", status: 401, body: Data(#"{"error": "unauthorized"}"#.utf8))
        let connection = HostConnection(server: Self.server, token: Self.token, session: urlSession())
        do {
            _ = try await connection.fetchPlan(attempts: 1)
            XCTFail("a 401 must throw")
        } catch {
            let message = BenchmarkRunner.describe(error)
            XCTAssertTrue(message.contains("HTTP 401"), message)
            XCTAssertTrue(message.contains("the token is wrong or missing"), message)
        }
    }

    func testARejectedReportIsAnError() async throws {
        StubServer.shared.route("POST", "/report", status: 422, body: Data(#"{"error": "schema"}"#.utf8))
        let connection = HostConnection(server: Self.server, token: Self.token, session: urlSession())
        let report = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        do {
            _ = try await connection.postReport(report, to: nil)
            XCTFail("a 422 must throw")
        } catch {
            let message = BenchmarkRunner.describe(error)
            XCTAssertTrue(message.contains("HTTP 422"), message)
            XCTAssertTrue(message.contains("the host rejected the report"), message)
        }
        StubServer.shared.route("POST", "/report", status: 413, body: Data())
        do {
            _ = try await connection.postReport(report, to: nil)
            XCTFail("a 413 must throw")
        } catch {
            XCTAssertTrue(BenchmarkRunner.describe(error).contains("larger than the server accepts"))
        }
    }

    private static let quickRetry = HostConnection.RetryPolicy(attempts: 4, firstPause: .milliseconds(5), maxPause: .milliseconds(20))

    func testAFailedPostIsRetriedWithBackoffAndKeptUntilAcknowledged() async throws {
        let ok = Data(#"{"stored": 1, "duplicates": 0}"#.utf8)
        StubServer.shared.route("POST", "/report", status: 200, body: ok)
        StubServer.shared.queue("POST", "/report", [(StubServer.connectionLost, Data()), (503, Data(#"{"error": "busy"}"#.utf8))])
        let outbox = HostConnection.ReportOutbox(folder: try TestResources.temporaryDirectory(for: self).appendingPathComponent("outbox"))
        let connection = HostConnection(server: Self.server, token: Self.token, session: urlSession())
        let report = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        let answer = try await connection.postReport(report, to: nil, retry: Self.quickRetry, outbox: outbox)
        XCTAssertEqual(answer, String(decoding: ok, as: UTF8.self))
        let posts = StubServer.shared.requests.filter { $0.method == "POST" }
        XCTAssertEqual(posts.count, 3)   // lost, busy, stored
        XCTAssertEqual(Set(posts.compactMap(\.body)).count, 1)   // the same report each time
        XCTAssertEqual(outbox.pending(), [])   // acknowledged: no longer kept
    }

    func testARefusedReportIsNotRetriedAndStaysUntilSent() async throws {
        StubServer.shared.route("POST", "/report", status: 422, body: Data(#"{"error": "schema"}"#.utf8))
        let outbox = HostConnection.ReportOutbox(folder: try TestResources.temporaryDirectory(for: self).appendingPathComponent("outbox"))
        let connection = HostConnection(server: Self.server, token: Self.token, session: urlSession())
        let report = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        do {
            _ = try await connection.postReport(report, to: nil, retry: Self.quickRetry, outbox: outbox)
            XCTFail("a 422 must throw")
        } catch {
            XCTAssertTrue(BenchmarkRunner.describe(error).contains("HTTP 422"))
        }
        XCTAssertEqual(StubServer.shared.requests.count, 1)   // a refusal is final
        XCTAssertEqual(outbox.pending().count, 1)
        StubServer.shared.route("POST", "/report", status: 200, body: Data(#"{"stored": 1, "duplicates": 0}"#.utf8))
        let sent = try await connection.sendPending(outbox, to: nil, retry: Self.quickRetry)
        XCTAssertEqual(sent, 1)
        XCTAssertEqual(outbox.pending(), [])
        let bodies = StubServer.shared.requests.compactMap(\.body)
        XCTAssertEqual(bodies.count, 2)
        XCTAssertEqual(bodies[0], bodies[1])   // the kept report is the one first posted
    }

    func testRetriesStopAfterTheLastAttemptAndKeepTheReport() async throws {
        StubServer.shared.route("POST", "/report", status: 503, body: Data(#"{"error": "busy"}"#.utf8))
        let outbox = HostConnection.ReportOutbox(folder: try TestResources.temporaryDirectory(for: self).appendingPathComponent("outbox"))
        let connection = HostConnection(server: Self.server, token: Self.token, session: urlSession())
        let report = try JSONDecoder().decode(Report.self, from: TestResources.goldenData("report"))
        do {
            _ = try await connection.postReport(report, to: nil, retry: Self.quickRetry, outbox: outbox)
            XCTFail("a host busy every time must throw")
        } catch {
            let message = BenchmarkRunner.describe(error)
            XCTAssertTrue(message.contains("after 4 attempts"), message)
            XCTAssertTrue(message.contains("HTTP 503"), message)
        }
        XCTAssertEqual(StubServer.shared.requests.count, 4)
        XCTAssertEqual(outbox.pending().count, 1)
    }

    func testBackoffDoublesUpToItsCap() {
        let policy = HostConnection.RetryPolicy(attempts: 8, firstPause: .seconds(1), maxPause: .seconds(30))
        XCTAssertEqual((1...7).map { policy.pause(after: $0) }, [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    }

    func testAMissingOrDamagedFileStopsTheDownload() async throws {
        let documents = try TestResources.temporaryDirectory(for: self)
        let connection = HostConnection(server: Self.server, token: Self.token, session: urlSession())
        StubServer.shared.route("GET", "/files/m.mlpackage/a.bin", status: 404, body: Data(#"{"error": "no such file"}"#.utf8))
        let listed = HostConnection.RemoteFile(path: "m.mlpackage/a.bin", size: 3, sha256: String(repeating: "0", count: 64))
        do {
            try await connection.downloadFiles([listed], into: documents) { _, _, _ in }
            XCTFail("a 404 must throw")
        } catch {
            XCTAssertTrue(BenchmarkRunner.describe(error).contains("HTTP 404"), BenchmarkRunner.describe(error))
        }
        StubServer.shared.route("GET", "/files/m.mlpackage/a.bin", status: 200, body: Data("abc".utf8))
        do {
            try await connection.downloadFiles([listed], into: documents) { _, _, _ in }
            XCTFail("a wrong hash must throw")
        } catch {
            XCTAssertTrue(BenchmarkRunner.describe(error).contains("arrived damaged"), BenchmarkRunner.describe(error))
        }
        let unsafe = HostConnection.RemoteFile(path: "../escape.bin", size: 3, sha256: String(repeating: "0", count: 64))
        do {
            try await connection.downloadFiles([unsafe], into: documents) { _, _, _ in }
            XCTFail("an unsafe path must throw")
        } catch {
            XCTAssertTrue(BenchmarkRunner.describe(error).contains("unsafe path"))
        }
    }
}

/// What the stub saw of one request.
struct SeenRequest: Sendable {
    let method: String
    let path: String
    let authorization: String?
    let body: Data?
}

/// The stub's routes and the requests it saw (shared by every stub protocol instance).
final class StubServer: @unchecked Sendable {
    static let shared = StubServer()

    /// A status that makes the stub fail the request without an answer (URLError.networkConnectionLost).
    static let connectionLost = -1

    private let lock = NSLock()
    private var routes: [String: (status: Int, body: Data)] = [:]
    private var queued: [String: [(status: Int, body: Data)]] = [:]
    private var seen: [SeenRequest] = []

    func route(_ method: String, _ path: String, status: Int, body: Data) {
        lock.lock()
        defer { lock.unlock() }
        routes["\(method) \(path)"] = (status, body)
    }

    /// Answers to give, in order, before the route's own answer.
    func queue(_ method: String, _ path: String, _ answers: [(status: Int, body: Data)]) {
        lock.lock()
        defer { lock.unlock() }
        queued["\(method) \(path)", default: []] += answers
    }

    func reset() {
        lock.lock()
        defer { lock.unlock() }
        routes = [:]
        queued = [:]
        seen = []
    }

    var requests: [SeenRequest] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    func answer(_ request: SeenRequest) -> (status: Int, body: Data) {
        lock.lock()
        defer { lock.unlock() }
        seen.append(request)
        guard request.authorization == "Bearer \(NetworkingTests.token)" else {
            return (401, Data(#"{"error": "unauthorized"}"#.utf8))
        }
        let key = "\(request.method) \(request.path)"
        if var answers = queued[key], !answers.isEmpty {
            let next = answers.removeFirst()
            queued[key] = answers
            return next
        }
        return routes[key] ?? (404, Data(#"{"error": "unknown path"}"#.utf8))
    }
}

/// Answers every request from `StubServer.shared`.
final class StubProtocol: URLProtocol {
    override class func canInit(with request: URLRequest) -> Bool {
        true
    }

    override class func canonicalRequest(for request: URLRequest) -> URLRequest {
        request
    }

    override func startLoading() {
        let url = request.url ?? URL(fileURLWithPath: "/")
        let seen = SeenRequest(
            method: request.httpMethod ?? "GET",
            path: url.path.removingPercentEncoding ?? url.path,
            authorization: request.value(forHTTPHeaderField: "Authorization"),
            body: request.httpBody ?? request.httpBodyStream.map(Self.read)
        )
        let answer = StubServer.shared.answer(seen)
        if answer.status == StubServer.connectionLost {
            client?.urlProtocol(self, didFailWithError: URLError(.networkConnectionLost))
            return
        }
        let response = HTTPURLResponse(
            url: url, statusCode: answer.status, httpVersion: "HTTP/1.1",
            headerFields: ["Content-Length": "\(answer.body.count)"]
        )
        if let response {
            client?.urlProtocol(self, didReceive: response, cacheStoragePolicy: .notAllowed)
        }
        if !answer.body.isEmpty {
            client?.urlProtocol(self, didLoad: answer.body)
        }
        client?.urlProtocolDidFinishLoading(self)
    }

    override func stopLoading() {}

    private static func read(_ stream: InputStream) -> Data {
        var data = Data()
        stream.open()
        defer { stream.close() }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while stream.hasBytesAvailable {
            let count = stream.read(&buffer, maxLength: buffer.count)
            if count <= 0 {
                break
            }
            data.append(buffer, count: count)
        }
        return data
    }
}

/// The status lines a session reported (its events arrive from other threads).
final class StatusLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func add(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
