import HTTP1
import Logging

/// One line per request, written when its response is done: who asked for what, where it
/// went, how it went and how long it took. Headers are never read here, so keys and
/// `Authorization` cannot reach it (a named key appears by its name, `key`); the path is
/// logged without its query string.
///
/// Before it, a request that met a transport failure with the upstream (unreachable, reset,
/// too slow) gets a `warning` line saying how, with the upstream's address, which the client
/// was not told.
struct AccessLog: Sendable {
    let logger: Logger
    /// The logger's handler when it is the proxy's own writing JSON lines with no metadata of
    /// its own (as deployed): the line is then written straight into bytes (`JSONLogLine`),
    /// which costs a fraction of filling and sorting a `Logger.Metadata` dictionary. Any
    /// other handler gets the metadata through `logger`.
    private let jsonHandler: ProxyLogHandler?

    /// Writes through `logger`; `direct: false` always goes through swift-log's metadata.
    init(logger: Logger, direct: Bool = true) {
        self.logger = logger
        if direct, let handler = logger.handler as? ProxyLogHandler, handler.takesJSONLines {
            jsonHandler = handler
        } else {
            jsonHandler = nil
        }
    }

    /// Probes and scrapes come every few seconds: they are logged at `debug` only, whatever
    /// they answer (`/ready`'s 503 all through a drain, a 401 to a scraper without a key).
    private static let quietPaths: Set<String> = ["/health", "/ready", "/metrics", "/"]

    func write(_ record: RequestRecord, request: HTTPRequest, status: HTTPStatus, duration: Duration) {
        if let failure = record.upstreamFailure {
            logger.warning("upstream failure: \(failure)", metadata: ["request_id": .string(record.id)])
        }
        let level: Logger.Level = Self.quietPaths.contains(request.path) ? .debug : .info
        guard logger.logLevel <= level else { return }
        let fields = record.snapshot
        if let jsonHandler {
            // The keys in sorted order, as ProxyLogHandler writes metadata.
            var line = JSONLogLine(level: level, message: "request")
            if let client = request.remoteAddress { line.add("client", client.description) }
            if let compaction = fields.autoCompaction {
                line.add("context_removed_messages", compaction.removedMessages)
                line.add("context_tokens_after", compaction.tokensAfter)
                line.add("context_tokens_before", compaction.tokensBefore)
            }
            line.add("duration_ms", milliseconds: duration)
            if let error = fields.errorType { line.add("error", error) }
            if let tokens = fields.inputTokens { line.add("input_tokens", tokens) }
            if let key = fields.keyName { line.add("key", key) }
            line.add("method", request.method.rawValue)
            if let model = fields.requestedModel { line.add("model", model) }
            if let tokens = fields.outputTokens { line.add("output_tokens", tokens) }
            line.add("path", request.path)
            if let waited = fields.poolWait { line.add("pool_wait_ms", milliseconds: waited) }
            line.add("request_id", record.id)
            if let route = fields.route { line.add("route", route) }
            line.add("status", status.rawValue)
            if fields.upstreamModel != nil { line.add("stream", fields.stream) }
            if let tries = fields.fallbackTries { line.add("tries", tries) }
            if let firstByte = fields.timeToFirstByte ?? fields.upstreamLatency { line.add("ttfb_ms", milliseconds: firstByte) }
            if let model = fields.upstreamModel { line.add("upstream_model", model) }
            if let latency = fields.upstreamLatency { line.add("upstream_ms", milliseconds: latency) }
            if let upstreamStatus = fields.upstreamStatus { line.add("upstream_status", upstreamStatus.rawValue) }
            jsonHandler.write(line)
            return
        }
        var metadata: Logger.Metadata = [
            "request_id": .string(record.id),
            "method": .string(request.method.rawValue),
            "path": .string(request.path),
            "status": .stringConvertible(status.rawValue),  // an Int: a number in JSON logs
            "duration_ms": .stringConvertible(Self.milliseconds(duration)),
        ]
        if let client = request.remoteAddress { metadata["client"] = .string(client.description) }
        if let model = fields.requestedModel { metadata["model"] = .string(model) }
        if let model = fields.upstreamModel { metadata["upstream_model"] = .string(model) }
        if let route = fields.route { metadata["route"] = .string(route) }
        if let tries = fields.fallbackTries { metadata["tries"] = .string(tries) }
        if let upstreamStatus = fields.upstreamStatus { metadata["upstream_status"] = .stringConvertible(upstreamStatus.rawValue) }
        if let latency = fields.upstreamLatency { metadata["upstream_ms"] = .stringConvertible(Self.milliseconds(latency)) }
        if let waited = fields.poolWait { metadata["pool_wait_ms"] = .stringConvertible(Self.milliseconds(waited)) }
        if let firstByte = fields.timeToFirstByte ?? fields.upstreamLatency { metadata["ttfb_ms"] = .stringConvertible(Self.milliseconds(firstByte)) }
        if fields.upstreamModel != nil { metadata["stream"] = .stringConvertible(fields.stream) }
        if let tokens = fields.inputTokens { metadata["input_tokens"] = .stringConvertible(tokens) }
        if let tokens = fields.outputTokens { metadata["output_tokens"] = .stringConvertible(tokens) }
        if let error = fields.errorType { metadata["error"] = .string(error) }
        if let compaction = fields.autoCompaction {
            metadata["context_tokens_before"] = .stringConvertible(compaction.tokensBefore)
            metadata["context_tokens_after"] = .stringConvertible(compaction.tokensAfter)
            metadata["context_removed_messages"] = .stringConvertible(compaction.removedMessages)
        }
        if let key = fields.keyName { metadata["key"] = .string(key) }
        logger.log(level: level, "request", metadata: metadata)
    }

    /// Milliseconds with microsecond precision.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds * 1_000_000 + attoseconds / 1_000_000_000_000) / 1000
    }
}
