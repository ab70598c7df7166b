import JSON
import TestSupport
import Translation

/// The stream translator over random chunk sequences (text, reasoning, think tags, tool-call
/// fragments by index, finish reasons, usage, malformed shapes, a failure mid-stream): the
/// events must follow Anthropic's stream grammar, checked by `AnthropicStreamChecker`.
enum StreamFuzzing {
    static func streamTranslator(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let parserSetting = ["none"] + ToolCallFuzzing.settings
        let setting = parserSetting[input.choose(parserSetting.count)]
        let interceptor = makeTextToolCallParser(setting: setting, model: "m", tools: ToolCallFuzzing.tools)
        var translator = StreamTranslator(context: .init(messageID: "msg_fuzz", model: "m", estimatedInputTokens: 1, textToolCalls: interceptor))
        var events: [AnthropicStreamEvent] = []
        var failed = false
        var chunks: [JSONValue] = []
        if input.byte() & 1 == 1 { events += translator.start() }
        while !input.isEmpty && chunks.count < 64 {
            if input.choose(32) == 0 {
                events += translator.fail(type: "api_error", message: "upstream failed")
                failed = true
                break
            }
            let chunk = nextChunk(&input)
            chunks.append(chunk)
            events += translator.consume(chunk)
        }
        events += translator.finish()
        let checker = AnthropicStreamChecker(events)
        if !checker.problems.isEmpty {
            fuzzFailure("stream grammar broken (parser \(setting), failed \(failed)): \(checker.problems) for chunks \(chunks.map(\.jsonText))")
        }
    }

    private static func nextChunk(_ input: inout FuzzInput) -> JSONValue {
        func choice(_ delta: JSONValue, finish: JSONValue = nil) -> JSONValue {
            ["choices": [["index": 0, "delta": delta, "finish_reason": finish]]]
        }
        func text() -> JSONValue { JSONValue(ModelTextGenerator.pieces(from: &input, maxPieces: 1 + input.choose(4)).joined()) }
        switch input.choose(12) {
        case 0, 1, 2: return choice(["content": text()])
        case 3: return choice(["reasoning_content": text()])
        case 4: return choice(["reasoning": text()])
        case 5, 6, 7:
            var function: JSONObject = [:]
            if input.byte() & 1 == 1 { function["name"] = JSONValue(["Read", "Write", "Undeclared", String(repeating: "n", count: 80), ""][input.choose(5)]) }
            if input.byte() & 1 == 1 {
                function["arguments"] = JSONValue(["{", "\"path\":", "\"/a\"", "}", "{}", "1", "[", "\"", "{\"path\":\"/b\"}", "null"][input.choose(10)])
            }
            var call: JSONObject = ["function": .object(function)]
            switch input.choose(4) {
            case 0: break
            case 1: call["index"] = JSONValue(input.choose(3))
            case 2: call["index"] = JSONValue(-1 - input.choose(3))
            default: call["index"] = "x"
            }
            if input.byte() & 1 == 1 { call["id"] = JSONValue("call_\(input.choose(4))") }
            if input.byte() & 1 == 1 { call["type"] = "function" }
            return choice(["tool_calls": [.object(call)]])
        case 8:
            let reasons: [JSONValue] = ["stop", "length", "tool_calls", "content_filter", "function_call", nil, 3]
            return choice([:], finish: reasons[input.choose(reasons.count)])
        case 9:
            return ["choices": [], "usage": ["prompt_tokens": JSONValue(input.choose(100)), "completion_tokens": JSONValue(input.choose(100))]]
        case 10:
            let odd: [JSONValue] = [
                ["choices": 5], ["choices": [nil]], ["choices": [["delta": "text"]]], ["choices": [["message": ["content": "whole"]]]],
                ["error": ["message": "engine crashed"]], [], "text", ["choices": [["delta": ["content": 7, "tool_calls": "x"]]]],
                ["choices": [["delta": ["tool_calls": [nil, 1, ["function": nil]]]]]],
            ]
            return odd[input.choose(odd.count)]
        default:
            return JSONValue.lenient(String(decoding: input.take(input.choose(24)), as: UTF8.self)) ?? nil
        }
    }
}
