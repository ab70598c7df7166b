import JSON
import Translation

/// The request translator on any JSON body: no input traps, and what it sends upstream is
/// an object with a model and a messages array that writes to valid JSON.
enum TranslationFuzzing {
    static func requestTranslator(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var options = TranslationOptions()
        let flags = input.byte()
        if flags & 1 != 0 { options.maxTokensCap = 1024 }
        if flags & 2 != 0 { options.thinkingTemplateKwargs = ["enable_thinking": true] }
        if flags & 4 != 0 { options.sendsReasoningEffort = false }
        if flags & 8 != 0 { options.enableThinkingHeader = true }
        if flags & 16 != 0 { options.toolNameRules = ToolNameMapping.Rules(global: ["Read": "read_file"]) }
        let body = Array(input.rest())
        guard let request = (try? JSONValue(parsing: body)) ?? JSONValue.lenient(String(decoding: body, as: UTF8.self)) else { return }
        guard let (upstream, context) = try? RequestTranslator.translate(request, options: options) else { return }
        guard upstream["model"]?.stringValue != nil, upstream["messages"]?.arrayValue != nil else {
            fuzzFailure("upstream request without model or messages: \(upstream.jsonText)")
        }
        guard (try? JSONValue(parsing: upstream.serialized())) == upstream else {
            fuzzFailure("upstream request does not round-trip: \(upstream.jsonText)")
        }
        _ = context.estimatedInputTokens
        for tool in context.tools { _ = context.toolNames.clientName(context.toolNames.upstreamName(tool.name)) }
    }
}
