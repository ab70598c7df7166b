import AsyncIO
import HTTP1
import JSON
import Testing
import Translation

@testable import ChutesProxy

private let hello: JSONValue = ["model": "deepseek-ai/DeepSeek-V3", "max_tokens": 100, "messages": [["role": "user", "content": "Hi"]]]

/// `req_` and 24 base-62 characters, as Anthropic's ids look.
private func isRequestID(_ value: String?) -> Bool {
    guard let value, value.hasPrefix("req_") else { return false }
    let rest = value.dropFirst(4)
    return rest.count == 24 && rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
}

@Suite struct RequestIDTests {
    @Test func identifiersHaveTheShapeAndDoNotRepeat() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = RequestID.make()
            #expect(isRequestID(id))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
        // Every character of the alphabet turns up at every position.
        let ids = (0..<5_000).map { _ in Array(RequestID.make().utf8.dropFirst(4)) }
        for position in 0..<24 {
            #expect(Set(ids.map { $0[position] }).count == 62, "position \(position)")
        }
    }

    @Test func everyResponseCarriesARequestIDAndErrorBodiesRepeatIt() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            if request.body.contains(UInt8(ascii: "!")) { return ScriptedUpstream.json(["error": ["message": "no capacity"]], status: 503) }
            return ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                var ids: [String] = []

                for path in ["/health", "/"] {
                    let health = try await proxy.send("GET", path)
                    #expect(health.status == 200)
                    #expect(isRequestID(health.headers["request-id"]))
                    ids.append(health.headers["request-id"] ?? "")
                }

                let ok = try await proxy.post("/v1/messages", hello)
                #expect(ok.status == 200)
                #expect(isRequestID(ok.headers["request-id"]))
                ids.append(ok.headers["request-id"] ?? "")

                var failing = hello.objectValue!
                failing["messages"] = [["role": "user", "content": "Hi!"]]
                let errors = [
                    try await proxy.send("GET", "/nope"),
                    try await proxy.send("PUT", "/v1/messages"),
                    try await proxy.send("POST", "/v1/messages", body: Array("{not json".utf8)),
                    try await proxy.post("/v1/messages", .object(failing)),
                ]
                for error in errors {
                    let body = try JSONValue(parsing: error.body)
                    #expect(error.status.isClientError || error.status.isServerError)
                    #expect(body["type"]?.stringValue == "error")
                    #expect(body["error"]?["type"]?.stringValue != nil)
                    #expect(isRequestID(error.headers["request-id"]))
                    #expect(body["request_id"]?.stringValue == error.headers["request-id"])
                    ids.append(error.headers["request-id"] ?? "")
                }
                #expect(Set(ids).count == ids.count)
            }
        }
    }

    @Test func streamsCarryTheHeaderAndAnErrorEventRepeatsIt() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return ScriptedUpstream.stream([chunk(["role": "assistant", "content": "Hel"]), ["error": ["message": "engine died"]]], done: false)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                var request = hello.objectValue!
                request["stream"] = true
                let response = try await proxy.post("/v1/messages", .object(request))
                #expect(response.status == 200)
                let id = try #require(response.headers["request-id"])
                #expect(isRequestID(id))
                let events = try RunningProxy.events(response.body)
                let error = try #require(events.last)
                #expect(error.type == "error")
                #expect(error.payload["request_id"]?.stringValue == id)
                #expect(error.payload["error"]?["message"]?.stringValue?.contains("engine died") == true)
            }
        }
    }

    @Test func requestsRefusedBeforeRoutingGetAnIDToo() async throws {
        try await withRunningProxy(configuration: ProxyConfiguration()) { running in
            let response = try await exchange("NOT HTTP\r\n\r\n", port: running.proxy.port)
            #expect(response.status == 400)
            #expect(isRequestID(response.headers["request-id"]))
            #expect(response.body?["request_id"]?.stringValue == response.headers["request-id"])
        }
    }
}
