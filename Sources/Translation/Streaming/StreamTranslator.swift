import JSON

/// Turns an OpenAI chat-completions chunk stream into Anthropic's event stream, one chunk
/// at a time, producing exactly the sequence Anthropic's API would:
/// `message_start`, `ping`, content blocks strictly one after another (indices 0, 1, 2, …,
/// each `content_block_start` matched by one `content_block_stop`), one `message_delta`,
/// one `message_stop` — or an `error` event and nothing after it.
///
/// Tool-call deltas of the first call stream live; calls interleaved with it by index are
/// held and sent whole, each as its own block, once the upstream has finished, so no
/// fragment is ever lost or sent into the wrong block.
///
/// What it holds for later (held calls, the live call's arguments not yet safe to send,
/// text that came while a tool block was open) is bounded by `Context.maxHeldBytes`: past
/// it the stream ends with an `api_error` event.
public struct StreamTranslator: Sendable {
    /// What the translator needs to know of the request.
    public struct Context: Sendable {
        /// The `msg_` id of the message being streamed.
        public var messageID: String
        /// The model name the client asked for (echoed back, not the upstream's).
        public var model: String
        /// The prompt's estimated tokens, reported in `message_start` (the upstream's count comes at the end).
        public var estimatedInputTokens: Int
        /// Maps an upstream tool name back to the name the client declared.
        public var toolName: @Sendable (String) -> String
        /// Turns tool calls written as text into calls; nil when the request declared no tools.
        public var textToolCalls: (any StreamingToolCallInterceptor)?
        /// The request's `stop_sequences`, to report which one ended the answer.
        public var stopSequences: [String]
        /// The same for the reasoning stream, for families that write calls there (Kimi).
        public var reasoningToolCalls: (any StreamingToolCallInterceptor)?
        /// The most the translator holds for later, in bytes (`StreamTranslator.defaultMaxHeldBytes`).
        public var maxHeldBytes: Int
        /// `{"applied_edits": [...]}`, sent in `message_delta` as Anthropic's API does.
        public var contextManagement: JSONValue?
        /// Whole blocks that open the message before anything of the upstream's (a
        /// `compaction` block), each sent as a start, one delta and a stop.
        public var leadingBlocks: [JSONValue] = []
        /// `usage.iterations` before the upstream's own (a compaction's), reported in
        /// `message_delta` followed by this message's.
        public var earlierIterations: [JSONValue] = []

        /// What the translator needs to know of one request.
        public init(
            messageID: String,
            model: String,
            estimatedInputTokens: Int,
            toolName: @escaping @Sendable (String) -> String = { $0 },
            textToolCalls: (any StreamingToolCallInterceptor)? = nil,
            reasoningToolCalls: (any StreamingToolCallInterceptor)? = nil,
            stopSequences: [String] = [],
            maxHeldBytes: Int = StreamTranslator.defaultMaxHeldBytes,
            contextManagement: JSONValue? = nil,
            leadingBlocks: [JSONValue] = [],
            earlierIterations: [JSONValue] = []
        ) {
            self.messageID = messageID
            self.model = model
            self.estimatedInputTokens = estimatedInputTokens
            self.toolName = toolName
            self.textToolCalls = textToolCalls
            self.stopSequences = stopSequences
            self.reasoningToolCalls = reasoningToolCalls
            self.maxHeldBytes = maxHeldBytes
            self.contextManagement = contextManagement
            self.leadingBlocks = leadingBlocks
            self.earlierIterations = earlierIterations
        }
    }

    /// What a stream may hold for later by default: 16 times a whole answer of 128k tokens
    /// (about 0.5 MB). The upstream is read only as fast as the client takes the output, but
    /// what is held makes no output, so nothing else bounds it.
    public static let defaultMaxHeldBytes = 8 << 20

    private enum OpenBlock: Equatable {
        case thinking
        case text
        /// A tool call; `upstreamIndex` is nil for one parsed from the text rather than sent as a delta.
        case tool(upstreamIndex: Int?)
    }

    private struct PendingToolCall {
        var id: String?
        var name: String?
        /// The arguments received and not sent: all of a held call's; the live call's after
        /// its first `sentCount` bytes (what it sent is dropped, so a long call is not kept).
        var arguments = ""
        /// Bytes of the arguments sent in `input_json_delta`s.
        var sentCount = 0
        /// How much of the arguments can go out so the client's input always completes to a
        /// valid object (arguments may stop anywhere, or go wrong, mid-stream).
        var scanner = JSONPrefixScanner()
        /// Bytes of the arguments the scanner has read, counted from their start.
        var scannedCount = 0
        /// Whether the upstream sends the arguments as deltas or as cumulative snapshots.
        var fragments = ArgumentFragments()

        /// Everything received so far was sent.
        var isCaughtUp: Bool { arguments.isEmpty }

        /// What the call holds, in bytes: also an empty one costs some (its entry, its
        /// scanner), so that many small calls count too.
        var heldBytes: Int { 256 + arguments.utf8.count + fragments.retainedBytes + (id?.utf8.count ?? 0) + (name?.utf8.count ?? 0) }

        /// Scans a fragment of a call that is caught up; true when all of it is safe to send
        /// (it is then counted as sent), else it is kept, to go out as it becomes safe.
        mutating func appendLive(_ fragment: String) -> Bool {
            scanner.feed(fragment.utf8)
            scannedCount += fragment.utf8.count
            guard scanner.safeCount == scannedCount else {
                arguments = fragment
                return false
            }
            sentCount = scannedCount
            return true
        }
    }

    private var context: Context
    private var started = false
    private var ended = false
    private var blockIndex = -1
    private var openBlock: OpenBlock?
    private var thinkTags = ThinkTagSplitter()
    private var toolCalls: [Int: PendingToolCall] = [:]
    private var toolCallOrder: [Int] = []
    /// For upstreams that send no `index` (Ollama's OpenAI endpoint before 0.5): the call a
    /// delta at each position of `tool_calls` continues.
    private var indexlessCalls: [Int: Int] = [:]
    /// The highest call index seen: a new index-less call takes the next one.
    private var highestToolIndex = -1
    private var toolUseIDs: ToolUseIDs
    private var liveToolIndex: Int?
    /// Text that arrived while a tool block was open: sent after the calls.
    private var textAfterTools = ""
    private var sentToolUse = false
    private var finishReason: String?
    /// The stop string the upstream says matched (vLLM's `stop_reason`, sglang's `matched_stop`).
    private var matchedStop: String?
    private var usage: JSONValue?
    /// Reasoning went through `reasoningToolCalls` and may have a tail held back there.
    private var reasoningHeld = false
    /// Bytes held for later: the pending calls' `heldBytes` and `textAfterTools`.
    private var heldBytes = 0
    /// Bytes of reasoning, text and tool arguments received: the output's size when the
    /// upstream reports no usage (one that takes no `stream_options`).
    private var receivedBytes = 0

    /// A translator for one response stream.
    public init(context: Context) {
        self.context = context
        toolUseIDs = ToolUseIDs(messageID: context.messageID)
    }

    /// `message_start` and a first `ping`.
    public mutating func start() -> [AnthropicStreamEvent] {
        var events: [AnthropicStreamEvent] = []
        start(into: &events)
        return events
    }

    /// `message_start` and a first `ping`, appended to `events`, unless the stream started already.
    private mutating func start(into events: inout [AnthropicStreamEvent]) {
        guard !started else { return }
        started = true
        let message: JSONValue = [
            "id": JSONValue(context.messageID),
            "type": "message",
            "role": "assistant",
            "model": JSONValue(context.model),
            "content": [],
            "stop_reason": nil,
            "stop_sequence": nil,
            "usage": ["input_tokens": JSONValue(context.estimatedInputTokens), "output_tokens": 0],
        ]
        events.append(AnthropicStreamEvent(type: "message_start", payload: ["type": "message_start", "message": message]))
        events.append(.ping)
        for block in context.leadingBlocks {
            blockIndex += 1
            let index = JSONValue(blockIndex)
            var start = block.objectValue ?? [:]
            if start["type"]?.stringValue == "compaction" {
                // As Anthropic streams it: the block opens empty, its content comes in one delta.
                start["content"] = nil
                events.append(AnthropicStreamEvent(type: "content_block_start", payload: ["type": "content_block_start", "index": index, "content_block": .object(start)]))
                let delta: JSONValue = ["type": "compaction_delta", "content": block["content"] ?? nil]
                events.append(AnthropicStreamEvent(type: "content_block_delta", payload: ["type": "content_block_delta", "index": index, "delta": delta]))
            } else {
                events.append(AnthropicStreamEvent(type: "content_block_start", payload: ["type": "content_block_start", "index": index, "content_block": block]))
            }
            events.append(AnthropicStreamEvent(type: "content_block_stop", payload: ["type": "content_block_stop", "index": index]))
        }
    }

    /// Translates one parsed upstream chunk.
    public mutating func consume(_ chunk: JSONValue) -> [AnthropicStreamEvent] {
        var events: [AnthropicStreamEvent] = []
        consume(StreamChunk(chunk), into: &events)
        return events
    }

    /// Translates one upstream chunk, appending its events to `events` (a buffer the caller
    /// may reuse from chunk to chunk).
    public mutating func consume(_ chunk: StreamChunk, into events: inout [AnthropicStreamEvent]) {
        guard !ended else { return }
        start(into: &events)
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        // Text that needs no change (no tag or tool-call parsing pending) passes through as
        // the upstream's bytes, never decoded and re-encoded.
        // The first member that has any (`ReasoningDetails` says why only one).
        if let reasoning = Self.nonEmpty(chunk.reasoningContent) ?? Self.nonEmpty(chunk.reasoning) ?? Self.nonEmpty(chunk.reasoningDetails) {
            receivedBytes &+= reasoning.storedByteCount
            if context.reasoningToolCalls == nil {
                appendPlainThinking(reasoning, to: &events)
            } else {
                appendThinking(reasoning.value, to: &events)
            }
        }
        if let text = Self.nonEmpty(chunk.content) {
            receivedBytes &+= text.storedByteCount
            if thinkTags.isPassingTextThrough && context.textToolCalls == nil {
                flushReasoningToolCalls(&events)
                appendPlainText(text, to: &events)
            } else {
                for piece in thinkTags.feed(text.value) { append(piece, to: &events) }
            }
        }
        if let calls = chunk.toolCalls {
            for (position, call) in calls.enumerated() {
                appendToolCallDelta(call, fallbackIndex: position, to: &events)
            }
        }
        if let reason = chunk.finishReason {
            finishReason = reason
            matchedStop = chunk.stopReason ?? chunk.matchedStop
        }
        if heldBytes > context.maxHeldBytes {
            // An error, not a cut answer: a held call goes out whole or not at all. api_error,
            // as for other upstream streams that cannot be relayed; overloaded_error would
            // invite a retry that the same answer fails again.
            events += fail(
                type: "api_error", message: "the upstream's answer held back more than \(context.maxHeldBytes >> 20) MiB (tool-call arguments, or text while a tool call was open)")
        }
    }

    /// Ends the stream after `[DONE]` or the upstream's end: closes what is open, sends held
    /// tool calls, then `message_delta` and `message_stop`. An upstream that never said why it
    /// stopped (no `finish_reason`) was cut off: that ends with an `error` event instead, so a
    /// partial answer is never presented as a finished one.
    public mutating func finish() -> [AnthropicStreamEvent] {
        guard !ended else { return [] }
        guard finishReason != nil else {
            return fail(type: "api_error", message: "the upstream's stream ended before the answer was finished (no finish_reason)")
        }
        var events: [AnthropicStreamEvent] = []
        start(into: &events)
        for piece in thinkTags.finish() { append(piece, to: &events) }
        flushReasoningToolCalls(&events)
        if var interceptor = context.textToolCalls {
            let outputs = interceptor.finish()
            context.textToolCalls = interceptor
            appendIntercepted(outputs, to: &events)
        }
        closeBlock(&events)
        // The live call was closed above; the others were held and go out whole, in order.
        for index in toolCallOrder where index != liveToolIndex {
            emitWholeToolCall(index, to: &events)
        }
        if !textAfterTools.isEmpty {
            let text = textAfterTools
            textAfterTools = ""
            openTextBlockIfNeeded(&events)
            events.append(textDelta(JSONString(text)))
            closeBlock(&events)
        }
        ended = true
        var stopReason = sentToolUse ? "tool_use" : StopReason.anthropic(fromOpenAI: finishReason)
        var stopSequence: JSONValue = nil
        if !sentToolUse, finishReason == "stop", let matchedStop, context.stopSequences.contains(matchedStop) {
            stopReason = "stop_sequence"
            stopSequence = JSONValue(matchedStop)
        }
        // Without the upstream's count, the proxy's: about four bytes a token (`TokenEstimator`'s
        // average on prose and code); the input stays `message_start`'s estimate.
        let outputTokens = usage?["completion_tokens"]?.intValue ?? (usage == nil ? (receivedBytes + 3) / 4 : 0)
        var deltaUsage: JSONObject = ["output_tokens": JSONValue(outputTokens)]
        if let (uncached, cached) = ResponseTranslator.promptTokens(usage) {
            deltaUsage["input_tokens"] = JSONValue(uncached)
            deltaUsage["cache_read_input_tokens"] = JSONValue(cached)
            deltaUsage["cache_creation_input_tokens"] = 0
        }
        if !context.earlierIterations.isEmpty {
            var iteration = deltaUsage
            iteration["type"] = "message"
            if iteration["input_tokens"] == nil { iteration["input_tokens"] = JSONValue(context.estimatedInputTokens) }
            iteration["cache_read_input_tokens"] = iteration["cache_read_input_tokens"] ?? 0
            iteration["cache_creation_input_tokens"] = 0
            deltaUsage["iterations"] = .array(context.earlierIterations + [.object(iteration)])
        }
        var delta: JSONObject = [
            "type": "message_delta",
            "delta": ["stop_reason": JSONValue(stopReason), "stop_sequence": stopSequence],
            "usage": .object(deltaUsage),
        ]
        if let management = context.contextManagement { delta["context_management"] = management }
        events.append(AnthropicStreamEvent(type: "message_delta", payload: .object(delta)))
        events.append(AnthropicStreamEvent(type: "message_stop", payload: ["type": "message_stop"]))
        return events
    }

    /// Ends the stream with an `error` event (after `message_start` if none was sent yet).
    public mutating func fail(type: String, message: String) -> [AnthropicStreamEvent] {
        guard !ended else { return [] }
        var events: [AnthropicStreamEvent] = []
        start(into: &events)
        ended = true
        failure = (type, message)
        events.append(.error(type: type, message: message))
        return events
    }

    /// Whether the stream has ended (`message_stop` or an `error` event sent); later input is ignored.
    public var isEnded: Bool { ended }

    /// The error the stream ended with, if it failed.
    public private(set) var failure: (type: String, message: String)?

    // MARK: - Blocks

    private mutating func append(_ piece: ThinkTagSplitter.Piece, to events: inout [AnthropicStreamEvent]) {
        switch piece {
        case .thinking(let text): appendThinking(text, to: &events)
        case .text(let text): appendText(text, to: &events)
        }
    }

    /// Reasoning, through the reasoning tool-call parser when there is one.
    private mutating func appendThinking(_ text: String, to events: inout [AnthropicStreamEvent]) {
        guard var interceptor = context.reasoningToolCalls else {
            appendPlainThinking(JSONString(text), to: &events)
            return
        }
        let outputs = interceptor.feed(text)
        context.reasoningToolCalls = interceptor
        reasoningHeld = true
        appendInterceptedReasoning(outputs, to: &events)
    }

    /// Ends the reasoning stream's parsing: what it held back goes out before any answer text.
    private mutating func flushReasoningToolCalls(_ events: inout [AnthropicStreamEvent]) {
        guard reasoningHeld, var interceptor = context.reasoningToolCalls else { return }
        reasoningHeld = false
        let outputs = interceptor.finish()
        context.reasoningToolCalls = interceptor
        appendInterceptedReasoning(outputs, to: &events)
    }

    private mutating func appendInterceptedReasoning(_ outputs: [InterceptedText], to events: inout [AnthropicStreamEvent]) {
        for output in outputs {
            if case .text(let thought) = output {
                appendPlainThinking(JSONString(thought), to: &events)
            } else {
                appendIntercepted([output], to: &events)
            }
        }
    }

    private mutating func appendPlainThinking(_ text: JSONString, to events: inout [AnthropicStreamEvent]) {
        guard !text.isEmpty else { return }
        if case .tool = openBlock { return }  // reasoning after a call has nowhere to go in Anthropic's shape
        if openBlock != .thinking {
            closeBlock(&events)
            openBlock(.thinking, contentBlock: ["type": "thinking", "thinking": "", "signature": ""], to: &events)
        }
        events.append(AnthropicStreamEvent(blockDelta: .thinking, index: blockIndex, text: text))
    }

    private mutating func appendText(_ text: String, to events: inout [AnthropicStreamEvent]) {
        flushReasoningToolCalls(&events)
        if var interceptor = context.textToolCalls {
            let outputs = interceptor.feed(text)
            context.textToolCalls = interceptor
            appendIntercepted(outputs, to: &events)
        } else {
            appendPlainText(text, to: &events)
        }
    }

    private mutating func appendIntercepted(_ outputs: [InterceptedText], to events: inout [AnthropicStreamEvent]) {
        for output in outputs {
            switch output {
            case .text(let text):
                appendPlainText(text, to: &events)
            case let .toolCall(name, argumentsJSON):
                closeBlock(&events)
                let id = toolUseIDs.id(upstream: nil, tag: "\(blockIndex + 1)")
                openBlock(.tool(upstreamIndex: nil), contentBlock: ["type": "tool_use", "id": JSONValue(id), "name": JSONValue(name), "input": [:]], to: &events)
                events.append(AnthropicStreamEvent(blockDelta: .inputJSON, index: blockIndex, text: JSONString(argumentsJSON)))
                closeBlock(&events)
                sentToolUse = true
            }
        }
    }

    private mutating func appendPlainText(_ text: String, to events: inout [AnthropicStreamEvent]) {
        appendPlainText(JSONString(text), to: &events)
    }

    private mutating func appendPlainText(_ text: JSONString, to events: inout [AnthropicStreamEvent]) {
        guard !text.isEmpty else { return }
        if case .tool = openBlock {
            let held = text.value
            textAfterTools += held
            heldBytes += held.utf8.count
            return
        }
        openTextBlockIfNeeded(&events)
        events.append(textDelta(text))
    }

    private mutating func openTextBlockIfNeeded(_ events: inout [AnthropicStreamEvent]) {
        guard openBlock != .text else { return }
        closeBlock(&events)
        openBlock(.text, contentBlock: ["type": "text", "text": ""], to: &events)
    }

    /// The call a delta belongs to: its `index`; without one, the call last continued at its
    /// position in `tool_calls` (servers that send `index` on a call's first delta only), unless
    /// the delta carries an id other than that call's: then it starts a new call (Ollama sent
    /// each call whole in its own chunk, all at position 0).
    private mutating func callIndex(of call: StreamChunk.ToolCallDelta, position: Int) -> Int {
        if let index = call.index { return index }
        var index = indexlessCalls[position] ?? position
        if let id = call.id, !id.isEmpty, let currentID = toolCalls[index]?.id, id != currentID {
            // Past every index seen (wrapping only for an upstream that sent `Int.max`, when
            // the delta joins the call it wrapped onto rather than trap).
            index = highestToolIndex &+ 1
        }
        indexlessCalls[position] = index
        return index
    }

    private mutating func appendToolCallDelta(_ delta: StreamChunk.ToolCallDelta, fallbackIndex: Int, to events: inout [AnthropicStreamEvent]) {
        var call = delta
        let index = callIndex(of: call, position: fallbackIndex)
        let heldBefore = toolCalls[index]?.heldBytes ?? 0
        if toolCalls[index] == nil {
            toolCalls[index] = PendingToolCall()
            toolCallOrder.append(index)
            highestToolIndex = max(highestToolIndex, index)
        }
        if let id = call.id, !id.isEmpty { toolCalls[index]!.id = id }
        if let name = call.name, !name.isEmpty { toolCalls[index]!.name = name }
        if let arguments = call.arguments, case .suffix(let new) = toolCalls[index]!.fragments.read(arguments.text) {
            call.arguments = new.isEmpty ? nil : .fragment(JSONString(new))
        }
        switch call.arguments {
        case .fragment(let fragment)?: receivedBytes &+= fragment.storedByteCount
        case .json(let text)?: receivedBytes &+= text.utf8.count
        case nil: break
        }
        if case .fragment(let fragment)? = call.arguments, !fragment.isEmpty, liveToolIndex == index, openBlock == .tool(upstreamIndex: index),
            toolCalls[index]?.isCaughtUp == true
        {
            // The call streams already and everything before was sent: the fragment still goes
            // through the scanner (a second object or a stray byte must not reach the client),
            // and when all of it is safe it goes out as the upstream wrote it. Otherwise
            // `flushLiveArguments` below sends its safe part. (Changed in place in the
            // dictionary: a copy would copy the arguments so far on every fragment.)
            if toolCalls[index, default: PendingToolCall()].appendLive(fragment.value) {
                events.append(AnthropicStreamEvent(blockDelta: .inputJSON, index: blockIndex, text: fragment))
            }
        } else if let arguments = call.arguments {
            // Most upstreams send a string; some send the object itself.
            switch arguments {
            case .fragment(let fragment): toolCalls[index]!.arguments += fragment.value
            case .json(let text): toolCalls[index]!.arguments += text
            }
        }
        heldBytes += toolCalls[index]!.heldBytes - heldBefore
        if liveToolIndex == nil, toolCalls[index]!.name != nil {
            liveToolIndex = index
            startToolBlock(index, to: &events)
        }
        if liveToolIndex == index { flushLiveArguments(&events) }
    }

    private mutating func startToolBlock(_ index: Int, to events: inout [AnthropicStreamEvent]) {
        guard let call = toolCalls[index], let name = call.name else { return }
        closeBlock(&events)
        let id = toolUseIDs.id(upstream: call.id, tag: "\(index)")
        openBlock(
            .tool(upstreamIndex: index),
            contentBlock: [
                "type": "tool_use", "id": JSONValue(id), "name": JSONValue(context.toolName(name)), "input": [:],
            ], to: &events)
        sentToolUse = true
    }

    /// Sends the live call's arguments up to the last point where they can still be completed
    /// to a valid object; when `closing`, also the bytes that complete them.
    private mutating func flushLiveArguments(_ events: inout [AnthropicStreamEvent], closing: Bool = false) {
        guard let index = liveToolIndex, var call = toolCalls[index], openBlock == .tool(upstreamIndex: index) else { return }
        let heldBefore = call.heldBytes
        let unscanned = call.sentCount + call.arguments.utf8.count - call.scannedCount
        if unscanned > 0 {
            call.scanner.feed(call.arguments.utf8.suffix(unscanned))
            call.scannedCount += unscanned
        }
        var fresh = ""
        if call.sentCount < call.scanner.safeCount {
            let count = call.scanner.safeCount - call.sentCount
            fresh = String(decoding: call.arguments.utf8.prefix(count), as: UTF8.self)
            call.arguments = String(decoding: call.arguments.utf8.dropFirst(count), as: UTF8.self)
            call.sentCount = call.scanner.safeCount
        }
        if !call.scanner.isValid {
            // Past the first byte that cannot continue the object nothing more is sent: not kept either.
            call.arguments = ""
            call.scannedCount = call.sentCount
        }
        if closing { fresh += call.scanner.closingSuffix }
        heldBytes += call.heldBytes - heldBefore
        toolCalls[index] = call
        if !fresh.isEmpty {
            events.append(AnthropicStreamEvent(blockDelta: .inputJSON, index: blockIndex, text: JSONString(fresh)))
        }
    }

    private mutating func emitWholeToolCall(_ index: Int, to events: inout [AnthropicStreamEvent]) {
        guard var call = toolCalls[index] else { return }
        if call.name == nil { call.name = "unknown_tool" }
        toolCalls[index] = call
        startToolBlock(index, to: &events)
        let arguments = Self.completeArguments(call.arguments)
        if !arguments.isEmpty {
            events.append(AnthropicStreamEvent(blockDelta: .inputJSON, index: blockIndex, text: JSONString(arguments)))
        }
        toolCalls[index]!.sentCount = call.arguments.utf8.count
        closeBlock(&events)
    }

    /// Held arguments as a valid object: as sent when they are one, else what a lenient
    /// reading makes of them, else their longest valid beginning completed; "" for none.
    private static func completeArguments(_ arguments: String) -> String {
        var scanner = JSONPrefixScanner()
        scanner.feed(arguments.utf8)
        if scanner.isValid && scanner.safeCount == arguments.utf8.count && scanner.closingSuffix.isEmpty { return arguments }
        if let object = JSONValue.lenient(arguments), object.objectValue != nil { return object.jsonText }
        return String(decoding: arguments.utf8.prefix(scanner.safeCount), as: UTF8.self) + scanner.closingSuffix
    }

    private mutating func openBlock(_ block: OpenBlock, contentBlock: JSONValue, to events: inout [AnthropicStreamEvent]) {
        blockIndex += 1
        openBlock = block
        events.append(
            AnthropicStreamEvent(
                type: "content_block_start",
                payload: [
                    "type": "content_block_start", "index": JSONValue(blockIndex), "content_block": contentBlock,
                ]))
    }

    private mutating func closeBlock(_ events: inout [AnthropicStreamEvent]) {
        guard let block = openBlock else { return }
        if block == .thinking {
            events.append(blockDelta(["type": "signature_delta", "signature": JSONValue(Self.signature)]))
        }
        if case .tool(let index) = block, index == liveToolIndex {
            flushLiveArguments(&events, closing: true)
        }
        events.append(AnthropicStreamEvent(type: "content_block_stop", payload: ["type": "content_block_stop", "index": JSONValue(blockIndex)]))
        openBlock = nil
    }

    private func blockDelta(_ delta: JSONValue) -> AnthropicStreamEvent {
        AnthropicStreamEvent(type: "content_block_delta", payload: ["type": "content_block_delta", "index": JSONValue(blockIndex), "delta": delta])
    }

    private func textDelta(_ text: JSONString) -> AnthropicStreamEvent {
        AnthropicStreamEvent(blockDelta: .text, index: blockIndex, text: text)
    }

    /// A string member that is present and not empty.
    private static func nonEmpty(_ string: JSONString?) -> JSONString? {
        guard let string, !string.isEmpty else { return nil }
        return string
    }

    /// Thinking from an open model carries no Anthropic signature; clients only need the
    /// field to be present, and the proxy drops it when the block comes back in history.
    public static let signature = "claude-chutes-proxy"
}
