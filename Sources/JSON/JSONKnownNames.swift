/// Member names that Anthropic and OpenAI-compatible bodies repeat in every request and chunk.
/// The parser returns these as the program's own string literals instead of building a
/// `String` from the input: no UTF-8 validation, and no allocation for names longer than 15
/// bytes (`additionalProperties`, `reasoning_content`, ...). Any other name is built as usual.
enum JSONKnownNames {
    private static let names: [String] = [
        // Requests (Anthropic Messages, tool schemas) and their OpenAI translation.
        "model", "max_tokens", "stream", "system", "tools", "messages", "metadata", "user_id", "thinking",
        "budget_tokens", "temperature", "top_p", "top_k", "stop_sequences", "tool_choice", "output_config",
        "effort", "type", "text", "name", "description", "input_schema", "properties", "required",
        "additionalProperties", "$schema", "items", "enum", "default", "minimum", "maximum", "maxLength",
        "minLength", "maxItems", "minItems", "exclusiveMinimum", "exclusiveMaximum", "format", "anyOf",
        "oneOf", "allOf", "const", "title", "pattern", "role", "content", "cache_control", "id", "input",
        "tool_use_id", "is_error", "source", "media_type", "data", "url", "signature", "citations",
        "max_completion_tokens", "stream_options", "include_usage", "parameters", "function", "strict",
        "tool_calls", "tool_call_id", "image_url", "reasoning_effort", "stop", "seed", "user",
        // Responses and stream chunks.
        "object", "created", "choices", "index", "delta", "message", "finish_reason", "usage",
        "prompt_tokens", "completion_tokens", "total_tokens", "reasoning_content", "reasoning", "arguments",
        "logprobs", "refusal", "system_fingerprint", "prompt_tokens_details", "cached_tokens",
        "completion_tokens_details", "reasoning_tokens", "error", "code", "param", "detail",
    ]

    /// The names' bytes and hash slots, built once (one lazy global: one `swift_once` check per
    /// lookup).
    private struct Table {
        /// Every name's UTF-8 bytes, one after the other; name `i` starts at `starts[i]`.
        let utf8: [UInt8] = JSONKnownNames.names.flatMap { Array($0.utf8) }
        let starts: [Int] = JSONKnownNames.names.reduce(into: [0]) { $0.append($0.last! + $1.utf8.count) }
        /// Open addressing: a slot holds an index into `names` plus one, or 0 when empty.
        let slots: [UInt16] = {
            var slots = [UInt16](repeating: 0, count: slotCount)
            for (index, name) in JSONKnownNames.names.enumerated() {
                var slot = Array(name.utf8).withUnsafeBufferPointer { hash($0) }
                while slots[slot] != 0 { slot = (slot + 1) & (slotCount - 1) }
                slots[slot] = UInt16(index + 1)
            }
            return slots
        }()
        let names = JSONKnownNames.names

        /// A method, so the table is borrowed where it stands (no copy of its arrays).
        func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            var slot = hash(bytes)
            return utf8.withUnsafeBufferPointer { utf8 in
                while true {
                    let entry = Int(slots[slot])
                    if entry == 0 { return nil }
                    let start = starts[entry - 1]
                    if starts[entry] - start == bytes.count && equal(bytes, utf8.baseAddress! + start) { return names[entry - 1] }
                    slot = (slot + 1) & (slotCount - 1)
                }
            }
        }
    }
    private static let slotCount = 512
    private static let table = Table()

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        let mixed = count &* 97 &+ Int(bytes[0]) &* 31 &+ Int(bytes[count - 1]) &* 7 &+ Int(bytes[count / 2])
        return mixed & (slotCount - 1)
    }

    /// The literal for `bytes` (a member name without escapes) when it is a known name.
    static func name(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count >= 2 && bytes.count <= 32 else { return nil }
        return table.lookup(bytes)
    }

    /// Whether `bytes` equals the same number of bytes at `known`, compared a word at a time.
    @inline(__always)
    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ known: UnsafePointer<UInt8>) -> Bool {
        let input = UnsafeRawPointer(bytes.baseAddress!), table = UnsafeRawPointer(known)
        var offset = 0
        while offset + 8 <= bytes.count {
            if input.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != table.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset += 8
        }
        while offset < bytes.count {
            if bytes[offset] != known[offset] { return false }
            offset += 1
        }
        return true
    }
}
