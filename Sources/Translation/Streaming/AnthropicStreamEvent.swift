import JSON

/// One server-sent event of Anthropic's Messages stream: its type and JSON payload.
public struct AnthropicStreamEvent: Sendable, Equatable {
    public var type: String
    public var payload: JSONValue

    public init(type: String, payload: JSONValue) {
        self.type = type
        self.payload = payload
    }

    /// `event: <type>\ndata: <json>\n\n`, appended to `output`.
    public func encode(into output: inout [UInt8]) {
        output += "event: ".utf8
        output += type.utf8
        output += "\ndata: ".utf8
        payload.write(into: &output)
        output += "\n\n".utf8
    }

    public static let ping = AnthropicStreamEvent(type: "ping", payload: ["type": "ping"])

    /// The `error` event that ends a failed stream.
    public static func error(type: String, message: String) -> AnthropicStreamEvent {
        AnthropicStreamEvent(type: "error", payload: ["type": "error", "error": ["type": JSONValue(type), "message": JSONValue(message)]])
    }
}
