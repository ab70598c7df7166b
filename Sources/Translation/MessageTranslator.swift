import JSON

/// One Anthropic message (or the system prompt) -> OpenAI messages.
enum MessageTranslator {
    /// System text from a string or text blocks, blocks joined by a blank line, kept as written
    /// (not decoded), since it goes upstream unchanged. Claude Code's billing block is left
    /// out: it changes with every request, so forwarding it would defeat the upstream's prefix
    /// caching and prefix-based routing for the whole conversation.
    static func systemText(_ value: JSONValue, field: @autoclosure () -> String) throws(TranslationError) -> JSONString? {
        if let text = value.jsonString { return text }
        guard let blocks = value.arrayValue else { throw .wrongType(field(), expected: "a string or a list of text blocks") }
        return JSONString.joined(
            blocks.compactMap { block -> JSONString? in
                guard block["type"]?.stringValue == "text", let text = block["text"]?.jsonString else { return nil }
                return text.hasPrefix(billingHeaderPrefix) ? nil : text
            }, separator: "\n\n")
    }

    /// The start of the system block Claude Code sends for Anthropic's billing.
    static let billingHeaderPrefix = "x-anthropic-billing-header:"

    /// `field` names the message in errors; it is built only for one.
    /// `inlineThinking`: thinking goes back as `<think>…</think>` at the start of the assistant's
    /// content, the form MiniMax-M2's chat template reads; otherwise under `reasoningField`
    /// (dropped when it names no member).
    static func translate(_ message: JSONValue, field: @autoclosure () -> String, toolNames: ToolNameMapping, inlineThinking: Bool = false, reasoningField: ReasoningField = .reasoningContent)
        throws(TranslationError)
        -> [JSONValue]
    {
        guard let role = message["role"]?.stringValue else { throw .missing("\(field()).role") }
        guard let content = message["content"] else { throw .missing("\(field()).content") }
        switch role {
        case "system":
            return [["role": "system", "content": .string(try systemText(content, field: "\(field()).content") ?? "")]]
        case "user":
            return try userMessages(content, field: "\(field()).content")
        case "assistant":
            return try assistantMessages(content, field: "\(field()).content", toolNames: toolNames, inlineThinking: inlineThinking, reasoningField: reasoningField)
        default:
            throw TranslationError(field: "\(field()).role", message: "Input should be 'user' or 'assistant'")
        }
    }

    /// The blocks of a message's `content`; nil when it is a plain string, which goes upstream
    /// as it is.
    private static func blocks(of content: JSONValue, field: @autoclosure () -> String) throws(TranslationError) -> [JSONValue]? {
        if content.jsonString != nil { return nil }
        guard let blocks = content.arrayValue else { throw .wrongType(field(), expected: "a string or a list of content blocks") }
        return blocks
    }

    /// Tool results become `tool` messages placed before the turn's other content, in order;
    /// images inside tool results follow in a user message, since tool messages carry text only.
    private static func userMessages(_ content: JSONValue, field: @autoclosure () -> String) throws(TranslationError) -> [JSONValue] {
        guard let blocks = try blocks(of: content, field: field()) else { return [["role": "user", "content": content]] }
        var toolMessages: [JSONValue] = []
        var toolImages: [JSONValue] = []
        var parts: [JSONValue] = []
        for (index, block) in blocks.enumerated() {
            switch block["type"]?.stringValue {
            case "tool_result":
                guard let id = block["tool_use_id"]?.stringValue else { throw .missing("\(field()).\(index).tool_use_id") }
                var texts: [JSONString] = []
                if let text = block["content"]?.jsonString {
                    texts.append(text)
                } else if let inner = block["content"]?.arrayValue {
                    for part in inner {
                        switch part["type"]?.stringValue {
                        case "text": texts.append(part["text"]?.jsonString ?? "")
                        case "image": if let image = imagePart(part) { toolImages.append(image) }
                        case "document": if let document = documentPart(part) { toolImages.append(document) }
                        default: break
                        }
                    }
                }
                var text = JSONString.joined(texts, separator: "\n")
                if block["is_error"]?.boolValue == true { text = JSONString("[tool error] " + text.value) }
                toolMessages.append(["role": "tool", "tool_call_id": JSONValue(id), "content": .string(text)])
            case "text":
                parts.append(["type": "text", "text": block["text"] ?? ""])
            case "image":
                if let image = imagePart(block) { parts.append(image) }
            case "document":
                if let document = documentPart(block) { parts.append(document) }
            default:
                continue  // server-tool results and unknown blocks have no upstream form
            }
        }
        var result = toolMessages
        if !toolImages.isEmpty {
            result.append(["role": "user", "content": .array([["type": "text", "text": "Images returned by the tool:"]] + toolImages)])
        }
        if !parts.isEmpty {
            result.append(["role": "user", "content": compact(parts)])
        }
        return result
    }

    private static func assistantMessages(_ content: JSONValue, field: @autoclosure () -> String, toolNames: ToolNameMapping, inlineThinking: Bool, reasoningField: ReasoningField)
        throws(TranslationError)
        -> [JSONValue]
    {
        guard let blocks = try blocks(of: content, field: field()) else { return [["role": "assistant", "content": content]] }
        var texts: [JSONString] = []
        var reasoning: [JSONString] = []
        var toolCalls: [JSONValue] = []
        for (index, block) in blocks.enumerated() {
            switch block["type"]?.stringValue {
            case "text":
                texts.append(block["text"]?.jsonString ?? "")
            case "thinking":
                reasoning.append(block["thinking"]?.jsonString ?? "")
            case "tool_use":
                guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else {
                    throw .missing("\(field()).\(index).id")
                }
                let arguments = block["input"] ?? [:]
                toolCalls.append([
                    "id": JSONValue(id), "type": "function",
                    "function": ["name": JSONValue(toolNames.upstreamName(name)), "arguments": JSONValue(arguments.jsonText)],
                ])
            default:
                continue  // redacted_thinking, server_tool_use, unknown blocks
            }
        }
        var message = JSONObject()
        message.reserveCapacity(4)  // role, content, reasoning, tool calls
        message.append(key: "role", value: "assistant")
        // OpenAI wants null content beside tool calls, a string otherwise.
        if inlineThinking && !reasoning.isEmpty {
            // The template's own layout; the thought's line breaks at either end came from it too.
            let thought = Substring(JSONString.joined(reasoning, separator: "\n").value).trimmingNewlines
            message["content"] = JSONValue("<think>\n" + thought + "\n</think>\n\n" + JSONString.joined(texts, separator: "").value)
        } else {
            message["content"] = texts.isEmpty ? (toolCalls.isEmpty ? "" : .null) : .string(JSONString.joined(texts, separator: ""))
            if !reasoning.isEmpty, let member = reasoningField.memberName { message[member] = .string(JSONString.joined(reasoning, separator: "\n")) }
        }
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        return [.object(message)]
    }

    /// A single text part is sent as a plain string: every OpenAI-compatible server takes it.
    private static func compact(_ parts: [JSONValue]) -> JSONValue {
        if parts.count == 1, parts[0]["type"]?.stringValue == "text", let text = parts[0]["text"] { return text }
        return .array(parts)
    }

    static func imagePart(_ block: JSONValue) -> JSONValue? {
        guard let source = block["source"] else { return nil }
        switch source["type"]?.stringValue {
        case "base64":
            guard let data = source["data"]?.stringValue else { return nil }
            let mediaType = source["media_type"]?.stringValue ?? "image/png"
            return ["type": "image_url", "image_url": ["url": JSONValue("data:\(mediaType);base64,\(data)")]]
        case "url":
            guard let url = source["url"] else { return nil }
            return ["type": "image_url", "image_url": ["url": url]]
        default:
            return nil
        }
    }

    static func documentPart(_ block: JSONValue) -> JSONValue? {
        guard let source = block["source"] else { return nil }
        let title = block["title"]?.stringValue
        switch source["type"]?.stringValue {
        case "text":
            let text = source["data"]?.stringValue ?? ""
            return ["type": "text", "text": JSONValue(title.map { "\($0)\n\n\(text)" } ?? text)]
        case "base64":
            guard let data = source["data"]?.stringValue else { return nil }
            let mediaType = source["media_type"]?.stringValue ?? "application/pdf"
            return ["type": "file", "file": ["filename": JSONValue(title ?? "document.pdf"), "file_data": JSONValue("data:\(mediaType);base64,\(data)")]]
        case "url":
            guard let url = source["url"]?.stringValue else { return nil }
            return ["type": "text", "text": JSONValue("Document: \(url)")]
        case "content":
            let texts = source["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
            return ["type": "text", "text": JSONValue(texts.joined(separator: "\n"))]
        default:
            return nil
        }
    }
}
