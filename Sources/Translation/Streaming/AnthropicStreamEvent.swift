import JSON

/// One server-sent event of Anthropic's Messages stream: its type and JSON payload.
///
/// The events a stream is mostly made of (text, thinking and tool-argument deltas) are kept
/// in a compact form and written straight to bytes, their text copied verbatim when it came
/// from the upstream unchanged; `payload` builds the JSON value only when someone asks.
public struct AnthropicStreamEvent: Sendable, Equatable {
    /// The kinds of `content_block_delta` kept compactly: their delta type and text field.
    enum DeltaKind: Sendable {
        case text, thinking, inputJSON

        var typeName: String {
            switch self {
            case .text: "text_delta"
            case .thinking: "thinking_delta"
            case .inputJSON: "input_json_delta"
            }
        }

        var fieldName: String {
            switch self {
            case .text: "text"
            case .thinking: "thinking"
            case .inputJSON: "partial_json"
            }
        }

        /// `event: content_block_delta\ndata: {"type":"content_block_delta","index":`
        static let eventPrefix = Array(#"event: content_block_delta\#ndata: {"type":"content_block_delta","index":"#.utf8)

        /// `,"delta":{"type":"text_delta","text":` and its siblings.
        var deltaPrefix: [UInt8] {
            switch self {
            case .text: Self.textPrefix
            case .thinking: Self.thinkingPrefix
            case .inputJSON: Self.inputJSONPrefix
            }
        }

        private static let textPrefix = prefix(.text)
        private static let thinkingPrefix = prefix(.thinking)
        private static let inputJSONPrefix = prefix(.inputJSON)
        private static func prefix(_ kind: DeltaKind) -> [UInt8] {
            Array(#","delta":{"type":"\#(kind.typeName)","\#(kind.fieldName)":"#.utf8)
        }
    }

    private enum Storage: Sendable {
        case json(JSONValue)
        case blockDelta(index: Int, kind: DeltaKind, text: JSONString)
    }

    /// The event name: `message_start`, `content_block_delta`, `error`, ...
    public var type: String
    private var storage: Storage

    /// An event of `type` with its JSON payload.
    public init(type: String, payload: JSONValue) {
        self.type = type
        self.storage = .json(payload)
    }

    /// A `content_block_delta` of block `index` carrying `text`.
    init(blockDelta kind: DeltaKind, index: Int, text: JSONString) {
        self.type = "content_block_delta"
        self.storage = .blockDelta(index: index, kind: kind, text: text)
    }

    /// The event's JSON payload (built on demand for the compact delta form).
    public var payload: JSONValue {
        get {
            switch storage {
            case .json(let payload):
                return payload
            case let .blockDelta(index, kind, text):
                return ["type": "content_block_delta", "index": JSONValue(index), "delta": .object(JSONObject([("type", JSONValue(kind.typeName)), (kind.fieldName, .string(text))]))]
            }
        }
        set { storage = .json(newValue) }
    }

    /// `event: <type>\ndata: <json>\n\n`, appended to `output`.
    public func encode(into output: inout [UInt8]) {
        switch storage {
        case .json(let payload):
            output += "event: ".utf8
            output += type.utf8
            output += "\ndata: ".utf8
            payload.write(into: &output)
            output += "\n\n".utf8
        case let .blockDelta(index, kind, text):
            output += DeltaKind.eventPrefix
            Self.appendDecimal(index, to: &output)
            output += kind.deltaPrefix
            text.write(into: &output)
            output += "}}\n\n".utf8
        }
    }

    /// A block index in decimal, without making a `String` of it.
    private static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        guard value >= 0, value < 10 else {
            output += String(value).utf8
            return
        }
        output.append(UInt8(ascii: "0") + UInt8(value))
    }

    /// Equal when the types and payloads are equal.
    public static func == (lhs: AnthropicStreamEvent, rhs: AnthropicStreamEvent) -> Bool {
        lhs.type == rhs.type && lhs.payload == rhs.payload
    }

    /// `event: ping`, sent at the start and while the upstream is silent.
    public static let ping = AnthropicStreamEvent(type: "ping", payload: ["type": "ping"])

    /// The `error` event that ends a failed stream.
    public static func error(type: String, message: String) -> AnthropicStreamEvent {
        AnthropicStreamEvent(type: "error", payload: ["type": "error", "error": ["type": JSONValue(type), "message": JSONValue(message)]])
    }
}
