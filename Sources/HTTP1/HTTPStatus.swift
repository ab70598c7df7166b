/// A response status code. Any three-digit code is one (the response parser checks); the ones
/// this server, its client and the proxy send or meet have names. An integer literal is a
/// status, so `429` reads as itself.
///
/// One `Int` wide: comparing, switching and storing a status costs what an integer does, and
/// the reason phrase comes from a static table, so nothing is allocated on the way to the wire.
public struct HTTPStatus: RawRepresentable, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The code as written on the status line.
    public let rawValue: Int

    /// Any code, named or not.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// `429` as a status.
    public init(integerLiteral value: Int) {
        self.rawValue = value
    }

    /// The client may send the body it announced with `Expect: 100-continue`.
    public static let `continue`: HTTPStatus = 100
    /// The connection changes protocol; the one interim status that is not skipped.
    public static let switchingProtocols: HTTPStatus = 101
    /// Success.
    public static let ok: HTTPStatus = 200
    /// A resource was created.
    public static let created: HTTPStatus = 201
    /// Success without a body.
    public static let noContent: HTTPStatus = 204
    /// The cached copy is still good; no body.
    public static let notModified: HTTPStatus = 304
    /// The request is malformed or invalid (Anthropic's `invalid_request_error`).
    public static let badRequest: HTTPStatus = 400
    /// No valid key (Anthropic's `authentication_error`).
    public static let unauthorized: HTTPStatus = 401
    /// The account cannot pay for the request (Anthropic's `billing_error`).
    public static let paymentRequired: HTTPStatus = 402
    /// The key may not do this (Anthropic's `permission_error`).
    public static let forbidden: HTTPStatus = 403
    /// No such route or model (Anthropic's `not_found_error`).
    public static let notFound: HTTPStatus = 404
    /// The route exists, but not for this method.
    public static let methodNotAllowed: HTTPStatus = 405
    /// The request did not arrive within the server's read timeout.
    public static let requestTimeout: HTTPStatus = 408
    /// The body is larger than the limit (Anthropic's `request_too_large`).
    public static let contentTooLarge: HTTPStatus = 413
    /// The body's media type is not accepted.
    public static let unsupportedMediaType: HTTPStatus = 415
    /// Well-formed but invalid; OpenAI-compatible servers answer validation errors with it.
    public static let unprocessableContent: HTTPStatus = 422
    /// A rate limit (Anthropic's `rate_limit_error`); Chutes also says it when a model has no
    /// free instance.
    public static let tooManyRequests: HTTPStatus = 429
    /// The head is larger than the limit, or has too many fields.
    public static let requestHeaderFieldsTooLarge: HTTPStatus = 431
    /// The client went away before the answer (nginx's code): recorded in logs and metrics,
    /// never received by anyone.
    public static let clientClosedRequest: HTTPStatus = 499
    /// The server failed (Anthropic's `api_error`).
    public static let internalServerError: HTTPStatus = 500
    /// The request uses a feature the server does not have (a transfer coding, say).
    public static let notImplemented: HTTPStatus = 501
    /// The upstream could not be reached or sent something unusable.
    public static let badGateway: HTTPStatus = 502
    /// The server cannot take the request now (at its connection limit, draining).
    public static let serviceUnavailable: HTTPStatus = 503
    /// The upstream did not answer in time (Anthropic's `timeout_error`).
    public static let gatewayTimeout: HTTPStatus = 504
    /// The request's HTTP version is not 1.0 or 1.1.
    public static let httpVersionNotSupported: HTTPStatus = 505
    /// Anthropic's own code for "overloaded, retry later" (`overloaded_error`), which Claude
    /// Code waits out.
    public static let overloaded: HTTPStatus = 529

    /// 1xx: an interim answer; the final one follows.
    public var isInformational: Bool { (100..<200).contains(rawValue) }
    /// 2xx.
    public var isSuccess: Bool { (200..<300).contains(rawValue) }
    /// 4xx: the request was at fault.
    public var isClientError: Bool { (400..<500).contains(rawValue) }
    /// 5xx: the server (or the upstream behind it) was at fault.
    public var isServerError: Bool { (500..<600).contains(rawValue) }

    /// The reason phrase sent on the status line, for every status Anthropic's API and Chutes
    /// answer with; "Status N" for a code the table does not name. A static table: the phrases are literals, so choosing one allocates nothing.
    public var reasonPhrase: String {
        switch rawValue {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 529: "Overloaded"
        default: "Status \(rawValue)"
        }
    }

    /// The code's digits, as in logs, metrics labels and error messages: "429".
    public var description: String { String(rawValue) }

    /// Appends the code's digits to a head being serialized, without making a string for the
    /// usual three-digit code.
    func appendCode(to bytes: inout [UInt8]) {
        guard (100...999).contains(rawValue) else {
            bytes += String(rawValue).utf8
            return
        }
        bytes.append(UInt8(ascii: "0") + UInt8(rawValue / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(rawValue / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(rawValue % 10))
    }
}
