/// Why a message could not be parsed, with the status a server answers it with.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400 malformed, 413 body too large, 431 head too large, 501 unknown transfer coding,
    /// 505 unsupported version.
    public var status: HTTPStatus
    /// What was wrong, for a person: the server sends it as the error's message.
    public var reason: String

    /// An error answered with `status`.
    public init(status: HTTPStatus, reason: String) {
        self.status = status
        self.reason = reason
    }

    /// Status and reason: "413: body exceeds 1024 bytes".
    public var description: String { "\(status): \(reason)" }

    static func malformed(_ reason: String) -> HTTPParseError { .init(status: .badRequest, reason: reason) }
}

/// Sizes past which a message is refused.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Start line plus header fields (and chunked trailers); past it: 431.
    public var maxHeaderBytes: Int
    /// The body; past it: 413.
    public var maxBodyBytes: Int
    /// Header fields; past it: 431.
    public var maxHeaderCount: Int

    /// The defaults: 64 KiB of head, 32 MiB of body, 100 header fields.
    public init(maxHeaderBytes: Int = 64 * 1024, maxBodyBytes: Int = 32 * 1024 * 1024, maxHeaderCount: Int = 100) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
