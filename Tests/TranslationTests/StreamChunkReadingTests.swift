import JSON
import TestSupport
import Testing
import Translation

/// The relay reads each upstream chunk straight from its bytes (`StreamChunk(parsing:)`); the
/// translator's tests feed parsed trees (`StreamChunk(_:)`). These tests hold the two readings
/// to the same answer on many shapes, valid and not, so the fast one cannot drift.
@Suite struct StreamChunkReadingTests {
    /// The tree's reading of `text`, nil where the strict parser refuses it.
    private func treeReading(_ text: [UInt8]) -> StreamChunk? {
        (try? JSONValue(parsing: text)).map { StreamChunk($0) }
    }

    private func expectSameReading(_ text: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = try? StreamChunk(parsing: text)
        let tree = treeReading(text)
        #expect(fast == tree, "\(String(decoding: text, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        // The common shapes.
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"#,
        #"{"choices":[{"index":0,"delta":{"reasoning_content":"think"},"finish_reason":null}]}"#,
        #"{"choices":[{"index":0,"delta":{"reasoning":"think","content":null}}]}"#,
        #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Read","arguments":""}}]}}]}"#,
        #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\": \"/a\"}"}}]}}]}"#,
        #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"END"}]}"#,
        #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop","matched_stop":"END"}]}"#,
        #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop","matched_stop":151645}]}"#,
        #"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":2}}}"#,
        #"{"error":{"message":"engine crashed","type":"internal"}}"#,
        // Escapes and Unicode, in values and in member names.
        #"{"choices":[{"delta":{"content":"caf\u00e9 \"q\"\n\ud83d\ude00 \/ \\"}}]}"#,
        #"{"choices":[{"delta":{"content":"日本語 é 😀"}}]}"#,
        #"{"choices":[{"delta":{"con\u0074ent":"escaped name"}}]}"#,
        #"{"\u0063hoices":[{"delta":{"content":"escaped choices"}}]}"#,
        #"{"choices":[{"finish\u005freason":"stop"}]}"#,
        #"{"choices":[{"delta":{"content":""}}]}"#,
        // Nulls, wrong types and missing parts.
        #"{"choices":null}"#, #"{"choices":5}"#, #"{"choices":[null]}"#, #"{"choices":[[]]}"#, #"{"choices":["text"]}"#,
        #"{"choices":[{"delta":null,"message":{"content":"whole"}}]}"#,
        #"{"choices":[{"message":{"content":"whole"}}]}"#,
        #"{"choices":[{"delta":"text"}]}"#,
        #"{"choices":[{"delta":{"content":7,"reasoning_content":true,"reasoning":["x"],"tool_calls":"x"}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[null,1,{"function":null},{"function":"f"},{"index":"x"},{"index":-2},{"index":1.0},{"index":1e2},{"index":99999999999999999999}]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":7,"function":{"name":null,"arguments":null}}]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{"path":"/a","n":[1,2.50,true,null]}}}]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":12.0e+3}}]}}]}"#,
        #"{"choices":[{"finish_reason":7,"stop_reason":null}]}"#,
        #"{"usage":null,"choices":[]}"#, #"{"usage":[1],"choices":[]}"#, #"{"error":null}"#, #"{"error":"bad","choices":[]}"#,
        #"[]"#, #""text""#, #"7"#, #"null"#, #"{}"#,
        // Unusual order and repeated members: the last one counts, `delta` wins over `message`.
        #"{"choices":[{"finish_reason":"length","delta":{"content":"late delta"},"index":0}],"model":"m"}"#,
        #"{"choices":[{"delta":{"content":"a"}}],"choices":[{"delta":{"content":"b"}}]}"#,
        #"{"choices":[{"delta":{"content":"a"}}],"choices":null}"#,
        #"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
        #"{"choices":[{"delta":{"content":"a","content":null}}]}"#,
        #"{"choices":[{"delta":{"content":"d"},"message":{"content":"m"}}]}"#,
        #"{"choices":[{"message":{"content":"m"},"delta":{"content":"d"}}]}"#,
        #"{"choices":[{"delta":{"content":"d1"},"message":{"content":"m"},"delta":{"reasoning":"d2"}}]}"#,
        #"{"choices":[{"delta":{"content":"first"}},{"delta":{"content":"second"}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"A"},"function":{"arguments":"{}"}}]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":0,"index":"x","id":"a","id":"b"}]}}]}"#,
        #"{"usage":{"prompt_tokens":1},"usage":5,"choices":[]}"#,
        #"{"usage":5,"usage":{"prompt_tokens":1},"choices":[]}"#,
        #"{"choices":[{"finish_reason":"stop","finish_reason":null}]}"#,
        // Whitespace everywhere JSON allows it.
        " \n{ \"choices\" :\t[ { \"delta\" : { \"content\" : \"spaced\" } , \"finish_reason\" : \"stop\" } ] }\r\n ",
        // Not JSON: both readings refuse.
        "", " ", "{", #"{"choices":[{"delta":{"content":"cut"#, #"{"choices":[]}x"#, #"{"choices":[],}"#, #"{'choices':[]}"#,
        #"{"choices":[{"delta":{"content":"bad \x"}}]}"#, #"{"choices":[{"delta":{"content":"\ud800"}}]}"#,
        "{\"choices\":[{\"delta\":{\"content\":\"raw \n newline\"}}]}", #"{"choices":[01]}"#, #"{"choices":[-]}"#,
        #"{"choices":[tru]}"#, #"{"a":1 "b":2}"#, #"{"choices":[1,]}"#, #"{"choices" [1]}"#, #"{"choices":[{"delta":{"content":"a"}}]}{}"#,
    ])
    func fastAndTreeReadingsAgree(_ text: String) {
        expectSameReading(Array(text.utf8))
    }

    @Test func invalidUTF8AndDeepNestingAreRefusedByBoth() {
        expectSameReading(Array(#"{"choices":[{"delta":{"content":""#.utf8) + [0xC3, 0x28] + Array(#""}}]}"#.utf8))
        expectSameReading(Array(#"{"choices":[{"delta":{"content":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}}]}"#.utf8))
        for depth in [255, 256, 257] {
            let nested = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
            expectSameReading(Array(#"{"extra":\#(nested)}"#.utf8))
            let shallow = String(repeating: "[", count: depth - 5) + String(repeating: "]", count: depth - 5)
            expectSameReading(Array(#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":\#(shallow)}}]}}]}"#.utf8))
        }
    }

    @Test func strictReadingKeepsTheUpstreamBytes() throws {
        let chunk = try StreamChunk(parsing: Array(#"{"choices":[{"delta":{"content":"caf\u00e9 \"q\""}}]}"#.utf8))
        var written: [UInt8] = []
        JSONValue.string(try #require(chunk.content)).write(into: &written)
        #expect(String(decoding: written, as: UTF8.self) == #""caf\u00e9 \"q\"""#)
        #expect(chunk.content?.value == "café \"q\"")
    }

    /// Random chunks built from the parts upstreams send and the parts they get wrong, in any
    /// order, repeated, nested in wrong types, then cut and corrupted: both readings agree.
    @Test(arguments: 0..<8)
    func randomChunksReadTheSame(seed: UInt64) {
        var generator = ChunkTextGenerator(seed: seed)
        for _ in 0..<400 {
            let text = Array(generator.chunk().utf8)
            expectSameReading(text)
            if text.isEmpty { continue }
            expectSameReading(Array(text.prefix(Int.random(in: 0..<text.count, using: &generator.random))))
            var corrupted = text
            corrupted[Int.random(in: 0..<text.count, using: &generator.random)] = Array(#"{}[]",:\ 0a"#.utf8).randomElement(using: &generator.random)!
            expectSameReading(corrupted)
        }
    }

    /// Whole streams of random chunks: the translator fed the fast reading writes exactly the
    /// bytes it writes when fed trees, with and without a text tool-call parser.
    @Test(arguments: 0..<4)
    func translationIsByteForByteTheSame(seed: UInt64) throws {
        var generator = ChunkTextGenerator(seed: seed &+ 100)
        let tools: [(name: String, inputSchema: JSONValue)] = [("Read", ["type": "object", "properties": ["path": ["type": "string"]]])]
        for round in 0..<60 {
            let chunks = (0..<Int.random(in: 1...12, using: &generator.random)).map { _ in Array(generator.chunk().utf8) }
            func translate(fast: Bool) -> (bytes: [UInt8], events: [AnthropicStreamEvent]) {
                let parser = round.isMultiple(of: 2) ? nil : makeTextToolCallParser(setting: "auto", model: "m", tools: tools)
                var translator = StreamTranslator(context: .init(messageID: "msg_0123456789ab", model: "m", estimatedInputTokens: 1, textToolCalls: parser))
                var events = translator.start()
                for chunk in chunks {
                    if fast {
                        guard let reading = try? StreamChunk(parsing: chunk) else { continue }
                        translator.consume(reading, into: &events)
                    } else {
                        guard let tree = try? JSONValue(parsing: chunk) else { continue }
                        events += translator.consume(tree)
                    }
                }
                events += translator.finish()
                var bytes: [UInt8] = []
                for event in events { event.encode(into: &bytes) }
                return (bytes, events)
            }
            let fast = translate(fast: true)
            #expect(fast.bytes == translate(fast: false).bytes, "\(chunks.map { String(decoding: $0, as: UTF8.self) })")
            #expect(AnthropicStreamChecker(fast.events).problems.isEmpty)
        }
    }
}

/// Writes chunk texts from the parts an upstream sends (and gets wrong), members in random
/// order, sometimes repeated, sometimes of the wrong type, with random whitespace.
private struct ChunkTextGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    private mutating func pick<T>(_ options: [T]) -> T { options.randomElement(using: &random)! }

    private mutating func space() -> String { chance(85) ? "" : pick([" ", "\n", "\t", "\r\n  "]) }

    private mutating func text() -> String {
        pick([
            #""""#, #""plain""#, #""token 42 ""#, #""caf\u00e9""#, #""\"quoted\"\n""#, #""\ud83d\ude00 \/""#, #""a\\b\tc""#,
            #""日本語 é""#, #""<think>why</think>""#, #""a longer piece of text, well past sixteen bytes""#,
            #""<tool_call>{\"name\": \"Read\", \"arguments\": {\"path\": \"/a\"}}</tool_call>""#,
        ])
    }

    private mutating func odd() -> String {
        pick(["null", "7", "-1", "1.5", "1e2", "true", "false", "[]", "{}", #"[1,"x",null]"#, #"{"a":null}"#, #""""#])
    }

    private mutating func name(_ plain: String) -> String {
        guard chance(3), let first = plain.unicodeScalars.first else { return "\"\(plain)\"" }
        let hex = String(first.value, radix: 16)
        return "\"\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)\(plain.dropFirst())\""
    }

    private mutating func object(_ members: [(String, String)]) -> String {
        var chosen = members.filter { _ in chance(80) }
        if chance(15), let repeated = members.randomElement(using: &random) { chosen.append((repeated.0, chance(50) ? odd() : repeated.1)) }
        if chance(20) { chosen.append((pick(["id", "object", "logprobs", "role", "type"]), chance(50) ? text() : odd())) }
        chosen.shuffle(using: &random)
        let body = chosen.map { "\(space())\(name($0.0))\(space()):\(space())\($0.1)" }.joined(separator: ",")
        return "{\(body)\(space())}"
    }

    private mutating func orOdd(_ value: String, percent: Int = 10) -> String { chance(percent) ? odd() : value }

    private mutating func toolCall() -> String {
        let function = object([
            ("name", orOdd(pick([#""Read""#, #""Write""#, #""""#]))),
            ("arguments", orOdd(pick([#""""#, #""{\"path\":""#, #""\"/a\"}""#, #""{}""#, #"{"path":"/b"}"#]))),
        ])
        return object([("index", orOdd(pick(["0", "1", "0", "-1", "\"x\"", "1.0"]))), ("id", orOdd(#""call_1""#)), ("function", orOdd(function))])
    }

    /// An entry of OpenRouter's `reasoning_details`.
    private mutating func reasoningDetail() -> String {
        object([
            ("type", orOdd(pick([#""reasoning.text""#, #""reasoning.summary""#, #""reasoning.encrypted""#, #""other""#]))),
            ("text", orOdd(text())), ("summary", orOdd(text())), ("data", orOdd(#""gAAAA==""#)),
        ])
    }

    private mutating func delta() -> String {
        let calls = "[" + (0..<Int.random(in: 0...2, using: &random)).map { _ in toolCall() }.joined(separator: ",") + "]"
        let details = "[" + (0..<Int.random(in: 0...3, using: &random)).map { _ in chance(90) ? reasoningDetail() : odd() }.joined(separator: ",") + "]"
        return object([
            ("content", orOdd(text())), ("reasoning_content", orOdd(text())), ("reasoning", orOdd(text())),
            ("reasoning_details", orOdd(details)), ("tool_calls", orOdd(calls)),
        ])
    }

    private mutating func choice() -> String {
        orOdd(
            object([
                ("index", "0"), ("delta", orOdd(delta())), ("message", orOdd(delta())),
                ("finish_reason", orOdd(pick(["null", #""stop""#, #""length""#, #""tool_calls""#]))),
                ("stop_reason", orOdd(pick([#""END""#, "null", "151645"]))), ("matched_stop", orOdd(pick([#""END""#, "7"]))),
            ]), percent: 5)
    }

    mutating func chunk() -> String {
        let choices = "[" + (0..<Int.random(in: 0...2, using: &random)).map { _ in choice() }.joined(separator: ",") + "]"
        let usage = object([("prompt_tokens", "10"), ("completion_tokens", "3"), ("prompt_tokens_details", #"{"cached_tokens":2}"#)])
        return space()
            + orOdd(
                object([
                    ("id", #""chatcmpl-1""#), ("choices", orOdd(choices)), ("usage", orOdd(usage, percent: 70)),
                    ("error", orOdd(#"{"message":"engine crashed"}"#, percent: 90)),
                ]), percent: 3) + space()
    }
}
