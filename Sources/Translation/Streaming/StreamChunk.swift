import JSON

/// What the stream translator reads of one OpenAI chat-completions chunk: the members of
/// `choices[0]` and its `delta` (or `message`), `usage` and `error`.
///
/// Two readings give the same value: `init(parsing:)` reads the chunk's bytes directly with
/// `JSONReader`, building no tree (the relay's path, a few hundred nanoseconds a chunk), and
/// `init(_:)` reads a parsed `JSONValue` the way the translator always has. Both follow the
/// tree's rules: a repeated member counts by its last occurrence, `delta` is preferred to
/// `message` wherever it stands, and a member of the wrong type reads as absent. Tests
/// compare the two on many shapes.
public struct StreamChunk: Sendable, Equatable {
    /// One element of `delta.tool_calls`.
    public struct ToolCallDelta: Sendable, Equatable {
        /// `function.arguments` as sent.
        public enum Arguments: Sendable, Equatable {
            /// A string: a fragment of the arguments' JSON text, kept as the upstream's bytes.
            case fragment(JSONString)
            /// Any other value (some upstreams send the object itself): its compact JSON text.
            case json(String)

            /// The arguments' JSON text (a fragment decoded).
            public var text: String {
                switch self {
                case .fragment(let fragment): fragment.value
                case .json(let text): text
                }
            }
        }

        /// `index`, when it is a whole number.
        public var index: Int?
        /// `id`, when it is a string.
        public var id: String?
        /// `function.name`, when it is a string.
        public var name: String?
        /// `function.arguments`, when present.
        public var arguments: Arguments?

        /// A tool-call delta of these parts.
        public init(index: Int? = nil, id: String? = nil, name: String? = nil, arguments: Arguments? = nil) {
            self.index = index
            self.id = id
            self.name = name
            self.arguments = arguments
        }
    }

    /// `usage`, when it is an object.
    public var usage: JSONValue?
    /// `error`, whatever its value (a failing upstream's report).
    public var error: JSONValue?
    /// Whether the chunk has a `choices` member at all (an `error` without one is a failure).
    public var hasChoices = false
    /// The delta's `content`, when it is a string.
    public var content: JSONString?
    /// The delta's `reasoning_content` (sglang, DeepSeek), when it is a string.
    public var reasoningContent: JSONString?
    /// The delta's `reasoning` (vLLM, OpenRouter, Ollama), when it is a string.
    public var reasoning: JSONString?
    /// The readable text of the delta's `reasoning_details` (OpenRouter), when it is an array
    /// with any: see `ReasoningDetails`.
    public var reasoningDetails: JSONString?
    /// The delta's `tool_calls`, when it is an array.
    public var toolCalls: [ToolCallDelta]?
    /// The choice's `finish_reason`, when it is a string.
    public var finishReason: String?
    /// The choice's `stop_reason` (vLLM: the stop string that matched), when it is a string.
    public var stopReason: String?
    /// The choice's `matched_stop` (sglang: the stop string that matched), when it is a string.
    public var matchedStop: String?

    /// A chunk with nothing in it.
    public init() {}

    /// Reads a parsed chunk.
    public init(_ chunk: JSONValue) {
        if let usage = chunk["usage"], usage.objectValue != nil { self.usage = usage }
        error = chunk["error"]
        hasChoices = chunk["choices"] != nil
        guard let choice = chunk["choices"]?[0] else { return }
        let delta = choice["delta"] ?? choice["message"] ?? [:]
        content = delta["content"]?.jsonString
        reasoningContent = delta["reasoning_content"]?.jsonString
        reasoning = delta["reasoning"]?.jsonString
        reasoningDetails = delta["reasoning_details"]?.arrayValue.flatMap(ReasoningDetails.text(ofEntries:))
        toolCalls = delta["tool_calls"]?.arrayValue?.map { call in
            let arguments = call["function"]?["arguments"]
            return ToolCallDelta(
                index: call["index"]?.intValue,
                id: call["id"]?.stringValue,
                name: call["function"]?["name"]?.stringValue,
                arguments: arguments.map { $0.jsonString.map(Arguments.fragment) ?? .json($0.jsonText) }
            )
        }
        finishReason = choice["finish_reason"]?.stringValue
        stopReason = choice["stop_reason"]?.stringValue
        matchedStop = choice["matched_stop"]?.stringValue
    }

    private typealias Arguments = ToolCallDelta.Arguments

    /// Reads a chunk's JSON text without building a tree; throws where `JSONValue(parsing:)`
    /// would.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        // Filled in place (not built aside and copied in): the value is large, and copies
        // showed in the profile.
        self.init()
        try JSONReader.read(bytes) { reader throws(JSONParseError) in
            try reader.members { reader, name throws(JSONParseError) in
                if name.isEqual(to: "choices") {
                    hasChoices = true
                    try readChoices(&reader)
                } else if name.isEqual(to: "usage") {
                    // Not `? usage : nil`: a nil literal there would be JSON `null`.
                    let value = try reader.value()
                    usage = value.objectValue != nil ? .some(value) : .none
                } else if name.isEqual(to: "error") {
                    error = try reader.value()
                }
            }
        }
    }
}

extension StreamChunk {
    /// Reads `choices`, replacing what an earlier `choices` gave. The delta's members are read
    /// straight into the chunk: `delta` replaces whatever came before it, and `message` is
    /// read only while no `delta` was seen, so `delta` wins wherever it stands.
    private mutating func readChoices(_ reader: inout JSONReader) throws(JSONParseError) {
        clearChoice()
        var sawDelta = false
        try reader.elements { reader, position throws(JSONParseError) in
            guard position == 0 else { return }
            try reader.members { reader, name throws(JSONParseError) in
                if name.isEqual(to: "delta") {
                    sawDelta = true
                    try readDelta(&reader)
                } else if name.isEqual(to: "message") {
                    if !sawDelta { try readDelta(&reader) }
                } else if name.isEqual(to: "finish_reason") {
                    finishReason = try reader.string()?.value
                } else if name.isEqual(to: "stop_reason") {
                    stopReason = try reader.string()?.value
                } else if name.isEqual(to: "matched_stop") {
                    matchedStop = try reader.string()?.value
                }
            }
        }
    }

    private mutating func clearChoice() {
        clearDelta()
        finishReason = nil
        stopReason = nil
        matchedStop = nil
    }

    private mutating func clearDelta() {
        content = nil
        reasoningContent = nil
        reasoning = nil
        reasoningDetails = nil
        toolCalls = nil
    }

    /// A `delta` or `message` member, replacing an earlier one's; one that is not an object
    /// reads as an empty delta.
    private mutating func readDelta(_ reader: inout JSONReader) throws(JSONParseError) {
        clearDelta()
        try reader.members { reader, name throws(JSONParseError) in
            if name.isEqual(to: "content") {
                content = try reader.string()
            } else if name.isEqual(to: "reasoning_content") {
                reasoningContent = try reader.string()
            } else if name.isEqual(to: "reasoning") {
                reasoning = try reader.string()
            } else if name.isEqual(to: "reasoning_details") {
                var parts: [JSONString] = []
                let isArray = try reader.elements { reader, _ throws(JSONParseError) in
                    if let part = try Self.readReasoningDetail(&reader) { parts.append(part) }
                }
                reasoningDetails = isArray ? ReasoningDetails.text(of: parts) : nil
            } else if name.isEqual(to: "tool_calls") {
                var calls: [ToolCallDelta] = []
                let isArray = try reader.elements { reader, _ throws(JSONParseError) in
                    calls.append(try Self.readToolCall(&reader))
                }
                toolCalls = isArray ? calls : nil
            }
        }
    }

    /// The readable text of one `reasoning_details` entry; nil for an element that is not an
    /// object or an entry with none.
    private static func readReasoningDetail(_ reader: inout JSONReader) throws(JSONParseError) -> JSONString? {
        var type: String?
        var text: JSONString?
        var summary: JSONString?
        let isObject = try reader.members { reader, name throws(JSONParseError) in
            if name.isEqual(to: "type") {
                type = try reader.string()?.value
            } else if name.isEqual(to: "text") {
                text = try reader.string()
            } else if name.isEqual(to: "summary") {
                summary = try reader.string()
            }
        }
        return isObject ? ReasoningDetails.text(type: type, text: text, summary: summary) : nil
    }

    /// One tool call; an element that is not an object reads as a call with nothing in it.
    private static func readToolCall(_ reader: inout JSONReader) throws(JSONParseError) -> ToolCallDelta {
        var call = ToolCallDelta()
        try reader.members { reader, name throws(JSONParseError) in
            if name.isEqual(to: "index") {
                call.index = try reader.number()?.intValue
            } else if name.isEqual(to: "id") {
                call.id = try reader.string()?.value
            } else if name.isEqual(to: "function") {
                call.name = nil
                call.arguments = nil
                try reader.members { reader, name throws(JSONParseError) in
                    if name.isEqual(to: "name") {
                        call.name = try reader.string()?.value
                    } else if name.isEqual(to: "arguments") {
                        let arguments = try reader.value()
                        call.arguments = arguments.jsonString.map(Arguments.fragment) ?? .json(arguments.jsonText)
                    }
                }
            }
        }
        return call
    }
}
