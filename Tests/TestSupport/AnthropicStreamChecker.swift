import JSON
import Translation

/// Checks an event sequence against the grammar of Anthropic's Messages stream and folds it
/// into the message a client (like the official SDK's accumulator) would build.
public struct AnthropicStreamChecker {
    public private(set) var problems: [String] = []
    public private(set) var message: JSONObject?
    public private(set) var content: [JSONObject] = []
    public private(set) var errorEvent: JSONValue?
    private var openIndex: Int?
    private var partialJSON: [Int: String] = [:]
    private var sawDelta = false
    private var sawStop = false

    public init(_ events: [AnthropicStreamEvent]) {
        for (position, event) in events.enumerated() { check(event, at: position) }
        if errorEvent == nil {
            if !sawStop { problems.append("stream ended without message_stop") }
            if openIndex != nil { problems.append("a content block was left open") }
        }
    }

    /// The accumulated message with parsed tool inputs, as the SDK would return it.
    public var finalMessage: JSONValue {
        var result = message ?? [:]
        result["content"] = .array(content.map { JSONValue.object($0) })
        return .object(result)
    }

    private mutating func check(_ event: AnthropicStreamEvent, at position: Int) {
        let type = event.payload["type"]?.stringValue
        if type != event.type { problems.append("#\(position): event name \(event.type) but payload type \(type ?? "nil")") }
        if errorEvent != nil { problems.append("#\(position): \(event.type) after an error event") }
        if sawStop { problems.append("#\(position): \(event.type) after message_stop") }
        if event.type != "message_start" && event.type != "error" && message == nil {
            problems.append("#\(position): \(event.type) before message_start")
        }
        switch event.type {
        case "message_start":
            if message != nil { problems.append("#\(position): second message_start") }
            message = event.payload["message"]?.objectValue
            if message?["content"] != [] { problems.append("message_start content must be empty") }
        case "ping":
            break
        case "content_block_start":
            guard let index = event.payload["index"]?.intValue else { return problems.append("#\(position): no index") }
            if openIndex != nil { problems.append("#\(position): block \(index) started while \(openIndex!) is open") }
            if index != content.count { problems.append("#\(position): block index \(index), expected \(content.count)") }
            if sawDelta { problems.append("#\(position): block after message_delta") }
            openIndex = index
            content.append(event.payload["content_block"]?.objectValue ?? [:])
        case "content_block_delta":
            guard let index = event.payload["index"]?.intValue, index == openIndex, let delta = event.payload["delta"] else {
                return problems.append("#\(position): delta for a block that is not open")
            }
            let blockType = content[index]["type"]?.stringValue
            switch (delta["type"]?.stringValue, blockType) {
            case ("text_delta", "text"):
                content[index]["text"] = JSONValue((content[index]["text"]?.stringValue ?? "") + (delta["text"]?.stringValue ?? ""))
            case ("thinking_delta", "thinking"):
                content[index]["thinking"] = JSONValue((content[index]["thinking"]?.stringValue ?? "") + (delta["thinking"]?.stringValue ?? ""))
            case ("citations_delta", "text"):
                content[index]["citations"] = .array((content[index]["citations"]?.arrayValue ?? []) + [delta["citation"] ?? nil])
            case ("signature_delta", "thinking"):
                content[index]["signature"] = delta["signature"]
            case ("compaction_delta", "compaction"):
                // As the SDK's accumulator: the delta carries the whole content.
                content[index]["content"] = delta["content"] ?? nil
            case ("input_json_delta", "tool_use"), ("input_json_delta", "server_tool_use"):
                partialJSON[index, default: ""] += delta["partial_json"]?.stringValue ?? ""
            case let (deltaType, blockType):
                problems.append("#\(position): \(deltaType ?? "nil") inside a \(blockType ?? "nil") block")
            }
        case "content_block_stop":
            guard let index = event.payload["index"]?.intValue, index == openIndex else {
                return problems.append("#\(position): stop for a block that is not open")
            }
            if content[index]["type"]?.stringValue == "tool_use" || content[index]["type"]?.stringValue == "server_tool_use" {
                let json = partialJSON[index] ?? ""
                if json.isEmpty {
                    content[index]["input"] = [:]
                } else if let input = try? JSONValue(parsing: json) {
                    content[index]["input"] = input
                } else {
                    problems.append("#\(position): tool input is not JSON: \(json)")
                }
            }
            openIndex = nil
        case "message_delta":
            if sawDelta { problems.append("#\(position): second message_delta") }
            if openIndex != nil { problems.append("#\(position): message_delta with a block open") }
            sawDelta = true
            message?["stop_reason"] = event.payload["delta"]?["stop_reason"]
            message?["stop_sequence"] = event.payload["delta"]?["stop_sequence"]
            if let management = event.payload["context_management"] { message?["context_management"] = management }
            if var usage = message?["usage"]?.objectValue, let update = event.payload["usage"]?.objectValue {
                for (key, value) in update { usage[key] = value }
                message?["usage"] = .object(usage)
            }
        case "message_stop":
            if !sawDelta { problems.append("#\(position): message_stop without message_delta") }
            sawStop = true
        case "error":
            errorEvent = event.payload
        default:
            problems.append("#\(position): unknown event \(event.type)")
        }
    }
}
