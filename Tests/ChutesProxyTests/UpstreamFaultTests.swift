import Foundation
import HTTP1
import JSON
import TestSupport
import Testing

@testable import ChutesProxy

/// The upstream failing at every phase of an exchange, streaming and not: the client always
/// gets Anthropic's error envelope (a status, or an `error` event in a started stream) within
/// the configured timeout, its message never names the upstream's address, and the proxy
/// keeps no connection to the faulty upstream.
///
/// Cost: about 6 s in all (the cases run in parallel; the trickle and silence ones wait out
/// a 1 s timeout, the 100 MB ones stop at the proxy's limits: 32 MiB for a whole answer,
/// 16 MiB for one stream event).
@Suite struct UpstreamFaultTests {
    static let request: JSONValue = ["model": "m", "max_tokens": 100, "messages": [["role": "user", "content": "Hi"]]]
    /// Short timeouts keep the slow faults fast; no retries, no model-list fetch.
    static let environment = [
        "AUTO_FIX_MODEL_CASE": "0", "PROXY_BACKOFF_ON_429": "0",
        "UPSTREAM_CONNECT_TIMEOUT": "1", "UPSTREAM_TIMEOUT": "1", "UPSTREAM_STREAM_IDLE_TIMEOUT": "1",
    ]

    /// What the client is told: a status with an error body, or a 200 stream ending in an error event.
    struct Outcome: CustomStringConvertible {
        var status: HTTPStatus
        var errorType: String?
        var streamedError: Bool
        /// The error's message, when there is an error.
        var message: String?
        var description: String { "\(status) \(errorType ?? "no error type")\(streamedError ? " (error event)" : ""): \(message ?? "-")" }
    }

    static func ask(port: Int, streaming: Bool) async throws -> (Outcome, Duration) {
        var request = Self.request.objectValue!
        if streaming { request["stream"] = true }
        let (response, elapsed) = try await withRunningProxy(baseURL: "http://127.0.0.1:\(port)", environment: environment) { proxy in
            let clock = ContinuousClock()
            let started = clock.now
            let response = try await proxy.post("/v1/messages", .object(request))
            return (response, clock.now - started)
        }
        if response.status == 200 && streaming {
            let events = try RunningProxy.events(response.body)
            let checker = AnthropicStreamChecker(events)
            #expect(checker.problems == [], "\(checker.problems)")
            let error = checker.errorEvent?["error"]?["type"]?.stringValue
            return (Outcome(status: 200, errorType: error, streamedError: error != nil, message: checker.errorEvent?["error"]?["message"]?.stringValue), elapsed)
        }
        let body = try JSONValue(parsing: response.body)
        #expect(body["type"]?.stringValue == "error")
        #expect(body["error"]?["message"]?.stringValue?.isEmpty == false)
        return (Outcome(status: response.status, errorType: body["error"]?["type"]?.stringValue, streamedError: false, message: body["error"]?["message"]?.stringValue), elapsed)
    }

    /// Polls (bounded) for the proxy's connections to `port` to be gone: closing is asynchronous.
    static func connectionsLeft(toPort port: Int) async -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while openConnections(toPort: port) > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return openConnections(toPort: port)
    }

    /// What the client is told for each fault, as docs/testing.md's "Upstream faults" table states
    /// it: a status and error type, or (`status` 200) a started stream ending in an `error`
    /// event of that type.
    static func expected(_ fault: FaultyUpstream.Fault, streaming: Bool) -> (status: HTTPStatus, errorType: String) {
        switch fault {
        case .trickle, .silence: (504, "timeout_error")
        case .resetAfterHead, .truncatedJSON, .hundredMegabyteBody: (streaming ? 200 : 502, "api_error")
        case .resetBeforeHead, .resetMidChunk, .htmlBadGateway, .megabyteHead: (502, "api_error")
        }
    }

    static let cases: [(FaultyUpstream.Fault, Bool)] = FaultyUpstream.Fault.allCases
        .filter { ProcessInfo.processInfo.environment["FAULT_CASE"].map($0.rawValue.hasPrefix) ?? true }
        .flatMap { [($0, false), ($0, true)] }

    @Test(arguments: cases)
    func aFaultIsAnsweredInTheEnvelopeInTime(fault: FaultyUpstream.Fault, streaming: Bool) async throws {
        let upstream = try FaultyUpstream(fault, streaming: streaming)
        defer { upstream.stop() }
        let (outcome, elapsed) = try await Self.ask(port: upstream.port, streaming: streaming)
        // An error, never a success: the status docs/testing.md states, or a started stream
        // ending in an error event.
        let expected = Self.expected(fault, streaming: streaming)
        #expect(outcome.status == expected.status, "\(fault) streaming \(streaming): \(outcome)")
        #expect(outcome.streamedError == (expected.status == 200), "\(fault) streaming \(streaming): \(outcome)")
        #expect(outcome.errorType == expected.errorType, "\(fault) streaming \(streaming): \(outcome)")
        // "the upstream" to the client; the address is for the log.
        #expect(outcome.message?.contains("127.0.0.1") == false, "\(fault) streaming \(streaming): \(outcome)")
        // The configured timeouts are 1 s; the bound is loose for a loaded machine, yet far
        // below the 300-600 s defaults a fault that escaped its timeout would wait for.
        #expect(elapsed < .seconds(fault == .hundredMegabyteBody ? 20 : 10), "\(fault) streaming \(streaming) took \(elapsed)")
        #expect(await Self.connectionsLeft(toPort: upstream.port) == 0, "\(fault) streaming \(streaming)")
        print("fault \(fault) streaming \(streaming): \(outcome) in \(elapsed)")
    }

    @Test(arguments: [false, true])
    func aRefusedConnectionIs502(streaming: Bool) async throws {
        // Port 1 (tcpmux) has no listener here.
        let (outcome, elapsed) = try await Self.ask(port: 1, streaming: streaming)
        #expect(outcome.status == 502 && outcome.errorType == "api_error", "\(outcome)")
        #expect(outcome.message?.contains("127.0.0.1") == false, "\(outcome)")
        #expect(elapsed < .seconds(10))
        print("fault refused streaming \(streaming): \(outcome) in \(elapsed)")
    }
}
