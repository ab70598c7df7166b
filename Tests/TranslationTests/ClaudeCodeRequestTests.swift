import Foundation
import JSON
import Testing

@testable import Translation

/// A request the real Claude Code CLI (2.1.331) sent, captured on loopback.
@Suite struct ClaudeCodeRequestTests {
    static let captured: JSONValue = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/claude-code-2.1.331-request.json")
        return try! JSONValue(parsing: Array(try! Data(contentsOf: url)))
    }()

    @Test func theCapturedRequestHasTheFieldsCurrentClientsSend() {
        let request = Self.captured
        #expect(request["max_tokens"]?.intValue == 128000)
        #expect(request["thinking"]?["type"]?.stringValue == "adaptive")
        #expect(request["context_management"] != nil)
        #expect(request["output_config"]?["effort"]?.stringValue == "medium")
        #expect(request["messages"]?.arrayValue?.contains { $0["role"]?.stringValue == "system" } == true)
        #expect(request["tools"]?.arrayValue?.contains { $0["defer_loading"]?.boolValue == true } == true)
        #expect(request.jsonText.utf8.count > 40_000)
    }

    @Test func itTranslatesFaithfully() throws {
        var options = TranslationOptions()
        options.maxTokensCap = 32768
        options.resolveModel = { _ in "moonshotai/Kimi-K2-Instruct" }
        let (upstream, context) = try RequestTranslator.translate(Self.captured, options: options)
        let source = Self.captured
        #expect(upstream["model"]?.stringValue == "moonshotai/Kimi-K2-Instruct")
        #expect(context.requestedModel == source["model"]?.stringValue)
        #expect(upstream["max_tokens"]?.intValue == 32768)
        #expect(upstream["stream"]?.boolValue == true)
        #expect(upstream["stream_options"] == ["include_usage": true])
        #expect(upstream["reasoning_effort"]?.stringValue == "medium")
        for dropped in ["thinking", "context_management", "output_config", "metadata", "system"] {
            #expect(upstream[dropped] == nil, "\(dropped) must not be forwarded")
        }
        let messages = try #require(upstream["messages"]?.arrayValue)
        // The system prompt first, then the conversation with its system message in place.
        #expect(messages.first?["role"]?.stringValue == "system")
        #expect(messages.map { $0["role"]?.stringValue ?? "" } == ["system", "user", "system"])
        let tools = try #require(upstream["tools"]?.arrayValue)
        #expect(tools.count == source["tools"]?.arrayValue?.count)
        for (sent, declared) in zip(tools, source["tools"]!.arrayValue!) {
            #expect(sent["function"]?["name"] == declared["name"])
            #expect(sent["function"]?["parameters"] == declared["input_schema"])
            #expect(sent["defer_loading"] == nil && sent["function"]?["defer_loading"] == nil)
        }
        #expect(!upstream.jsonText.contains("cache_control"))
        #expect(context.estimatedInputTokens > 5_000)
    }
}
