/// An incremental response parser for the client. Skips 1xx interim responses; no body for
/// HEAD, 204 and 304; bodies sized, chunked or read until the connection closes.
public struct HTTPResponseParser: Sendable, ParserFailureLatch {
    /// What `next()` reports: the head (interim 1xx skipped), body parts, the end.
    public typealias Event = HTTPMessageEvent<HTTPResponseHead>

    private var core: MessageParserCore
    var failure: HTTPParseError?
    private var requestWasHEAD = false
    private var keepAlive = true

    /// A parser that refuses responses past `limits`. The body is unlimited by default: the
    /// client streams it, and callers bound what they collect.
    public init(limits: HTTPParserLimits = .init(maxBodyBytes: .max)) {
        core = MessageParserCore(limits: limits)
    }

    /// Call before each response: whether the request it answers was a HEAD.
    public mutating func expectResponse(toHEAD: Bool) {
        requestWasHEAD = toHEAD
    }

    /// Appends bytes straight from a read buffer; `next()` parses them.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { core.feed(bytes) }
    /// Appends bytes; `next()` parses them.
    public mutating func feed(_ bytes: [UInt8]) { core.feed(bytes) }
    /// Appends bytes; `next()` parses them.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) { core.feed(bytes) }

    /// Lets go of the bytes already parsed, and, when all are, of their storage: called
    /// before waiting for the next read, so a stream between two events holds none.
    public mutating func dropConsumedBytes() { core.dropConsumed() }

    /// After `.end`: whether the connection may carry another request.
    public var isKeepAlive: Bool { keepAlive }

    /// The next event; nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? { try latchedStep() }

    /// At end of input: `.end` for a body delimited by the close, nil when between
    /// responses; throws when a response was cut short.
    public mutating func finish() throws(HTTPParseError) -> Event? {
        if let failure { throw failure }
        keepAlive = false
        return try core.finish().map { $0.event() }
    }

    mutating func step() throws(HTTPParseError) -> Event? {
        if core.inBody || core.hasPendingEnd {
            return try core.nextBodyOutput().map { $0.event() }
        }
        while true {
            guard let lines = try core.takeHead(), let statusLine = lines.first else { return nil }
            let head = try Self.parseStatusLine(statusLine, headers: core.parseFields(lines.dropFirst()))
            if head.status.isInformational && head.status != .switchingProtocols { continue }
            let bodiless = requestWasHEAD || head.status == .noContent || head.status == .notModified || head.status.isInformational
            let framing: MessageParserCore.Framing = bodiless ? .none : try core.framing(for: head.headers, default: .untilClose)
            keepAlive = framing != .untilClose && head.version.keepsAlive(head.headers)
            if let end = try core.beginBody(framing) { core.deferEnd(end) }
            return .head(head)
        }
    }

    private static func parseStatusLine(_ line: ArraySlice<UInt8>, headers: HTTPHeaders) throws(HTTPParseError) -> HTTPResponseHead {
        let parts = line.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { throw .malformed("malformed status line") }
        let version: HTTPVersion
        switch String(decoding: parts[0], as: UTF8.self) {
        case "HTTP/1.1": version = .http1_1
        case "HTTP/1.0": version = .http1_0
        default: throw .malformed("unsupported response version")
        }
        let digits = parts[1]
        guard digits.count == 3, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw .malformed("invalid status code") }
        let status = HTTPStatus(rawValue: digits.reduce(0) { $0 * 10 + Int($1 - 48) })
        let reason = parts.count == 3 ? String(decoding: parts[2], as: UTF8.self) : ""
        return HTTPResponseHead(status: status, reason: reason, headers: headers, version: version)
    }
}
