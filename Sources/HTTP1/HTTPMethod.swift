/// A request method. Any RFC 9110 token is one (the parser checks); the ones this server and
/// client use have names. A string literal is a method, so `"PATCH"` reads as itself.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The method as written on the request line (methods are case-sensitive).
    public let rawValue: String

    /// Any method, as written (case matters: `get` is not `GET`).
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `"PATCH"` as a method.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// Reads a resource (`/v1/models`, `/health`, `/metrics`).
    public static let get: HTTPMethod = "GET"
    /// A GET answered with its headers only; the server sends no body.
    public static let head: HTTPMethod = "HEAD"
    /// Sends a body to be processed (`/v1/messages`, the upstream's chat completions).
    public static let post: HTTPMethod = "POST"
    /// Replaces a resource; the client always sends it with a `Content-Length`.
    public static let put: HTTPMethod = "PUT"
    /// Changes part of a resource; the client always sends it with a `Content-Length`.
    public static let patch: HTTPMethod = "PATCH"
    /// Removes a resource.
    public static let delete: HTTPMethod = "DELETE"
    /// Asks which methods a resource allows.
    public static let options: HTTPMethod = "OPTIONS"

    /// The method as written, for logs and error messages.
    public var description: String { rawValue }
}
