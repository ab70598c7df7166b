import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

private func compactingRequest(stream: Bool, pause: Bool = false, trigger: Int = 50) -> JSONValue {
    var body = agentConversation(turns: 3).objectValue!
    body["stream"] = JSONValue(stream)
    body["system"] = "You are terse."
    body["tools"] = [["name": "read", "input_schema": ["type": "object"]], ["name": "grep", "input_schema": ["type": "object"]]]
    body["context_management"] = ["edits": [["type": "compact_20260112", "trigger": ["type": "input_tokens", "value": JSONValue(trigger)], "pause_after_compaction": JSONValue(pause)]]]
    return .object(body)
}

/// A summary for the first completion request, the turn's answer for the second.
private func summaryThenAnswer(stream: Bool) -> ScriptedUpstream.Script {
    let completions = Counter()
    return { request, _ in
        guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(["object": "list", "data": []]) }
        if completions.increment() == 1 {
            return ScriptedUpstream.completion(
                ["role": "assistant", "content": "<summary>Read three files; next: report.</summary>"], usage: ["prompt_tokens": 900, "completion_tokens": 20])
        }
        return stream
            ? ScriptedUpstream.stream([chunk(["content": "Report."]), chunk([:], finish: "stop")])
            : ScriptedUpstream.completion(["role": "assistant", "content": "Report."], usage: ["prompt_tokens": 40, "completion_tokens": 2])
    }
}

/// The message a client ends up with, whole or accumulated from the stream.
private func finalMessage(_ response: (status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]), stream: Bool) throws -> JSONValue {
    guard stream else { return try JSONValue(parsing: response.body) }
    let checker = AnthropicStreamChecker(try RunningProxy.events(response.body))
    #expect(checker.problems.isEmpty, "\(checker.problems)")
    return checker.finalMessage
}

@Suite struct CompactionEndToEndTests {
    @Test(arguments: [false, true])
    func pastTheTriggerTheAnswerOpensWithTheCompactionBlockAndTheTurnGoesOnFromTheSummary(stream: Bool) async throws {
        try await withScriptedUpstream(summaryThenAnswer(stream: stream)) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", compactingRequest(stream: stream))
                #expect(response.status == 200)
                let message = try finalMessage(response, stream: stream)
                let content = try #require(message["content"]?.arrayValue)
                #expect(content.first == ["type": "compaction", "content": "Read three files; next: report."])
                #expect(content.last?["text"] == "Report.")
                #expect(message["stop_reason"] == "end_turn")
                let iterations = try #require(message["usage"]?["iterations"]?.arrayValue)
                #expect(iterations.map { $0["type"]?.stringValue } == ["compaction", "message"])
                #expect(iterations[0]["input_tokens"]?.intValue == 900)
                #expect(iterations[0]["output_tokens"]?.intValue == 20)
                #expect(message["context_management"] == ["applied_edits": []])

                let sent = upstream.completionRequests.compactMap(\.body)
                try #require(sent.count == 2)
                // The summary request: the whole conversation, the instructions last, no tools, not streamed.
                #expect(sent[0]["tools"] == nil)
                #expect(sent[0]["stream"] == nil)
                #expect(sent[0]["messages"]?.arrayValue?.last?["content"]?.arrayValue?.last?["text"]?.stringValue == Compaction.defaultInstructions)
                #expect(sent[0]["messages"]?.arrayValue?.last?["content"]?.arrayValue?.first?["text"] == "next")
                // The turn: the system prompt and the summary, nothing of the history.
                #expect(
                    sent[1]["messages"] == [
                        ["role": "system", "content": "You are terse."],
                        ["role": "user", "content": JSONValue(Compaction.summaryPreamble + "Read three files; next: report.")],
                    ])
                #expect(sent[1]["tools"]?.arrayValue?.count == 2)
            }
        }
    }

    @Test(arguments: [false, true])
    func pauseAfterCompactionAnswersWithTheBlockAloneAndStopReasonCompaction(stream: Bool) async throws {
        try await withScriptedUpstream(summaryThenAnswer(stream: stream)) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let message = try finalMessage(try await proxy.post("/v1/messages", compactingRequest(stream: stream, pause: true)), stream: stream)
                #expect(message["content"] == [["type": "compaction", "content": "Read three files; next: report."]])
                #expect(message["stop_reason"] == "compaction")
                #expect(message["usage"]?["iterations"]?.arrayValue?.map { $0["type"]?.stringValue } == ["compaction"])
                #expect(upstream.completionRequests.count == 1)
            }
        }
    }

    @Test func belowTheTriggerNothingIsSummarized() async throws {
        try await withScriptedUpstream(summaryThenAnswer(stream: false)) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let message = try JSONValue(parsing: try await proxy.post("/v1/messages", compactingRequest(stream: false, trigger: 1_000_000)).body)
                #expect(message["content"]?[0]?["type"] == "text")
                #expect(message["usage"]?["iterations"] == nil)
                #expect(upstream.completionRequests.count == 1)
            }
        }
    }

    @Test func compactionModelWritesTheSummary() async throws {
        try await withScriptedUpstream(summaryThenAnswer(stream: false)) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "COMPACTION_MODEL": "small/summarizer"]) { proxy in
                _ = try await proxy.post("/v1/messages", compactingRequest(stream: false))
                #expect(upstream.completionRequests.compactMap { $0.body?["model"]?.stringValue } == ["small/summarizer", "m"])
            }
        }
    }

    @Test func theBlockSentBackInALaterTurnStandsForTheHistory() async throws {
        try await withScriptedUpstream(summaryThenAnswer(stream: false)) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let first = compactingRequest(stream: false)
                let message = try JSONValue(parsing: try await proxy.post("/v1/messages", first).body)
                var later = first.objectValue!
                later["messages"] = .array((first["messages"]?.arrayValue ?? []) + [["role": "assistant", "content": message["content"]!], ["role": "user", "content": "thanks"]])
                later["context_management"] = nil
                _ = try await proxy.post("/v1/messages", .object(later))
                let sent = try #require(upstream.completionRequests.last?.body?["messages"])
                #expect(
                    sent == [
                        ["role": "system", "content": "You are terse."],
                        ["role": "user", "content": JSONValue(Compaction.summaryPreamble + "Read three files; next: report.")],
                        ["role": "assistant", "content": "Report."],
                        ["role": "user", "content": "thanks"],
                    ])
            }
        }
    }
}
