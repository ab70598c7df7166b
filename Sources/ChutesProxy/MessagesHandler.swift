import AsyncIO
import HTTP1
import JSON
import Logging
import Synchronization
import Translation

/// `POST /v1/messages` (any query string, e.g. `?beta=true`) and `/v1/messages/count_tokens`.
struct MessagesHandler: Sendable {
    let upstream: Upstream
    let logger: Logger
    let caller: UpstreamCaller

    init(upstream: Upstream, logger: Logger) {
        self.upstream = upstream
        self.logger = logger
        caller = UpstreamCaller(upstream: upstream, builder: UpstreamRequestBuilder(configuration: upstream.configuration))
    }

    private var configuration: ProxyConfiguration { upstream.configuration }

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
            let count: JSONValue = ["input_tokens": JSONValue(TokenEstimator.estimate(request: body))]
            return HTTPResponse(status: .ok, contentType: "application/json", body: count.serialized())
        } catch {
            return error.response
        }
    }

    /// The request path as its steps: parse, resolve the route, then call (prepare the
    /// upstream request and send it, falling over when the route allows) and relay.
    func messages(_ httpRequest: HTTPRequest) async -> HTTPResponse {
        // The router binds one to every request; a handler called on its own keeps its own.
        let record = RequestRecord.current ?? RequestRecord()
        do throws(AnthropicError) {
            let request = try await OffReactor.run(forBytes: httpRequest.body.count) { [upstream] () throws(AnthropicError) in
                try MessagesRequest.parse(httpRequest, key: upstream.requiredAPIKey(for:))
            }
            let plan = await ModelRoute.plan(for: request, routes: configuration.routes, map: configuration.modelMap) { model in
                await upstream.catalog.resolve(model, correctCase: configuration.autoFixModelCase).info?.acceptsImages
            }
            record.update {
                $0.requestedModel = request.requestedModel; $0.upstreamModel = plan.candidates.first; $0.stream = request.stream; $0.route = plan.route
            }
            var attempts: [String] = []
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
                $0.upstreamModel = answer.prepared.model
            }
            return try await relay(answer, record: record)
        } catch {
            log(record, outcome: "error \(error.status) \(error.type): \(error.message)")
            var response = error.response
            // The model the failure is about (the last one tried), as on a success.
            if let model = record.snapshot.upstreamModel { response.headers.add(name: Self.upstreamModelHeader, value: model.escapedForLog) }
            return response
        }
    }

    /// Step 5: the upstream's answer to the client, streamed or whole.
    private func relay(_ answer: UpstreamCaller.Answer, record: RequestRecord) async throws(AnthropicError) -> HTTPResponse {
        let context = answer.prepared.context
        let isEventStream = answer.response.headers["Content-Type"].map(Self.isEventStreamType) ?? false
        if context.stream {
            return streamResponse(answer.response, isEventStream: isEventStream, context: context, redactor: answer.redactor, record: record)
        }
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
        let message = ResponseTranslator.translate(
            parsed, context: context, messageID: MessageID.make(), textToolCalls: textToolCallParser(for: context),
            reasoningToolCalls: reasoningToolCallParser(for: context))
        record.noteUsage(message["usage"])
        log(record, outcome: "ok")
        var response = HTTPResponse(status: .ok, contentType: "application/json", body: message.serialized())
        response.headers.add(name: Self.upstreamModelHeader, value: answer.prepared.model.escapedForLog)
        return response
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
    private func streamResponse(
        _ response: HTTPClientResponse, isEventStream: Bool, context: RequestContext, redactor: SecretRedactor, record: RequestRecord
    ) -> HTTPResponse {
        let translator = StreamTranslator(
            context: .init(
                messageID: MessageID.make(),
                model: context.requestedModel,
                estimatedInputTokens: context.estimatedInputTokens,
                toolName: { [toolNames = context.toolNames] in toolNames.clientName($0) },
                textToolCalls: textToolCallParser(for: context),
                reasoningToolCalls: reasoningToolCallParser(for: context),
                stopSequences: context.stopSequences
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
                        if isEventStream {
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
    private func log(_ record: RequestRecord, outcome: String) {
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
