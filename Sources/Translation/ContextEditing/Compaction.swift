import JSON

/// Server-side compaction (`compact_20260112`) done by the proxy: the conversation summarized
/// by a model into a `compaction` block, and a request carrying such a block sent upstream as
/// the summary instead of the history it replaced.
public enum Compaction {
    /// Anthropic's default summarization prompt, as its compaction documentation gives it.
    public static let defaultInstructions = """
        You have written a partial transcript for the initial task above. Please write a summary of the transcript. \
        The purpose of this summary is to provide continuity so you can continue to make progress towards solving the \
        task in a future context, where the raw history above may not be accessible and will be replaced with this \
        summary. Write down anything that would be helpful, including the state, next steps, learnings etc. You must \
        wrap your summary in a `<summary></summary>` block.
        """

    /// How the summary opens the conversation that continues from it.
    public static let summaryPreamble = "This conversation continues from an earlier part that was compacted. Summary of it:\n\n"

    /// The request that asks for the summary: the same system prompt and messages, the
    /// instructions added to the last user turn (or as one), no tools to call, not streamed.
    public static func summaryRequest(for body: JSONValue, instructions: String?, maxTokens: Int) -> JSONValue {
        var request: JSONObject = ["model": body["model"] ?? "", "max_tokens": JSONValue(maxTokens)]
        if let system = body["system"] { request["system"] = system }
        var messages = body["messages"]?.arrayValue ?? []
        let prompt: JSONValue = ["type": "text", "text": JSONValue(instructions ?? defaultInstructions)]
        if case .object(var last)? = messages.last, last["role"]?.stringValue == "user" {
            var blocks = last["content"]?.arrayValue ?? last["content"]?.jsonString.map { [["type": "text", "text": .string($0)]] } ?? []
            blocks.append(prompt)
            last["content"] = .array(blocks)
            messages[messages.count - 1] = .object(last)
        } else {
            messages.append(["role": "user", "content": [prompt]])
        }
        request["messages"] = .array(messages)
        return .object(request)
    }

    /// The summary in a model's answer: what is inside `<summary>…</summary>`, or the whole
    /// answer trimmed when the model left the tags out.
    public static func summary(fromAnswer text: String) -> String {
        if let open = text.firstRange(of: "<summary>") {
            let rest = text[open.upperBound...]
            let inside = rest.firstRange(of: "</summary>").map { rest[..<$0.lowerBound] } ?? rest
            return inside.trimmedWhitespace
        }
        return text.trimmedWhitespace
    }

    /// The request with everything before its last compaction block dropped: the summary
    /// opens the conversation as a user turn (joined to the next user message when the
    /// assistant's message held nothing after the block). A compaction block with null
    /// content is a failed compaction, which Anthropic's API treats as nothing.
    public static func droppingCompactedHistory(_ body: JSONValue) -> JSONValue {
        guard case .object(var root) = body, let messages = root["messages"]?.arrayValue else { return body }
        var found: (message: Int, block: Int, summary: String)?
        for (messageIndex, message) in messages.enumerated().reversed() where message["role"]?.stringValue == "assistant" {
            guard let blocks = message["content"]?.arrayValue else { continue }
            if let blockIndex = blocks.lastIndex(where: { $0["type"]?.stringValue == "compaction" && $0["content"]?.stringValue != nil }) {
                found = (messageIndex, blockIndex, blocks[blockIndex]["content"]?.stringValue ?? "")
                break
            }
        }
        guard let found else { return body }
        let summaryBlock: JSONValue = ["type": "text", "text": JSONValue(summaryPreamble + found.summary)]
        var kept: [JSONValue] = []
        let rest = Array((messages[found.message]["content"]?.arrayValue ?? []).dropFirst(found.block + 1))
        var following = Array(messages.dropFirst(found.message + 1))
        if !rest.isEmpty {
            kept.append(["role": "user", "content": [summaryBlock]])
            kept.append(["role": "assistant", "content": .array(rest)])
        } else if case .object(var next)? = following.first, next["role"]?.stringValue == "user" {
            let content = next["content"]?.arrayValue ?? next["content"]?.jsonString.map { [["type": "text", "text": .string($0)]] } ?? []
            next["content"] = .array([summaryBlock] + content)
            following[0] = .object(next)
        } else {
            kept.append(["role": "user", "content": [summaryBlock]])
        }
        root["messages"] = .array(kept + following)
        return .object(root)
    }

    /// Whether any assistant message carries a compaction block (a cheap scan, done first).
    public static func carriesCompaction(_ body: JSONValue) -> Bool {
        for message in body["messages"]?.arrayValue ?? [] where message["role"]?.stringValue == "assistant" {
            if message["content"]?.arrayValue?.contains(where: { $0["type"]?.stringValue == "compaction" }) == true { return true }
        }
        return false
    }
}
