import Glibc
import JSON
import Testing
@testable import Translation

/// The hold-back's cost on prose with no markup: a long text streamed in small deltas through
/// the `auto` parser. Off by default (about 0.5 s in a debug build); run it with `TOOL_CALL_THROUGHPUT=1` under
/// `valgrind --tool=callgrind` to compare instruction counts before and after a change.
@Suite struct TextToolCallParserThroughputTests {
    static let prose: String = {
        let sentence = "The function returns early when the list is empty; otherwise it walks the <b>nodes</b> in order, checking each [index] and {key}. "
        return String(repeating: sentence, count: 400)
    }()

    @Test(.enabled(if: Environment.isSet("TOOL_CALL_THROUGHPUT")))
    func plainTextThroughTheAutoParser() {
        let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object", "properties": ["command": ["type": "string"]]])]
        let utf8 = Array(Self.prose.utf8)
        var pieces: [String] = []
        var start = 0
        while start < utf8.count {
            let end = min(start + 24, utf8.count)
            pieces.append(String(decoding: utf8[start..<end], as: UTF8.self))
            start = end
        }
        var total = 0
        for model in ["some-model", "MiniMaxAI/MiniMax-M2"] {
            var parser = makeTextToolCallParser(setting: "auto", model: model, tools: tools)!
            for piece in pieces {
                for case .text(let text) in parser.feed(piece) { total += text.utf8.count }
            }
            for case .text(let text) in parser.finish() { total += text.utf8.count }
        }
        #expect(total == 2 * utf8.count)
    }
}

enum Environment {
    static func isSet(_ name: String) -> Bool {
        guard let value = getenv(name) else { return false }
        return String(cString: value) == "1"
    }
}
