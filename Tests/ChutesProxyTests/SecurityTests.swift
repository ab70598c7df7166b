import AsyncIO
import HTTP1
import JSON
import Logging
import TestSupport
import Testing

@testable import ChutesProxy

/// What a client controls cannot redirect the upstream request, reach it as headers, or
/// forge log lines; what the upstream says cannot leak the key.
@Suite struct SecurityTests {
    private let message: JSONValue = ["model": "m", "max_tokens": 5, "messages": [["role": "user", "content": "x"]]]

    @Test func theHostHeaderAndAnAbsoluteTargetCannotRedirectTheUpstreamRequest() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let body = String(decoding: message.serialized(), as: UTF8.self)
                let request = { (target: String) in
                    "POST \(target) HTTP/1.1\r\nHost: evil.example:666\r\nX-Forwarded-Host: evil.example\r\nCookie: session=1\r\n"
                        + "X-Api-Key: sk-client-key-123\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                }
                let viaHost = try await proxy.sendRaw(request("/v1/messages"))
                #expect(viaHost.hasPrefix("HTTP/1.1 200"))
                let absolute = try await proxy.sendRaw(request("http://evil.example:666/v1/messages"))
                // RFC 9112 section 3.2.2: the absolute-form is accepted and routed by its path;
                // its authority, like the Host field, never reaches the upstream.
                #expect(absolute.hasPrefix("HTTP/1.1 200"), "an absolute-form target is routed by its path")
                let traversal = try await proxy.sendRaw(request("/v1/messages/../../v1/chat/completions"))
                #expect(traversal.hasPrefix("HTTP/1.1 404"))

                // Exactly two completions reached the upstream (besides any model-list fetch), at its
                // configured address and fixed paths, with only the headers the proxy sets itself.
                let received = upstream.received
                #expect(upstream.completionRequests.count == 2)
                #expect(received.allSatisfy { ["/v1/chat/completions", "/v1/models"].contains($0.path) })
                let port = String(upstream.baseURL.split(separator: ":").last!)
                for request in received {
                    #expect(request.headers["Host"] == "localhost:\(port)")
                    #expect(request.headers["Cookie"] == nil && request.headers["X-Forwarded-Host"] == nil && request.headers["X-Api-Key"] == nil)
                    #expect(Set(request.headers.map { $0.name.lowercased() }).isSubset(of: ["host", "accept", "content-type", "authorization", "content-length"]))
                }
                #expect(upstream.completionRequests.first?.headers["Authorization"] == "Bearer sk-client-key-123")
            }
        }
    }

    @Test func aModelNameCannotForgeALogLine() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            let lines = LogLines()
            let logger = Logger(label: "test") { _ in RecordingLogHandler(lines: lines) }
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "DEBUG_PROXY": "1"], logger: logger) { proxy in
                let model = "m\nPOST /v1/messages model admin -> forged upstream 200\r\u{2028}x"
                let request: JSONValue = ["model": JSONValue(model), "max_tokens": 5, "messages": [["role": "user", "content": "x"]]]
                let response = try await proxy.post("/v1/messages", request)
                #expect(response.status == 200)
                // Every line (the debug line and the access log's) stays one line.
                let logged = lines.all
                #expect(!logged.isEmpty)
                #expect(logged.allSatisfy { !$0.contains("\n") && !$0.contains("\r") && !$0.contains("\u{2028}") })
                #expect(logged.contains { $0.contains("m\\u{a}POST") })
                // The upstream gets the name as JSON text, escaped by the JSON writer.
                #expect(upstream.completionRequests.first?.body?["model"]?.stringValue == model)
            }
        }
    }

    @Test func aNonJSONAnswerEchoingTheKeyIsScrubbed() async throws {
        try await withScriptedUpstream { request, _ in
            HTTPResponse(status: 200, contentType: "text/html", body: Array("<html>your key \(request.headers["Authorization"] ?? "") is fine</html>".utf8))
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", message, headers: ["x-api-key": "sk-secret-client-key-999"])
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == 502)
                #expect(!text.contains("sk-secret-client-key-999"))
                #expect(text.contains("[redacted]"))
            }
        }
    }

    @Test(arguments: [
        "This model's maximum context length is 9223372036854775807 tokens. However, you requested 9223372036854775807 tokens",
        "maximum context length is 99999999999999999999999 tokens",
        "prompt is too long: context length is 0, requested 0",
    ])
    func contextLengthNumbersOfAnySizeGiveAnError(upstreamMessage: String) {
        let error = UpstreamErrors.contextLengthError(upstreamMessage, status: 400, estimatedPromptTokens: 10)
        #expect(error?.status == 400)
        #expect(error?.message.hasPrefix("prompt is too long") == true)
    }

    /// Issue 21, item 10: the quick start listened on 0.0.0.0 with the operator's key and no
    /// inbound keys, warned of only in the README. The default is loopback now, and start-up
    /// warns whenever the proxy listens beyond it with a key anyone may spend.
    @Test func listeningBeyondLoopbackWithAKeyAnyoneMaySpendIsWarnedOf() async throws {
        #expect(try ProxyConfiguration(environment: [:]).host == "127.0.0.1")
        func warnings(_ environment: [String: String]) async throws -> [String] {
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            let configuration = try ProxyConfiguration(environment: environment.merging(["PORT": "0", "CHUTES_BASE_URL": "http://127.0.0.1:9"]) { $1 })
            // Bound for a moment and closed at once: nothing connects to it.
            let proxy = try ProxyServer(configuration: configuration, logger: logger)
            proxy.shutdown()
            await proxy.run()
            return captured.all.compactMap { try? JSONValue(parsing: Array($0.utf8)) }.filter { $0["level"] == "warning" }.compactMap { $0["message"]?.stringValue }
        }
        let open = try await warnings(["HOST": "0.0.0.0", "CHUTES_API_KEY": "cpk_operator_key"])
        #expect(open.count == 1)
        #expect(open.first?.contains("0.0.0.0:") == true && open.first?.contains("PROXY_API_KEYS") == true, "\(open)")
        #expect(open.first?.contains("cpk_operator_key") == false)
        #expect(try await warnings(["HOST": "::", "CHUTES_API_KEY": "cpk_operator_key", "CHUTES_AUTH_STYLE": "env"]).count == 1)
        // Nobody else can reach it, nothing of the operator's to spend, or a key is asked for.
        #expect(try await warnings(["CHUTES_API_KEY": "cpk_operator_key"]).isEmpty)
        #expect(try await warnings(["HOST": "127.0.0.2", "CHUTES_API_KEY": "cpk_operator_key"]).isEmpty)
        #expect(try await warnings(["HOST": "::1", "CHUTES_API_KEY": "cpk_operator_key"]).isEmpty)
        #expect(try await warnings(["HOST": "0.0.0.0"]).isEmpty)
        #expect(try await warnings(["HOST": "0.0.0.0", "CHUTES_API_KEY": "cpk_operator_key", "CHUTES_AUTH_STYLE": "header"]).isEmpty)
        #expect(try await warnings(["HOST": "0.0.0.0", "CHUTES_API_KEY": "cpk_operator_key", "PROXY_API_KEYS": "inbound-key-0001"]).isEmpty)
    }
}
