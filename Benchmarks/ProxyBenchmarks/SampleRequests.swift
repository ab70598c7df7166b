import JSON

/// Inputs shaped like what Claude Code sends, built in code so the benchmarks need no files.
enum SampleRequests {
    /// About 50 KB: a long system prompt, 20 tools with JSON schemas, a conversation with tool
    /// use and results, `max_tokens` 128000, streaming on.
    static let claudeCodeRequest: [UInt8] = {
        var tools: [String] = []
        for index in 0..<20 {
            tools.append(
                #"""
                {"name":"Tool\#(index)","description":"Performs operation \#(index). Use it when the user asks for \#(index); it reads files, runs commands and reports results with line numbers.","input_schema":{"type":"object","properties":{"path":{"type":"string","description":"Absolute path to the file"},"limit":{"type":"integer","description":"Lines to read"},"flags":{"type":"array","items":{"type":"string"}},"recursive":{"type":"boolean"}},"required":["path"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}}
                """#)
        }
        let prose = String(repeating: "You are Claude Code, an interactive CLI tool that helps users with software engineering tasks. Use the tools available to you. \\n", count: 240)
        var messages: [String] = []
        for index in 0..<12 {
            messages.append(#"{"role":"user","content":[{"type":"text","text":"Please look at file \#(index) and fix the bug in the parser \u2014 it fails on \"quoted\" input.\n"}]}"#)
            messages.append(
                #"{"role":"assistant","content":[{"type":"text","text":"Let me read it."},{"type":"tool_use","id":"toolu_\#(index)","name":"Tool1","input":{"path":"/src/file\#(index).swift","limit":200}}]}"#
            )
            messages.append(#"{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_\#(index)","content":"1\tfunc parse() {\n2\t  let x = \"a\"\n3\t}\n"}]}"#)
        }
        let body =
            #"{"model":"claude-sonnet-4-5","max_tokens":128000,"stream":true,"system":[{"type":"text","text":"\#(prose)","cache_control":{"type":"ephemeral"}}],"tools":[\#(tools.joined(separator: ","))],"messages":[\#(messages.joined(separator: ","))],"metadata":{"user_id":"user_abc"},"thinking":{"type":"adaptive"}}"#
        return Array(body.utf8)
    }()

    /// A small non-streaming request.
    static let smallRequest: [UInt8] = Array(#"{"model":"claude-3-5-haiku","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}"#.utf8)

    /// One HTTP request head with a body, as a client sends it.
    static let httpRequest: [UInt8] =
        Array(
            "POST /v1/messages?beta=true HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\nx-api-key: sk-test\r\nanthropic-version: 2023-06-01\r\nanthropic-beta: claude-code-20250219\r\nUser-Agent: claude-cli/2.0\r\nAccept: application/json\r\nContent-Length: \(smallRequest.count)\r\n\r\n"
                .utf8
        ) + smallRequest

    /// An upstream SSE body of 1,000 content deltas, a finish chunk, usage and `[DONE]`.
    static let upstreamChunks: [UInt8] = {
        var text = ""
        for index in 0..<1000 {
            text +=
                #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"deepseek-ai/DeepSeek-V3","choices":[{"index":0,"delta":{"content":"token\#(index) "},"finish_reason":null}]}"#
                + "\n\n"
        }
        text += #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n"
        text += #"data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1000}}"# + "\n\ndata: [DONE]\n\n"
        return Array(text.utf8)
    }()

    static let done = Array("[DONE]".utf8)

    /// A structured tool call streamed as vLLM does: id and name first, then 1,000 argument
    /// fragments (escaped JSON text), then the finish reason and usage.
    static let toolCallChunks: [UInt8] = {
        func chunk(_ delta: String, finish: String = "null") -> String {
            #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"deepseek-ai/DeepSeek-V3","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finish)}]}"#
                + "\n\n"
        }
        var text = chunk(#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Write","arguments":""}}]}"#)
        text += chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\": \"/tmp/out.txt\", \"content\": \""}}]}"#)
        for index in 0..<1000 {
            text += chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"line \#(index)\\n"}}]}"#)
        }
        text += chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]}"#)
        text += chunk("{}", finish: #""tool_calls""#)
        text += #"data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1003}}"# + "\n\ndata: [DONE]\n\n"
        return Array(text.utf8)
    }()

    /// A reasoning model's stream: 1,000 `reasoning_content` deltas, then 100 answer deltas.
    static let reasoningChunks: [UInt8] = {
        func chunk(_ delta: String, finish: String = "null") -> String {
            #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"deepseek-ai/DeepSeek-R1","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finish)}]}"#
                + "\n\n"
        }
        var text = chunk(#"{"role":"assistant","content":""}"#)
        for index in 0..<1000 {
            text += chunk(#"{"reasoning_content":" step \#(index) of the \"plan\""}"#)
        }
        for index in 0..<100 {
            text += chunk(#"{"content":" answer\#(index)"}"#)
        }
        text += chunk("{}", finish: #""stop""#)
        text += #"data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1100}}"# + "\n\ndata: [DONE]\n\n"
        return Array(text.utf8)
    }()

    /// A Hermes call written as text in 25,000 one-byte deltas, as a slow model (or the
    /// security issue's upstream) streams it: `<tool_call>`, the call's JSON a byte at a time,
    /// `</tool_call>`. The region is open across all of them.
    static let hermesCallInDeltas: [UInt8] = {
        func chunk(_ content: String) -> String {
            #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"Qwen/Qwen3-235B","choices":[{"index":0,"delta":{"content":"\#(content)"},"finish_reason":null}]}"#
                + "\n\n"
        }
        var text = chunk("<tool_call>") + chunk(#"{\"name\": \"Bash\", \"arguments\": {\"command\": \""#)
        for index in 0..<25_000 { text += chunk(index % 80 == 79 ? ";" : "x") }
        text += chunk(#"\"}}"#) + chunk("</tool_call>")
        text += #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n"
        text += #"data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":25004}}"# + "\n\ndata: [DONE]\n\n"
        return Array(text.utf8)
    }()

    /// A whole (non-streamed) answer of 878 KB of code fences: each fence used to copy the rest
    /// of the text again.
    static let codeFenceAnswer: JSONValue = [
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [["index": 0, "message": ["role": "assistant", "content": JSONValue(String(repeating: "```", count: 878_000 / 3))], "finish_reason": "stop"]],
        "usage": ["prompt_tokens": 10, "completion_tokens": 292_666],
    ]

    /// A request that declares a tool, so answers are parsed for calls written as text.
    static let requestWithATool: JSONValue = [
        "model": "Qwen/Qwen3-235B", "max_tokens": 1000, "messages": [["role": "user", "content": "List the files."]],
        "tools": [["name": "Bash", "input_schema": ["type": "object", "properties": ["command": ["type": "string"]]]]],
    ]
}
