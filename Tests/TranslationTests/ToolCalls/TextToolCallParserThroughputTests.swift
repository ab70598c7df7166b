import Glibc
import JSON
import Testing

@testable import Translation

/// The hold-back's cost on prose with no markup: a long text streamed in small deltas through
/// the `auto` parser. Off by default; `TOOL_CALL_THROUGHPUT=1` runs it (about 1 s in a
/// release build, 10 s in a debug one) and prints MB/s for every format watched for today and
/// for only the formats of 2025, so the cost of the new families' markers shows.
@Suite struct TextToolCallParserThroughputTests {
    static let prose: String = {
        let sentence = "The function returns early when the list is empty; otherwise it walks the <b>nodes</b> in order, checking each [index] and {key}. "
        return String(repeating: sentence, count: 400)
    }()

    static let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object", "properties": ["command": ["type": "string"]]])]

    /// The prose in 24-byte deltas, as an upstream streams it.
    static let pieces: [String] = {
        let utf8 = Array(prose.utf8)
        return stride(from: 0, to: utf8.count, by: 24).map { String(decoding: utf8[$0..<min($0 + 24, utf8.count)], as: UTF8.self) }
    }()

    /// Bytes of text that came out.
    private func run(_ makeParser: () -> TextToolCallParser) -> Int {
        var parser = makeParser()
        var total = 0
        for piece in Self.pieces {
            for case .text(let text) in parser.feed(piece) { total += text.utf8.count }
        }
        for case .text(let text) in parser.finish() { total += text.utf8.count }
        return total
    }

    static let formats2025: [any TextToolCallFormat] = [
        TaggedToolCallFormat(), DeepSeekToolCallFormat(), DSMLToolCallFormat(acceptsPlainTags: false), KimiToolCallFormat(), MistralToolCallFormat(),
        LlamaToolCallFormat(), HarmonyToolCallFormat(),
    ]

    static func table(_ formats: [any TextToolCallFormat]) -> MarkerTable {
        MarkerTable([("```", nil)] + formats.enumerated().flatMap { index, format in format.startMarkers.map { ($0, index) } })
    }

    /// Timing on a shared machine is noisy; this is the exact form of the claim: on prose the
    /// scan does the same work with today's formats as with 2025's (no position gets past the
    /// two-byte filter, the hold-back window is as long), so the new families cost nothing there.
    @Test func theNewFamiliesAddNoWorkOnProse() {
        let today = Self.table(ToolCallFamily.allFormats).scanCost(of: Self.prose)
        #expect(today == Self.table(Self.formats2025).scanCost(of: Self.prose))
        #expect(today.candidates == 0)
        // Markup is still found: each marker's position passes the filter.
        #expect(Self.table(ToolCallFamily.allFormats).scanCost(of: "a <minimax:tool_call> b <|tool_call> c").candidates == 2)
    }

    @Test(.enabled(if: Environment.isSet("TOOL_CALL_THROUGHPUT")))
    func plainTextThroughTheAutoParser() {
        var total = 0
        for model in ["some-model", "MiniMaxAI/MiniMax-M2"] {
            total += run { makeTextToolCallParser(setting: "auto", model: model, tools: Self.tools)! }
        }
        #expect(total == 2 * Self.prose.utf8.count)

        // The two configurations alternate, so load from other processes falls on both alike.
        let rounds = 10
        let configurations: [(label: String, formats: [any TextToolCallFormat])] = [("every format today", ToolCallFamily.allFormats), ("the formats of 2025", Self.formats2025)]
        var seconds: [[Double]] = [[], []]
        for _ in 0..<21 {
            for (index, configuration) in configurations.enumerated() {
                let started = ContinuousClock.now
                for _ in 0..<rounds {
                    #expect(run { TextToolCallParser(formats: configuration.formats, tools: DeclaredTools(Self.tools)) } == Self.prose.utf8.count)
                }
                let elapsed = ContinuousClock.now - started
                seconds[index].append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
        }
        // Fastest run (the least disturbed by other processes) and median, per configuration.
        let bytes = Double(rounds * Self.prose.utf8.count)
        func rate(_ seconds: Double) -> Double { (bytes / seconds / 1e5).rounded() / 10 }
        for (index, configuration) in configurations.enumerated() {
            let sorted = seconds[index].sorted()
            print("text tool-call parser, \(configuration.label): fastest \(rate(sorted[0])) MB/s, median \(rate(sorted[10])) MB/s (21 runs of \(rounds) x \(Self.prose.utf8.count) bytes)")
        }
        let ratios = zip(seconds[0], seconds[1]).map { $0 / $1 }.sorted()
        print(
            "text tool-call parser, time today / time with the formats of 2025: fastest runs \((seconds[0].min()! / seconds[1].min()! * 1000).rounded() / 1000), median of paired runs \((ratios[10] * 1000).rounded() / 1000)"
        )
    }
}

enum Environment {
    static func isSet(_ name: String) -> Bool {
        guard let value = getenv(name) else { return false }
        return String(cString: value) == "1"
    }
}
