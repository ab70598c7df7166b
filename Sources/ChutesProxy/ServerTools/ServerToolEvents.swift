import JSON
import Translation

/// The Anthropic stream events of a server-tool answer, made from whole blocks as the loop
/// produces them: each block a `content_block_start`, its deltas (text, thinking and its
/// signature, a tool call's input as one `input_json_delta`) and a `content_block_stop`;
/// result blocks (`web_search_tool_result`, `web_fetch_tool_result`) arrive whole in their
/// start event, as Anthropic sends them.
struct ServerToolEvents {
    private var index = 0

    static func messageStart(id: String, model: String, inputTokens: Int) -> AnthropicStreamEvent {
        AnthropicStreamEvent(
            type: "message_start",
            payload: [
                "type": "message_start",
                "message": [
                    "id": JSONValue(id), "type": "message", "role": "assistant", "model": JSONValue(model), "content": [], "stop_reason": nil, "stop_sequence": nil,
                    "usage": ["input_tokens": JSONValue(inputTokens), "output_tokens": 0],
                ],
            ])
    }

    /// The events of one block, at the next index.
    mutating func events(for block: JSONValue) -> [AnthropicStreamEvent] {
        defer { index += 1 }
        let at = JSONValue(index)
        func start(_ shell: JSONValue) -> AnthropicStreamEvent {
            AnthropicStreamEvent(type: "content_block_start", payload: ["type": "content_block_start", "index": at, "content_block": shell])
        }
        func delta(_ delta: JSONValue) -> AnthropicStreamEvent {
            AnthropicStreamEvent(type: "content_block_delta", payload: ["type": "content_block_delta", "index": at, "delta": delta])
        }
        let stop = AnthropicStreamEvent(type: "content_block_stop", payload: ["type": "content_block_stop", "index": at])
        switch block["type"]?.stringValue {
        case "text":
            // Citations first, as `citations_delta`s, then the text they belong to.
            let citations = (block["citations"]?.arrayValue ?? []).map { delta(["type": "citations_delta", "citation": $0]) }
            return [start(["type": "text", "text": ""])] + citations + [delta(["type": "text_delta", "text": block["text"] ?? ""]), stop]
        case "thinking":
            return [
                start(["type": "thinking", "thinking": "", "signature": ""]), delta(["type": "thinking_delta", "thinking": block["thinking"] ?? ""]),
                delta(["type": "signature_delta", "signature": block["signature"] ?? ""]), stop,
            ]
        case "tool_use", "server_tool_use":
            let shell: JSONValue = ["type": block["type"] ?? nil, "id": block["id"] ?? nil, "name": block["name"] ?? nil, "input": [:]]
            return [start(shell), delta(["type": "input_json_delta", "partial_json": JSONValue((block["input"] ?? [:]).jsonText)]), stop]
        default:
            return [start(block), stop]
        }
    }

    static func messageEnd(_ outcome: ServerToolLoop.Outcome) -> [AnthropicStreamEvent] {
        [
            AnthropicStreamEvent(
                type: "message_delta",
                payload: ["type": "message_delta", "delta": ["stop_reason": JSONValue(outcome.stopReason), "stop_sequence": outcome.stopSequence], "usage": outcome.usage]),
            AnthropicStreamEvent(type: "message_stop", payload: ["type": "message_stop"]),
        ]
    }
}
