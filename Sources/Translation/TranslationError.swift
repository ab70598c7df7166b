/// A request the translation refuses, answered as Anthropic's 400 `invalid_request_error`.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offending field, as a path such as `messages.2.content`.
    public var field: String
    /// What is wrong with it, for a person.
    public var message: String

    /// An error about `field` (a path such as `messages.2.content`).
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, as the 400 error says it.
    public var description: String { "\(field): \(message)" }

    static func missing(_ field: String) -> TranslationError { .init(field: field, message: "Field required") }
    static func wrongType(_ field: String, expected: String) -> TranslationError { .init(field: field, message: "Input should be \(expected)") }
}
