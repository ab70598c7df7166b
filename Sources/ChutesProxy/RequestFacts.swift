import HTTP1

/// What one `POST /v1/messages` did, gathered as it goes, for its log line: the model asked
/// for and the one that served, the route, every attempt and the outcome.
struct RequestFacts: Sendable {
    var requestedModel: String
    var stream = false
    /// The route that matched (nil: `MODEL_MAP` or the name as asked).
    var route: String?
    /// The model (or pool) sent upstream last.
    var upstreamModel: String?
    /// The upstream's status for the last attempt (or the proxy's for a request refused first).
    var status: HTTPStatus?
    var inputTokens: Int?
    var outputTokens: Int?
    /// Chutes' `x-chutes-invocationid` of the last attempt.
    var invocationID: String?
    /// Each model tried or skipped, with why: `"a: 529 overloaded_error"`, `"b: skipped (circuit open)"`.
    var attempts: [String] = []

    init(requestedModel: String, stream: Bool = false) {
        self.requestedModel = requestedModel
        self.stream = stream
    }

    mutating func record(_ answer: UpstreamCaller.Answer) {
        upstreamModel = answer.prepared.model
        status = answer.response.status
        invocationID = answer.invocationID ?? invocationID
    }

    mutating func record(_ failure: UpstreamFailure) {
        status = failure.error.status
        invocationID = failure.invocationID ?? invocationID
    }

    /// `POST /v1/messages model claude-x -> a stream=true route=background upstream 200 12 ms tokens in 5 out 3 tries [...] invocation ...`
    func line(elapsed: Duration) -> String {
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        // Model names are the client's: escaped, so a line break cannot forge a log line.
        var line = "POST /v1/messages model \(requestedModel.escapedForLog) -> \((upstreamModel ?? "-").escapedForLog) stream=\(stream)"
        if let route { line += " route=\(route)" }
        line += " upstream \(status?.description ?? "-") \(milliseconds) ms"
        if inputTokens != nil || outputTokens != nil { line += " tokens in \(inputTokens ?? 0) out \(outputTokens ?? 0)" }
        if attempts.count > 1 || attempts.contains(where: { $0.contains("skipped") }) { line += " tries [\(attempts.joined(separator: "; ").escapedForLog)]" }
        if let invocationID { line += " invocation \(invocationID.escapedForLog)" }
        return line
    }
}
