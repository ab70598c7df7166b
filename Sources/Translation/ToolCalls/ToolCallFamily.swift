import JSON
import Locking

/// The tool-call formats open models write as text, named as `TOOL_CALL_PARSER` takes them
/// (vLLM's parser names where they exist).
public enum ToolCallFamily: String, Sendable, CaseIterable {
    /// `<tool_call>` tags: Hermes, Qwen2.5, Qwen3, ERNIE 4.5 JSON; Qwen3-Coder, Qwen3.5 and GLM XML-style bodies.
    case hermes, qwen, qwen3Coder = "qwen3_coder", glm
    case deepseek, kimi, mistral, llama, gptOSS = "gpt_oss"
    case minimax = "minimax_m2", seedOSS = "seed_oss", kimiK3 = "kimi_k3", longcat, step3, gemma4

    /// Other names operators may know a family by (vLLM's and sglang's).
    private static let aliases: [String: ToolCallFamily] = [
        "qwen25": .qwen, "qwen3": .qwen, "qwen3_xml": .qwen3Coder, "ernie45": .hermes,
        "glm45": .glm, "glm47": .glm, "glm4_moe": .glm, "glm47_moe": .glm,
        "deepseek_v3": .deepseek, "deepseekv3": .deepseek, "deepseek_v31": .deepseek, "deepseekv31": .deepseek,
        "deepseek_v32": .deepseek, "deepseekv32": .deepseek, "deepseek_v4": .deepseek, "deepseekv4": .deepseek,
        "kimi_k2": .kimi, "minimax": .minimax, "kimik3": .kimiK3, "gemma": .gemma4, "openai": .gptOSS,
    ]

    /// The family `TOOL_CALL_PARSER` names (any case, `-` or `_`), nil for `auto` and unknown names.
    public init?(setting: String) {
        let name = setting.lowercased().replacing("-", with: "_")
        guard let family = ToolCallFamily(rawValue: name) ?? Self.aliases[name] else { return nil }
        self = family
    }

    /// The family a model name suggests. Asked several times per request for the same few
    /// models, so answers are remembered (a bounded table: model names come from requests).
    public static func forModel(_ model: String) -> ToolCallFamily? {
        // Only short names are remembered: the table holds up to 256 keys, and a key as long
        // as the name a client sent would let a few requests pin megabytes each.
        guard model.utf8.count <= maxRememberedNameBytes else { return guess(model) }
        if let known = guesses.withLock({ $0[model] }) { return known }
        let family = guess(model)
        guesses.withLock { table in
            if table.count >= 256 { table.removeAll() }
            table[model] = .some(family)
        }
        return family
    }

    private static let guesses = Mutex<[String: ToolCallFamily?]>([:])
    private static let maxRememberedNameBytes = 256

    private static func guess(_ model: String) -> ToolCallFamily? {
        let name = model.lowercased()
        if name.contains("deepseek") { return .deepseek }
        if name.contains("minimax") { return .minimax }
        if name.contains("seed-oss") || name.contains("seed_oss") { return .seedOSS }
        if name.contains("kimi-k3") || name.contains("kimi_k3") { return .kimiK3 }
        if name.contains("kimi") || name.contains("moonshot") { return .kimi }
        if name.contains("longcat") { return .longcat }
        if name.contains("gemma-4") || name.contains("gemma4") { return .gemma4 }
        if name.contains("step3") || name.contains("step-3") { return name.contains("3.5") || name.contains("3p5") ? nil : .step3 }
        if name.contains("hermes") || name.contains("ernie") { return .hermes }
        if name.contains("qwen3-coder") || name.contains("qwen3_coder") { return .qwen3Coder }
        if let version = qwenVersion(name) { return version >= 3.5 ? .qwen3Coder : .qwen }
        if name.contains("qwen") { return .qwen }
        if name.contains("glm") { return .glm }
        if name.contains("mistral") || name.contains("devstral") || name.contains("magistral") { return .mistral }
        if name.contains("llama") { return .llama }
        if name.contains("gpt-oss") || name.contains("gpt_oss") { return .gptOSS }
        return nil
    }

    /// The version after "qwen" in a model name: 3.5 for "qwen3.5-397b", 3 for "qwen3-next".
    private static func qwenVersion(_ name: String) -> Double? {
        var rest = Substring(name)
        while let found = rest.firstRange(of: "qwen") {
            let digits = rest[found.upperBound...].prefix { $0.isNumber || $0 == "." }
            if let version = Double(digits.hasSuffix(".") ? digits.dropLast() : digits) { return version }
            rest = rest[found.upperBound...]  // "qwen/" (the organisation) has no version
        }
        return nil
    }

    /// The formats this family writes.
    var formats: [any TextToolCallFormat] {
        switch self {
        case .llama: [LlamaToolCallFormat(), BareJSONToolCallFormat()]
        case .deepseek: [DeepSeekToolCallFormat(), DSMLToolCallFormat(acceptsPlainTags: true)]
        case .kimi: [KimiToolCallFormat(), KimiK3ToolCallFormat()]
        case .kimiK3: [KimiK3ToolCallFormat(), KimiK3ResponseWrapperFormat(), KimiToolCallFormat()]
        case .longcat: [TaggedToolCallFormat(tag: "longcat_tool_call", argumentTag: "longcat_arg")]
        case .seedOSS: [TaggedToolCallFormat(tag: "seed:tool_call")]
        case .hermes, .qwen, .qwen3Coder, .glm: [TaggedToolCallFormat()]
        case .mistral: [MistralToolCallFormat()]
        case .gptOSS: [HarmonyToolCallFormat()]
        case .minimax: [MiniMaxToolCallFormat()]
        case .step3: [Step3ToolCallFormat()]
        case .gemma4: [Gemma4ToolCallFormat()]
        }
    }

    /// Formats whose markers are unambiguous enough to watch for in every model's text.
    static let allFormats: [any TextToolCallFormat] = [
        TaggedToolCallFormat(), DeepSeekToolCallFormat(), DSMLToolCallFormat(acceptsPlainTags: false), KimiToolCallFormat(), MistralToolCallFormat(),
        LlamaToolCallFormat(), HarmonyToolCallFormat(), MiniMaxToolCallFormat(), TaggedToolCallFormat(tag: "seed:tool_call"),
        KimiK3ToolCallFormat(), TaggedToolCallFormat(tag: "longcat_tool_call", argumentTag: "longcat_arg"), Step3ToolCallFormat(), Gemma4ToolCallFormat(),
    ]

    /// Whether the family's chat template reads earlier thinking from `<think>…</think>` in the
    /// assistant's content (MiniMax-M2 asks clients to keep it there) rather than `reasoning_content`.
    var readsThinkingInline: Bool { self == .minimax }

    /// Families whose reasoning may hold tool calls (Kimi K2-Thinking writes calls before it closes its thought).
    var formatsInReasoning: [any TextToolCallFormat] {
        switch self {
        case .kimi, .kimiK3: formats
        default: []
        }
    }
}

/// The text tool-call parser for a request, per `TOOL_CALL_PARSER`: `none` (or no declared
/// tools) gives nil; a family name gives that family's parser; `auto` (and anything
/// unrecognised) watches for every family's unambiguous markers, and the model's own family's
/// others, its family first.
public func makeTextToolCallParser(_ choice: ToolCallParserChoice, model: String, tools: [(name: String, inputSchema: JSONValue)]) -> TextToolCallParser? {
    guard !tools.isEmpty else { return nil }
    let family: ToolCallFamily?
    switch choice {
    case .off: return nil
    case .family(let chosen): family = chosen
    case .auto: family = ToolCallFamily.forModel(model)
    }
    let (formats, markers) = TextToolCallFormats.cached(choice, family: family)
    return TextToolCallParser(formats: formats, markers: markers, tools: DeclaredTools(tools))
}

/// A parser for tool calls inside the reasoning stream, for the families that write them there
/// (per `TOOL_CALL_PARSER`, or the model's family under `auto`); nil for the others.
public func makeReasoningToolCallParser(_ choice: ToolCallParserChoice, model: String, tools: [(name: String, inputSchema: JSONValue)]) -> TextToolCallParser? {
    guard !tools.isEmpty else { return nil }
    let chosen: ToolCallFamily?
    switch choice {
    case .off: return nil
    case .family(let family): chosen = family
    case .auto: chosen = ToolCallFamily.forModel(model)
    }
    guard let family = chosen, !family.formatsInReasoning.isEmpty else { return nil }
    return TextToolCallParser(formats: family.formatsInReasoning, tools: DeclaredTools(tools))
}

/// `makeTextToolCallParser(_:model:tools:)` for a setting's text (tests and tools; the server
/// reads `TOOL_CALL_PARSER` once): an unrecognised name counts as `auto`.
public func makeTextToolCallParser(setting: String, model: String, tools: [(name: String, inputSchema: JSONValue)]) -> TextToolCallParser? {
    makeTextToolCallParser(ToolCallParserChoice(setting: setting) ?? .auto, model: model, tools: tools)
}

/// `makeReasoningToolCallParser(_:model:tools:)` for a setting's text (tests and tools).
public func makeReasoningToolCallParser(setting: String, model: String, tools: [(name: String, inputSchema: JSONValue)]) -> TextToolCallParser? {
    makeReasoningToolCallParser(ToolCallParserChoice(setting: setting) ?? .auto, model: model, tools: tools)
}
