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

    private var configuration: ProxyConfiguration { upstream.configuration }

    func countTokens(_ request: HTTPRequest) -> HTTPResponse {
        do throws(AnthropicError) {
            let body = try Self.parseBody(request.body)
            guard body["messages"]?.arrayValue != nil else {
                throw AnthropicError(status: 400, message: "messages: Field required")
            }
            let count: JSONValue = ["input_tokens": JSONValue(TokenEstimator.estimate(request: body))]
            return HTTPResponse(status: 200, contentType: "application/json", body: count.serialized())
        } catch {
            return error.response
        }
    }

    func messages(_ request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        do throws(AnthropicError) {
            let body = try Self.parseBody(request.body)
            guard let key = upstream.apiKey(for: request.headers) else {
                throw AnthropicError(status: 401, message: "no API key: send x-api-key or Authorization: Bearer, or set CHUTES_API_KEY on the proxy")
            }
            var options = TranslationOptions()
            options.maxTokensCap = configuration.maxTokensCap
            options.toolNameRules = configuration.toolNameRules
            options.thinkingTemplateKwargs = configuration.thinkingTemplateKwargs
            options.enableThinkingHeader = request.headers["X-Enable-Thinking"]?.lowercased() == "true"
            let modelMap = configuration.modelMap
            options.resolveModel = { modelMap.upstreamModel(for: $0) ?? $0 }
            var (translated, context): (JSONValue, RequestContext)
            do {
                (translated, context) = try RequestTranslator.translate(body, options: options)
            } catch {
                throw AnthropicError(status: 400, message: error.description)
            }
            RequestRecord.current?.update { $0.requestedModel = context.requestedModel; $0.upstreamModel = context.upstreamModel; $0.stream = context.stream }
            if configuration.autoFixModelCase {
                let corrected = await upstream.catalog.correctedName(context.upstreamModel)
                setModel(corrected, in: &translated, context: &context)
            }
            var response = try await upstream.send(method: "POST", path: "/v1/chat/completions", body: translated.serialized(), key: key)
            if response.status == 404 && configuration.autoFixModelCase {
                // The list may be stale: refresh once and retry if it names the model differently.
                let corrected = await upstream.catalog.correctedName(context.upstreamModel, refresh: true)
                if corrected != context.upstreamModel {
                    response.body.discard()
                    setModel(corrected, in: &translated, context: &context)
                    response = try await upstream.send(method: "POST", path: "/v1/chat/completions", body: translated.serialized(), key: key)
                }
            }
            guard response.status == 200 else {
                let errorBody = (try? await Upstream.collect(response, limit: 64 << 10)) ?? []
                let error = UpstreamErrors.fromResponse(status: response.status, body: errorBody, estimatedPromptTokens: context.estimatedInputTokens, secrets: [key])
                log(context, status: response.status, started: started, outcome: "error \(error.status)")
                throw error
            }
            let isEventStream = response.headers["Content-Type"].map(Self.isEventStreamType) ?? false
            if context.stream {
                return streamResponse(response, isEventStream: isEventStream, context: context, started: started)
            }
            let upstreamBody = try await Upstream.collect(response, limit: 256 << 20)
            guard let parsed = try? JSONValue(parsing: upstreamBody) else {
                let said = UpstreamErrors.scrub(String(decoding: upstreamBody.prefix(200), as: UTF8.self), secrets: [key])
                throw AnthropicError(status: 502, message: "the upstream's answer is not JSON: \(said)")
            }
            let message = ResponseTranslator.translate(parsed, context: context, messageID: MessageID.make(), textToolCalls: textToolCallParser(for: context),
                                                      reasoningToolCalls: reasoningToolCallParser(for: context))
            RequestRecord.current?.noteUsage(message["usage"])
            log(context, status: 200, started: started, outcome: "tokens in \(message["usage"]?["input_tokens"]?.intValue ?? 0) out \(message["usage"]?["output_tokens"]?.intValue ?? 0)")
            return HTTPResponse(status: 200, contentType: "application/json", body: message.serialized())
        } catch {
            return error.response
        }
    }

    /// Parses tool calls written as text, when the request declared tools (`TOOL_CALL_PARSER`).
    private func textToolCallParser(for context: RequestContext) -> TextToolCallParser? {
        makeTextToolCallParser(setting: configuration.toolCallParser, model: context.upstreamModel, tools: context.tools)
    }

    /// Parses tool calls written into the reasoning, for the families that write them there.
    private func reasoningToolCallParser(for context: RequestContext) -> TextToolCallParser? {
        makeReasoningToolCallParser(setting: configuration.toolCallParser, model: context.upstreamModel, tools: context.tools)
    }

    private func setModel(_ model: String, in translated: inout JSONValue, context: inout RequestContext) {
        guard model != context.upstreamModel, case .object(var object) = translated else { return }
        object["model"] = JSONValue(model)
        translated = .object(object)
        context.upstreamModel = model
        RequestRecord.current?.update { $0.upstreamModel = model }
    }

    /// The Anthropic event stream for an upstream answer: relayed chunk by chunk from an
    /// event stream, or made from a whole JSON answer when the upstream ignored `stream`.
    /// A `ping` goes out whenever the upstream is silent for `pingInterval`.
    private func streamResponse(_ response: HTTPClientResponse, isEventStream: Bool, context: RequestContext, started: ContinuousClock.Instant) -> HTTPResponse {
        let translator = StreamTranslator(context: .init(
            messageID: MessageID.make(),
            model: context.requestedModel,
            estimatedInputTokens: context.estimatedInputTokens,
            toolName: { [toolNames = context.toolNames] in toolNames.clientName($0) },
            textToolCalls: textToolCallParser(for: context),
            reasoningToolCalls: reasoningToolCallParser(for: context)
        ))
        let pingInterval = configuration.pingInterval
        let headers: HTTPHeaders = ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"]
        return HTTPResponse(status: 200, headers: headers, body: .stream { writer in
            let output = SerialStreamWriter(writer)
            var relay = StreamRelay(translator: translator)
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
                        let whole = try await response.body.collect(upTo: 256 << 20)
                        try await output.write(relay.feed(Self.eventFromWholeAnswer(whole)), final: relay.isEnded)
                    }
                    try await output.write(relay.finish(), final: true)
                } catch let error as HTTPClientError {
                    let mapped: AnthropicError = switch error {
                    case .timedOut: AnthropicError(status: 529, message: "the upstream went silent mid-stream")
                    case .cancelled: throw CancellationError()
                    default: AnthropicError(status: 500, message: "the upstream stream failed: \(error)")
                    }
                    try await output.write(relay.fail(mapped), final: true)
                }
                group.cancelAll()
            }
            log(context, status: 200, started: started, outcome: "stream ended")
        })
    }

    /// A non-streamed answer reshaped as one SSE event carrying a single chunk.
    static func eventFromWholeAnswer(_ body: [UInt8]) -> [UInt8] {
        guard let answer = try? JSONValue(parsing: body), let choice = answer["choices"]?[0] else {
            return Array("data: ".utf8) + body + Array("\n\n".utf8)
        }
        var delta = choice["message"]?.objectValue ?? [:]
        if let calls = delta["tool_calls"]?.arrayValue {
            delta["tool_calls"] = .array(calls.enumerated().map { index, call in
                var call = call.objectValue ?? [:]
                call["index"] = JSONValue(index)
                return .object(call)
            })
        }
        var chunk: JSONObject = ["choices": [["index": 0, "delta": .object(delta), "finish_reason": choice["finish_reason"] ?? nil]]]
        if let usage = answer["usage"] { chunk["usage"] = usage }
        return Array("data: ".utf8) + JSONValue.object(chunk).serialized() + Array("\n\n".utf8)
    }

    /// `text/event-stream`, whatever its case and parameters.
    static func isEventStreamType(_ contentType: String) -> Bool {
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == UInt8(ascii: " ") }
        while mediaType.last == UInt8(ascii: " ") { mediaType = mediaType.dropLast() }
        return mediaType.elementsEqual(eventStream) { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }

    private static let eventStream = Array("text/event-stream".utf8)

    static func parseBody(_ bytes: [UInt8]) throws(AnthropicError) -> JSONValue {
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw AnthropicError(status: 400, message: "the request body is not valid JSON: \(error)")
        }
    }

    /// Debug detail (`LOG_LEVEL=debug` or `DEBUG_PROXY=1`); the access log has one line per request.
    private func log(_ context: RequestContext, status: Int, started: ContinuousClock.Instant, outcome: String) {
        guard logger.logLevel <= .debug else { return }
        let elapsed = (ContinuousClock.now - started).components
        let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        // Model names are the client's: escaped, so a line break cannot forge a log line.
        logger.debug("POST /v1/messages model \(context.requestedModel.escapedForLog) -> \(context.upstreamModel.escapedForLog) stream=\(context.stream) upstream \(status) \(milliseconds) ms \(outcome)")
    }
}

/// Serialises writes to one response stream from the relay and the ping timer: one write at
/// a time (an actor alone would interleave them at their suspension points), and nothing
/// after the final one.
private actor SerialStreamWriter {
    private let writer: HTTPBodyWriter
    private var lastWrite = Deadline.now
    private var writing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var ended = false

    init(_ writer: HTTPBodyWriter) { self.writer = writer }

    /// Writes `bytes`; `final` marks the end of the stream, after which other writes are dropped.
    func write(_ bytes: [UInt8], final: Bool = false) async throws {
        if final { ended = true }
        guard !bytes.isEmpty, !ended || final else { return }
        while writing { await withCheckedContinuation { waiting.append($0) } }
        writing = true
        defer {
            writing = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        guard !ended || final else { return }
        lastWrite = .now
        try await writer.write(bytes)
    }

    func pingIfSilent(for interval: Duration) async throws {
        guard !ended, lastWrite.adding(interval) <= .now.adding(.milliseconds(50)) else { return }
        var bytes: [UInt8] = []
        AnthropicStreamEvent.ping.encode(into: &bytes)
        try await write(bytes)
    }
}

/// Anthropic-style message ids: `msg_` and 24 random base-62 characters, from the per-thread
/// generator (no system call per id).
enum MessageID {
    static func make() -> String {
        FastRandom.identifier(prefix: "msg_", count: 24)
    }
}
