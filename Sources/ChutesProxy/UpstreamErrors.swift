import AsyncIO
import Glibc
import HTTP1
import JSON

/// The one place where upstream failures become the errors Anthropic clients expect.
enum UpstreamErrors {
    /// An upstream answer other than 200: same meaning, Anthropic's status and type, and the
    /// upstream's own words (the keys the request carried scrubbed, then truncated).
    static func fromResponse(status: HTTPStatus, body: [UInt8], estimatedPromptTokens: Int, redactor: SecretRedactor) -> AnthropicError {
        let said = message(in: body, redactor: redactor)
        if let tooLong = contextLengthError(said, status: status, estimatedPromptTokens: estimatedPromptTokens) { return tooLong }
        // Chutes says 429 when a model has no free instance: an overload, which Claude Code
        // waits out as such, not the user's own rate limit.
        if status == .tooManyRequests && isCapacity(said) { return AnthropicError(status: .overloaded, message: "upstream answered 429: \(said)") }
        let mapped: HTTPStatus
        switch status {
        case .badRequest, .unprocessableContent: mapped = .badRequest
        case .unauthorized, .paymentRequired, .forbidden, .notFound, .contentTooLarge, .tooManyRequests: mapped = status
        case .serviceUnavailable, .overloaded: mapped = .overloaded
        case .badGateway, .gatewayTimeout: mapped = status
        default: mapped = status.isClientError ? .badRequest : .internalServerError
        }
        return AnthropicError(status: mapped, message: "upstream answered \(status): \(said)")
    }

    /// A transport failure before any response: unreachable -> 502, too slow -> 504. The client
    /// is told what went wrong with "the upstream"; the whole story, with the upstream's
    /// address, goes into the request's record for the log (`RequestRecord.noteUpstreamFailure`).
    static func fromClientError(_ error: HTTPClientError) -> AnthropicError {
        if error == .cancelled { return AnthropicError(status: .clientClosedRequest, type: "api_error", message: "the client went away") }
        RequestRecord.current?.noteUpstreamFailure(error.description)
        switch error {
        case .timedOut: return AnthropicError(status: .gatewayTimeout, message: clientReason(error))
        case .poolTimedOut:
            // The proxy's own overload, not the upstream's slowness: a 529 that clients wait
            // out and retry, never a 504 they give up on.
            var overloaded = AnthropicError(status: .overloaded, message: clientReason(error))
            overloaded.retryAfterSeconds = poolRetryAfterSeconds
            return overloaded
        default: return AnthropicError(status: .badGateway, message: clientReason(error))
        }
    }

    /// The `Retry-After` of a request that found every upstream connection busy for the
    /// whole `UPSTREAM_POOL_TIMEOUT`: long enough for some streams to end.
    static let poolRetryAfterSeconds = 5

    /// A transport failure once the stream has begun: silence is an overload (529, which
    /// clients retry), anything else a server error. The log gets the detail, as above.
    static func fromStreamFailure(_ error: HTTPClientError) -> AnthropicError {
        RequestRecord.current?.noteUpstreamFailure(error.description)
        if case .timedOut = error { return AnthropicError(status: .overloaded, message: "the upstream went silent mid-stream") }
        return AnthropicError(status: .internalServerError, message: "the upstream stream failed: \(clientReason(error))")
    }

    /// A transport failure in words for a client: "the upstream" and what went wrong, never
    /// the upstream's address, host name or the system call (`HTTPClientError.description`
    /// names them, for the log).
    static func clientReason(_ error: HTTPClientError) -> String {
        switch error {
        case .connectFailed(_, let cause): "cannot connect to the upstream" + reason(cause)
        case .tls(.certificateRejected(_, let verification)): "the upstream's TLS certificate was refused: \(verification)"
        case .tls(.io(let cause)), .io(let cause): "the connection to the upstream failed" + reason(cause)
        case .tls: "the TLS connection to the upstream failed"
        case .invalidResponse(let parse) where parse.status == .contentTooLarge: "the upstream's answer is too large"
        case .invalidResponse: "the upstream's answer is not valid HTTP"
        case .closedEarly: "the upstream closed the connection before its answer was complete"
        case .timedOut: "the upstream did not answer in time"
        case .cancelled: "the request to the upstream was cancelled"
        case .poolTimedOut: "every connection to the upstream stayed busy (UPSTREAM_MAX_CONNECTIONS) for UPSTREAM_POOL_TIMEOUT; try again shortly"
        case .invalidURL, .invalidRequest, .addressRefused: "the request to the upstream could not be made"
        }
    }

    /// The system's words for a socket error (`: Connection refused`), without its target.
    private static func reason(_ error: IOError) -> String {
        switch error {
        case .systemCall(_, let code, _): ": " + String(cString: strerror(code))
        case .nameResolution: ": its host name does not resolve"
        case .timedOut: ": no answer in time"
        case .closed, .cancelled: ""
        }
    }

    /// A failure the upstream reported inside a 200 answer: an `error` object in a stream chunk
    /// or a JSON body, or a bare JSON line an engine wrote when it crashed mid-stream. Engine
    /// crashes and capacity are `overloaded_error` (529); anything else is `api_error` (500).
    static func reportedFailure(_ error: JSONValue, bareLine: Bool, redactor: SecretRedactor) -> AnthropicError {
        let said = quoted((error["message"]?.stringValue ?? error["detail"]?.stringValue ?? error.stringValue ?? error.jsonText).utf8, redactor: redactor)
        let code = (error["code"]?.intValue ?? error["status"]?.intValue).map(HTTPStatus.init(rawValue:))
        let overloaded = bareLine || code == .serviceUnavailable || code == .overloaded || isCapacity(said) || isEngineFailure(said)
        return AnthropicError(status: overloaded ? .overloaded : .internalServerError, message: "upstream error: \(said)")
    }

    /// Chutes' words for "no free instance of this model": `Infrastructure is at maximum
    /// capacity, try again later`, `... under maintenance`.
    static func isCapacity(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return ["capacity", "maintenance", "overloaded", "no instances available"].contains(where: lowered.contains)
    }

    private static func isEngineFailure(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return ["unhandled exception", "engine", "cuda", "out of memory"].contains(where: lowered.contains)
    }

    /// The upstream's error message: OpenAI's `error.message`, FastAPI's `detail` (a string, or
    /// a list of `{loc, msg}` validation errors), or the text; quoted as `quoted` does.
    static func message(in body: [UInt8], redactor: SecretRedactor) -> String {
        guard let json = try? JSONValue(parsing: body) else { return quoted(body, redactor: redactor) }
        let text =
            json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["detail"]?.stringValue
            ?? json["detail"]?.arrayValue.map(validationMessages)
            ?? json["message"]?.stringValue ?? json["detail"]?.jsonText ?? json.jsonText
        // Scrubbed as parsed: a key spelled with `\u` escapes in the JSON is found too.
        return quoted(text.utf8, redactor: redactor)
    }

    /// Anything of the upstream's shown to a client or logged (an error message, a body that
    /// is not JSON, a malformed stream chunk): every key the request carried replaced, in the
    /// whole of it and as bytes, and only then cut to 500 characters.
    static func quoted(_ bytes: some Collection<UInt8>, redactor: SecretRedactor) -> String {
        truncated(String(decoding: redactor.scrub(bytes), as: UTF8.self))
    }

    /// FastAPI's validation errors, `[{"loc": ["body", "model"], "msg": "..."}]`, in words.
    private static func validationMessages(_ entries: [JSONValue]) -> String {
        entries.map { entry in
            let location = entry["loc"]?.arrayValue?.map { $0.stringValue ?? $0.jsonText }.joined(separator: ".")
            let said = entry["msg"]?.stringValue ?? entry.stringValue ?? entry.jsonText
            return location.map { "\($0): \(said)" } ?? said
        }.joined(separator: "; ")
    }

    /// At most 500 characters; only those are counted, so a 32 MiB answer costs no more.
    private static func truncated(_ text: String) -> String {
        if text.isEmpty { return "(no message)" }
        let shown = text.prefix(500)
        return shown.endIndex == text.endIndex ? text : String(shown) + "…"
    }

    /// OpenAI's `context_length_exceeded` and vLLM/sglang's wordings become Anthropic's
    /// "prompt is too long: N tokens > M maximum", which Claude Code answers by compacting.
    static func contextLengthError(_ message: String, status: HTTPStatus, estimatedPromptTokens: Int) -> AnthropicError? {
        guard status == .badRequest || status == .contentTooLarge || status == .unprocessableContent else { return nil }
        let lowered = message.lowercased()
        let markers = ["context_length_exceeded", "maximum context length", "context length", "too many tokens", "prompt is too long", "longer than the model's context"]
        guard markers.contains(where: lowered.contains) else { return nil }
        let maximum = number(after: ["context length is ", "context length (", "maximum of ", "context window of "], in: lowered)
        let requested = number(after: ["requested ", "resulted in ", "input (", "prompt has ", "prompt contains "], in: lowered)
        let tokens = requested ?? estimatedPromptTokens
        let limit = maximum ?? max(1, tokens - 1)
        return AnthropicError(status: .badRequest, type: "invalid_request_error", message: "prompt is too long: \(max(tokens, limit + 1)) tokens > \(limit) maximum")
    }

    /// The whole number right after the first of `phrases` found in `text`.
    private static func number(after phrases: [String], in text: String) -> Int? {
        for phrase in phrases {
            guard let range = text.firstRange(of: phrase) else { continue }
            let digits = text[range.upperBound...].prefix { $0.isNumber || $0 == "," }.filter { $0 != "," }
            // The upstream's number: bounded, so the arithmetic on it cannot overflow.
            if let value = Int(digits) { return min(value, 1 << 40) }
        }
        return nil
    }
}
