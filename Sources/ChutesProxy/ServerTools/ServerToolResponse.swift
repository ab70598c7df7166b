import HTTP1
import JSON
import Translation

extension ServerToolLoop {
    /// The client's answer: the loop run to its end and returned whole, or, for `stream:
    /// true`, an event stream that starts at once (with pings while the model and the tools
    /// work) and carries each block as the loop makes it. The first upstream turn is asked
    /// before the stream begins, so its failure (after any fallback) is thrown as an error
    /// response, as without server tools; a later failure is an `error` event.
    @inline(never)
    func respond(
        to request: MessagesRequest, record: RequestRecord, pingInterval: Duration,
        turn: @escaping @Sendable (MessagesRequest) async throws(AnthropicError) -> JSONValue
    ) async throws(AnthropicError) -> HTTPResponse {
        let id = MessageID.make()
        guard request.stream else {
            var blocks: [JSONValue] = []
            let outcome = try await run(request, turn: turn) { block throws(AnthropicError) in blocks.append(block) }
            record.noteUsage(outcome.usage)
            let message: JSONValue = [
                "id": JSONValue(id), "type": "message", "role": "assistant", "model": JSONValue(request.requestedModel), "content": .array(blocks),
                "stop_reason": JSONValue(outcome.stopReason), "stop_sequence": outcome.stopSequence, "usage": outcome.usage,
            ]
            return HTTPResponse(status: .ok, contentType: "application/json", body: message.serialized())
        }
        let first = try await turn(turnRequest(request))
        let estimatedInputTokens = request.estimatedInputTokens
        return HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
            body: .stream { writer in
                let output = SerialStreamWriter(writer)
                try await output.write(Self.encode([ServerToolEvents.messageStart(id: id, model: request.requestedModel, inputTokens: estimatedInputTokens)]))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: pingInterval)
                            try await output.pingIfSilent(for: pingInterval)
                        }
                    }
                    var events = ServerToolEvents()
                    do throws(AnthropicError) {
                        let outcome = try await run(request, first: first, turn: turn) { block throws(AnthropicError) in
                            do {
                                try await output.write(Self.encode(events.events(for: block)))
                            } catch {
                                throw Self.clientGone
                            }
                        }
                        record.noteUsage(outcome.usage)
                        try? await output.write(Self.encode(ServerToolEvents.messageEnd(outcome)), final: true)
                    } catch {
                        guard error.status != .clientClosedRequest else {
                            group.cancelAll()
                            throw CancellationError()
                        }
                        var event = AnthropicStreamEvent.error(type: error.type, message: error.message)
                        if case .object(var payload) = event.payload {
                            payload["request_id"] = JSONValue(record.id)
                            event.payload = .object(payload)
                        }
                        record.update { $0.errorType = error.type }
                        try? await output.write(Self.encode([event]), final: true)
                    }
                    group.cancelAll()
                }
            })
    }

    private static func encode(_ events: [AnthropicStreamEvent]) -> [UInt8] {
        var bytes: [UInt8] = []
        for event in events { event.encode(into: &bytes) }
        return bytes
    }
}
