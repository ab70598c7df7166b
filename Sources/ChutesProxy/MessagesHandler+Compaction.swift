import HTTP1
import JSON
import Translation

/// Server-side compaction (`compact_20260112`), done by the proxy since no upstream does it:
/// past the trigger, the conversation is summarized by a model (`COMPACTION_MODEL`, else the
/// request's own route) and the turn is answered from the summary alone.
extension MessagesHandler {
    /// The most tokens a summary may take.
    static let maxSummaryTokens = 8192

    /// The request as it continues after compaction: its messages replaced by the summary,
    /// with the compaction block and the summary call's usage recorded for the answer. A
    /// model that gave no summary makes a block with null content (Anthropic's "compaction
    /// failed") and the request goes on whole.
    @inline(never)
    func compacted(
        _ request: MessagesRequest, compact: ContextManagement.Compact, plan: RoutePlan, attempts: inout [String], record: RequestRecord
    ) async throws(AnthropicError) -> MessagesRequest {
        var summaryRequest = request
        summaryRequest.body = Compaction.summaryRequest(for: request.body, instructions: compact.instructions, maxTokens: Self.maxSummaryTokens)
        summaryRequest.stream = false
        summaryRequest.hasTools = false
        summaryRequest.contextManagement = nil
        summaryRequest.appliedEdits = []
        let summaryPlan = configuration.compactionModel.map { RoutePlan(route: nil, candidates: [$0]) } ?? plan
        let answer: UpstreamCaller.Answer
        do throws(UpstreamFailure) {
            answer = try await caller.call(summaryRequest, plan: summaryPlan, attempts: &attempts)
        } catch {
            throw AnthropicError(status: error.error.status, type: error.error.type, message: "compaction failed: \(error.error.message)")
        }
        let parsed = try await wholeAnswer(answer)
        let text = ResponseTranslator.splitThinking(parsed["choices"]?[0]?["message"]?["content"]?.stringValue ?? "").text
        let summary = Compaction.summary(fromAnswer: text)
        var iteration = ResponseTranslator.usage(parsed["usage"]).objectValue ?? [:]
        iteration["type"] = "compaction"
        var continued = request
        let block: JSONValue = ["type": "compaction", "content": summary.isEmpty ? nil : JSONValue(summary)]
        continued.compaction = (block, .object(iteration))
        if !summary.isEmpty, case .object(var body) = request.body {
            body["messages"] = [["role": "assistant", "content": [block]]]
            continued.body = Compaction.droppingCompactedHistory(.object(body))
        }
        log(record, outcome: "compacted \(request.body["messages"]?.arrayValue?.count ?? 0) messages into \(summary.utf8.count) bytes of summary")
        return continued
    }

    /// The answer when `pause_after_compaction` is set: the compaction block alone,
    /// `stop_reason: "compaction"`, streamed or whole.
    func pausedAfterCompaction(_ request: MessagesRequest, record: RequestRecord) -> HTTPResponse {
        let block = request.compaction?.block ?? ["type": "compaction", "content": nil]
        let iterations: JSONValue = .array(request.compaction.map { [$0.iteration] } ?? [])
        let usage: JSONValue = ["input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0, "iterations": iterations]
        let management: JSONValue = ["applied_edits": .array(request.appliedEdits)]
        let id = MessageID.make()
        log(record, outcome: "paused after compaction")
        guard request.stream else {
            let message: JSONValue = [
                "id": JSONValue(id), "type": "message", "role": "assistant", "model": JSONValue(request.requestedModel), "content": [block],
                "stop_reason": "compaction", "stop_sequence": nil, "usage": usage, "context_management": management,
            ]
            return HTTPResponse(status: .ok, contentType: "application/json", body: message.serialized())
        }
        var translator = StreamTranslator(
            context: .init(messageID: id, model: request.requestedModel, estimatedInputTokens: 0, contextManagement: management, leadingBlocks: [block]))
        var events = translator.start()
        events.append(
            AnthropicStreamEvent(
                type: "message_delta",
                payload: ["type": "message_delta", "delta": ["stop_reason": "compaction", "stop_sequence": nil], "usage": usage, "context_management": management]))
        events.append(AnthropicStreamEvent(type: "message_stop", payload: ["type": "message_stop"]))
        var bytes: [UInt8] = []
        for event in events { event.encode(into: &bytes) }
        return HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"], body: .bytes(bytes))
    }
}
