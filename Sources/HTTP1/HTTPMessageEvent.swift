/// What the incremental parsers report, in order: the head, zero or more body parts, the end.
public enum HTTPMessageEvent<Head: Sendable & Equatable>: Sendable, Equatable {
    case head(Head)
    /// A piece of the body, in order.
    case body(ArraySlice<UInt8>)
    /// The message is complete.
    case end
}

extension MessageParserCore.Output {
    /// The body output as a parser event.
    func event<Head>() -> HTTPMessageEvent<Head> {
        switch self {
        case .body(let part): .body(part)
        case .end: .end
        }
    }
}
