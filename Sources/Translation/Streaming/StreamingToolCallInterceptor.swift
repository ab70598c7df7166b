/// What the stream translator asks of a text tool-call parser: text in, text and completed
/// calls out, holding back only what may still become a call.
public protocol StreamingToolCallInterceptor: Sendable {
    mutating func feed(_ text: String) -> [InterceptedText]
    /// At the end of the stream: whatever was held back (an unterminated call comes back as text).
    mutating func finish() -> [InterceptedText]
}

/// What an interceptor gives back: text to pass on, or a completed call.
public enum InterceptedText: Sendable, Equatable {
    case text(String)
    /// A completed call: the declared tool's name and its arguments as a JSON object text.
    case toolCall(name: String, argumentsJSON: String)
}
