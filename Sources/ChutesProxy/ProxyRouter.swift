import HTTP1
import JSON

/// Sends each request to the handler for its method and path.
struct ProxyRouter: HTTPResponder {
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/"), ("GET", "/health"), ("HEAD", "/"), ("HEAD", "/health"):
            return HTTPResponse(status: 200, contentType: "application/json", body: Self.healthBody)
        default:
            return AnthropicError(status: 404, message: "no route for \(request.method) \(request.path)").response
        }
    }

    private static let healthBody: [UInt8] = {
        let body: JSONValue = ["status": "ok", "version": JSONValue(ProxyVersion.current)]
        return body.serialized()
    }()
}
