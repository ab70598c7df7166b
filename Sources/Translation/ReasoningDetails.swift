import JSON

/// OpenRouter's `reasoning_details`: an array of typed entries beside (or instead of) the
/// plain `reasoning` string, in a message and in each streamed delta
/// (openrouter.ai/docs, "Reasoning Tokens", "reasoning_details"):
/// `{"type":"reasoning.text","text":…}` (the model's own reasoning),
/// `{"type":"reasoning.summary","summary":…}` (a summary, as OpenAI's models give) and
/// `{"type":"reasoning.encrypted","data":…}` (opaque; also `id`, `format`, `index`).
///
/// Read only when neither `reasoning_content` nor `reasoning` carries text: OpenRouter sends
/// the same reasoning in `reasoning` and in `reasoning_details`, and it must not appear twice.
///
/// Encrypted entries are dropped. Anthropic's own home for them would be a `redacted_thinking`
/// block (its `data` is exactly such an opaque blob, which the client sends back unchanged), but
/// the block would make the round trip for nothing: the proxy sends no `reasoning_details`
/// upstream (the history's `redacted_thinking` blocks are left out, as for every upstream), so
/// the client would carry bytes that never reach a model again.
enum ReasoningDetails {
    /// The readable text of one entry: `text` of `reasoning.text` (or of an entry without a
    /// type), `summary` of `reasoning.summary`; nil for `reasoning.encrypted` and others.
    static func text(type: String?, text: JSONString?, summary: JSONString?) -> JSONString? {
        switch type {
        case "reasoning.text", nil: text
        case "reasoning.summary": summary
        default: nil
        }
    }

    /// The entries' texts as one: pieces of one stream, so joined as they are; nil for none.
    static func text(of parts: [JSONString]) -> JSONString? {
        switch parts.count {
        case 0: nil
        case 1: parts[0]
        default: JSONString.joined(parts, separator: "")
        }
    }

    /// The reasoning of a message or delta: `reasoning_content` (DeepSeek, sglang), else
    /// `reasoning` (vLLM, OpenRouter, Ollama), else the text of `reasoning_details`; the first
    /// that is not empty, so the same reasoning sent in two of them is taken once.
    static func reasoning(of message: JSONValue) -> String {
        for member in ["reasoning_content", "reasoning"] {
            if let text = message[member]?.stringValue, !text.isEmpty { return text }
        }
        return message["reasoning_details"]?.arrayValue.flatMap(text(ofEntries:))?.value ?? ""
    }

    /// The readable text of parsed entries (elements that are not objects count as none).
    static func text(ofEntries entries: [JSONValue]) -> JSONString? {
        text(
            of: entries.compactMap { entry in
                entry.objectValue == nil ? nil : text(type: entry["type"]?.stringValue, text: entry["text"]?.jsonString, summary: entry["summary"]?.jsonString)
            })
    }
}
