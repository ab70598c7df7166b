/// An incremental request parser: feed bytes as they arrive, pull events.
///
/// Bytes after a request's end stay buffered and become the next request (pipelining).
/// After an error the parser keeps throwing it: the connection cannot be resynchronised.
public struct HTTPRequestParser: Sendable, ParserFailureLatch {
    /// What `next()` reports: the head, body parts, the end.
    public typealias Event = HTTPMessageEvent<HTTPRequestHead>

    private var core: MessageParserCore
    var failure: HTTPParseError?

    /// A parser that refuses requests past `limits` (413, 431).
    public init(limits: HTTPParserLimits = .init()) {
        core = MessageParserCore(limits: limits, requiresCRLF: true)
    }

    /// Appends bytes straight from a read buffer; `next()` parses them.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { core.feed(bytes) }
    /// Appends bytes; `next()` parses them.
    public mutating func feed(_ bytes: [UInt8]) { core.feed(bytes) }
    /// Appends bytes; `next()` parses them.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) { core.feed(bytes) }

    /// True when bytes of a message not yet complete are buffered.
    public var hasBufferedBytes: Bool { core.hasUnconsumedBytes || core.inBody }

    /// The next event; nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? { try latchedStep() }

    mutating func step() throws(HTTPParseError) -> Event? {
        if core.inBody || core.hasPendingEnd {
            return try core.nextBodyOutput().map { $0.event() }
        }
        guard let lines = try core.takeHead() else { return nil }
        guard let requestLine = lines.first else { return nil }
        let head = try Self.parseRequestLine(requestLine, headers: core.parseFields(lines.dropFirst()))
        if let end = try core.beginBody(core.framing(for: head.headers, default: .none)) {
            core.deferEnd(end)
        }
        return .head(head)
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>, headers: HTTPHeaders) throws(HTTPParseError) -> HTTPRequestHead {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("malformed request line") }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { throw .malformed("invalid method") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 != 127 }) else { throw .malformed("invalid request target") }
        let httpVersion: HTTPVersion
        switch String(decoding: version, as: UTF8.self) {
        case "HTTP/1.1": httpVersion = .http1_1
        case "HTTP/1.0": httpVersion = .http1_0
        case let other where other.hasPrefix("HTTP/") && other.count == 8:
            throw HTTPParseError(status: .httpVersionNotSupported, reason: "HTTP version \(other.dropFirst(5)) is not supported")
        default:
            throw .malformed("invalid HTTP version")
        }
        return HTTPRequestHead(
            method: HTTPMethod(rawValue: String(decoding: method, as: UTF8.self)),
            target: String(decoding: target, as: UTF8.self),
            version: httpVersion,
            headers: headers
        )
    }
}
