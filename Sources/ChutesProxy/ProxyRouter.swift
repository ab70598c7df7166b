import HTTP1
import JSON
import Logging

/// Sends each request to the handler for its method and path.
struct ProxyRouter: HTTPResponder {
    let messages: MessagesHandler
    let models: ModelsHandler
    /// The embedding application's routes, answered first.
    let custom: [ProxyRoute]
    let lifecycle: ServingLifecycle

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let path = request.path.hasSuffix("/") && request.path.count > 1 ? String(request.path.dropLast()) : request.path
        if let route = custom.first(where: { $0.method == request.method && $0.path == path }) {
            return await route.handler(request)
        }
        switch (request.method, path) {
        case ("GET", "/"), ("GET", "/health"), ("HEAD", "/"), ("HEAD", "/health"):
            // Alive until the process exits, draining or not (a liveness probe).
            return HTTPResponse(status: 200, contentType: "application/json", body: Self.healthBody)
        case ("GET", "/ready"), ("HEAD", "/ready"):
            // Readiness: 503 from the moment draining starts, so load balancers stop sending.
            guard !lifecycle.isDraining else {
                return AnthropicError(status: 503, message: "draining: the proxy is shutting down").response
            }
            return HTTPResponse(status: 200, contentType: "application/json", body: Self.readyBody)
        case ("POST", "/v1/messages"):
            return await messages.messages(request)
        case ("POST", "/v1/messages/count_tokens"):
            return messages.countTokens(request)
        case ("GET", "/v1/models"):
            return await models.list(request)
        case ("GET", _) where path.hasPrefix("/v1/models/"):
            return await models.one(request, id: String(path.dropFirst("/v1/models/".count)))
        case (_, "/v1/messages"), (_, "/v1/messages/count_tokens"), (_, "/v1/models"):
            return AnthropicError(status: 405, message: "\(request.method) is not allowed on \(path)").response
        default:
            return AnthropicError(status: 404, message: "no route for \(request.method) \(request.path)").response
        }
    }

    private static let readyBody: [UInt8] = {
        let body: JSONValue = ["status": "ready", "version": JSONValue(ProxyVersion.current)]
        return body.serialized()
    }()

    private static let healthBody: [UInt8] = {
        let body: JSONValue = ["status": "ok", "version": JSONValue(ProxyVersion.current)]
        return body.serialized()
    }()
}
