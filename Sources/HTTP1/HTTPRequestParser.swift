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

    /// Lets go of the bytes of requests already parsed, and, when all are, of their storage,
    /// now rather than when the next bytes arrive (the server calls it before answering).
    public mutating func dropConsumedBytes() { core.dropConsumed() }

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
        var headers = headers
        let originForm = try originForm(of: target, headers: &headers)
        return HTTPRequestHead(
            method: HTTPMethod(rawValue: String(decoding: method, as: UTF8.self)),
            target: String(decoding: originForm, as: UTF8.self),
            version: httpVersion,
            headers: headers
        )
    }

    /// The target in origin-form (`/path?query`). An absolute-form target
    /// (`http://host/v1/messages`, as a client configured for a forward proxy sends it) must be
    /// accepted (RFC 9112, section 3.2.2): its path and query are the target, and its
    /// authority replaces any `Host` field, which the server must then ignore. Every other
    /// form is returned as it is (the router answers what it does not know with 404).
    private static func originForm(of target: ArraySlice<UInt8>, headers: inout HTTPHeaders) throws(HTTPParseError) -> ArraySlice<UInt8> {
        guard let schemeEnd = absoluteFormSchemeEnd(target) else { return target }
        let afterScheme = target[schemeEnd...]
        let authorityEnd = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? target.endIndex
        let authority = target[schemeEnd..<authorityEnd]
        // An http(s) URI without a host is invalid (RFC 9110, section 4.2.1), and userinfo is
        // deprecated there and refused by the servers this one sits beside.
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { throw .malformed("invalid request target") }
        guard target[authorityEnd...].first != UInt8(ascii: "#") else { throw .malformed("invalid request target") }
        headers.replaceOrAdd(name: "Host", value: String(decoding: authority, as: UTF8.self))
        let rest = target[authorityEnd...]
        if rest.first == UInt8(ascii: "/") { return rest }
        return ArraySlice(Array("/".utf8) + rest)
    }

    /// Where the authority of an `http://` or `https://` target (any letter case) begins.
    private static func absoluteFormSchemeEnd(_ target: ArraySlice<UInt8>) -> ArraySlice<UInt8>.Index? {
        for scheme in ["http://", "https://"] where target.count >= scheme.utf8.count {
            let prefix = target.prefix(scheme.utf8.count)
            if prefix.elementsEqual(scheme.utf8, by: { $0 | 0x20 == $1 | 0x20 }) { return target.startIndex + scheme.utf8.count }
        }
        return nil
    }
}
