import JSON
import TestSupport
import Testing

@testable import Translation

private func stream(_ chunks: [String]) throws -> (events: [AnthropicStreamEvent], checker: AnthropicStreamChecker) {
    var translator = StreamTranslator(context: .init(messageID: "msg_01providers000000", model: "claude", estimatedInputTokens: 7))
    var events = translator.start()
    for chunk in chunks {
        // Both readings of a chunk, the relay's and the tree's, must give the same.
        let bytes = Array(chunk.utf8)
        #expect(try StreamChunk(parsing: bytes) == StreamChunk(JSONValue(parsing: bytes)), "\(chunk)")
        var produced: [AnthropicStreamEvent] = []
        translator.consume(try StreamChunk(parsing: bytes), into: &produced)
        events += produced
    }
    events += translator.finish()
    let checker = AnthropicStreamChecker(events)
    #expect(checker.problems == [])
    return (events, checker)
}

private func whole(_ body: String) throws -> JSONValue {
    let context = try RequestTranslator.translate(JSONValue(parsing: #"{"model":"m","max_tokens":10,"messages":[]}"#), options: .init()).context
    return ResponseTranslator.translate(try JSONValue(parsing: body), context: context, messageID: "msg_01providers000000")
}

private func thinking(_ content: [JSONObject]) -> [String] {
    content.filter { $0["type"] == "thinking" }.compactMap { $0["thinking"]?.stringValue }
}

/// Chunks and answers shaped as each provider documents (or was recorded) sending them,
/// through the translation (issue 25): reasoning from whichever field carries it, once.
@Suite struct ProviderShapesTests {
    /// OpenRouter sends the reasoning twice in each delta, as `reasoning` and in
    /// `reasoning_details`. Chunk shape as recorded from openrouter.ai/api/v1/chat/completions
    /// (charmbracelet/fantasy, providertests/testdata/TestOpenRouterThinking/gpt-5/
    /// thinking-streaming.yaml); the final chunk's usage with `cost` as in OpenRouter's
    /// "Usage Accounting" documentation.
    @Test func openRouterReasoningSentTwiceIsTakenOnce() throws {
        let prefix = #"{"id":"gen-1761054763-a10nm1pcIKLo1lEHAAjM","provider":"OpenAI","model":"openai/gpt-5","object":"chat.completion.chunk","created":1761054763,"choices":[{"index":0,"delta":"#
        let suffix = #","finish_reason":null,"native_finish_reason":null,"logprobs":null}]}"#
        let (_, checker) = try stream([
            prefix + #"{"role":"assistant","content":""}"# + suffix,
            prefix + #"{"role":"assistant","content":"","reasoning":"**Retr","reasoning_details":[{"type":"reasoning.summary","summary":"**Retr","format":"openai-responses-v1","index":0}]}"# + suffix,
            prefix + #"{"role":"assistant","content":"","reasoning":"ieving**","reasoning_details":[{"type":"reasoning.summary","summary":"ieving**","format":"openai-responses-v1","index":0}]}"#
                + suffix,
            prefix
                + #"{"role":"assistant","content":"","reasoning":null,"reasoning_details":[{"type":"reasoning.encrypted","data":"gAAAAABo9xyz==","id":"rs_0a1b","format":"openai-responses-v1","index":0}]}"#
                + suffix,
            prefix + #"{"role":"assistant","content":"Sunny."}"# + suffix,
            #"{"id":"gen-1761054763-a10nm1pcIKLo1lEHAAjM","provider":"OpenAI","model":"openai/gpt-5","object":"chat.completion.chunk","created":1761054763,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop","native_finish_reason":"completed","logprobs":null}]}"#,
            #"{"id":"gen-1761054763-a10nm1pcIKLo1lEHAAjM","provider":"OpenAI","model":"openai/gpt-5","object":"chat.completion.chunk","created":1761054763,"choices":[],"usage":{"prompt_tokens":66,"completion_tokens":91,"total_tokens":157,"cost":0.000993,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"cost_details":{"upstream_inference_cost":null},"completion_tokens_details":{"reasoning_tokens":64}}}"#,
        ])
        #expect(checker.content.map { $0["type"]?.stringValue } == ["thinking", "text"])
        #expect(thinking(checker.content) == ["**Retrieving**"])
        #expect(checker.content[1]["text"] == "Sunny.")
        #expect(checker.finalMessage["usage"]?["output_tokens"] == 91 && checker.finalMessage["usage"]?["input_tokens"] == 66)
    }

    /// Reasoning only in `reasoning_details` (a delta without the `reasoning` string): its
    /// `reasoning.text` entries, in order; encrypted entries have no readable text.
    @Test func reasoningDetailsAloneAreRead() throws {
        let (_, checker) = try stream([
            #"{"choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.text","text":"Step one. ","format":"anthropic-claude-v1","index":0},{"type":"reasoning.encrypted","data":"EqQB","format":"anthropic-claude-v1","index":1}]},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.text","text":"Step two.","signature":"sig","index":0}]},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"Done."},"finish_reason":"stop"}]}"#,
        ])
        #expect(thinking(checker.content) == ["Step one. Step two."])
        #expect(!checker.content.contains { $0["type"] == "redacted_thinking" })
    }

    @Test func openRouterWholeAnswerTakesItsReasoningOnce() throws {
        let answer = try whole(
            #"""
            {"id":"gen-1","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion","created":1761054763,
             "choices":[{"logprobs":null,"finish_reason":"stop","native_finish_reason":"stop","index":0,"message":{"role":"assistant","content":"42.","refusal":null,
               "reasoning":"Six times seven.","reasoning_details":[{"type":"reasoning.text","text":"Six times seven.","format":"unknown","index":0}]}}],
             "usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,"cost":0.0000315,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":5}}}
            """#)
        let content = answer["content"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(thinking(content) == ["Six times seven."])
        #expect(answer["usage"]?["output_tokens"] == 9)
        let summaryOnly = try whole(
            #"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok","reasoning":null,"reasoning_details":[{"type":"reasoning.summary","summary":"Short.","format":"openai-responses-v1","index":0},{"type":"reasoning.encrypted","data":"gAAA","index":1}]}}]}"#
        )
        #expect(thinking(summaryOnly["content"]?.arrayValue?.compactMap(\.objectValue) ?? []) == ["Short."])
    }

    /// DeepSeek's API: reasoning in `reasoning_content` (api-docs.deepseek.com, "Thinking
    /// Mode": the delta's `reasoning_content`, then `content`); usage in the last chunk with
    /// its cache counts (`prompt_cache_hit_tokens`) beside OpenAI's.
    @Test func deepSeekReasoningContentStreams() throws {
        let base =
            #"{"id":"7a4c8f0e","object":"chat.completion.chunk","created":1767225600,"model":"deepseek-reasoner","system_fingerprint":"fp_ffc7281d48_prod0820_fp8_kvcache","choices":[{"index":0,"delta":"#
        let (_, checker) = try stream([
            base + #"{"role":"assistant","content":null,"reasoning_content":""},"logprobs":null,"finish_reason":null}]}"#,
            base + #"{"content":null,"reasoning_content":"Hmm"},"logprobs":null,"finish_reason":null}]}"#,
            base + #"{"content":null,"reasoning_content":", simple."},"logprobs":null,"finish_reason":null}]}"#,
            base + #"{"content":"Hi!","reasoning_content":null},"logprobs":null,"finish_reason":null}]}"#,
            base
                + #"{"content":"","reasoning_content":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":15},"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":10}}"#,
        ])
        #expect(thinking(checker.content) == ["Hmm, simple."])
        #expect(checker.content.last?["text"] == "Hi!")
        #expect(checker.finalMessage["usage"]?["output_tokens"] == 20)
    }

    /// A provider asked without `stream_options` (or one that ignores it, as DeepSeek and
    /// Ollama do unless asked) sends no usage: the output is estimated from what was streamed
    /// (about four bytes a token) instead of reported as 0; the input keeps `message_start`'s
    /// estimate.
    @Test func aStreamWithoutUsageReportsTheEstimatedOutput() throws {
        let text = String(repeating: "word ", count: 80)  // 400 bytes
        let (events, checker) = try stream([
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"\#(String(repeating: "r", count: 100))"},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"\#(text)"},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]},"finish_reason":"tool_calls"}]}"#,
        ])
        let output = try #require(checker.finalMessage["usage"]?["output_tokens"]?.intValue)
        // 516 bytes (the arguments counted as sent, escapes and all: a few more).
        #expect((129...131).contains(output), "\(output)")
        #expect(events.first?.payload["message"]?["usage"]?["input_tokens"] == 7)
        #expect(events.last { $0.type == "message_delta" }?.payload["usage"]?["input_tokens"] == nil)
    }

    /// Ollama's OpenAI-compatible endpoint (`/v1/chat/completions`): reasoning in `reasoning`,
    /// a tool call whole in one chunk with a `call_` id (shapes as ollama's `openai` package
    /// writes them; see docs/openai.md in ollama/ollama).
    @Test func ollamaReasoningAndAWholeToolCall() throws {
        let base = #"{"id":"chatcmpl-838","object":"chat.completion.chunk","created":1744438886,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":"#
        let (_, checker) = try stream([
            base + #"{"role":"assistant","content":"","reasoning":"List the files."},"finish_reason":null}]}"#,
            base
                + #"{"role":"assistant","content":"","tool_calls":[{"id":"call_hk81qg8b","index":0,"type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls -la\"}"}}]},"finish_reason":null}]}"#,
            base + #"{"role":"assistant","content":""},"finish_reason":"tool_calls"}]}"#,
        ])
        #expect(thinking(checker.content) == ["List the files."])
        #expect(checker.content.last == ["type": "tool_use", "id": "call_hk81qg8b", "name": "Bash", "input": ["command": "ls -la"]])
    }

    /// vLLM: reasoning in `reasoning` (docs.vllm.ai, "Reasoning Outputs"; older releases
    /// also sent it as `reasoning_content`, the same text, which must not be taken twice).
    @Test func vllmReasoningInBothFieldsIsTakenOnce() throws {
        let (_, checker) = try stream([
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"reasoning_content":"Think.","reasoning":"Think."},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"reasoning":"Done."},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":"Answer"},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}"#,
        ])
        #expect(thinking(checker.content) == ["Think.Done."])
        let answer = try whole(#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"A","reasoning_content":"","reasoning":"R"}}]}"#)
        #expect(thinking(answer["content"]?.arrayValue?.compactMap(\.objectValue) ?? []) == ["R"])
    }

    /// vLLM accepts `max_completion_tokens` (its `ChatCompletionRequest` has both, preferring
    /// it): the request names the limit only there when the provider says so.
    @Test func vllmGetsMaxCompletionTokens() throws {
        var options = TranslationOptions()
        options.maxTokensField = .maxCompletionTokens
        options.reasoningField = .reasoning
        let upstream = try RequestTranslator.translate(
            JSONValue(parsing: #"{"model":"m","max_tokens":300,"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"a"}]}]}"#),
            options: options
        ).upstream
        #expect(upstream["max_completion_tokens"] == 300 && upstream["max_tokens"] == nil)
        #expect(upstream["messages"]?[0]?["reasoning"] == "t")
    }
}
