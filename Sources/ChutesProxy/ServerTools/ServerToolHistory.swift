import JSON

/// The client's request as the upstream model is to see it: each server tool declared as a
/// function of the same name, and the server-tool blocks of earlier turns (`server_tool_use`,
/// `web_search_tool_result`, `web_fetch_tool_result`) as an ordinary assistant tool call and
/// a user tool result. Everything else stays as the client wrote it, for `RequestTranslator`.
enum ServerToolHistory {
    /// `body` rewritten; `relaxToolChoice` turns a `tool_choice` that forces a tool into
    /// `auto` (after the first round, or the model could never stop searching).
    static func upstreamBody(_ body: JSONValue, declarations: [ServerToolDeclaration], relaxToolChoice: Bool) -> JSONValue {
        guard case .object(var object) = body else { return body }
        // Each turn is asked whole: the loop must see a turn's calls before it can go on.
        if object["stream"] != nil { object["stream"] = false }
        if let tools = object["tools"]?.arrayValue {
            object["tools"] = .array(
                tools.map { tool in
                    guard let type = tool["type"]?.stringValue, let kind = ServerToolDeclaration.kind(ofType: type),
                        let declaration = declarations.first(where: { $0.kind == kind })
                    else { return tool }
                    return declaration.functionTool
                })
        }
        if relaxToolChoice, let type = object["tool_choice"]?["type"]?.stringValue, type == "any" || type == "tool" {
            var choice: JSONObject = ["type": "auto"]
            if let parallel = object["tool_choice"]?["disable_parallel_tool_use"] { choice["disable_parallel_tool_use"] = parallel }
            object["tool_choice"] = .object(choice)
        }
        if let messages = object["messages"]?.arrayValue {
            var rewritten: [JSONValue] = []
            rewritten.reserveCapacity(messages.count)
            for message in messages { rewritten += upstreamMessages(message) }
            object["messages"] = .array(rewritten)
        }
        return .object(object)
    }

    static let resultTypes: Set<String> = ["web_search_tool_result", "web_fetch_tool_result"]

    /// One client message, split where an assistant turn holds server-tool results: the
    /// assistant's part up to its tool calls, a user message with their results, the rest.
    private static func upstreamMessages(_ message: JSONValue) -> [JSONValue] {
        guard message["role"]?.stringValue == "assistant", let blocks = message["content"]?.arrayValue,
            blocks.contains(where: { $0["type"]?.stringValue == "server_tool_use" || resultTypes.contains($0["type"]?.stringValue ?? "") })
        else { return [message] }
        // Only calls whose result is in the message go upstream: a call without one has no
        // answer an OpenAI-compatible server would accept.
        let answered = Set(blocks.compactMap { resultTypes.contains($0["type"]?.stringValue ?? "") ? $0["tool_use_id"]?.stringValue : nil })
        var output: [JSONValue] = []
        var assistant: [JSONValue] = []
        var results: [JSONValue] = []
        var called: Set<String> = []
        func flushResults() {
            guard !results.isEmpty else { return }
            output.append(["role": "assistant", "content": .array(assistant)])
            output.append(["role": "user", "content": .array(results)])
            assistant = []
            results = []
        }
        for block in blocks {
            switch block["type"]?.stringValue {
            case "server_tool_use":
                guard let id = block["id"]?.stringValue, answered.contains(id) else { continue }
                flushResults()
                called.insert(id)
                assistant.append(["type": "tool_use", "id": JSONValue(id), "name": block["name"] ?? "web_search", "input": block["input"] ?? [:]])
            case let type? where resultTypes.contains(type):
                guard let id = block["tool_use_id"]?.stringValue, called.contains(id) else { continue }
                results.append(["type": "tool_result", "tool_use_id": JSONValue(id), "content": toolResultContent(block)])
            default:
                flushResults()
                assistant.append(block)
            }
        }
        flushResults()
        if !assistant.isEmpty { output.append(["role": "assistant", "content": .array(assistant)]) }
        return output
    }

    /// What the model reads for a result block.
    static func toolResultContent(_ block: JSONValue) -> JSONValue {
        let content = block["content"]
        if block["type"]?.stringValue == "web_search_tool_result" { return JSONValue(SearchResultCodec.toolResultText(content)) }
        if let code = content?["error_code"]?.stringValue { return JSONValue("Web fetch error: \(code)") }
        let url = content?["url"]?.stringValue?.prefixUTF8(SearchResult.maxURLBytes) ?? ""
        let document = content?["content"]
        if document?["source"]?["type"]?.stringValue == "base64" {
            return [["type": "text", "text": JSONValue("Fetched \(url):")], document ?? nil]
        }
        let text = document?["source"]?["data"]?.stringValue ?? ""
        return JSONValue("Fetched \(url):\n\n\(text)")
    }
}
