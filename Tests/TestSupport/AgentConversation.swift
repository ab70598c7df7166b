import JSON

/// A conversation of `turns` prompts, each answered with thinking and one call of `tool`
/// (alternating `read` and `grep` when nil), whose result is `result`, then a final prompt.
public func agentConversation(turns: Int, tool: String? = nil, result: String = "line of output\n", repeats: Int = 50) -> JSONValue {
    var messages: [JSONValue] = []
    for turn in 0..<turns {
        let name = tool ?? (turn % 2 == 0 ? "read" : "grep")
        messages.append(["role": "user", "content": JSONValue("step \(turn)")])
        messages.append([
            "role": "assistant",
            "content": [
                ["type": "thinking", "thinking": JSONValue("thought \(turn)"), "signature": "s"],
                ["type": "tool_use", "id": JSONValue("t\(turn)"), "name": JSONValue(name), "input": ["path": JSONValue("file\(turn)")]],
            ],
        ])
        messages.append(["role": "user", "content": [["type": "tool_result", "tool_use_id": JSONValue("t\(turn)"), "content": JSONValue(String(repeating: result, count: repeats))]]])
        messages.append(["role": "assistant", "content": [["type": "thinking", "thinking": "after", "signature": "s"], ["type": "text", "text": JSONValue("done \(turn)")]]])
    }
    messages.append(["role": "user", "content": "next"])
    return ["model": "m", "max_tokens": 10, "messages": .array(messages)]
}
