import JSON

/// OpenAI chat-completions response -> Anthropic message.
public enum ResponseTranslator {
    /// Translates a whole response. `messageID` is injected so tests are deterministic;
    /// `textToolCalls` parses tool calls written as text (used only when the request declared
    /// tools and the upstream sent no structured calls).
    public static func translate(
        _ body: JSONValue,
        context: RequestContext,
        messageID: String,
        textToolCalls: (any StreamingToolCallInterceptor)? = nil,
        reasoningToolCalls: (any StreamingToolCallInterceptor)? = nil
    ) -> JSONValue {
        let choice = body["choices"]?[0] ?? [:]
        let message = choice["message"] ?? [:]
        var content: [JSONValue] = []

        var text = message["content"]?.stringValue ?? ""
        var thinking = ReasoningDetails.reasoning(of: message)
        if thinking.isEmpty {
            (thinking, text) = splitThinking(text)
        }
        let structuredCalls = message["tool_calls"]?.arrayValue ?? []
        var parsedCalls: [(name: String, input: JSONValue)] = []
        if structuredCalls.isEmpty, context.declaresTools, !thinking.isEmpty, var parser = reasoningToolCalls {
            (thinking, parsedCalls) = extractCalls(from: thinking, with: &parser)
        }
        if !thinking.isEmpty {
            content.append(["type": "thinking", "thinking": JSONValue(thinking), "signature": JSONValue(StreamTranslator.signature)])
        }

        if structuredCalls.isEmpty, context.declaresTools, var parser = textToolCalls {
            let (remaining, calls) = extractCalls(from: text, with: &parser)
            text = remaining
            parsedCalls += calls
        }
        if !text.isEmpty { content.append(["type": "text", "text": JSONValue(text)]) }

        var ids = ToolUseIDs(messageID: messageID)
        for (index, call) in structuredCalls.enumerated() {
            let name = call["function"]?["name"]?.stringValue ?? "unknown_tool"
            let arguments = call["function"]?["arguments"]
            let input: JSONValue = arguments?.objectValue != nil ? arguments! : (arguments?.stringValue).flatMap(JSONValue.lenient).flatMap { $0.objectValue != nil ? $0 : nil } ?? [:]
            content.append([
                "type": "tool_use",
                "id": JSONValue(ids.id(upstream: call["id"]?.stringValue, tag: "\(index)")),
                "name": JSONValue(context.toolNames.clientName(name)),
                "input": input,
            ])
        }
        for (index, call) in parsedCalls.enumerated() {
            content.append([
                "type": "tool_use", "id": JSONValue(ids.id(upstream: nil, tag: "t\(index)")),
                "name": JSONValue(context.toolNames.clientName(call.name)), "input": call.input,
            ])
        }

        let hasToolUse = content.contains { $0["type"]?.stringValue == "tool_use" }
        let finishReason = choice["finish_reason"]?.stringValue
        var stopReason = hasToolUse ? "tool_use" : StopReason.anthropic(fromOpenAI: finishReason)
        var stopSequence: JSONValue = nil
        if !hasToolUse, finishReason == "stop", let matched = matchedStop(choice), context.stopSequences.contains(matched) {
            stopReason = "stop_sequence"
            stopSequence = JSONValue(matched)
        }
        var usage = usage(body["usage"])
        if !context.earlierIterations.isEmpty, case .object(var object) = usage {
            var iteration = object
            iteration["type"] = "message"
            object["iterations"] = .array(context.earlierIterations + [.object(iteration)])
            usage = .object(object)
        }
        var answer: JSONObject = [
            "id": JSONValue(messageID),
            "type": "message",
            "role": "assistant",
            "model": JSONValue(context.requestedModel),
            "content": .array(context.leadingBlocks + content),
            "stop_reason": JSONValue(stopReason),
            "stop_sequence": stopSequence,
            "usage": usage,
        ]
        if let management = context.contextManagement { answer["context_management"] = management }
        return .object(answer)
    }

    /// The calls written in `text`, and the text without them.
    private static func extractCalls(from text: String, with parser: inout any StreamingToolCallInterceptor) -> (String, [(name: String, input: JSONValue)]) {
        var remaining = ""
        var calls: [(name: String, input: JSONValue)] = []
        for output in parser.feed(text) + parser.finish() {
            switch output {
            case .text(let piece): remaining += piece
            case let .toolCall(name, arguments): calls.append((name, JSONValue.lenient(arguments) ?? [:]))
            }
        }
        return (remaining, calls)
    }

    /// Anthropic usage from OpenAI usage: cached prompt tokens reported apart.
    public static func usage(_ usage: JSONValue?) -> JSONValue {
        let (uncached, cached) = promptTokens(usage) ?? (0, 0)
        return [
            "input_tokens": JSONValue(uncached),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": JSONValue(cached),
            "output_tokens": JSONValue(usage?["completion_tokens"]?.intValue ?? 0),
        ]
    }

    /// Prompt tokens split into uncached and cached; nil when the upstream sent no
    /// `prompt_tokens`. The counts are the upstream's, so they are clamped (a negative or
    /// `Int.min` count must not overflow the subtraction).
    static func promptTokens(_ usage: JSONValue?) -> (uncached: Int, cached: Int)? {
        guard let reported = usage?["prompt_tokens"]?.intValue else { return nil }
        let prompt = max(0, reported)
        let cached = min(max(0, usage?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0), prompt)
        return (prompt - cached, cached)
    }

    /// vLLM reports the matched stop string as `stop_reason`, sglang as `matched_stop`.
    private static func matchedStop(_ choice: JSONValue) -> String? {
        choice["stop_reason"]?.stringValue ?? choice["matched_stop"]?.stringValue
    }

    /// Reasoning written into the text: `<think>…</think>` (or Seed-OSS's `<seed:think>`) at
    /// the start, or text that ends a thought with a lone `</think>` (templates that open the
    /// tag in the prompt).
    public static func splitThinking(_ text: String) -> (thinking: String, text: String) {
        // Most answers hold no tag at all: one byte scan instead of two substring searches.
        guard text.utf8.contains(UInt8(ascii: "<")) else { return ("", text) }
        let trimmed = text.drop { $0.isWhitespace }
        for tag in ThinkTagSplitter.tags where trimmed.hasPrefix(tag.open) {
            let inner = trimmed.dropFirst(tag.open.count)
            guard let close = inner.firstRange(of: tag.close) else { return (String(inner), "") }
            return (String(inner[..<close.lowerBound]), String(inner[close.upperBound...].drop { $0 == "\n" }))
        }
        for tag in ThinkTagSplitter.tags {
            if let close = text.firstRange(of: tag.close), !text[..<close.lowerBound].contains(tag.open) {
                return (String(text[..<close.lowerBound]), String(text[close.upperBound...].drop { $0 == "\n" }))
            }
        }
        return ("", text)
    }
}
