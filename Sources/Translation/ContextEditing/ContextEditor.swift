import JSON

/// Applies context edits to an Anthropic request body, before it is translated, and reports
/// what it did as Anthropic's `context_management.applied_edits` entries. The client keeps
/// its whole history; only what goes upstream is edited.
///
/// Work is linear in the request: each edit walks the messages once and estimates the tokens
/// of what it removes (`TokenEstimator`), plus one estimate of the whole request when a
/// trigger counts input tokens.
public enum ContextEditor {
    /// What replaces a cleared tool result. Anthropic does not publish its own wording; this
    /// one tells the model what happened and that it may call the tool again.
    public static let clearedToolResult = "[Tool result cleared to save context. Call the tool again if you need it.]"

    /// The request as it goes upstream: `context_management` checked (throws the 400 for a
    /// malformed one), the history before a compaction block dropped, the clearing edits
    /// applied. `management` is nil when the request has no `context_management`.
    public static func edit(_ body: JSONValue) throws(TranslationError) -> (body: JSONValue, management: ContextManagement?, applied: [JSONValue]) {
        let management = try ContextManagement.parse(body["context_management"])
        var edited = Compaction.carriesCompaction(body) ? Compaction.droppingCompactedHistory(body) : body
        var applied: [JSONValue] = []
        if let management, !management.clearing.isEmpty { (edited, applied) = applyClearing(management, to: edited) }
        return (edited, management, applied)
    }

    /// The request after the clearing edits, and the `applied_edits` entries of those that
    /// changed something (an edit that cleared nothing is not reported, as Anthropic's API).
    public static func applyClearing(_ management: ContextManagement, to body: JSONValue) -> (body: JSONValue, applied: [JSONValue]) {
        guard case .object(var root) = body, case .array(var messages)? = root["messages"] else { return (body, []) }
        var applied: [JSONValue] = []
        for edit in management.clearing {
            switch edit {
            case .thinking(let keep):
                guard let keepTurns = keep.keepTurns else { continue }
                let (turns, tokens) = clearThinking(&messages, keepTurns: keepTurns)
                if turns > 0 {
                    applied.append(["type": "clear_thinking_20251015", "cleared_thinking_turns": JSONValue(turns), "cleared_input_tokens": JSONValue(tokens)])
                }
            case .toolUses(let clearing):
                root["messages"] = .array(messages)
                let (uses, tokens) = clearToolUses(&messages, clearing, requestTokens: { TokenEstimator.estimate(request: .object(root)) })
                if uses > 0 {
                    applied.append(["type": "clear_tool_uses_20250919", "cleared_tool_uses": JSONValue(uses), "cleared_input_tokens": JSONValue(tokens)])
                }
            }
        }
        root["messages"] = .array(messages)
        return (.object(root), applied)
    }

    /// The request with the results of all but the last `keep` tool uses replaced by the
    /// placeholder, whatever its size (the proxy's own automatic compaction), and how many.
    public static func clearingToolResults(in body: JSONValue, keep: Int) -> (body: JSONValue, cleared: Int) {
        guard case .object(var root) = body, case .array(var messages)? = root["messages"] else { return (body, 0) }
        var clearing = ContextManagement.ClearToolUses()
        clearing.trigger = .toolUses(0)
        clearing.keep = keep
        let (uses, _) = clearToolUses(&messages, clearing, requestTokens: { 0 })
        root["messages"] = .array(messages)
        return (.object(root), uses)
    }

    /// Removes `thinking` and `redacted_thinking` blocks from all but the last `keepTurns`
    /// assistant turns. A turn is every assistant message from one user prompt to the next:
    /// the tool-result messages in between do not start a new one.
    static func clearThinking(_ messages: inout [JSONValue], keepTurns: Int) -> (turns: Int, tokens: Int) {
        var turnOfMessage = [Int?](repeating: nil, count: messages.count)
        var turns = 0
        var userSpokeSinceLastAssistant = true
        for (index, message) in messages.enumerated() {
            switch message["role"]?.stringValue {
            case "assistant":
                if userSpokeSinceLastAssistant { turns += 1 }
                userSpokeSinceLastAssistant = false
                turnOfMessage[index] = turns - 1
            case "user":
                if !isOnlyToolResults(message["content"]) { userSpokeSinceLastAssistant = true }
            default:
                continue
            }
        }
        let firstKept = turns - min(keepTurns, turns)
        var clearedTurns: Set<Int> = []
        var tokens = 0
        for index in messages.indices {
            guard let turn = turnOfMessage[index], turn < firstKept, case .object(var message) = messages[index], case .array(let blocks)? = message["content"] else { continue }
            var kept: [JSONValue] = []
            kept.reserveCapacity(blocks.count)
            for block in blocks {
                switch block["type"]?.stringValue {
                case "thinking", "redacted_thinking":
                    tokens += TokenEstimator.estimate(content: [block])
                    clearedTurns.insert(turn)
                default:
                    kept.append(block)
                }
            }
            guard kept.count != blocks.count else { continue }
            message["content"] = .array(kept)
            messages[index] = .object(message)
        }
        return (clearedTurns.count, tokens)
    }

    /// Replaces the results of the oldest tool uses with `clearedToolResult` (and their
    /// inputs with `{}` where asked), leaving the most recent `keep` and the excluded tools,
    /// once the trigger is passed; undone when it would clear fewer tokens than `clearAtLeast`.
    static func clearToolUses(_ messages: inout [JSONValue], _ clearing: ContextManagement.ClearToolUses, requestTokens: () -> Int) -> (uses: Int, tokens: Int) {
        // Every tool use, in order: where it is and its tool's name.
        var uses: [(message: Int, block: Int, id: String, name: String)] = []
        var results: [String: (message: Int, block: Int)] = [:]
        for (messageIndex, message) in messages.enumerated() {
            guard let blocks = message["content"]?.arrayValue else { continue }
            for (blockIndex, block) in blocks.enumerated() {
                switch block["type"]?.stringValue {
                case "tool_use":
                    uses.append((messageIndex, blockIndex, block["id"]?.stringValue ?? "", block["name"]?.stringValue ?? ""))
                case "tool_result":
                    if let id = block["tool_use_id"]?.stringValue { results[id] = (messageIndex, blockIndex) }
                default:
                    continue
                }
            }
        }
        switch clearing.trigger {
        case .toolUses(let threshold): guard uses.count > threshold else { return (0, 0) }
        case .inputTokens(let threshold): guard !uses.isEmpty, requestTokens() > threshold else { return (0, 0) }
        }
        let clearable = uses.filter { !clearing.excludeTools.contains($0.name) }
        let cleared = clearable.dropLast(min(clearing.keep, clearable.count))
        guard !cleared.isEmpty else { return (0, 0) }
        var edited = messages
        var tokens = 0
        let placeholderTokens = TokenEstimator.estimate(text: clearedToolResult)
        for use in cleared {
            if let result = results[use.id], case .object(var block) = edited[result.message]["content"]?[result.block] {
                tokens += max(0, TokenEstimator.estimate(content: block["content"] ?? "") - placeholderTokens)
                block["content"] = JSONValue(clearedToolResult)
                replace(&edited, message: result.message, block: result.block, with: .object(block))
            }
            if clearing.clearToolInputs.clears(use.name), case .object(var block) = edited[use.message]["content"]?[use.block] {
                tokens += max(0, TokenEstimator.estimate(text: (block["input"] ?? [:]).jsonText) - 1)
                block["input"] = [:]
                replace(&edited, message: use.message, block: use.block, with: .object(block))
            }
        }
        if let least = clearing.clearAtLeast, tokens < least { return (0, 0) }
        messages = edited
        return (cleared.count, tokens)
    }

    private static func replace(_ messages: inout [JSONValue], message: Int, block: Int, with value: JSONValue) {
        guard case .object(var object) = messages[message], case .array(var blocks)? = object["content"] else { return }
        // Released first (kept in place), so the array is not copied on write.
        object["content"] = .null
        blocks[block] = value
        object["content"] = .array(blocks)
        messages[message] = .object(object)
    }

    private static func isOnlyToolResults(_ content: JSONValue?) -> Bool {
        guard let blocks = content?.arrayValue, !blocks.isEmpty else { return false }
        return blocks.allSatisfy { $0["type"]?.stringValue == "tool_result" }
    }
}
