import HTTP1
import JSON

/// An error as Anthropic's API reports it: an HTTP status and the body
/// `{"type":"error","error":{"type":...,"message":...}}`. Every error a client sees goes
/// through here, before or during a stream.
public struct AnthropicError: Error, Sendable, Equatable {
    /// The HTTP status Anthropic would answer with.
    public var status: HTTPStatus
    /// Anthropic's error type, e.g. "invalid_request_error".
    public var type: String
    /// What went wrong, for a person.
    public var message: String
    /// Seconds after which a retry may succeed, sent as `Retry-After` (an overload of the
    /// proxy's own, say); nil sends no such header.
    public var retryAfterSeconds: Int?

    /// An error of Anthropic's `type` (`invalid_request_error`, `overloaded_error`, ...).
    public init(status: HTTPStatus, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    /// The error for an HTTP status, with Anthropic's type for it.
    public init(status: HTTPStatus, message: String) {
        self.init(status: status, type: Self.type(forStatus: status), message: message)
    }

    /// Anthropic's error type for a status.
    public static func type(forStatus status: HTTPStatus) -> String {
        switch status {
        case .badRequest, .methodNotAllowed, .requestTimeout, .unsupportedMediaType, .unprocessableContent, .requestHeaderFieldsTooLarge,
            .notImplemented, .httpVersionNotSupported:
            "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .paymentRequired: "billing_error"
        case .gatewayTimeout: "timeout_error"
        case .forbidden: "permission_error"
        case .notFound: "not_found_error"
        case .contentTooLarge: "request_too_large"
        case .tooManyRequests: "rate_limit_error"
        case .serviceUnavailable, .overloaded: "overloaded_error"
        default: "api_error"
        }
    }

    /// The JSON body, as sent in a response or in an SSE `error` event, with the request id
    /// of the request being served (`RequestRecord.current`) as `request_id`.
    public var body: JSONValue { body(requestID: RequestRecord.current?.id) }

    /// The error as a response, with the request id of the request being served.
    public var response: HTTPResponse { response(requestID: RequestRecord.current?.id) }

    /// Anthropic's shape: `{"type":"error","error":{"type":...,"message":...},"request_id":...}`.
    func body(requestID: String?) -> JSONValue {
        var body: JSONObject = ["type": "error", "error": ["type": .string(JSONString(type)), "message": .string(JSONString(message))]]
        if let requestID { body["request_id"] = .string(JSONString(requestID)) }
        return .object(body)
    }

    /// The response carrying this error, with the `request-id` header when there is an id.
    func response(requestID: String?) -> HTTPResponse {
        var response = HTTPResponse(status: status, contentType: "application/json", body: body(requestID: requestID).serialized())
        if let requestID { response.headers.add(name: "request-id", value: requestID) }
        if let retryAfterSeconds { response.headers.add(name: "Retry-After", value: String(retryAfterSeconds)) }
        return response
    }
}
