import AsyncIO
import HTTP1
import JSON
import Logging
import Synchronization
import Translation

/// `POST /v1/messages` (any query string, e.g. `?beta=true`) and `/v1/messages/count_tokens`.
struct MessagesHandler: Sendable {
    /// Every provider's upstream; a client's key is checked against the default one's.
    let upstreams: Upstreams
    let logger: Logger
    let caller: UpstreamCaller
    /// Runs `web_search` / `web_fetch` for requests that declare them; nil leaves them out.
    let serverTools: ServerToolRunner?

    init(upstreams: Upstreams, logger: Logger, serverTools: ServerToolRunner? = nil) {
        self.upstreams = upstreams
        self.logger = logger
        self.serverTools = serverTools
        caller = UpstreamCaller(upstreams: upstreams, builder: UpstreamRequestBuilder(configuration: upstreams.primary.configuration))
    }

    var configuration: ProxyConfiguration { upstreams.primary.configuration }

    func countTokens(_ request: HTTPRequest) -> HTTPResponse {
        do throws(AnthropicError) {
            let body: JSONValue
            do {
                body = try JSONValue(parsing: request.body)
            } catch {
                throw AnthropicError(status: .badRequest, message: "the request body is not valid JSON: \(error)")
            }
            guard body.objectValue != nil else { throw AnthropicError(status: .badRequest, message: "body: Input should be a JSON object") }
            guard let messages = body["messages"] else { throw AnthropicError(status: .badRequest, message: "messages: Field required") }
            guard messages.arrayValue != nil else { throw AnthropicError(status: .badRequest, message: "messages: Input should be a valid list") }
            // Counted as the request would go upstream: after its context edits, with the
            // count before them reported as Anthropic's API does.
            let edited: (body: JSONValue, management: ContextManagement?, applied: [JSONValue])
            do {
                edited = try ContextEditor.edit(body)
            } catch {
                throw AnthropicError(status: .badRequest, message: error.description)
            }
            var count: JSONObject = ["input_tokens": JSONValue(TokenEstimator.estimate(request: edited.body))]
            if edited.management != nil {
                count["context_management"] = ["original_input_tokens": JSONValue(TokenEstimator.estimate(request: body))]
            }
            return HTTPResponse(status: .ok, contentType: "application/json", body: JSONValue.object(count).serialized())
        } catch {
            return error.response
        }
    }

    /// The request path as its steps: parse, admit (a named key's models and limits),
    /// resolve the route, then call (prepare the upstream request and send it, falling over
    /// when the route allows) and relay. A limited key's answer, whatever it is after the
    /// admission, carries the `anthropic-ratelimit-*` headers.
    func messages(_ httpRequest: HTTPRequest, as holder: Caller = .anyone, limiter: KeyLimiter? = nil) async -> HTTPResponse {
        // The router binds one to every request; a handler called on its own keeps its own.
        let record = RequestRecord.current ?? RequestRecord()
        var rateLimitHeaders: [(String, String)] = []
        var response = await messages(httpRequest, holder: holder, limiter: limiter, record: record, rateLimitHeaders: &rateLimitHeaders)
        // Added, not replaced: no other part of the proxy writes these names.
        for (name, value) in rateLimitHeaders { response.headers.add(name: name, value: value) }
        return response
    }

    private func messages(
        _ httpRequest: HTTPRequest, holder: Caller, limiter: KeyLimiter?, record: RequestRecord, rateLimitHeaders: inout [(String, String)]
    ) async -> HTTPResponse {
        do throws(AnthropicError) {
            var request = try await OffReactor.run(forBytes: httpRequest.body.count) { [upstream = upstreams.primary] () throws(AnthropicError) in
                try MessagesRequest.parse(httpRequest, key: upstream.requiredAPIKey(for:))
            }
            if case .named(let key) = holder {
                let admitted = await admit(request, key: key, limiter: limiter, record: record)
                rateLimitHeaders = admitted.headers
                if let refusal = admitted.refusal { throw refusal }
            }
            let plan = await ModelRoute.plan(for: request, routes: configuration.routes, map: configuration.modelMap) { model in
                await upstreams.info(for: model, correctCase: configuration.autoFixModelCase)?.acceptsImages
            }
            record.update {
                $0.requestedModel = request.requestedModel; $0.upstreamModel = plan.candidates.first; $0.stream = request.stream; $0.route = plan.route
            }
            var attempts: [String] = []
            if let compact = request.contextManagement?.compact, request.estimatedInputTokens > compact.triggerTokens {
                request = try await compacted(request, compact: compact, plan: plan, attempts: &attempts, record: record)
                if compact.pauseAfterCompaction { return pausedAfterCompaction(request, record: record) }
            } else if configuration.autoCompact != .off, let model = plan.candidates.first,
                let window = await upstreams.info(for: model, correctCase: configuration.autoFixModelCase)?.contextLength
            {
                if let compacted = try await autoCompacted(request, window: window, plan: plan, attempts: &attempts, record: record) {
                    request = compacted.request
                }
            }
            let declarations = try ServerToolDeclaration.declarations(in: request.body["tools"])
            if let serverTools, !declarations.isEmpty {
                let loop = ServerToolLoop(runner: serverTools, declarations: declarations)
                var response = try await loop.respond(to: request, record: record, pingInterval: configuration.pingInterval) { turn throws(AnthropicError) in
                    var attempts: [String] = []
                    return try await translatedMessage(try await call(turn, plan: plan, attempts: &attempts, record: record))
                }
                if let model = record.snapshot.upstreamModel { response.headers.add(name: Self.upstreamModelHeader, value: model.escapedForLog) }
                return response
            }
            let answer = try await call(request, plan: plan, attempts: &attempts, record: record)
            var response = try await relay(answer, record: record)
            record.snapshot.autoCompaction?.add(to: &response.headers)
            return response
        } catch {
            log(record, outcome: "error \(error.status) \(error.type): \(error.message)")
            var response = error.response
            // The model the failure is about (the last one tried), as on a success.
            if let model = record.snapshot.upstreamModel { response.headers.add(name: Self.upstreamModelHeader, value: model.escapedForLog) }
            return response
        }
    }

    /// Step 1b: a named key may ask for its models only, within its limits. Returns the
    /// rate-limit headers of the answer, which a refusal carries too.
    private func admit(
        _ request: MessagesRequest, key: NamedKey, limiter: KeyLimiter?, record: RequestRecord
    ) async -> (headers: [(String, String)], refusal: AnthropicError?) {
        guard key.allows(model: request.requestedModel) else {
            record.update { $0.requestedModel = request.requestedModel }
            let message = "key \(key.name) may not use model \(request.requestedModel.escapedForLog) (its \"models\" in PROXY_KEYS_FILE)"
            return ([], AnthropicError(status: .forbidden, type: "permission_error", message: message))
        }
        guard key.limits.isLimited, let limiter else { return ([], nil) }
        let (outcome, headers) = await limiter.admit(key) { request.estimatedInputTokens }
        switch outcome {
        case .success(let admission):
            record.update { $0.admission = admission }
            return (headers, nil)
        case .failure(let error):
            record.update { $0.requestedModel = request.requestedModel }
            return (headers, error)
        }
    }

    /// Step 4, the models of the plan tried in turn; the tries go into the record.
    private func call(
        _ request: MessagesRequest, plan: RoutePlan, attempts: inout [String], record: RequestRecord
    ) async throws(AnthropicError) -> UpstreamCaller.Answer {
        let answer: UpstreamCaller.Answer
        do {
            answer = try await caller.call(request, plan: plan, attempts: &attempts)
        } catch {
            record.update {
                $0.attempts = attempts
                if let model = error.model { $0.upstreamModel = model }
            }
            throw ModelRoute.explainingUnmappedClaudeName(error.error, request: request, plan: plan, map: configuration.modelMap)
        }
        record.update {
            $0.attempts = attempts
            $0.upstreamModel = answer.target
        }
        return answer
    }

    /// Step 5: the upstream's answer to the client, streamed or whole.
    private func relay(_ answer: UpstreamCaller.Answer, record: RequestRecord) async throws(AnthropicError) -> HTTPResponse {
        let context = answer.prepared.context
        let isEventStream = answer.response.headers["Content-Type"].map(Self.isEventStreamType) ?? false
        if context.stream && answer.prepared.structuredOutput == .guided {
            return streamResponse(answer.response, isEventStream: isEventStream, context: context, redactor: answer.redactor, record: record)
        }
        if context.stream {
            // Asked whole to be checked first; streamed to the client from the checked answer.
            let parsed = try await checkedWholeAnswer(answer)
            return streamResponse(answer.response, whole: parsed.serialized(), context: context, redactor: answer.redactor, record: record)
        }
        let message = try await translatedMessage(answer)
        record.noteUsage(message["usage"])
        log(record, outcome: "ok")
        var response = HTTPResponse(status: .ok, contentType: "application/json", body: message.serialized())
        response.headers.add(name: Self.upstreamModelHeader, value: answer.target.escapedForLog)
        return response
    }

    /// A non-streamed upstream answer read whole, checked against the request's schema when
    /// the upstream was told it in the system message, and translated into an Anthropic message.
    func translatedMessage(_ answer: UpstreamCaller.Answer) async throws(AnthropicError) -> JSONValue {
        let context = answer.prepared.context
        return ResponseTranslator.translate(
            try await checkedWholeAnswer(answer), context: context, messageID: MessageID.make(), textToolCalls: textToolCallParser(for: context),
            reasoningToolCalls: reasoningToolCallParser(for: context))
    }

    /// `wholeAnswer`, its text checked against the schema when the upstream refused
    /// `response_format` and was told the schema instead (`checkedStructuredAnswer`).
    private func checkedWholeAnswer(_ answer: UpstreamCaller.Answer) async throws(AnthropicError) -> JSONValue {
        let parsed = try await wholeAnswer(answer)
        guard answer.prepared.structuredOutput == .instructed, let schema = answer.prepared.context.outputSchema else { return parsed }
        return try Self.checkedStructuredAnswer(parsed, schema: schema)
    }

    /// The answer of an upstream told the schema in its system message (it refused
    /// `response_format`), with its text replaced by the JSON in it once that is checked
    /// against the schema. An answer that calls tools or was cut short (`length`) is passed on
    /// as it is, as Anthropic's API would. Throws a 502 naming the mismatch otherwise.
    static func checkedStructuredAnswer(_ answer: JSONValue, schema: JSONValue) throws(AnthropicError) -> JSONValue {
        guard case .object(var root) = answer, case .array(var choices)? = root["choices"], case .object(var choice)? = choices.first,
            case .object(var message)? = choice["message"]
        else { return answer }
        if !(message["tool_calls"]?.arrayValue?.isEmpty ?? true) || choice["finish_reason"]?.stringValue == "length" { return answer }
        var text = message["content"]?.stringValue ?? ""
        var reasoning = ""
        if message["reasoning_content"] == nil && message["reasoning"] == nil { (reasoning, text) = ResponseTranslator.splitThinking(text) }
        let checked: String
        do {
            checked = try StructuredOutput.checkedAnswer(text, schema: schema)
        } catch {
            throw AnthropicError(
                status: .badGateway,
                message: "the upstream does not support response_format, and the model asked in the system message gave no valid structured output: \(error)")
        }
        message["content"] = JSONValue(checked)
        if !reasoning.isEmpty { message["reasoning_content"] = JSONValue(reasoning) }
        choice["message"] = .object(message)
        choices[0] = .object(choice)
        root["choices"] = .array(choices)
        return .object(root)
    }

    /// The upstream's whole (non-streamed) answer, scrubbed of the request's keys and parsed;
    /// throws when it is not an answer (not JSON, no choices, an error in a 200).
    func wholeAnswer(_ answer: UpstreamCaller.Answer) async throws(AnthropicError) -> JSONValue {
        // Scrubbed whole before anything reads it: the keys reach neither the client nor the log.
        let upstreamBody = answer.redactor.scrub(try await Upstream.collect(answer.response, limit: Self.maxAnswerBytes))
        let parsed: JSONValue
        do {
            parsed = try JSONValue(parsing: upstreamBody)
        } catch {
            let said = UpstreamErrors.quoted(upstreamBody, redactor: answer.redactor)
            // A document too dense to hold is JSON, but not an answer the proxy reads.
            let what = if case .tooManyValues = error.kind { "too large to read (\(error))" } else { "not JSON" }
            throw AnthropicError(status: .badGateway, message: "the upstream's answer is \(what): \(said)")
        }
        if parsed["choices"]?[0] == nil {
            // A 200 carrying an error (or nothing) is a failure, never an empty answer.
            if let error = parsed["error"] ?? parsed["detail"] { throw UpstreamErrors.reportedFailure(error, bareLine: false, redactor: answer.redactor) }
            let said = UpstreamErrors.quoted(upstreamBody, redactor: answer.redactor)
            throw AnthropicError(status: .badGateway, message: "the upstream's answer has no choices: \(said)")
        }
        return parsed
    }

    /// Names the upstream model (or pool) that served a response, or on an error the one
    /// last tried (absent when the request failed before a model was chosen); the name may be
    /// the client's, so control characters are escaped as in the log.
    static let upstreamModelHeader = "X-Upstream-Model"

    /// Parses tool calls written as text, when the request declared tools (`TOOL_CALL_PARSER`).
    private func textToolCallParser(for context: RequestContext) -> TextToolCallParser? {
        makeTextToolCallParser(configuration.toolCallParser, model: context.upstreamModel, tools: context.tools)
    }

    /// Parses tool calls written into the reasoning, for the families that write them there.
    private func reasoningToolCallParser(for context: RequestContext) -> TextToolCallParser? {
        makeReasoningToolCallParser(configuration.toolCallParser, model: context.upstreamModel, tools: context.tools)
    }

    /// The Anthropic event stream for an upstream answer: relayed chunk by chunk from an
    /// event stream, or made from a whole JSON answer when the upstream ignored `stream`.
    /// A `ping` goes out whenever the upstream is silent for `pingInterval`.
    /// `whole`: the answer already read (and checked), relayed instead of the response's body.
    private func streamResponse(
        _ response: HTTPClientResponse, isEventStream: Bool = false, whole: [UInt8]? = nil, context: RequestContext, redactor: SecretRedactor, record: RequestRecord
    ) -> HTTPResponse {
        let translator = StreamTranslator(
            context: .init(
                messageID: MessageID.make(),
                model: context.requestedModel,
                estimatedInputTokens: context.estimatedInputTokens,
                toolName: { [toolNames = context.toolNames] in toolNames.clientName($0) },
                textToolCalls: textToolCallParser(for: context),
                reasoningToolCalls: reasoningToolCallParser(for: context),
                stopSequences: context.stopSequences,
                contextManagement: context.contextManagement,
                leadingBlocks: context.leadingBlocks,
                earlierIterations: context.earlierIterations
            ))
        let pingInterval = configuration.pingInterval
        let headers: HTTPHeaders = ["Content-Type": "text/event-stream", "Cache-Control": "no-cache", Self.upstreamModelHeader: context.upstreamModel.escapedForLog]
        return HTTPResponse(
            status: .ok, headers: headers,
            body: .stream { writer in
                let output = SerialStreamWriter(writer)
                var relay = StreamRelay(translator: translator, redactor: redactor)
                try await output.write(relay.start())
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: pingInterval)
                            try await output.pingIfSilent(for: pingInterval)
                        }
                    }
                    do {
                        if let whole {
                            try await output.write(relay.feed(Self.eventFromWholeAnswer(whole)), final: relay.isEnded)
                        } else if isEventStream {
                            for try await chunk in response.body {
                                let bytes = relay.feed(chunk)
                                if relay.isEnded {
                                    try await output.write(bytes, final: true)
                                    break
                                }
                                try await output.write(bytes)
                            }
                        } else {
                            let whole = try await response.body.collect(upTo: Self.maxAnswerBytes)
                            try await output.write(relay.feed(Self.eventFromWholeAnswer(whole)), final: relay.isEnded)
                        }
                        try await output.write(relay.finish(), final: true)
                    } catch let error as HTTPClientError {
                        if error == .cancelled { throw CancellationError() }
                        try await output.write(relay.fail(UpstreamErrors.fromStreamFailure(error)), final: true)
                    }
                    group.cancelAll()
                }
                log(record, outcome: relay.failure.map { "stream failed: \($0.type) \($0.message)" } ?? "stream ended")
            })
    }

    /// A non-streamed answer reshaped as one SSE event carrying a single chunk.
    /// The largest whole (non-streamed) answer read from the upstream: far above any real
    /// completion (128k output tokens are well under 1 MiB), low enough that a broken or
    /// hostile upstream cannot make the proxy hold hundreds of megabytes per request.
    static let maxAnswerBytes = 32 << 20

    static func eventFromWholeAnswer(_ body: [UInt8]) -> [UInt8] {
        guard let answer = try? JSONValue(parsing: body), let choice = answer["choices"]?[0] else {
            return Array("data: ".utf8) + body + Array("\n\n".utf8)
        }
        var delta = choice["message"]?.objectValue ?? [:]
        if let calls = delta["tool_calls"]?.arrayValue {
            delta["tool_calls"] = .array(
                calls.enumerated().map { index, call in
                    var call = call.objectValue ?? [:]
                    call["index"] = JSONValue(index)
                    return .object(call)
                })
        }
        var chunk: JSONObject = ["choices": [["index": 0, "delta": .object(delta), "finish_reason": choice["finish_reason"] ?? nil]]]
        if let usage = answer["usage"] { chunk["usage"] = usage }
        return Array("data: ".utf8) + JSONValue.object(chunk).serialized() + Array("\n\n".utf8)
    }

    /// `text/event-stream`, whatever its case and parameters (no lowercased copy per request).
    static func isEventStreamType(_ contentType: String) -> Bool {
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == UInt8(ascii: " ") }
        while mediaType.last == UInt8(ascii: " ") { mediaType = mediaType.dropLast() }
        return mediaType.elementsEqual(eventStream) { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }

    private static let eventStream = Array("text/event-stream".utf8)

    /// Debug detail (`LOG_LEVEL=debug` or `DEBUG_PROXY=1`); the access log has one line per request.
    func log(_ record: RequestRecord, outcome: String) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("\(record.snapshot.messagesLine(elapsed: ContinuousClock.now - record.started)) \(outcome)", metadata: ["request_id": .string(record.id)])
    }
}

/// Anthropic-style message ids: `msg_` and 24 random base-62 characters, from the per-thread
/// generator (`randomElement()` made a `getrandom` system call per character: 7% of a loaded
/// proxy's profile).
enum MessageID {
    static func make() -> String { FastRandom.identifier(prefix: "msg_", count: 24) }
}
