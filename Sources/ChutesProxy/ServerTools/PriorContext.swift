import JSON

/// Anthropic's rule for `web_fetch`: only a URL that already appears in the conversation (a
/// user's message, a client tool's result, an earlier search or fetch result) is fetched; any
/// other is `url_not_in_prior_context`. The model's own words do not count: the rule keeps a
/// model that a page talked into it from sending the conversation out in a URL it composed.
enum PriorContext {
    /// What counts as context: the users' messages (client tool results are there) and the
    /// search and fetch results of earlier turns and of this answer so far.
    static func sources(messages: [JSONValue], answered: [JSONValue]) -> [JSONValue] {
        var sources: [JSONValue] = []
        for message in messages {
            if message["role"]?.stringValue == "user" {
                sources.append(message["content"] ?? nil)
            } else {
                sources += (message["content"]?.arrayValue ?? []).filter(isResult)
            }
        }
        return sources + answered.filter(isResult)
    }

    private static func isResult(_ block: JSONValue) -> Bool {
        ServerToolHistory.resultTypes.contains(block["type"]?.stringValue ?? "")
    }

    /// Whether some string in `values` holds `url` (a final `/` on either side aside).
    static func mentions(_ url: String, in values: [JSONValue]) -> Bool {
        let wanted = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard !wanted.isEmpty else { return false }
        var stack = values
        while let value = stack.popLast() {
            switch value {
            case .string:
                if let text = value.stringValue, text.firstRange(of: wanted) != nil { return true }
            case .array(let items):
                stack += items
            case .object(let object):
                for member in object { stack.append(member.value) }
            default:
                continue
            }
        }
        return false
    }
}
