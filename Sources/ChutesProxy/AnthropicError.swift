import HTTP1
import JSON

/// An error as Anthropic's API reports it: an HTTP status and the body
/// `{"type":"error","error":{"type":...,"message":...}}`. Every error a client sees goes
/// through here, before or during a stream.
public struct AnthropicError: Error, Sendable, Equatable {
    public var status: Int
    /// Anthropic's error type, e.g. "invalid_request_error".
    public var type: String
    public var message: String

    public init(status: Int, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    /// The error for an HTTP status, with Anthropic's type for it.
    public init(status: Int, message: String) {
        self.init(status: status, type: Self.type(forStatus: status), message: message)
    }

    /// Anthropic's error type for a status.
    public static func type(forStatus status: Int) -> String {
        switch status {
        case 400, 405, 408, 415, 422, 431, 501, 505: "invalid_request_error"
        case 401: "authentication_error"
        case 402: "billing_error"
        case 504: "timeout_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        default: "api_error"
        }
    }

    /// The JSON body, as sent in a response or in an SSE `error` event.
    public var body: JSONValue {
        ["type": "error", "error": ["type": .string(JSONString(type)), "message": .string(JSONString(message))]]
    }

    public var response: HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: body.serialized())
    }
}
