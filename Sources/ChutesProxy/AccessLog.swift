import HTTP1
import Logging

/// One line per request, written when its response is done: who asked for what, where it
/// went, how it went and how long it took. Headers are never read here, so keys and
/// `Authorization` cannot reach it; the path is logged without its query string.
struct AccessLog: Sendable {
    let logger: Logger

    /// Probes and scrapes come every few seconds: they are logged at `debug` only.
    private static let quietPaths: Set<String> = ["/health", "/ready", "/metrics", "/"]

    func write(_ record: RequestRecord, request: HTTPRequest, status: HTTPStatus, duration: Duration) {
        let failed = status.isClientError || status.isServerError
        let level: Logger.Level = Self.quietPaths.contains(request.path) && !failed ? .debug : .info
        guard logger.logLevel <= level else { return }
        let fields = record.snapshot
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
        if let upstreamStatus = fields.upstreamStatus { metadata["upstream_status"] = .stringConvertible(upstreamStatus.rawValue) }
        if let latency = fields.upstreamLatency { metadata["upstream_ms"] = .stringConvertible(Self.milliseconds(latency)) }
        if let firstByte = fields.timeToFirstByte ?? fields.upstreamLatency { metadata["ttfb_ms"] = .stringConvertible(Self.milliseconds(firstByte)) }
        if fields.upstreamModel != nil { metadata["stream"] = .stringConvertible(fields.stream) }
        if let tokens = fields.inputTokens { metadata["input_tokens"] = .stringConvertible(tokens) }
        if let tokens = fields.outputTokens { metadata["output_tokens"] = .stringConvertible(tokens) }
        if let error = fields.errorType { metadata["error"] = .string(error) }
        logger.log(level: level, "request", metadata: metadata)
    }

    /// Milliseconds with microsecond precision.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds * 1_000_000 + attoseconds / 1_000_000_000_000) / 1000
    }
}
