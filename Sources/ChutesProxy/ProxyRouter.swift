import AsyncIO
import HTTP1
import JSON
import Locking
import Logging

/// Sends each request to the handler for its method and path.
struct ProxyRouter: HTTPResponder {
    let messages: MessagesHandler
    let models: ModelsHandler
    /// The embedding application's routes, answered first.
    let custom: [ProxyRoute]
    let lifecycle: ServingLifecycle
    let accessLog: AccessLog
    let metrics: ProxyMetrics
    /// Keys clients must present, reloaded while serving; `/`, `/health`, `/ready` and
    /// (unless `metricsRequireKey`) `/metrics` stay open.
    let keys: KeyStore
    /// Holds named keys to their limits.
    let limiter: KeyLimiter
    /// Requests and tokens per key and model, for `GET /v1/usage`.
    let usage: UsageLedger
    let metricsRequireKey: Bool
    private static let openPaths: Set<String> = ["/", "/health", "/ready", "/metrics"]
    /// Connections served now and open to the upstream, read when `/metrics` is scraped.
    let connectionCounts: @Sendable () -> (served: Int, upstream: Int, upstreamWaiting: Int, http2: (connections: Int, streams: Int))
    /// Whether the server is cancelling what is left at the end of `SHUTDOWN_GRACE_PERIOD`
    /// (`HTTPServer.isCuttingRequests`): a stream cancelled then was ended by the proxy.
    let isCuttingRequests: @Sendable () -> Bool

    /// Gives every request a `RequestRecord` (its id goes out as the `request-id` header and
    /// in error bodies), bound for the whole request including a streamed body, and reports
    /// it once the response is done.
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let record = RequestRecord()
        var response = await RequestRecord.$current.withValue(record) {
            await route(request)
        }
        response.headers.replaceOrAdd(name: "request-id", value: record.id)
        switch response.body {
        case .bytes:
            finished(record, request: request, status: response.status)
        case .stream(let produce):
            let status = response.status
            let completion = StreamCompletion { [self] unfinished in
                if unfinished {
                    let cut = isCuttingRequests()
                    record.update { if $0.errorType == nil { $0.errorType = cut ? "cut_at_shutdown" : "client_closed" } }
                }
                finished(record, request: request, status: status)
            }
            response.body = .stream { [metrics] writer in
                metrics.streamStarted()
                defer { metrics.streamEnded() }
                do {
                    try await RequestRecord.$current.withValue(record) {
                        try await produce(writer)
                    }
                } catch {
                    completion.finish(unfinished: true)
                    throw error
                }
                completion.finish(unfinished: false)
            }
        }
        return response
    }

    /// A request without a valid key is refused from its head, before its body is read: a
    /// keyless client cannot make the proxy hold tens of megabytes per connection, nor get a
    /// `100 Continue`. Logged and counted as any request.
    func respond(toHead head: HTTPRequestHead, remoteAddress: SocketAddress?) -> HTTPResponse? {
        guard let refusal = keyRefusal(head) else { return nil }
        let record = RequestRecord()
        var response = refusal.response(requestID: record.id)
        response.headers.replaceOrAdd(name: "request-id", value: record.id)
        finished(record, request: HTTPRequest(head: head, remoteAddress: remoteAddress), status: response.status)
        return response
    }

    /// The 401 a request gets for its key alone: none of the proxy's keys (`PROXY_API_KEYS`,
    /// `PROXY_KEYS_FILE`) where one is needed, or no key at all to send upstream for
    /// `/v1/messages`.
    private func keyRefusal(_ head: HTTPRequestHead) -> AnthropicError? {
        if case .failure(let error) = caller(head) { return error }
        return nil
    }

    /// Who the request's key names (`.anyone` on the open paths), or the 401 it gets.
    private func caller(_ head: HTTPRequestHead) -> Result<Caller, AnthropicError> {
        let path = Self.normalized(head.path)
        let ring = keys.ring
        var caller = Caller.anyone
        if !ring.isEmpty, !Self.openPaths.contains(path) || (path == "/metrics" && metricsRequireKey) {
            guard let found = ring.caller(head.headers) else {
                return .failure(
                    AnthropicError(status: .unauthorized, message: "invalid proxy key: send one of the proxy's keys (PROXY_API_KEYS or PROXY_KEYS_FILE) as x-api-key or Authorization: Bearer"))
            }
            caller = found
        }
        if head.method == .post, path == "/v1/messages" {
            do { _ = try messages.upstreams.primary.requiredAPIKey(for: head.headers) } catch { return .failure(error) }
        }
        return .success(caller)
    }

    /// The path without one trailing slash (`/v1/messages/` is `/v1/messages`).
    private static func normalized(_ path: String) -> String {
        path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    }

    private func finished(_ record: RequestRecord, request: HTTPRequest, status: HTTPStatus) {
        let duration = ContinuousClock.now - record.started
        accessLog.write(record, request: request, status: status, duration: duration)
        let fields = record.snapshot
        metrics.requestFinished(fields, endpoint: Self.endpoint(request.path), status: status, duration: duration)
        // Usage is kept only for an admin key to read, so only with named keys.
        if fields.upstreamModel != nil || fields.admission != nil, keys.hasNamedKeys { usage.record(fields) }
        if let admission = fields.admission { limiter.settle(admission, inputTokens: fields.inputTokens, outputTokens: fields.outputTokens) }
    }

    /// The `endpoint` label of the request metrics: a fixed set, whatever the path.
    static func endpoint(_ path: String) -> String {
        switch path {
        case "/v1/messages", "/v1/messages/": "messages"
        case "/v1/messages/count_tokens": "count_tokens"
        case "/health", "/": "health"
        case "/metrics": "metrics"
        case _ where path.hasPrefix("/v1/models"): "models"
        default: "other"
        }
    }

    private func metricsResponse() -> HTTPResponse {
        guard metrics.registry != nil else {
            return AnthropicError(status: .notFound, message: "metrics are off (METRICS_ENABLED=0)").response
        }
        let counts = connectionCounts()
        let body = metrics.exposition(
            activeConnections: counts.served, upstreamConnections: counts.upstream, upstreamPoolWaiters: counts.upstreamWaiting, upstreamHTTP2: counts.http2)
        return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
    }

    private func route(_ request: HTTPRequest) async -> HTTPResponse {
        let path = Self.normalized(request.path)
        // The server asked `respond(toHead:)` already; an embedder calling `respond(to:)` has not.
        let caller: Caller
        switch self.caller(request.head) {
        case .success(let found): caller = found
        case .failure(let refusal): return refusal.response
        }
        if let name = caller.name { RequestRecord.current?.update { $0.keyName = name } }
        if let route = custom.first(where: { $0.method == request.method && $0.path == path }) {
            return await route.handler(request)
        }
        switch (request.method, path) {
        case (.get, "/"), (.get, "/health"), (.head, "/"), (.head, "/health"):
            // Alive until the process exits, draining or not (a liveness probe).
            return HTTPResponse(status: .ok, contentType: "application/json", body: Self.healthBody)
        case (.get, "/ready"), (.head, "/ready"):
            // Readiness: 503 from the moment draining starts, so load balancers stop sending.
            guard !lifecycle.isDraining else {
                return AnthropicError(status: .serviceUnavailable, message: "draining: the proxy is shutting down").response
            }
            return HTTPResponse(status: .ok, contentType: "application/json", body: Self.readyBody)
        case (.get, "/metrics"):
            return metricsResponse()
        case (.post, "/v1/messages"):
            return await messages.messages(request, as: caller, limiter: limiter)
        case (.get, "/v1/usage"):
            return usage.response(request, caller: caller)
        case (.post, "/v1/messages/count_tokens"):
            return messages.countTokens(request)
        case (.get, "/v1/models"):
            return await models.list(request)
        case (.get, _) where path.hasPrefix("/v1/models/"):
            return await models.one(request, encodedID: String(path.dropFirst("/v1/models/".count)))
        case (_, "/v1/messages"), (_, "/v1/messages/count_tokens"), (_, "/v1/models"), (_, "/v1/usage"):
            return AnthropicError(status: .methodNotAllowed, message: "\(request.method) is not allowed on \(path)").response
        default:
            return AnthropicError(status: .notFound, message: "no route for \(request.method) \(request.path)").response
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

/// Reports a streamed response exactly once: when its stream ends or fails, or, when the
/// server never starts the stream (the client left before the response head could be
/// written, so not one byte of the stream went out), when the response is dropped unwritten.
private final class StreamCompletion: Sendable {
    private let report: Mutex<(@Sendable (_ unfinished: Bool) -> Void)?>

    init(_ report: @escaping @Sendable (_ unfinished: Bool) -> Void) {
        self.report = Mutex(report)
    }

    /// The first call reports; `unfinished` when the stream did not reach its end.
    func finish(unfinished: Bool) {
        let pending = report.withLock { report in
            defer { report = nil }
            return report
        }
        pending?(unfinished)
    }

    deinit {
        finish(unfinished: true)
    }
}
