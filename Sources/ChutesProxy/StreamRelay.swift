import HTTP1
import JSON
import Translation

/// Upstream SSE bytes in, Anthropic SSE bytes out: decodes the upstream's events, parses
/// each chunk, runs the stream translator and encodes its events. Bytes may arrive split
/// anywhere.
///
/// The bytes are scrubbed of the keys the request carried before they are decoded
/// (`StreamingSecretRedactor`); where the upstream's own text becomes an error event (an
/// `error` chunk, a bare JSON line, a chunk that is not JSON), it is quoted through
/// `UpstreamErrors`, which scrubs again after decoding (a key spelled with `\u` escapes).
///
/// Its methods are never inlined: the stream's task calls them between suspensions, and
/// inlined there, the translation's temporaries became part of the task's async frame, which
/// lives as long as the stream (31 KB of every slow stream, measured with heaptrack).
struct StreamRelay: Sendable {
    private var decoder = SSEDecoder()
    private var translator: StreamTranslator
    private let redactor: SecretRedactor
    private var streamRedactor: StreamingSecretRedactor
    private var sawFirstByte = false
    /// The events of one upstream chunk; kept between chunks so its storage is reused.
    private var eventBuffer: [AnthropicStreamEvent] = []

    init(translator: StreamTranslator, redactor: SecretRedactor) {
        self.translator = translator
        self.redactor = redactor
        streamRedactor = StreamingSecretRedactor(redactor)
    }

    var isEnded: Bool { translator.isEnded }

    /// The error the stream ended with, if it failed.
    var failure: (type: String, message: String)? { translator.failure }

    /// `message_start` and `ping`, sent before the first upstream byte.
    @inline(never)
    mutating func start() -> [UInt8] {
        encode(translator.start())
    }

    /// Translates what `bytes` completes.
    @inline(never)
    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        if !sawFirstByte {
            sawFirstByte = true
            RequestRecord.current?.noteFirstByte()
        }
        let scrubbed = streamRedactor.pass(bytes)
        decoder.feed(scrubbed)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 256)
        var events: [AnthropicStreamEvent] = []
        swap(&events, &eventBuffer)
        while !translator.isEnded, let event = decoder.next() {
            handle(event, into: &events)
            append(events, to: &output)
            // Emptied at once: the events hold the chunk's bytes, which the decoder reuses.
            events.removeAll(keepingCapacity: true)
        }
        eventBuffer = events
        if decoder.exceededLimit && !translator.isEnded {
            append(translator.fail(type: "api_error", message: "the upstream sent a stream event over \(decoder.maxEventBytes >> 20) MiB"), to: &output)
        }
        return output
    }

    /// Translates what `bytes` completes.
    mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        feed(bytes[...])
    }

    /// The upstream's stream ended: flush, then end the Anthropic stream.
    @inline(never)
    mutating func finish() -> [UInt8] {
        var events: [AnthropicStreamEvent] = []
        decoder.feed(streamRedactor.finish())
        while !translator.isEnded, let event = decoder.next() { handle(event, into: &events) }
        if !translator.isEnded, let last = decoder.finish() { handle(last, into: &events) }
        events += translator.finish()
        return encode(events)
    }

    /// Ends the stream with an `error` event.
    @inline(never)
    mutating func fail(_ error: AnthropicError) -> [UInt8] {
        encode(translator.fail(type: error.type, message: error.message))
    }

    private mutating func handle(_ event: SSEEvent, into events: inout [AnthropicStreamEvent]) {
        if event.isBareJSONLine {
            let line = (try? JSONValue(parsing: event.data)) ?? JSONValue(String(decoding: event.data, as: UTF8.self))
            let failure = UpstreamErrors.reportedFailure(line["error"] ?? line["detail"] ?? line, bareLine: true, redactor: redactor)
            events += translator.fail(type: failure.type, message: failure.message)
            return
        }
        if event.data == Self.done {
            events += translator.finish()
            return
        }
        // The chunk's members are read straight from its bytes, without a JSON tree.
        guard let chunk = try? StreamChunk(parsing: event.data) else {
            let said = UpstreamErrors.quoted(event.data, redactor: redactor)
            events += translator.fail(type: "api_error", message: "the upstream sent a malformed stream chunk: \(said)")
            return
        }
        if let error = chunk.error, !chunk.hasChoices {
            let failure = UpstreamErrors.reportedFailure(error, bareLine: false, redactor: redactor)
            events += translator.fail(type: failure.type, message: failure.message)
            return
        }
        translator.consume(chunk, into: &events)
    }

    private func encode(_ events: [AnthropicStreamEvent]) -> [UInt8] {
        var bytes: [UInt8] = []
        append(events, to: &bytes)
        return bytes
    }

    /// Encodes `events`, noting usage and errors in the request's record on the way.
    private func append(_ events: [AnthropicStreamEvent], to bytes: inout [UInt8]) {
        let record = RequestRecord.current
        for var event in events {
            switch event.type {
            case "message_start":
                record?.noteUsage(event.payload["message"]?["usage"])
            case "message_delta":
                record?.noteUsage(event.payload["usage"])
            case "error":
                // An error event carries the request id like an error body does.
                record?.update { $0.errorType = event.payload["error"]?["type"]?.stringValue }
                if let id = record?.id, case .object(var payload) = event.payload {
                    payload["request_id"] = JSONValue(id)
                    event.payload = .object(payload)
                }
            default:
                break
            }
            event.encode(into: &bytes)
        }
    }

    private static let done = Array("[DONE]".utf8)
}
