import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

private let schema: JSONValue = [
    "type": "object", "properties": ["city": ["type": "string"], "population": ["type": "integer"]], "required": ["city", "population"], "additionalProperties": false,
]

private func structuredRequest(stream: Bool) -> JSONValue {
    [
        "model": "m", "max_tokens": 100, "stream": JSONValue(stream), "messages": [["role": "user", "content": "Largest city?"]],
        "output_config": ["format": ["type": "json_schema", "schema": schema]],
    ]
}

/// vLLM's answer to a `response_format` its engine cannot serve.
private let refusal = ScriptedUpstream.json(
    ["object": "error", "message": "response_format json_schema is not supported by this model", "type": "BadRequestError", "code": 400], status: .badRequest)

/// The text of an answer, whole or streamed.
private func answerText(_ response: (status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]), stream: Bool) throws -> String {
    if !stream { return try JSONValue(parsing: response.body)["content"]?[0]?["text"]?.stringValue ?? "" }
    let checker = AnthropicStreamChecker(try RunningProxy.events(response.body))
    #expect(checker.problems.isEmpty)
    return checker.content.compactMap { $0["text"]?.stringValue }.joined()
}

@Suite struct StructuredOutputEndToEndTests {
    @Test(arguments: [false, true])
    func theSchemaGoesUpstreamAsResponseFormat(stream: Bool) async throws {
        let json = #"{"city":"Tokyo","population":37000000}"#
        try await withScriptedUpstream { _, _ in
            stream
                ? ScriptedUpstream.stream([chunk(["content": JSONValue(json)]), chunk([:], finish: "stop")])
                : ScriptedUpstream.completion(["role": "assistant", "content": JSONValue(json)])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", structuredRequest(stream: stream))
                #expect(response.status == 200)
                #expect(try answerText(response, stream: stream) == json)
                let sent = try #require(upstream.completionRequests.first?.body)
                #expect(sent["response_format"]?["json_schema"]?["schema"] == schema)
                #expect(sent["response_format"]?["json_schema"]?["strict"] == true)
            }
        }
    }

    @Test(arguments: [false, true])
    func aRefusedResponseFormatIsRetriedOnceWithTheSchemaInTheSystemMessage(stream: Bool) async throws {
        let completions = Counter()
        try await withScriptedUpstream { request, _ in
            guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(["object": "list", "data": []]) }
            return completions.increment() == 1
                ? refusal
                : ScriptedUpstream.completion(["role": "assistant", "content": "```json\n{\"city\": \"Tokyo\", \"population\": 37000000}\n```"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", structuredRequest(stream: stream))
                #expect(response.status == 200)
                // The fence is gone: what the client gets parses as the schema's JSON.
                #expect(try answerText(response, stream: stream) == #"{"city": "Tokyo", "population": 37000000}"#)
                let sent = upstream.completionRequests.compactMap(\.body)
                try #require(sent.count == 2)
                #expect(sent[1]["response_format"] == nil)
                #expect(sent[1]["stream"] == nil)  // asked whole, to be checked before it is sent
                #expect(sent[1]["messages"]?[0]?["role"]?.stringValue == "system")
                #expect(sent[1]["messages"]?[0]?["content"]?.stringValue?.contains(schema.jsonText) == true)
            }
        }
    }

    @Test(arguments: [false, true])
    func anAnswerThatMissesTheSchemaAfterTheRetryIsAClearError(stream: Bool) async throws {
        let completions = Counter()
        try await withScriptedUpstream { request, _ in
            guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(["object": "list", "data": []]) }
            return completions.increment() == 1 ? refusal : ScriptedUpstream.completion(["role": "assistant", "content": #"{"city": "Tokyo"}"#])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", structuredRequest(stream: stream))
                #expect(response.status == 502)
                let message = try #require(try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue)
                #expect(message.contains("response_format"))
                #expect(message.contains("required property \"population\""))
                #expect(upstream.completionRequests.count == 2)
            }
        }
    }

    @Test func aBadRequestAboutSomethingElseIsNotRetried() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(["object": "error", "message": "temperature must be at most 2", "type": "BadRequestError", "code": 400], status: .badRequest)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", structuredRequest(stream: false))
                #expect(response.status == 400)
                #expect(upstream.completionRequests.count == 1)
            }
        }
    }
}
