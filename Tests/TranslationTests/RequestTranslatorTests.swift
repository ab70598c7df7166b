import JSON
import Testing

@testable import Translation

private func upstream(_ request: String, options: TranslationOptions = .init()) throws -> JSONValue {
    try RequestTranslator.translate(JSONValue(parsing: request), options: options).upstream
}

private func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

@Suite struct RequestTranslatorTests {
    /// Request in, expected upstream request out.
    static let fixtures: [(name: String, request: String, expected: String)] = [
        (
            "system string and a user string",
            #"{"model":"m","max_tokens":10,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":10}"#
        ),
        (
            "system blocks joined by a blank line, cache_control dropped",
            #"{"model":"m","max_tokens":10,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":"B"}],"messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}]}"#,
            #"{"model":"m","messages":[{"role":"system","content":"A\n\nB"},{"role":"user","content":"Hi"}],"max_tokens":10}"#
        ),
        (
            "system messages inside messages stay in place",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"Hi"},{"role":"system","content":[{"type":"text","text":"Reminder"}]},{"role":"user","content":"Go"}]}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"system","content":"Reminder"},{"role":"user","content":"Go"}],"max_tokens":10}"#
        ),
        (
            "images: base64 to a data URL, url kept",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"QUJD"}},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}"#,
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,QUJD"}},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],"max_tokens":10}"#
        ),
        (
            "documents: text inline, PDF as a file part",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"notes"}},{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]}"#,
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"notes"},{"type":"file","file":{"filename":"document.pdf","file_data":"data:application/pdf;base64,JVBE"}}]}],"max_tokens":10}"#
        ),
        (
            "assistant tool_use, thinking and text; tool results first, in order, errors marked, text after",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"plan","signature":"s"},{"type":"text","text":"Reading."},{"type":"tool_use","id":"t1","name":"Read","input":{"path":"/a"}},{"type":"tool_use","id":"t2","name":"Bash","input":{"cmd":"ls"}}]},{"role":"user","content":[{"type":"text","text":"here you go"},{"type":"tool_result","tool_use_id":"t1","content":"file body"},{"type":"tool_result","tool_use_id":"t2","is_error":true,"content":[{"type":"text","text":"not found"}]}]}]}"#,
            #"{"model":"m","messages":[{"role":"assistant","content":"Reading.","reasoning_content":"plan","tool_calls":[{"id":"t1","type":"function","function":{"name":"Read","arguments":"{\"path\":\"/a\"}"}},{"id":"t2","type":"function","function":{"name":"Bash","arguments":"{\"cmd\":\"ls\"}"}}]},{"role":"tool","tool_call_id":"t1","content":"file body"},{"role":"tool","tool_call_id":"t2","content":"[tool error] not found"},{"role":"user","content":"here you go"}],"max_tokens":10}"#
        ),
        (
            "tool-result images follow in a user message",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"shot"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"UE5H"}}]}]}]}"#,
            #"{"model":"m","messages":[{"role":"tool","tool_call_id":"t1","content":"shot"},{"role":"user","content":[{"type":"text","text":"Images returned by the tool:"},{"type":"image_url","image_url":{"url":"data:image/png;base64,UE5H"}}]}],"max_tokens":10}"#
        ),
        (
            "redacted thinking, server tools and unknown blocks dropped",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"redacted_thinking","data":"x"},{"type":"server_tool_use","id":"s","name":"web_search","input":{}},{"type":"text","text":"ok"}]},{"role":"user","content":[{"type":"web_search_tool_result","tool_use_id":"s","content":[]},{"type":"mystery"},{"type":"text","text":"thanks"}]}]}"#,
            #"{"model":"m","messages":[{"role":"assistant","content":"ok"},{"role":"user","content":"thanks"}],"max_tokens":10}"#
        ),
        (
            "tools: custom kept with schema unchanged, Anthropic-only keys and server tools dropped; tool_choice any",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"Read","description":"Reads","input_schema":{"type":"object","properties":{"p":{"type":"string"}},"required":["p"]},"cache_control":{"type":"ephemeral"},"defer_loading":true},{"type":"web_search_20250305","name":"web_search","max_uses":5},{"type":"custom","name":"Bash","input_schema":{"type":"object"}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}"#,
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"Read","description":"Reads","parameters":{"type":"object","properties":{"p":{"type":"string"}},"required":["p"]}}},{"type":"function","function":{"name":"Bash","parameters":{"type":"object"}}}],"tool_choice":"required","parallel_tool_calls":false}"#
        ),
        (
            "tool_choice tool and none",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"Read","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"Read"}}"#,
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"Read","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"Read"}}}"#
        ),
        (
            "sampling, stop sequences, streaming, user; Anthropic-only fields not forwarded",
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"temperature":0.2,"top_p":0.9,"top_k":40,"stop_sequences":["END"],"stream":true,"metadata":{"user_id":"u1"},"context_management":{"edits":[]},"container":"c","mcp_servers":[],"service_tier":"auto"}"#,
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"temperature":0.2,"top_p":0.9,"top_k":40,"stop":["END"],"stream":true,"stream_options":{"include_usage":true},"user":"u1"}"#
        ),
    ]

    @Test(arguments: fixtures.indices)
    func translatesAsExpected(index: Int) throws {
        let fixture = Self.fixtures[index]
        #expect(try upstream(fixture.request) == json(fixture.expected), "\(fixture.name)")
    }

    @Test func maxTokensIsCappedWhenACapIsSet() throws {
        var options = TranslationOptions()
        options.maxTokensCap = 8192
        let request = #"{"model":"m","max_tokens":128000,"messages":[{"role":"user","content":"x"}]}"#
        #expect(try upstream(request, options: options)["max_tokens"]?.intValue == 8192)
        #expect(try upstream(request)["max_tokens"]?.intValue == 128000)
    }

    @Test(arguments: [
        (#""thinking":{"type":"enabled","budget_tokens":2000}"#, "m", "low"),
        (#""thinking":{"type":"enabled","budget_tokens":10000}"#, "m", "medium"),
        (#""thinking":{"type":"enabled","budget_tokens":32000}"#, "m", "high"),
        (#""thinking":{"type":"adaptive"},"output_config":{"effort":"high"}"#, "m", "high"),
        (#""thinking":{"type":"adaptive"}"#, "m", "medium"),
        (#""temperature":1"#, "m:thinking", "medium"),
    ])
    func reasoningIsSwitchedOn(fields: String, model: String, effort: String) throws {
        var options = TranslationOptions()
        options.thinkingTemplateKwargs = ["thinking": true]
        let result = try upstream(#"{"model":"\#(model)","max_tokens":10,"messages":[{"role":"user","content":"x"}],\#(fields)}"#, options: options)
        #expect(result["reasoning_effort"]?.stringValue == effort)
        #expect(result["chat_template_kwargs"] == ["thinking": true])
        #expect(result["model"]?.stringValue == "m")
        #expect(result["output_config"] == nil && result["thinking"] == nil)
    }

    @Test func thinkingDisabledTurnsTheTemplateSwitchOff() throws {
        var options = TranslationOptions()
        options.thinkingTemplateKwargs = ["enable_thinking": true]
        let result = try upstream(#"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"disabled"}}"#, options: options)
        #expect(result["chat_template_kwargs"] == ["enable_thinking": false])
        #expect(result["reasoning_effort"] == nil)
    }

    @Test func theThinkingHeaderSwitchesReasoningOn() throws {
        var options = TranslationOptions()
        options.enableThinkingHeader = true
        #expect(try upstream(#"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]}"#, options: options)["reasoning_effort"]?.stringValue == "medium")
    }

    @Test func everySuffixIsStrippedAndTheModelResolved() throws {
        var options = TranslationOptions()
        options.resolveModel = { $0 == "claude-x" ? "deepseek-ai/DeepSeek-V3" : $0 }
        for suffix in [":thinking", ":think", ":reason", ":reasoning"] {
            let (result, context) = try RequestTranslator.translate(json(#"{"model":"claude-x\#(suffix)","max_tokens":10,"messages":[]}"#), options: options)
            #expect(result["model"]?.stringValue == "deepseek-ai/DeepSeek-V3")
            #expect(context.requestedModel == "claude-x\(suffix)")
            #expect(context.thinkingRequested)
        }
    }

    @Test(arguments: [
        (#"{"max_tokens":10,"messages":[]}"#, "model", "Field required"),
        (#"{"model":5,"max_tokens":10,"messages":[]}"#, "model", "Input should be a non-empty string"),
        (#"{"model":"m","max_tokens":10}"#, "messages", "Field required"),
        (#"{"model":"m","max_tokens":10,"messages":{}}"#, "messages", "Input should be a valid list"),
        (#"{"model":"m","messages":[]}"#, "max_tokens", "Field required"),
        (#"{"model":"m","max_tokens":"10","messages":[]}"#, "max_tokens", "Input should be a positive integer"),
        (#"{"model":"m","max_tokens":10,"messages":[{"role":"robot","content":"x"}]}"#, "messages.0.role", "Input should be 'user' or 'assistant'"),
    ])
    func invalidRequestsNameTheField(request: String, field: String, message: String) {
        #expect(throws: TranslationError(field: field, message: message)) {
            _ = try RequestTranslator.translate(json(request), options: .init())
        }
    }

    @Test func longToolNamesAreShortenedReversiblyAndMappedBack() throws {
        let long = String(repeating: "mcp__server__very_long_tool_name_", count: 3)
        let request =
            #"{"model":"m","max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"\#(long)","input":{}}]}],"tools":[{"name":"\#(long)","input_schema":{"type":"object"}}]}"#
        let (result, context) = try RequestTranslator.translate(json(request), options: .init())
        let sent = try #require(result["tools"]?[0]?["function"]?["name"]?.stringValue)
        #expect(sent.utf8.count == 64)
        #expect(result["messages"]?[0]?["tool_calls"]?[0]?["function"]?["name"]?.stringValue == sent)
        #expect(context.toolNames.clientName(sent) == long)
    }

    @Test func toolNameMapAppliesGloballyAndPerModel() throws {
        let rules = try ToolNameMapping.Rules(json: #"{"Read":"read_file","special-model":{"Bash":"run_shell"}}"#)
        var options = TranslationOptions()
        options.toolNameRules = rules
        let request = #"{"model":"special-model","max_tokens":10,"messages":[],"tools":[{"name":"Read","input_schema":{}},{"name":"Bash","input_schema":{}}]}"#
        let (result, context) = try RequestTranslator.translate(json(request), options: options)
        #expect(result["tools"]?[0]?["function"]?["name"]?.stringValue == "read_file")
        #expect(result["tools"]?[1]?["function"]?["name"]?.stringValue == "run_shell")
        #expect(context.toolNames.clientName("read_file") == "Read")
        #expect(context.toolNames.clientName("RUN_SHELL") == "Bash")
        #expect(context.toolNames.clientName("bash") == "Bash")
        #expect(throws: TranslationError.self) { _ = try ToolNameMapping.Rules(json: "[1]") }
    }
}
