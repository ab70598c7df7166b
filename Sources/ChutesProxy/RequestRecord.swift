import HTTP1
import JSON
import Locking

/// What the proxy learns about one request while serving it, written out once at the end as
/// the access-log line and the request metrics (and, at debug level, as the messages
/// handler's detail line).
///
/// The router makes one per request and binds it to `RequestRecord.current` for the whole
/// request, the streamed body included; handlers fill in what only they know (models,
/// route, upstream status, tokens, the models tried) with `update`. Error bodies read the
/// request id from it.
final class RequestRecord: Sendable {
    /// The fields a handler may fill; all optional because a request may end at any step.
    struct Fields: Sendable {
        /// The model the client asked for.
        var requestedModel: String?
        /// The model (or pool) sent upstream.
        var upstreamModel: String?
        /// The provider label of the upstream that answered last (nil without `PROVIDERS`),
        /// set with `upstreamStatus`: a label of the upstream-facing request metrics.
        var provider: String?
        /// The name of the `ROUTES` entry that matched (nil: `MODEL_MAP` or the name as asked).
        var route: String?
        /// The status of the upstream's last answer.
        var upstreamStatus: HTTPStatus?
        /// From the start of the request to the upstream's response head.
        var upstreamLatency: Duration?
        /// How long the request queued for an upstream connection of a full pool, over all
        /// its tries; nil when it never queued. In the access line as `pool_wait_ms`.
        var poolWait: Duration?
        /// From the start of the request to the first byte of the upstream's body (streams:
        /// the first token).
        var timeToFirstByte: Duration?
        var stream = false
        var inputTokens: Int?
        var outputTokens: Int?
        /// Anthropic's error type when the request failed (before or during a stream).
        var errorType: String?
        /// Each model tried or skipped, with why: `"a: 529 overloaded_error"`,
        /// `"b: skipped (cooling down for 30 s)"`. In the access line as `tries` when a
        /// fallback happened (`fallbackTries`).
        var attempts: [String] = []
        /// What `AUTO_COMPACT` did to the request; nil when it did nothing.
        var autoCompaction: AutoCompaction?
        /// Chutes' id for the last invocation that had one (`x-chutes-invocationid`). Debug
        /// detail only.
        var invocationID: String?
        /// How the last transport failure with the upstream went, in full (its address, the
        /// system call): the client was told less. Logged as a warning line of its own.
        var upstreamFailure: String?
        /// The name of the caller's key (`PROXY_KEYS_FILE`); never the key. In the access
        /// line as `key`, and a label of the request and token metrics.
        var keyName: String?
        /// What a limited key was charged, settled when the request ends.
        var admission: KeyAdmission?
    }

    /// `req_` and 24 random characters; sent as the `request-id` header and in error bodies.
    let id: String
    let started: ContinuousClock.Instant
    private let fields = Mutex(Fields())

    /// The record of the request this task serves, if any.
    @TaskLocal static var current: RequestRecord?

    init(id: String = RequestID.make(), started: ContinuousClock.Instant = .now) {
        self.id = id
        self.started = started
    }

    func update(_ change: (inout Fields) -> Void) {
        fields.withLock { change(&$0) }
    }

    var snapshot: Fields { fields.withLock { $0 } }

    /// Notes the upstream's response head: its status, Chutes' invocation id, how long it
    /// took, and which provider answered (its metrics label; nil without `PROVIDERS`).
    func noteUpstreamResponse(status: HTTPStatus, invocationID: String?, provider: String? = nil) {
        let elapsed = ContinuousClock.now - started
        update {
            $0.upstreamStatus = status
            $0.provider = provider
            $0.upstreamLatency = elapsed
            if let invocationID { $0.invocationID = invocationID }
        }
    }

    /// Notes a wait for an upstream connection of a full pool; waits of several tries add up.
    func notePoolWait(_ waited: Duration) {
        update { $0.poolWait = ($0.poolWait ?? .zero) + waited }
    }

    /// Notes a transport failure with the upstream, as `HTTPClientError` describes it.
    func noteUpstreamFailure(_ description: String) {
        update { $0.upstreamFailure = description }
    }

    /// The noted transport failure, read without copying the other fields (asked of every
    /// request, also when the access line is not written).
    var upstreamFailure: String? { fields.withLock { $0.upstreamFailure } }

    /// Notes the first byte of the upstream's body, once.
    func noteFirstByte() {
        let elapsed = ContinuousClock.now - started
        update { if $0.timeToFirstByte == nil { $0.timeToFirstByte = elapsed } }
    }

    /// Notes the tokens of an Anthropic `usage` object: input counts cached tokens too.
    func noteUsage(_ usage: JSONValue?) {
        guard let usage else { return }
        let output = usage["output_tokens"]?.intValue
        let input = usage["input_tokens"]?.intValue.map {
            // The upstream's counts, passed through: summed without trapping.
            $0.saturatingAdd(usage["cache_read_input_tokens"]?.intValue ?? 0).saturatingAdd(usage["cache_creation_input_tokens"]?.intValue ?? 0)
        }
        update {
            if let input { $0.inputTokens = input }
            if let output { $0.outputTokens = output }
        }
    }
}

extension RequestRecord.Fields {
    /// The tries joined by `; ` when the request moved along a fallback list (more than one
    /// model tried, or one skipped); nil when it went to one model.
    var fallbackTries: String? {
        guard attempts.count > 1 || attempts.contains(where: { $0.contains("skipped") }) else { return nil }
        return attempts.joined(separator: "; ")
    }

    /// The debug detail of a `POST /v1/messages`: `POST /v1/messages model claude-x -> a
    /// stream=true route=background upstream 200 12 ms tokens in 5 out 3 tries [...] invocation ...`
    /// (`upstream -` when no upstream answered).
    func messagesLine(elapsed: Duration) -> String {
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        // Model names are the client's: escaped, so a line break cannot forge a log line.
        var line = "POST /v1/messages model \((requestedModel ?? "?").escapedForLog) -> \((upstreamModel ?? "-").escapedForLog) stream=\(stream)"
        if let route { line += " route=\(route)" }
        line += " upstream \(upstreamStatus.map(String.init) ?? "-") \(milliseconds) ms"
        if inputTokens != nil || outputTokens != nil { line += " tokens in \(inputTokens ?? 0) out \(outputTokens ?? 0)" }
        if let tries = fallbackTries { line += " tries [\(tries.escapedForLog)]" }
        if let invocationID { line += " invocation \(invocationID.escapedForLog)" }
        return line
    }
}
