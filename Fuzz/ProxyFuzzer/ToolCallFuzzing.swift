import JSON
import Translation

/// Every text tool-call parser (each `ToolCallFamily`, and `auto`): no input traps, calls
/// name declared tools with JSON-object arguments, text without calls comes out unchanged,
/// and the result does not depend on how the text was split.
enum ToolCallFuzzing {
    static let tools: [(name: String, inputSchema: JSONValue)] = [
        ("Read", ["type": "object", "properties": ["path": ["type": "string"]]]),
        ("Write", ["type": "object", "properties": ["path": ["type": "string"], "content": ["type": "string"], "mode": ["type": "integer"]]]),
    ]
    static let settings = ToolCallFamily.allCases.map(\.rawValue) + ["auto"]
    static let models = [
        "deepseek-ai/DeepSeek-V3.2", "Qwen/Qwen3-Coder-480B", "zai-org/GLM-4.6", "moonshotai/Kimi-K2", "openai/gpt-oss-120b", "MiniMaxAI/MiniMax-M2", "moonshotai/Kimi-K3", "google/gemma-4-31B-it",
        "unknown",
    ]

    static func textToolCalls(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let setting = settings[input.choose(settings.count)]
        let model = models[input.choose(models.count)]
        let pieces = ModelTextGenerator.pieces(from: &input)
        guard let parser = makeTextToolCallParser(setting: setting, model: model, tools: tools) else {
            fuzzFailure("no parser for \(setting)")
        }
        let byPieces = run(parser, pieces)
        let whole = run(parser, [pieces.joined()])
        let context = "\(setting) \(model) \(pieces)"
        if byPieces != whole { fuzzFailure("split changed the result for \(context): \(byPieces) vs \(whole)") }
        var sawCall = false
        for item in whole {
            guard case .toolCall(let name, let arguments) = item else { continue }
            sawCall = true
            if !tools.contains(where: { $0.name == name }) { fuzzFailure("call to undeclared \(name) for \(context)") }
            guard (try? JSONValue(parsing: arguments))?.objectValue != nil else {
                fuzzFailure("arguments not a JSON object: \(arguments) for \(context)")
            }
        }
        if !sawCall {
            let text = whole.map { if case .text(let text) = $0 { text } else { "" } }.joined()
            // Kimi K3's parser drops its response-channel wrappers (template syntax) and nothing else.
            let dropsWrappers = setting == "kimi_k3" || (setting == "auto" && model.contains("Kimi-K3"))
            func comparable(_ text: String) -> String {
                guard dropsWrappers else { return text }
                return ["<|open|>response<|sep|>", "<|close|>response<|sep|>", "<|close|>message<|sep|>"].reduce(text) { $0.replacing($1, with: "") }
            }
            if comparable(text) != comparable(pieces.joined()) { fuzzFailure("text changed without a call for \(context): \(text.debugDescription)") }
        }
    }

    /// The parser's output with adjacent text joined.
    private static func run(_ prototype: TextToolCallParser, _ pieces: [String]) -> [InterceptedText] {
        var parser = prototype
        var output: [InterceptedText] = []
        func add(_ items: [InterceptedText]) {
            for item in items {
                if case .text(let text) = item, case .text(let previous)? = output.last {
                    output[output.count - 1] = .text(previous + text)
                } else if case .text(let text) = item, text.isEmpty {
                    continue
                } else {
                    output.append(item)
                }
            }
        }
        for piece in pieces { add(parser.feed(piece)) }
        add(parser.finish())
        return output
    }
}
