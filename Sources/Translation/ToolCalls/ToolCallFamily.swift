import JSON

/// The tool-call formats open models write as text, named as `TOOL_CALL_PARSER` takes them.
public enum ToolCallFamily: String, Sendable, CaseIterable {
    /// `<tool_call>` tags: Hermes, Qwen2.5, Qwen3 JSON; Qwen3-Coder and GLM XML-style bodies.
    case hermes, qwen, qwen3Coder = "qwen3_coder", glm
    case deepseek, kimi, mistral, llama, gptOSS = "gpt_oss"

    /// The family a model name suggests.
    public static func forModel(_ model: String) -> ToolCallFamily? {
        let name = model.lowercased()
        if name.contains("deepseek") { return .deepseek }
        if name.contains("qwen3-coder") || name.contains("qwen3_coder") { return .qwen3Coder }
        if name.contains("qwen") { return .qwen }
        if name.contains("kimi") || name.contains("moonshot") { return .kimi }
        if name.contains("glm") { return .glm }
        if name.contains("mistral") || name.contains("devstral") || name.contains("magistral") { return .mistral }
        if name.contains("llama") { return .llama }
        if name.contains("gpt-oss") || name.contains("gpt_oss") { return .gptOSS }
        if name.contains("hermes") { return .hermes }
        return nil
    }

    /// The formats this family writes.
    var formats: [any TextToolCallFormat] {
        switch self {
        case .llama: [LlamaToolCallFormat(), BareJSONToolCallFormat()]
        case .deepseek: [DeepSeekToolCallFormat(), DSMLToolCallFormat(acceptsPlainTags: true)]
        default: [format]
        }
    }

    var format: any TextToolCallFormat {
        switch self {
        case .hermes, .qwen, .qwen3Coder, .glm: TaggedToolCallFormat()
        case .deepseek: DeepSeekToolCallFormat()
        case .kimi: KimiToolCallFormat()
        case .mistral: MistralToolCallFormat()
        case .llama: LlamaToolCallFormat()
        case .gptOSS: HarmonyToolCallFormat()
        }
    }

    static let allFormats: [any TextToolCallFormat] = [
        TaggedToolCallFormat(), DeepSeekToolCallFormat(), DSMLToolCallFormat(acceptsPlainTags: false), KimiToolCallFormat(), MistralToolCallFormat(),
        LlamaToolCallFormat(), HarmonyToolCallFormat(),
    ]
}

/// The text tool-call parser for a request, per `TOOL_CALL_PARSER`: `none` (or no declared
/// tools) gives nil; a family name gives that family's parser; `auto` (and anything
/// unrecognised) watches for every family's markers, the model's own family first.
public func makeTextToolCallParser(setting: String, model: String, tools: [(name: String, inputSchema: JSONValue)]) -> TextToolCallParser? {
    guard !tools.isEmpty else { return nil }
    let declared = DeclaredTools(tools)
    let setting = setting.lowercased().replacing("-", with: "_")
    if setting == "none" || setting == "off" { return nil }
    if let family = ToolCallFamily(rawValue: setting) {
        return TextToolCallParser(formats: family.formats, tools: declared)
    }
    var formats = ToolCallFamily.allFormats
    if let family = ToolCallFamily.forModel(model) {
        let preferred = family.formats
        formats.removeAll { format in preferred.contains { type(of: $0) == type(of: format) } }
        formats.insert(contentsOf: preferred, at: 0)
    }
    return TextToolCallParser(formats: formats, tools: declared)
}
