import JSON
import Testing

@testable import Translation

private func translated(_ request: String, options: TranslationOptions = .init()) throws -> JSONValue {
    try RequestTranslator.translate(JSONValue(parsing: request), options: options).upstream
}

/// The request-side quirks a provider's settings choose (`TranslationOptions`): each one's
/// default must leave the request exactly as it was, and each one's other value must change
/// only its own member.
@Suite struct UpstreamQuirksTests {
    static let streamingRequest =
        #"{"model":"m","max_tokens":64000,"stream":true,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"plan","signature":"s"},{"type":"text","text":"ok"}]}],"thinking":{"type":"enabled","budget_tokens":10000}}"#

    @Test func theDefaultsSendTheRequestByteForByteAsBefore() throws {
        var options = TranslationOptions()
        options.thinkingTemplateKwargs = ["enable_thinking": true]
        // Written out by hand from what the translation sent before the quirks existed.
        let expected =
            #"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"ok","reasoning_content":"plan"}],"max_tokens":64000,"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"medium","chat_template_kwargs":{"enable_thinking":true}}"#
        #expect(try translated(Self.streamingRequest, options: options).jsonText == expected)
    }

    @Test func maxCompletionTokensReplacesMaxTokensInPlace() throws {
        var options = TranslationOptions()
        options.maxTokensField = .maxCompletionTokens
        options.maxTokensCap = 8192
        let result = try translated(Self.streamingRequest, options: options)
        #expect(result["max_completion_tokens"]?.intValue == 8192)
        #expect(result["max_tokens"] == nil)
        let keys = result.objectValue.map { $0.map(\.key) } ?? []
        #expect(keys.prefix(3) == ["model", "messages", "max_completion_tokens"])
    }

    @Test func theSettingSpellingsNameTheMembers() {
        #expect(MaxTokensField(rawValue: "max_tokens") == .maxTokens)
        #expect(MaxTokensField(rawValue: "max_completion_tokens") == .maxCompletionTokens)
        #expect(ReasoningField(rawValue: "reasoning_content")?.memberName == "reasoning_content")
        #expect(ReasoningField(rawValue: "reasoning")?.memberName == "reasoning")
        #expect(ReasoningField(rawValue: "none") == .omitted)
        #expect(ReasoningField.omitted.memberName == nil)
    }

    @Test(arguments: [
        #""thinking":{"type":"enabled","budget_tokens":10000}"#,
        #""thinking":{"type":"disabled"}"#,
    ])
    func noTemplateSwitchesWhenTheUpstreamTakesNone(thinking: String) throws {
        var options = TranslationOptions()
        options.thinkingTemplateKwargs = ["enable_thinking": true]
        options.sendsChatTemplateKwargs = false
        let request = #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],\#(thinking)}"#
        let result = try translated(request, options: options)
        #expect(result["chat_template_kwargs"] == nil)
        options.sendsChatTemplateKwargs = true
        #expect(try translated(request, options: options)["chat_template_kwargs"] != nil)
    }

    @Test func noFamilyTemplateSwitchesEitherWhenTheUpstreamTakesNone() throws {
        // Seed-OSS gets a `thinking_budget` of its own by default; not from an API without template switches.
        let request = #"{"model":"ByteDance-Seed/Seed-OSS-36B-Instruct","max_tokens":10,"messages":[{"role":"user","content":"x"}],"output_config":{"effort":"high"}}"#
        #expect(try translated(request)["chat_template_kwargs"]?["thinking_budget"] != nil)
        var options = TranslationOptions()
        options.sendsChatTemplateKwargs = false
        let result = try translated(request, options: options)
        #expect(result["chat_template_kwargs"] == nil)
        #expect(result["reasoning_effort"]?.stringValue == "high")
    }

    @Test func noStreamOptionsWhenTheUpstreamTakesNone() throws {
        var options = TranslationOptions()
        options.sendsStreamOptions = false
        let result = try translated(Self.streamingRequest, options: options)
        #expect(result["stream"] == true)
        #expect(result["stream_options"] == nil)
    }

    @Test(arguments: [
        (ReasoningField.reasoningContent, "reasoning_content"),
        (ReasoningField.reasoning, "reasoning"),
        (ReasoningField.omitted, nil),
    ])
    func historyReasoningGoesUnderTheChosenMemberOrNowhere(field: ReasoningField, member: String?) throws {
        var options = TranslationOptions()
        options.reasoningField = field
        let assistant = try #require(try translated(Self.streamingRequest, options: options)["messages"]?[1]?.objectValue)
        let reasoningMembers = assistant.map(\.key).filter { $0.hasPrefix("reasoning") }
        #expect(reasoningMembers == (member.map { [$0] } ?? []))
        if let member { #expect(assistant[member] == "plan") }
        #expect(assistant["content"] == "ok")
    }
}
