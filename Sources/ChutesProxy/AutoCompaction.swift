import HTTP1
import JSON
import Translation

/// `AUTO_COMPACT`: what the proxy does, unasked, with a conversation that no longer fits the
/// model's context window (the model list's `context_length`). Off by default: Claude Code
/// compacts by itself when the answer is "prompt is too long: N tokens > M maximum" (its
/// reactive compaction), keeping its own history and the proxy's answers consistent.
public enum AutoCompact: String, Sendable, CaseIterable {
    /// Answer "prompt is too long" and let the client compact.
    case off
    /// Replace older tool results with a placeholder (the last 3 kept, then none).
    case clearToolUses = "clear_tool_uses"
    /// Summarize everything before the last user prompt with the model (`COMPACTION_MODEL`
    /// or the route), after clearing tool results.
    case summarize
}

/// What an automatic compaction did, for the response headers and the access line.
struct AutoCompaction: Sendable, Equatable {
    var tokensBefore: Int
    var tokensAfter: Int
    var removedMessages: Int

    /// `X-Proxy-Context-Tokens-Before`, `-After` and `X-Proxy-Context-Removed-Messages`.
    func add(to headers: inout HTTPHeaders) {
        headers.add(name: "X-Proxy-Context-Tokens-Before", value: String(tokensBefore))
        headers.add(name: "X-Proxy-Context-Tokens-After", value: String(tokensAfter))
        headers.add(name: "X-Proxy-Context-Removed-Messages", value: String(removedMessages))
    }
}

extension MessagesHandler {
    /// The request made to fit `window` tokens the `AUTO_COMPACT` way, or nil when it fits
    /// already (or nothing could be done: the upstream then answers as before).
    @inline(never)
    func autoCompacted(
        _ request: MessagesRequest, window: Int, plan: RoutePlan, attempts: inout [String], record: RequestRecord
    ) async throws(AnthropicError) -> (request: MessagesRequest, report: AutoCompaction)? {
        let before = request.estimatedInputTokens
        guard !Self.fits(before, window: window) else { return nil }
        var compacted = request
        // Tool results first: cheap, and the summary request must fit the window too.
        for keep in [3, 0] {
            compacted.body = ContextEditor.clearingToolResults(in: request.body, keep: keep).body
            if Self.fits(compacted.estimatedInputTokens, window: window) { break }
        }
        var removed = 0
        if configuration.autoCompact == .summarize, !Self.fits(compacted.estimatedInputTokens, window: window),
            case .object(var body) = compacted.body, let messages = body["messages"]?.arrayValue,
            let tail = messages.lastIndex(where: { $0["role"]?.stringValue == "user" && !Self.isOnlyToolResults($0["content"]) }), tail > 0
        {
            var head = compacted
            body["messages"] = .array(Array(messages[..<tail]))
            head.body = .object(body)
            let summarized = try await self.compacted(head, compact: ContextManagement.Compact(), plan: plan, attempts: &attempts, record: record)
            if let block = summarized.compaction?.block, block["content"]?.stringValue != nil {
                body["messages"] = .array([["role": "assistant", "content": [block]]] + messages[tail...])
                compacted.body = Compaction.droppingCompactedHistory(.object(body))
                removed = tail
            }
        }
        let report = AutoCompaction(tokensBefore: before, tokensAfter: compacted.estimatedInputTokens, removedMessages: removed)
        record.update { $0.autoCompaction = report }
        return (compacted, report)
    }

    /// The prompt, the estimate's margin and the least `max_tokens` the proxy sends fit the window.
    static func fits(_ tokens: Int, window: Int) -> Bool {
        tokens.saturatingAdd(ModelLimits.margin(forPrompt: tokens)).saturatingAdd(ModelLimits.floor) <= window
    }

    private static func isOnlyToolResults(_ content: JSONValue?) -> Bool {
        guard let blocks = content?.arrayValue, !blocks.isEmpty else { return false }
        return blocks.allSatisfy { $0["type"]?.stringValue == "tool_result" }
    }
}
